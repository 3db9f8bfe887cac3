//! `berth commit [-m MSG] [-a AUTHOR] [-c INSTRUCTION]… CONTAINER [REF]`

use super::Ctx;
use crate::container::Containers;
use crate::lifecycle::commit::{CommitOptions, commit};
use crate::reference::Reference;
use anyhow::{Context, Result, bail};

/// Create an image from a container's changes
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The container, by name, id or id prefix
    container: String,
    /// Name for the new image
    reference: Option<String>,
    /// Commit message recorded in the image's history
    #[arg(short, long)]
    message: Option<String>,
    /// Author recorded in the image
    #[arg(short, long)]
    author: Option<String>,
    /// Apply a Dockerfile instruction to the config: CMD ENTRYPOINT ENV EXPOSE LABEL ONBUILD STOPSIGNAL USER VOLUME WORKDIR
    #[arg(short, long = "change", value_name = "INSTRUCTION")]
    change: Vec<String>,
    /// Pause a running container while it is committed (needs a cgroup freezer);
    /// without it a running container's files are taken as they are
    #[arg(short, long)]
    pause: bool,
    /// The image format (only oci)
    #[arg(short, long, default_value = "oci", value_name = "FORMAT")]
    format: String,
    /// Print nothing but the image id
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    if a.format != "oci" {
        bail!(
            "unsupported image format `{}`: berth stores OCI images (--format oci)",
            a.format
        );
    }
    let name = a
        .reference
        .as_deref()
        .map(|r| {
            Reference::parse(r)
                .map(|r| r.to_string())
                .map_err(anyhow::Error::msg)
        })
        .transpose()?;
    let store = ctx.store()?;
    let containers = Containers::new(&ctx.layout);
    let opts = CommitOptions {
        message: a.message,
        author: a.author,
        changes: a.change,
        name,
        pause: a.pause,
    };
    let id = commit(&store, &containers, &a.container, &opts)
        .with_context(|| format!("committing container `{}`", a.container))?;
    super::events::image(ctx, "commit", id.hex(), &a.container);
    println!("{}", id.hex());
    Ok(0)
}
