//! The detached container's monitor: berth re-executed (`berth __monitor
//! ROOT ID`) by `start`/`run -d`, in a session of its own. It is the
//! container's parent: it runs the container from its bundle, sends its
//! output to the container's log, records its state and exit code, starts
//! it again as its restart policy says, and exits when the container is
//! over. Nothing listens: `stop`, `kill` and `wait` work from the pids it
//! records.
//!
//! It tells the berth that started it how the start went on an inherited
//! pipe (its number in [`REPORT_FD_ENV`]): `ok` once the command runs, else
//! `CODE MESSAGE` (125 setup, 126/127 the command), then closes it.

use super::start::{DetachedNotify, NotStarted, exit_code, finish, restarted, run_once};
use crate::container::Containers;
use crate::layout::Layout;
use crate::runtime::monitor::{Settle, Ticker};
use crate::spec::launch::Stdio;
use crate::systemd::SdNotify;
use anyhow::Result;
use std::io::Write;

pub const SUBCOMMAND: &str = "__monitor";
pub const REPORT_FD_ENV: &str = "BERTH_MONITOR_REPORT_FD";

/// The monitor's main: `args` are berth's (`berth __monitor ROOT ID`).
pub fn serve(args: &[std::ffi::OsString]) -> i32 {
    crate::sys::memory::one_arena();
    if let Err(e) = crate::runtime::binary_guard::ensure() {
        log::error!("{e:#}");
        return 125;
    }
    let mut report = match std::env::var(REPORT_FD_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .map(crate::sys::ns::take_inherited_fd)
    {
        Some(Ok(fd)) => Some(std::fs::File::from(fd)),
        _ => None,
    };
    let (Some(root), Some(id)) = (args.get(2), args.get(3).and_then(|a| a.to_str())) else {
        return 125;
    };
    let containers = Containers::new(&Layout::new(std::path::PathBuf::from(root)));
    match monitor(&containers, id, &mut report) {
        Ok(()) => 0,
        Err(e) => {
            if let Some(mut r) = report.take() {
                let _ = write!(r, "125 {e:#}");
            }
            125
        }
    }
}

fn monitor(containers: &Containers, id: &str, report: &mut Option<std::fs::File>) -> Result<()> {
    // The starting berth records us under this lock: wait until it has.
    drop(containers.lock(id)?);
    // What `run -d` handed over for systemd, the same for every run.
    let notify = DetachedNotify::from_env();
    loop {
        let meta = containers.reload(id)?;
        let file = meta.log.file(containers.layout().container_log(id));
        let log = meta.log.open(&file, &meta.id, &meta.name)?;
        // `ok` once the monitor is as small as it stays: by the time
        // `run -d` returns.
        let mut started = || Settle::Release {
            tell: report.take().map(|r| (r, &b"ok"[..])),
        };
        let watch = match &notify {
            Some(n) => n.watch(containers, &meta)?,
            None => Default::default(),
        };
        // `--sdnotify=healthy`: READY=1 from here, the main process, once
        // the first check passes.
        let ready = match (&notify, &watch.notifier) {
            (Some(n), Some(sock)) if n.mode == SdNotify::Healthy => Some(sock.try_clone()?),
            _ => None,
        };
        let mut ready_when_healthy = || {
            if let Some(sock) = &ready
                && let Err(e) = sock.notify_ready(std::process::id())
            {
                log::warn!("{e:#}");
            }
        };
        let mut health = super::health::Scheduler::new(containers, id)?;
        if let Some(h) = health.as_mut() {
            h.on_first_healthy = Some(&mut ready_when_healthy);
        }
        let out = run_once(
            containers,
            &meta,
            None,
            Stdio::Detached { log },
            true,
            watch,
            &mut started,
            health.as_mut().map(|h| h as &mut dyn Ticker),
        );
        if let Some(mut r) = report.take() {
            // The first start failed: say why, and leave the record exited.
            let (code, message) = match &out {
                Ok(Err(NotStarted { code, message })) => (*code, message.clone()),
                Err(e) => (125, format!("{e:#}")),
                Ok(Ok(code)) => (*code, String::new()),
            };
            let _ = write!(r, "{code} {message}");
            return finish(containers, id, &out);
        }
        let code = exit_code(&out);
        if out.as_ref().is_ok_and(|o| o.is_ok()) && health.is_some_and(|h| h.restart) {
            // `--health-on-failure=restart`, whatever the restart policy says.
            if !restarted(containers, id, code)?.stopped_by_user {
                continue;
            }
            return finish(containers, id, &out);
        }
        let meta = containers.reload(id)?;
        // A start that failed past the first is not retried: it would fail
        // the same way, forever under `always`.
        if out.is_err()
            || !meta
                .restart
                .restarts(Some(code), meta.restart_count, meta.stopped_by_user)
        {
            return finish(containers, id, &out);
        }
        restarted(containers, id, code)?;
    }
}
