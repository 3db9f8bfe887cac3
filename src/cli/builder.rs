//! `berth builder prune`

use super::Ctx;
use crate::helper::remove_tree;
use anyhow::{Context, Result};

#[derive(clap::Subcommand, Debug)]
/// Manage the build cache
#[command(defer = true)]
pub enum Verb {
    /// Drop the build cache (step results and RUN --mount=type=cache dirs) and the layers only it kept
    Prune {
        /// Accepted for compatibility: berth never asks
        #[arg(short, long)]
        force: bool,
        /// Also drop the cache mounts (RUN --mount=type=cache)
        #[arg(short, long)]
        all: bool,
    },
}

pub fn run(ctx: &Ctx, v: Verb) -> Result<i32> {
    let Verb::Prune { all, .. } = v;
    let Some(store) = crate::store::Store::open_existing(ctx.root()) else {
        return Ok(0);
    };
    let lock = store.lock()?;
    let mut dirs = vec![ctx.layout.cache()];
    if all {
        dirs.push(ctx.layout.cache_mounts());
    }
    for d in dirs.iter().filter(|d| d.exists()) {
        remove_tree(d).with_context(|| format!("removing `{}`", d.display()))?;
    }
    let (n, bytes) = super::system::collect_garbage(&store, &lock, false)?;
    println!("Removed {n} item(s), {}", super::output::human_size(bytes));
    Ok(0)
}
