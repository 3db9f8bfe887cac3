//! `berth ps`

use super::Ctx;
use super::output::{self, Format};
use crate::container::{Containers, State};
use anyhow::Result;

/// List containers
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Show stopped containers too
    #[arg(short, long)]
    all: bool,
    /// Print container ids only
    #[arg(short, long)]
    quiet: bool,
    /// Do not truncate ids
    #[arg(long)]
    no_trunc: bool,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let list: Vec<_> = super::rm::sweep(&Containers::new(&ctx.layout))
        .into_iter()
        .filter(|m| a.all || matches!(m.state, State::Running | State::Orphaned))
        .collect();
    if a.format == Format::Json {
        output::json(&list)?;
        return Ok(0);
    }
    let id = |i: &str| {
        if a.no_trunc {
            i.to_string()
        } else {
            i[..12].to_string()
        }
    };
    if a.quiet {
        output::lines(list.iter().map(|m| id(&m.id)))?;
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|m| {
            let status = match (&m.state, m.exit_code) {
                (State::Exited, Some(c)) => format!("Exited ({c})"),
                (State::Orphaned, _) => "Orphaned (berth killed; rm -f ends it)".to_string(),
                (s, _) => format!("{s:?}"),
            };
            let created = crate::time::parse_rfc3339(&m.created)
                .map(crate::time::ago)
                .unwrap_or_default();
            vec![
                id(&m.id),
                m.image.clone(),
                m.command.join(" "),
                created,
                status,
                m.name.clone(),
            ]
        })
        .collect();
    output::table(
        &[
            "CONTAINER ID",
            "IMAGE",
            "COMMAND",
            "CREATED",
            "STATUS",
            "NAMES",
        ],
        &rows,
    )?;
    Ok(0)
}
