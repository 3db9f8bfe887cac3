//! `berth pull [OPTIONS] NAME`

use super::Ctx;
use super::progress::Progress;
use super::registry_opts::AccessFlags;
use crate::image::pull::{self, PullOptions};
use anyhow::Result;

/// Pull an image from a registry
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The platform to pick from a multi-platform image, as os/arch[/variant]
    /// [default: this machine's]
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    platform: Option<String>,
    /// Pull every tag of the repository
    #[arg(short, long)]
    all_tags: bool,
    /// Print only the image id
    #[arg(short, long)]
    quiet: bool,
    #[command(flatten)]
    access: AccessFlags,
    /// The image: [REGISTRY/]REPOSITORY[:TAG|@DIGEST]
    name: String,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let opts = PullOptions {
        all_tags: a.all_tags,
        ..a.access.pull_options(a.platform.as_deref())?
    };
    let store = ctx.store()?;
    let progress = Progress::new(a.quiet);
    let pulled = pull::pull(&store, &a.name, &opts, &progress)?;
    for p in &pulled {
        super::events::image(ctx, "pull", p.id.hex(), &a.name);
    }
    super::output::lines(pulled.iter().map(|p| p.id.hex().to_string()))?;
    Ok(0)
}
