//! `berth stop [-t SECONDS] [-a] CONTAINER…`

use super::Ctx;
use crate::container::{Containers, State};
use crate::lifecycle::stop;
use anyhow::{Context, Result, bail};
use std::path::PathBuf;

/// Stop running containers: their stop signal, then SIGKILL after the timeout
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Seconds to wait after the stop signal before SIGKILL [default: the
    /// container's --stop-timeout, else 10]
    #[arg(
        short = 't',
        long = "time",
        visible_alias = "timeout",
        value_name = "SECONDS"
    )]
    time: Option<u32>,
    /// Stop every running container
    #[arg(short, long)]
    all: bool,
    /// Also the container whose id FILE holds (as `run --cidfile` wrote it)
    #[arg(long, value_name = "FILE")]
    cidfile: Vec<PathBuf>,
    /// A container that does not exist (or a missing --cidfile) is no error
    #[arg(short, long)]
    ignore: bool,
    /// Containers by name, id or id prefix
    containers: Vec<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let containers = Containers::new(&ctx.layout);
    let mut named = a.containers;
    named.extend(from_cidfiles(&a.cidfile, a.ignore)?);
    if named.is_empty() && !a.cidfile.is_empty() {
        return Ok(0); // --ignore, and every --cidfile was missing
    }
    let targets = targets(&containers, a.all, named)?;
    let mut code = 0;
    for spec in &targets {
        if a.ignore && containers.find(spec).is_err() {
            continue;
        }
        match stop::stop(&containers, spec, a.time) {
            Ok(m) => {
                super::events::container(ctx, "stop", &m);
                println!("{spec}")
            }
            Err(e) => code = super::report(&e.context(format!("stopping container `{spec}`"))),
        }
    }
    Ok(code)
}

/// The container ids the `--cidfile`s hold; with `ignore`, a missing file
/// is skipped.
pub(super) fn from_cidfiles(files: &[PathBuf], ignore: bool) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for f in files {
        match std::fs::read_to_string(f) {
            Ok(s) if !s.trim().is_empty() => ids.push(s.trim().to_string()),
            Ok(_) => bail!("--cidfile `{}` is empty", f.display()),
            Err(e) if ignore && e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| format!("reading --cidfile `{}`", f.display()));
            }
        }
    }
    Ok(ids)
}

/// The named containers, or with `all` every running one (by id).
pub(super) fn targets(
    containers: &Containers,
    all: bool,
    named: Vec<String>,
) -> Result<Vec<String>> {
    match (all, named.is_empty()) {
        (true, true) => Ok(super::rm::sweep(containers)
            .into_iter()
            .filter(|m| m.state == State::Running)
            .map(|m| m.id)
            .collect()),
        (true, false) => bail!("--all and container names are mutually exclusive"),
        (false, true) => bail!("give at least one container, or --all"),
        (false, false) => Ok(named),
    }
}
