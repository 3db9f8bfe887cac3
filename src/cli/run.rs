//! `berth run [OPTIONS] IMAGE [COMMAND [ARG…]]`: `create`, then `start` in
//! the foreground (this berth is the container's monitor) or, with `-d`,
//! under a monitor of its own.

use super::Ctx;
use super::create::{ImageFlags, create};
use crate::container::log::Driver;
use crate::container::{Containers, Process};
use crate::lifecycle::start::{self, Attach, Foreground, NotStarted};
use crate::systemd::SdNotify;
use crate::systemd::notify::Notifier;
use anyhow::{Context, Result};
use std::path::PathBuf;

/// Run a command in a new container, as a child of this process
#[derive(clap::Args, Debug)]
#[command(trailing_var_arg = true)]
pub struct Args {
    /// Remove the container when it exits
    #[arg(long)]
    rm: bool,
    /// Run in the background and print the container's id
    #[arg(short, long, conflicts_with = "attach")]
    detach: bool,
    /// Who tells systemd the service is ready: conmon (berth, once the command runs), container (the container, through a socket berth relays), healthy (berth, once the healthcheck passes), ignore [default: conmon under NOTIFY_SOCKET]
    #[arg(long, value_name = "MODE", value_parser = SdNotify::parse)]
    sdnotify: Option<SdNotify>,
    /// Write the container's pid 1 (as the host sees it) to FILE once it runs
    #[arg(long, value_name = "FILE")]
    pidfile: Option<PathBuf>,
    /// Attach only these streams: stdin, stdout, stderr (repeatable; stdin needs -i)
    #[arg(short, long, value_name = "STREAM", value_enum)]
    attach: Vec<Stream>,
    #[command(flatten)]
    pub(super) image: ImageFlags,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Stream {
    Stdin,
    Stdout,
    Stderr,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let containers = Containers::new(&ctx.layout);
    // The defaults: a foreground run passes its output through, a
    // detached one keeps it (k8s-file).
    let default_log = if a.detach {
        Driver::K8sFile
    } else {
        Driver::Passthrough
    };
    let (sdnotify, notifier) = SdNotify::resolve(a.sdnotify)?;
    let proxy = sdnotify == SdNotify::Container && notifier.is_some();
    // A foreground run is its container's monitor from the start.
    let monitor = (!a.detach).then(Process::current).transpose()?;
    let created = create(
        ctx,
        &containers,
        &a.image,
        a.rm,
        default_log,
        proxy,
        monitor,
    )?;
    let meta = &created.meta;
    if a.detach {
        // The monitor is the unit's main process from here on: it pings
        // the watchdog, and sends READY=1 (healthy) or relays it (container).
        let notify = notifier.as_ref().map(|_| start::DetachedNotify {
            mode: sdnotify,
            watchdog: crate::systemd::watchdog_period(),
        });
        return Ok(match start::detached(&containers, &meta.id, notify)? {
            Ok(()) => {
                detached_started(&containers, &meta.id, &a, notifier.as_ref(), sdnotify)?;
                println!("{}", meta.id);
                0
            }
            Err(n) => not_started(n),
        });
    }
    // As docker and podman: no -a, all of them; stdin follows -i.
    let attach = match a.attach.as_slice() {
        [] => Attach::default(),
        some => Attach {
            stdout: some.contains(&Stream::Stdout),
            stderr: some.contains(&Stream::Stderr),
        },
    };
    if !attach.stdout && !attach.stderr {
        // Nothing of the container's output to show: the caller gets its
        // id, as from docker and podman.
        println!("{}", meta.id);
    }
    let how = Foreground {
        interactive: a.image.container.interactive,
        sig_proxy: a.image.container.sig_proxy,
        sdnotify,
        notifier,
        pidfile: a.pidfile.clone(),
        attach,
    };
    // With --rm the container and its --cidfile are gone with its end.
    let out = start::foreground_created(&containers, created, how)?;
    Ok(match out {
        Ok(code) => code,
        Err(n) => not_started(n),
    })
}

/// A detached container runs: its pid file, and systemd told that the
/// unit's main process is now its monitor (as podman names conmon), which
/// outlives this berth.
fn detached_started(
    containers: &Containers,
    id: &str,
    a: &Args,
    notifier: Option<&Notifier>,
    sdnotify: SdNotify,
) -> Result<()> {
    let meta = containers.reload(id)?;
    if let (Some(f), Some(pid)) = (&a.pidfile, meta.pid) {
        start::write_pidfile(f, pid)?;
    }
    if let (Some(n), Some(monitor)) = (notifier, meta.monitor) {
        let pid = monitor.pid as u32;
        // MAINPID went before the monitor could run; READY=1 comes from
        // the monitor (healthy) or the container through it.
        if sdnotify == SdNotify::Conmon {
            n.notify_ready(pid).context("notifying systemd")?;
        }
    }
    Ok(())
}

/// Why the command did not start, from the container's side: it may quote
/// the image, so it is escaped.
pub(super) fn not_started(n: NotStarted) -> i32 {
    eprintln!("berth: {}", crate::term::escape(&n.message));
    n.code
}
