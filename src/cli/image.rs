//! `berth image exists IMAGE`, `image log`, `image rollback`, `image
//! prune`: the `image` group, for verbs that have no top-level form.

use super::Ctx;
use anyhow::{Context, Result};

#[derive(clap::Subcommand, Debug)]
/// Manage images
#[command(defer = true)]
pub enum Verb {
    /// Exit 0 if the image is in local storage, 1 if not (for scripts; no output)
    Exists {
        /// The image, by name, id or digest
        image: String,
    },
    Log(super::reflog::LogArgs),
    Rollback(super::reflog::RollbackArgs),
    Prune(super::reflog::PruneArgs),
}

pub fn run(ctx: &Ctx, v: Verb) -> Result<i32> {
    match v {
        Verb::Exists { image } => exists(ctx, &image),
        Verb::Log(a) => super::reflog::run_log(ctx, a),
        Verb::Rollback(a) => super::reflog::run_rollback(ctx, a),
        Verb::Prune(a) => super::reflog::run_prune(ctx, a),
    }
}

fn exists(ctx: &Ctx, spec: &str) -> Result<i32> {
    let found = match crate::store::Store::open_existing(ctx.root()) {
        Some(store) => store
            .find(spec)
            .with_context(|| format!("looking up `{spec}`"))?
            .is_some(),
        // A fresh root holds no image; a bad reference is still an error.
        None => {
            check_spec(spec)?;
            false
        }
    };
    Ok(if found { 0 } else { 1 })
}

/// A name or an id (hex, with or without `sha256:`), as `Store::find` takes.
fn check_spec(spec: &str) -> Result<()> {
    let hex = spec.strip_prefix("sha256:").unwrap_or(spec);
    if hex.len() >= 3 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(());
    }
    crate::reference::Reference::parse(spec)
        .map(|_| ())
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("looking up `{spec}`"))
}
