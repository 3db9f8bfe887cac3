//! `berth inspect IMAGE…`

use super::Ctx;
use super::output;
use crate::store::images::Image;
use anyhow::{Context, Result};
use serde_json::json;

/// Show an image's details as JSON (the shape of `podman image inspect`)
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Images by name, id or digest
    #[arg(required = true)]
    images: Vec<String>,
    /// Output format (only json)
    #[arg(long, value_enum, default_value = "json")]
    format: output::Format,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let store = ctx.store()?;
    let mut out = Vec::new();
    for name in &a.images {
        let img = store
            .resolve(name)
            .with_context(|| format!("inspecting `{name}`"))?;
        out.push(inspect_json(&img));
    }
    output::json(&out)?;
    Ok(0)
}

pub fn inspect_json(i: &Image) -> serde_json::Value {
    // What push and pull recorded, then each name's repository with the
    // local manifest digest (podman lists names × digests).
    let mut repo_digests = i.repo_digests.clone();
    for n in &i.names {
        let rd = format!("{}@{}", super::images::split_name(n).0, i.digest);
        if !repo_digests.contains(&rd) {
            repo_digests.push(rd);
        }
    }
    let c = &i.config;
    json!({
        "Id": i.id().hex(),
        "Digest": i.digest.to_string(),
        "RepoTags": i.names,
        "RepoDigests": repo_digests,
        "Created": c.created,
        "Author": c.author.clone().unwrap_or_default(),
        "Architecture": c.architecture,
        "Os": c.os,
        "Config": c.config,
        "Labels": c.config.labels,
        "RootFS": { "Type": c.rootfs.kind, "Layers": c.rootfs.diff_ids },
        "History": c.history,
        "Size": i.size(),
        "ManifestType": i.manifest.media_type,
        "Annotations": i.manifest.annotations,
    })
}
