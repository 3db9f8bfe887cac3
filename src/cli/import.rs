//! `berth import FILE|- [REF]`

use super::Ctx;
use crate::image::import::{ImportOptions, import};
use crate::reference::Reference;
use anyhow::{Context, Result};
use std::io::Read;

/// Create an image from a root filesystem tarball (plain, gzip or zstd)
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The tarball, or `-` for stdin
    file: String,
    /// Name for the new image
    reference: Option<String>,
    /// Apply a Dockerfile instruction to the config: CMD ENTRYPOINT ENV EXPOSE LABEL STOPSIGNAL USER VOLUME WORKDIR
    #[arg(short, long = "change", value_name = "INSTRUCTION")]
    change: Vec<String>,
    /// Commit message recorded in the image's history
    #[arg(short, long)]
    message: Option<String>,
    /// Print only the image id (what berth prints anyway; podman's flag)
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let name = a
        .reference
        .as_deref()
        .map(|r| {
            Reference::parse(r)
                .map(|r| r.to_string())
                .map_err(anyhow::Error::msg)
        })
        .transpose()?;
    let input: Box<dyn Read> = if a.file == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(&a.file).with_context(|| format!("opening `{}`", a.file))?)
    };
    let store = ctx.store()?;
    let opts = ImportOptions {
        changes: a.change,
        message: a.message,
        name,
        source: a.file.clone(),
    };
    let id = import(&store, input, &opts).with_context(|| format!("importing `{}`", a.file))?;
    // -q: the id is all berth prints here anyway.
    let _ = a.quiet;
    super::events::image(ctx, "import", id.hex(), opts.name.as_deref().unwrap_or(""));
    println!("{}", id.hex());
    Ok(0)
}
