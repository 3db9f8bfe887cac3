//! `berth load [-i FILE]`

use super::Ctx;
use anyhow::{Context, Result};
use std::io::{IsTerminal, Read};

/// Load images from a docker-archive or oci-archive (stdin unless -i; gzip too)
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Read from FILE instead of stdin
    #[arg(short, long, value_name = "FILE")]
    input: Option<String>,
    /// Print nothing but errors
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let (input, what): (Box<dyn Read>, String) = match &a.input {
        Some(f) if f != "-" => (
            Box::new(std::fs::File::open(f).with_context(|| format!("opening `{f}`"))?),
            format!("`{f}`"),
        ),
        _ => {
            if std::io::stdin().is_terminal() {
                anyhow::bail!("no archive on stdin: use -i FILE or a pipe");
            }
            (Box::new(std::io::stdin()), "stdin".into())
        }
    };
    let store = ctx.store()?;
    let loaded =
        crate::image::load::load(&store, input).with_context(|| format!("loading {what}"))?;
    for line in &loaded {
        let name = line.trim_start_matches("Loaded image: ");
        if let Ok(image) = store.resolve(name) {
            super::events::image(ctx, "load", image.id().hex(), name);
        }
    }
    if !a.quiet {
        super::output::lines(loaded)?;
    }
    Ok(0)
}
