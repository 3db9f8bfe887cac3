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
    let mut lines = Vec::new();
    for image in &loaded {
        // An untagged image is shown by its id, as docker and podman do.
        let shown = match image.names.as_slice() {
            [] => vec![image.id.to_string()],
            names => names.to_vec(),
        };
        for name in shown {
            super::events::image(ctx, "load", image.id.hex(), &name);
            lines.push(format!("Loaded image: {name}"));
        }
    }
    if !a.quiet {
        super::output::lines(lines)?;
    }
    Ok(0)
}
