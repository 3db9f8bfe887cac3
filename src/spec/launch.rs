//! Running a container's spec: its stdio, the network helper beside it, the
//! monitor, and what a failure to start means to the caller. One path for
//! `berth run` and the build's RUN steps.

use crate::runtime::extensions::Extensions;
use crate::runtime::monitor::{self, Options};
use crate::runtime::network;
use anyhow::{Context, Result};
use oci_spec::runtime::Spec;
use std::path::Path;

pub use crate::runtime::monitor::ExecFailure;

/// Where the container's stdio goes.
pub enum Stdio {
    /// `berth run`: the caller's; stdin only with `-i` (as podman), a pty
    /// of its own when the spec asks for a terminal.
    Caller { interactive: bool },
    /// A build step: its output is progress, not the build's result, so it
    /// goes to stderr — or to `log` (`-q`), whose tail a failure reports.
    /// Nothing to read.
    Step { log: Option<std::fs::File> },
    /// A detached container: stdout and stderr to `out` (its log), stdin
    /// from /dev/null.
    Detached { out: std::fs::File },
}

pub struct Launch<'a> {
    pub stdio: Stdio,
    /// Forward the signals berth receives to the container.
    pub sig_proxy: bool,
    pub network: &'a network::Plan,
    /// Where the network helper keeps its log.
    pub dir: &'a Path,
    /// Runs once the container's process exists, before it starts (its
    /// network is attached first).
    pub on_created: &'a mut dyn FnMut(nix::unistd::Pid) -> Result<()>,
    /// Runs once the container's command runs (exec'd).
    pub on_started: &'a mut dyn FnMut(),
}

/// Runs the container to its end: its exit code (128+N for signal N), or why
/// its command could not be started (126/127 with the message).
pub fn run(
    spec: &Spec,
    extensions: &Extensions,
    l: Launch<'_>,
) -> Result<Result<i32, ExecFailure>> {
    let tty = spec
        .process()
        .as_ref()
        .and_then(|p| p.terminal())
        .unwrap_or(false);
    // A detached container's terminal would need someone to hold its
    // master: its output goes to the log as plain pipes write it instead.
    let tty = tty && matches!(l.stdio, Stdio::Caller { .. });
    let (tty_parent, tty_child) = if tty {
        let (p, c) =
            std::os::unix::net::UnixStream::pair().context("creating the terminal socket")?;
        (Some(p), Some(c))
    } else {
        (None, None)
    };
    let interactive = matches!(l.stdio, Stdio::Caller { interactive: true });
    let before_exec = || -> Result<()> {
        match (&l.stdio, &tty_child) {
            (Stdio::Caller { .. }, Some(sock)) => crate::runtime::pty::child_setup(sock),
            (Stdio::Caller { interactive: true }, None) => Ok(()),
            (Stdio::Caller { interactive: false }, None) => {
                let null = std::fs::File::open("/dev/null").context("opening /dev/null")?;
                nix::unistd::dup2_stdin(&null).context("redirecting stdin")?;
                Ok(())
            }
            (Stdio::Detached { out }, _) => {
                nix::unistd::dup2_stdout(out).context("redirecting the container's output")?;
                nix::unistd::dup2_stderr(out).context("redirecting the container's output")?;
                let null = std::fs::File::open("/dev/null").context("opening /dev/null")?;
                nix::unistd::dup2_stdin(&null).context("redirecting stdin")?;
                Ok(())
            }
            (Stdio::Step { log }, _) => {
                if let Some(log) = log {
                    nix::unistd::dup2_stdout(log)?;
                    nix::unistd::dup2_stderr(log)?;
                } else {
                    nix::unistd::dup2_stdout(std::io::stderr())
                        .context("redirecting the step's output")?;
                }
                let null = std::fs::File::open("/dev/null")?;
                nix::unistd::dup2_stdin(&null)?;
                Ok(())
            }
        }
    };
    // Lives until the container has exited; dropping it stops pasta.
    let mut net_helper = None;
    let on_created = l.on_created;
    let mut created = |pid: nix::unistd::Pid| -> Result<()> {
        net_helper = l.network.attach(pid, l.dir)?;
        on_created(pid)
    };
    let result = monitor::run(Options {
        spec,
        extensions,
        sig_proxy: l.sig_proxy,
        on_created: &mut created,
        on_started: l.on_started,
        child_before_exec: &before_exec,
        tty: tty_parent.as_ref(),
        stdin_open: interactive,
    })?;
    drop(net_helper);
    Ok(result.map(|exit| exit.0))
}
