//! `exec`: a command in a running container, from its record (pid 1 and
//! its start time) and its bundle (the spec and extensions `create` wrote),
//! never from the flags of whoever runs `exec`: the command gets the
//! container's confinement, as its own processes have it.

use crate::container::{Containers, Process, State};
use crate::runtime::exec::{self, Options};
use crate::spec::bundle;
use anyhow::{Context, Result, bail};

pub use crate::runtime::monitor::ExecFailure;

/// The container's environment with `overrides` (`-e`, `--env-file`)
/// applied, as `exec` gives it to the command.
fn environment(spec: &oci_spec::runtime::Spec, overrides: &[String], tty: bool) -> Vec<String> {
    let env = spec
        .process()
        .as_ref()
        .and_then(|p| p.env().clone())
        .unwrap_or_default();
    crate::spec::process::environment(Some(&env), overrides, tty)
}

/// Runs `o` in the container `spec` names. No lock is held while the
/// command runs: `stop` may end the container meanwhile, and the command
/// with it.
pub fn exec(
    containers: &Containers,
    spec: &str,
    overrides: &[String],
    mut o: Options,
) -> Result<Result<i32, ExecFailure>> {
    let mut meta = containers.find(spec)?;
    containers.settle(&mut meta)?;
    let target = match (&meta.state, meta.pid, meta.pid_start) {
        (State::Running | State::Orphaned, Some(pid), Some(start)) => Process { pid, start },
        (state, _, _) => bail!(
            "container {} is not running (it is {})",
            meta.name,
            format!("{state:?}").to_lowercase()
        ),
    };
    let b = bundle::read(&containers.dir_of(&meta.id))
        .with_context(|| format!("reading container {}", meta.name))?;
    o.env = environment(&b.spec, overrides, o.tty);
    exec::run(&b.spec, &b.extensions, target, &o)
        .with_context(|| format!("running a command in container {}", meta.name))
}
