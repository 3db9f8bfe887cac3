//! `berth system check|prune|df|reset`

use super::Ctx;
use super::output;
use crate::helper::remove_tree;
use anyhow::{Context, Result, bail};
use std::io::IsTerminal;

#[derive(clap::Subcommand, Debug)]
/// Look after the store
#[command(defer = true)]
pub enum Verb {
    /// Verify the store: every image complete and intact; list garbage
    Check {
        /// Also re-hash every layer blob
        #[arg(long)]
        verify: bool,
    },
    /// Remove garbage: unreferenced blobs and layers, leftovers of interrupted commands, expired name history
    Prune {
        /// Accepted for compatibility: berth never asks
        #[arg(short, long)]
        force: bool,
        #[command(flatten)]
        expire: super::reflog::ExpireArg,
    },
    /// Show disk usage: images, containers, local volumes, build cache
    Df {
        /// Also list each image, container and volume
        #[arg(short, long)]
        verbose: bool,
        /// json, table, or a Go template over the rows
        /// (`{{.Type}}\t{{.Size}}`; fields Type, Total, Active, Size, Reclaimable)
        #[arg(long, value_name = "FORMAT")]
        format: Option<String>,
    },
    /// Remove everything under the root directory
    Reset {
        /// Do not ask for confirmation
        #[arg(short, long)]
        force: bool,
    },
}

pub fn run(ctx: &Ctx, v: Verb) -> Result<i32> {
    match v {
        Verb::Check { verify } => check(ctx, verify),
        Verb::Prune { expire, .. } => prune(ctx, &expire),
        Verb::Df { verbose, format } => super::df::run(ctx, verbose, format.as_deref()),
        Verb::Reset { force } => reset(ctx, force),
    }
}

fn check(ctx: &Ctx, verify: bool) -> Result<i32> {
    let Some(store) = crate::store::Store::open_existing(ctx.root()) else {
        println!("store is empty");
        return Ok(0);
    };
    let report = store.check(verify, &layers_in_use(&store)?)?;
    for g in &report.garbage {
        println!("garbage: {}", g.display());
    }
    for n in &report.notes {
        println!("note: {}", crate::term::escape(n));
    }
    if !report.errors.is_empty() {
        for e in &report.errors {
            eprintln!("berth: {}", crate::term::escape(&e.to_string()));
        }
        bail!(
            "the store at `{}` is not valid: {} problem(s)",
            store.dir().display(),
            report.errors.len()
        );
    }
    if report.garbage.is_empty() {
        println!("store is valid");
    } else {
        println!(
            "store is valid; {} garbage item(s): run `berth system prune`",
            report.garbage.len()
        );
    }
    Ok(0)
}

fn prune(ctx: &Ctx, expire: &super::reflog::ExpireArg) -> Result<i32> {
    let cutoff = expire.cutoff()?;
    let Some(store) = crate::store::Store::open_existing(ctx.root()) else {
        return Ok(0);
    };
    // Exclusive: no import or load is writing temporary files now.
    let _work = store.work_lock(true)?;
    let lock = store.lock()?;
    // The history first: the images only expired entries kept are garbage now.
    store.compact_history(&lock, cutoff)?;
    let cache = ctx.layout.cache();
    if cache.exists() {
        std::fs::remove_dir_all(&cache)
            .with_context(|| format!("removing the build cache `{}`", cache.display()))?;
    }
    let (n, bytes) = collect_garbage(&store, &lock, true)?;
    println!("Removed {n} item(s), {}", output::human_size(bytes));
    Ok(0)
}

/// Collects the store's garbage (see `Store::collect`): the files go there,
/// the directories here, through the helper when their files belong to
/// subordinate ids. The caller holds `lock`. Returns what went, and its bytes.
pub(super) fn collect_garbage(
    store: &crate::store::Store,
    lock: &crate::layout::Lock,
    include_tmp: bool,
) -> Result<(usize, u64)> {
    let collected = store.collect(lock, include_tmp, &layers_in_use(store)?)?;
    // The per-layer SBOM facts and per-image findings of what is gone; a
    // store that cannot be listed keeps them until next time.
    if let Ok(images) = store.images() {
        crate::sbom::sweep_cache(store.layout(), &images);
        crate::vuln::gate::sweep_cache(store.layout(), &images);
    }
    let mut bytes = collected.bytes;
    for dir in &collected.dirs {
        bytes += crate::layer::disk_usage(dir).unwrap_or(0);
        remove_tree(dir)?;
    }
    Ok((collected.files + collected.dirs.len(), bytes))
}

/// The layers containers run on, live whatever images there are.
fn layers_in_use(
    store: &crate::store::Store,
) -> Result<std::collections::BTreeSet<crate::store::digest::Digest>> {
    crate::lifecycle::commit::layers_in_use(&crate::container::Containers::new(store.layout()))
}

fn reset(ctx: &Ctx, force: bool) -> Result<i32> {
    if !force {
        if !std::io::stdin().is_terminal() {
            bail!("refusing to remove `{}` without -f", ctx.root().display());
        }
        eprint!(
            "Remove every image, layer and container under `{}`? [y/N] ",
            ctx.root().display()
        );
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            return Ok(0);
        }
    }
    if ctx.root().exists() {
        remove_tree(ctx.root())?;
    }
    Ok(0)
}
