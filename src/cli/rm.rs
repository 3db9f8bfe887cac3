//! `berth rm [-f] [-a] CONTAINER…`

use super::Ctx;
use crate::container::{Containers, Meta, State};
use crate::helper::remove_tree;
use anyhow::{Result, bail};
use std::path::PathBuf;

/// Remove stopped containers
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Kill a running or orphaned container first (its whole pid namespace)
    #[arg(short, long)]
    force: bool,
    /// Accepted as podman's: berth makes no anonymous volumes, and named
    /// ones outlive their containers
    #[arg(short = 'v', long)]
    volumes: bool,
    /// Remove every container (with --force, running ones too)
    #[arg(short, long)]
    all: bool,
    /// Also the container whose id FILE holds (as `run --cidfile` wrote it)
    #[arg(long, value_name = "FILE", conflicts_with = "all")]
    cidfile: Vec<PathBuf>,
    /// A container that does not exist (or a missing --cidfile) is no error
    #[arg(short, long)]
    ignore: bool,
    /// Containers by name, id or id prefix
    #[arg(required_unless_present_any = ["all", "cidfile"], conflicts_with = "all")]
    containers: Vec<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let containers = Containers::new(&ctx.layout);
    let kept = sweep(&containers);
    let targets = if a.all {
        kept.into_iter().map(|m| m.id).collect()
    } else {
        let mut named = a.containers;
        named.extend(super::stop::from_cidfiles(&a.cidfile, a.ignore)?);
        named
    };
    let mut code = 0;
    for spec in &targets {
        if a.ignore && containers.find(spec).is_err() {
            continue;
        }
        let result = (|| -> Result<String> {
            let id = containers.find(spec)?.id;
            // Serialised with stop, start and commit of the same container.
            let _lock = containers.lock(&id)?;
            let mut meta = containers.reload(&id)?;
            containers.settle(&mut meta)?;
            match meta.state {
                State::Exited => {}
                // Created by `create` and never started: nothing runs.
                State::Created if !meta.monitor.is_some_and(|m| m.alive()) => {}
                State::Created if !a.force => {
                    bail!(
                        "container {} is being started: stop it, or use -f",
                        meta.name
                    )
                }
                State::Running if !a.force => {
                    bail!("container {} is running: stop it, or use -f", meta.name)
                }
                State::Orphaned if !a.force => bail!(
                    "container {} is orphaned (its berth was killed) but still running: use -f to kill it",
                    meta.name
                ),
                _ => crate::lifecycle::stop::kill_and_wait(&containers, &meta)?,
            }
            // None: its berth removed it (`--rm`) after the kill.
            crate::lifecycle::remove_dir(&containers, &meta.id)?;
            Containers::forget_cidfile(&meta);
            super::events::container(ctx, "remove", &meta);
            Ok(meta.id)
        })();
        match result {
            Ok(id) => println!("{id}"),
            Err(e) => code = super::report(&e.context(format!("removing container `{spec}`"))),
        }
    }
    Ok(code)
}

/// `rm -f NAME…` for another verb (`volume rm -f`): returns its exit code,
/// each failure already reported.
pub(super) fn remove_forced(ctx: &Ctx, names: &[String]) -> i32 {
    let a = Args {
        force: true,
        volumes: false,
        all: false,
        cidfile: Vec::new(),
        ignore: true,
        containers: names.to_vec(),
    };
    run(ctx, a).unwrap_or_else(|e| super::report(&e))
}

/// Settles every record whose berth is gone (see [`Containers::settle`]) and
/// removes the `--rm` ones that are over: what a killed berth left behind.
/// Reads one small file per container; the layer trees of leftovers only are
/// removed. Best effort: a record it cannot settle is left for the next time.
pub(super) fn sweep(containers: &Containers) -> Vec<Meta> {
    let Ok((list, leftovers)) = containers.list_and_leftovers() else {
        return Vec::new();
    };
    for dir in leftovers {
        // Skipped while another berth is removing it.
        let removed = Containers::claim_retired(dir.clone())
            .and_then(|r| r.map_or(Ok(()), |r| remove_tree(&r.path)));
        if let Err(e) = removed {
            log::debug!("removing `{}`: {e:#}", dir.display());
        }
    }
    let mut kept = Vec::with_capacity(list.len());
    for mut m in list {
        match containers.settle(&mut m) {
            Ok(true) => match crate::lifecycle::remove_dir(containers, &m.id) {
                Ok(_) => Containers::forget_cidfile(&m),
                Err(e) => log::debug!("removing leftover container {}: {e:#}", m.id),
            },
            Ok(false) => kept.push(m),
            Err(e) => {
                log::debug!("settling container {}: {e:#}", m.id);
                kept.push(m);
            }
        }
    }
    kept
}
