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
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", conflicts_with_all = ["os", "arch", "variant"])]
    platform: Option<String>,
    /// The architecture to pick, on this machine's OS unless --os says
    #[arg(long, value_name = "ARCH")]
    arch: Option<String>,
    /// The OS to pick, with this machine's architecture unless --arch says
    #[arg(long, value_name = "OS")]
    os: Option<String>,
    /// The architecture's variant to pick (e.g. v7)
    #[arg(long, value_name = "VARIANT")]
    variant: Option<String>,
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
        ..a.access.pull_options(platform(&a).as_deref())?
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

/// `--platform`, or podman's `--os`/`--arch`/`--variant` put into this
/// machine's platform; None for this machine's.
fn platform(a: &Args) -> Option<String> {
    if let Some(p) = &a.platform {
        return Some(p.clone());
    }
    if a.os.is_none() && a.arch.is_none() && a.variant.is_none() {
        return None;
    }
    let host = pull::Platform::host();
    let os = a.os.as_deref().unwrap_or(&host.os);
    let arch = a.arch.as_deref().unwrap_or(&host.arch);
    Some(match &a.variant {
        Some(v) => format!("{os}/{arch}/{v}"),
        None => format!("{os}/{arch}"),
    })
}
