//! `berth rm CONTAINER…`

use super::Ctx;
use crate::container::{Containers, Meta, State};
use crate::helper::remove_tree;
use anyhow::{Context, Result, bail};

/// Remove stopped containers
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Kill a running or orphaned container first (its whole pid namespace)
    #[arg(short, long)]
    force: bool,
    /// Containers by name, id or id prefix
    #[arg(required = true)]
    containers: Vec<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let containers = Containers::new(&ctx.layout);
    sweep(&containers);
    let mut code = 0;
    for spec in &a.containers {
        let result = (|| -> Result<String> {
            let mut meta = containers.find(spec)?;
            containers.settle(&mut meta)?;
            match meta.state {
                State::Exited => {}
                // Created: its berth is still setting it up.
                State::Created | State::Running if !a.force => {
                    bail!("container {} is running: stop it, or use -f", meta.name)
                }
                State::Orphaned if !a.force => bail!(
                    "container {} is orphaned (its berth was killed) but still running: use -f to kill it",
                    meta.name
                ),
                _ => kill(&meta)?,
            }
            match remove_tree(&containers.dir_of(&meta.id)) {
                // Its berth removed it (`--rm`) after the kill.
                Err(_) if !containers.dir_of(&meta.id).exists() => {}
                r => r?,
            }
            Ok(meta.id)
        })();
        match result {
            Ok(id) => println!("{id}"),
            Err(e) => code = super::report(&e.context(format!("removing container `{spec}`"))),
        }
    }
    Ok(code)
}

/// Ends a live container and waits until nothing of it runs: SIGKILL to its
/// pid 1 kills every process of its pid namespace (the kernel does that when
/// a namespace's init dies), and the init's pidfd turns readable only once
/// they are all gone. Then waits for its berth, if alive, to write the end.
fn kill(meta: &Meta) -> Result<()> {
    use crate::container::Process;
    use crate::sys::pidfd::{PidFd, is_pid_ns_init};
    let (Some(pid), Some(start)) = (meta.pid, meta.pid_start) else {
        bail!("container {} has no recorded process to kill", meta.name);
    };
    let init = Process { pid, start };
    // Opened first, then checked: a pid reused after the check cannot be hit.
    let fd = match PidFd::open(pid) {
        Ok(fd) if init.alive() => Some(fd),
        _ => None,
    };
    if let Some(fd) = fd {
        // Signalling a pid namespace's init ends the namespace; any other
        // process would be a wrong record and end alone.
        if !is_pid_ns_init(pid).unwrap_or(false) {
            bail!(
                "pid {pid} of container {} is not the init of a pid namespace: not killing it",
                meta.name
            );
        }
        fd.kill(libc::SIGKILL)
            .with_context(|| format!("killing pid {pid} of container {}", meta.name))?;
        fd.wait_exit()
            .with_context(|| format!("waiting for pid {pid} of container {}", meta.name))?;
    }
    if let Some(monitor) = meta.monitor.filter(|m| m.alive())
        && let Ok(fd) = PidFd::open(monitor.pid)
        && monitor.alive()
    {
        fd.wait_exit()
            .with_context(|| format!("waiting for the berth of container {}", meta.name))?;
    }
    Ok(())
}

/// Settles every record whose berth is gone (see [`Containers::settle`]) and
/// removes the `--rm` ones that are over: what a killed berth left behind.
/// Reads one small file per container; the layer trees of leftovers only are
/// removed. Best effort: a record it cannot settle is left for the next time.
pub(super) fn sweep(containers: &Containers) -> Vec<Meta> {
    let Ok(list) = containers.list() else {
        return Vec::new();
    };
    let mut kept = Vec::with_capacity(list.len());
    for mut m in list {
        match containers.settle(&mut m) {
            Ok(true) => {
                if let Err(e) = remove_tree(&containers.dir_of(&m.id)) {
                    log::debug!("removing leftover container {}: {e:#}", m.id);
                }
            }
            Ok(false) => kept.push(m),
            Err(e) => {
                log::debug!("settling container {}: {e:#}", m.id);
                kept.push(m);
            }
        }
    }
    kept
}
