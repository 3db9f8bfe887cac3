//! `berth tag SRC DST…` and `berth untag IMAGE [NAME…]`

use super::Ctx;
use crate::reference::Reference;
use anyhow::{Context, Result};

/// Give an image more names
#[derive(clap::Args, Debug)]
pub struct TagArgs {
    /// The image, by name or id
    image: String,
    /// New names
    #[arg(required = true)]
    names: Vec<String>,
}

/// Remove names from an image (all of them when none are given); the image stays
#[derive(clap::Args, Debug)]
pub struct UntagArgs {
    image: String,
    names: Vec<String>,
}

fn full_names(names: &[String]) -> Result<Vec<String>> {
    names
        .iter()
        .map(|n| {
            Reference::parse(n)
                .map(|r| r.to_string())
                .map_err(anyhow::Error::msg)
        })
        .collect()
}

pub fn run_tag(ctx: &Ctx, a: TagArgs) -> Result<i32> {
    let store = ctx.store()?;
    let names = full_names(&a.names)?;
    if let Some(n) = names.iter().find(|n| n.contains('@')) {
        anyhow::bail!("tagging `{}`: a name cannot carry a digest: `{n}`", a.image);
    }
    let lock = store.lock()?;
    let img = store
        .resolve(&a.image)
        .with_context(|| format!("tagging `{}`", a.image))?;
    store.add_image(&lock, &img.digest, img.manifest_size, &names)?;
    for n in &names {
        super::events::image(ctx, "tag", img.id().hex(), n);
    }
    Ok(0)
}

pub fn run_untag(ctx: &Ctx, a: UntagArgs) -> Result<i32> {
    let store = ctx.store()?;
    let names = full_names(&a.names)?;
    let lock = store.lock()?;
    let img = store
        .resolve(&a.image)
        .with_context(|| format!("untagging `{}`", a.image))?;
    if let Some(n) = names.iter().find(|n| !img.names.contains(n)) {
        anyhow::bail!("untagging `{}`: the image has no name `{n}`", a.image);
    }
    store.untag(&lock, &img.digest, &names)?;
    for n in &names {
        super::events::image(ctx, "untag", img.id().hex(), n);
    }
    Ok(0)
}
