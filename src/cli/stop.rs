//! `berth stop [-t SECONDS] [-a] CONTAINER…`

use super::Ctx;
use crate::container::{Containers, State};
use crate::lifecycle::stop;
use anyhow::{Result, bail};

/// Stop running containers: their stop signal, then SIGKILL after the timeout
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Seconds to wait after the stop signal before SIGKILL [default: the
    /// container's --stop-timeout, else 10]
    #[arg(
        short = 't',
        long = "time",
        visible_alias = "timeout",
        value_name = "SECONDS"
    )]
    time: Option<u32>,
    /// Stop every running container
    #[arg(short, long)]
    all: bool,
    /// Containers by name, id or id prefix
    containers: Vec<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let containers = Containers::new(&ctx.layout);
    let targets = targets(&containers, a.all, a.containers)?;
    let mut code = 0;
    for spec in &targets {
        match stop::stop(&containers, spec, a.time) {
            Ok(m) => {
                super::events::container(ctx, "stop", &m);
                println!("{spec}")
            }
            Err(e) => code = super::report(&e.context(format!("stopping container `{spec}`"))),
        }
    }
    Ok(code)
}

/// The named containers, or with `all` every running one (by id).
pub(super) fn targets(
    containers: &Containers,
    all: bool,
    named: Vec<String>,
) -> Result<Vec<String>> {
    match (all, named.is_empty()) {
        (true, true) => Ok(super::rm::sweep(containers)
            .into_iter()
            .filter(|m| m.state == State::Running)
            .map(|m| m.id)
            .collect()),
        (true, false) => bail!("--all and container names are mutually exclusive"),
        (false, true) => bail!("give at least one container, or --all"),
        (false, false) => Ok(named),
    }
}
