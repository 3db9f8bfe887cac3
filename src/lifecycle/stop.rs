//! `stop`, `kill` and `wait`: from the processes a container's record
//! names, through pidfds — a pid reused since cannot be hit, and waiting is
//! one blocking poll, never a loop of sleeps.

use crate::container::{Containers, Meta, Process, State};
use crate::sys::pidfd::{PidFd, is_pid_ns_init};
use anyhow::{Context, Result, bail};
use std::time::Duration;

/// Seconds `stop` waits after the stop signal, as Docker and podman.
pub const DEFAULT_STOP_TIMEOUT: u32 = 10;

/// A signal by name (`TERM`, `SIGTERM`, any case) or number.
pub fn parse_signal(s: &str) -> Result<i32> {
    if let Ok(n) = s.parse::<i32>() {
        if (1..=64).contains(&n) {
            return Ok(n);
        }
        bail!("invalid signal `{s}`: numbers go from 1 to 64");
    }
    let upper = s.to_ascii_uppercase();
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    name.parse::<nix::sys::signal::Signal>()
        .map(|sig| sig as i32)
        .map_err(|_| anyhow::anyhow!("invalid signal `{s}`"))
}

/// The container's pid 1, opened as a pidfd, when it still runs.
fn live_init(meta: &Meta) -> Result<Option<PidFd>> {
    let (Some(pid), Some(start)) = (meta.pid, meta.pid_start) else {
        return Ok(None);
    };
    let init = Process { pid, start };
    // Opened first, then checked: a pid reused after the check cannot be hit.
    let fd = match PidFd::open(pid) {
        Ok(fd) if init.alive() => fd,
        _ => return Ok(None),
    };
    // Signalling a pid namespace's init ends the namespace; any other
    // process would be a wrong record and end alone.
    if !is_pid_ns_init(pid).unwrap_or(false) {
        bail!(
            "pid {pid} of container {} is not the init of a pid namespace: not signalling it",
            meta.name
        );
    }
    Ok(Some(fd))
}

/// Sends `signal` to the container's pid 1; one that exited since it was
/// opened (a racing `stop` or `rm`) is not an error: its pidfd still reads
/// as exited.
fn send(init: &PidFd, signal: i32) -> std::io::Result<()> {
    match init.kill(signal) {
        Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(()),
        r => r,
    }
}

/// Waits until the container's monitor (a detached one, or the foreground
/// `berth run`) has written the end and exited.
fn wait_monitor(meta: &Meta) -> Result<()> {
    if let Some(monitor) = meta.monitor.filter(|m| m.alive())
        && let Ok(fd) = PidFd::open(monitor.pid)
        && monitor.alive()
    {
        fd.wait_exit()
            .with_context(|| format!("waiting for the monitor of container {}", meta.name))?;
    }
    Ok(())
}

/// `berth stop`: the container's stop signal (`--stop-signal`, the image's
/// STOPSIGNAL, else SIGTERM), then SIGKILL after `timeout` seconds (else
/// its `--stop-timeout`, else 10). Returns once it and its monitor are gone
/// and its end is recorded; a container that does not run is left as it is.
pub fn stop(containers: &Containers, spec: &str, timeout: Option<u32>) -> Result<Meta> {
    let id = containers.find(spec)?.id;
    let lock = containers.lock(&id)?;
    let mut meta = containers.reload(&id)?;
    containers.settle(&mut meta)?;
    // Nothing runs, and no monitor is between two runs to start it again.
    if live_init(&meta)?.is_none() && !meta.monitor.is_some_and(|m| m.alive()) {
        return Ok(meta);
    }
    let signal = parse_signal(meta.stop_signal.as_deref().unwrap_or("SIGTERM"))?;
    let secs = timeout
        .or(meta.stop_timeout)
        .unwrap_or(DEFAULT_STOP_TIMEOUT);
    let name = meta.name.clone();
    let mut end = |init: &PidFd| -> Result<()> {
        send(init, signal).with_context(|| format!("signalling container {name}"))?;
        if !init
            .wait_exit_for(Some(Duration::from_secs(secs.into())))
            .with_context(|| format!("waiting for container {name}"))?
        {
            log::info!(
                "container {name} did not stop within {secs} s of its stop signal: killing it"
            );
            send(init, libc::SIGKILL).with_context(|| format!("killing container {name}"))?;
            init.wait_exit()
                .with_context(|| format!("waiting for container {name}"))?;
        }
        Ok(())
    };
    end_and_wait(containers, &meta, &mut end)?;
    drop(lock);
    let mut meta = match containers.reload(&id) {
        // Removed as it ended (`--rm`): what it recorded last.
        Err(_) if !containers.dir_of(&id).exists() => {
            meta.state = State::Exited;
            return Ok(meta);
        }
        r => r?,
    };
    containers.settle(&mut meta)?;
    Ok(meta)
}

/// `berth kill`: one signal to the container's pid 1 (SIGKILL ends its whole
/// pid namespace). Marks it stopped by the user, as Docker does, so its
/// restart policy does not bring it back.
pub fn kill(containers: &Containers, spec: &str, signal: i32) -> Result<Meta> {
    let id = containers.find(spec)?.id;
    let _lock = containers.lock(&id)?;
    let mut meta = containers.reload(&id)?;
    containers.settle(&mut meta)?;
    let Some(init) = live_init(&meta)? else {
        bail!("container {} is not running", meta.name);
    };
    if signal == libc::SIGKILL {
        containers.mark_stopped(&id)?;
        meta.stopped_by_user = true;
    }
    send(&init, signal).with_context(|| format!("signalling container {}", meta.name))?;
    Ok(meta)
}

/// Ends a live container and waits until nothing of it runs (for `rm -f`):
/// SIGKILL to its pid 1, whose pidfd turns readable only once every process
/// of its namespace is gone, then its monitor.
///
/// A monitor may be between two runs (its restart policy, or
/// `--health-on-failure=restart`) and start the container again meanwhile:
/// until the monitor is gone, every new pid 1 its record names is killed
/// too, woken by inotify as the record is replaced.
pub fn kill_and_wait(containers: &Containers, meta: &Meta) -> Result<()> {
    let mut kill = |init: &PidFd| -> Result<()> {
        send(init, libc::SIGKILL).with_context(|| format!("killing container {}", meta.name))?;
        init.wait_exit()
            .with_context(|| format!("waiting for container {}", meta.name))
    };
    end_and_wait(containers, meta, &mut kill)
}

/// Ends the container with `end` (given its live pid 1) and waits until
/// nothing of it runs and its monitor is gone. Marks it stopped by the user
/// first, and again whenever its monitor replaced the record meanwhile: a
/// monitor between two runs (its restart policy, or
/// `--health-on-failure=restart`) reads the record without the lock, so a
/// mark saved between its read and its write would be lost. A pid 1 it
/// started meanwhile is ended too, woken by inotify as the record is
/// replaced.
fn end_and_wait(
    containers: &Containers,
    meta: &Meta,
    end: &mut dyn FnMut(&PidFd) -> Result<()>,
) -> Result<()> {
    use crate::sys::watch::{self, Inotify};
    use std::os::fd::AsFd;
    let ino = Inotify::new().context("creating an inotify instance")?;
    let dir = containers.dir_of(&meta.id);
    ino.watch(&dir, watch::IN_MOVED_TO | watch::IN_CREATE)
        .with_context(|| format!("watching `{}`", dir.display()))?;
    loop {
        // Gone: being removed by its own monitor (`--rm`), done once the
        // monitor is (its cidfile goes last).
        let Ok(m) = containers.reload(&meta.id) else {
            return wait_monitor(meta);
        };
        if !m.stopped_by_user
            && let Err(e) = containers.mark_stopped(&m.id)
        {
            // Its monitor took the record away meanwhile (`--rm`).
            if containers.reload(&meta.id).is_err() {
                return wait_monitor(meta);
            }
            return Err(e);
        }
        if let Some(init) = live_init(&m)? {
            end(&init)?;
        }
        let Some(monitor) = m.monitor.filter(|p| p.alive()) else {
            return Ok(());
        };
        let Ok(fd) = PidFd::open(monitor.pid) else {
            return Ok(());
        };
        if !monitor.alive() {
            return Ok(());
        }
        let ready = watch::wait_readable(&[fd.as_fd(), ino.as_fd()])
            .with_context(|| format!("waiting for the monitor of container {}", meta.name))?;
        if ready[0] {
            return Ok(());
        }
        ino.drain().context("reading inotify events")?;
    }
}

/// `berth wait`: blocks until the container is not running, then gives its
/// exit code (None when nobody saw it: its berth was killed).
pub fn wait(containers: &Containers, spec: &str) -> Result<Option<i32>> {
    let mut meta = containers.find(spec)?;
    containers.settle(&mut meta)?;
    // While its monitor lives the container may be between two runs of its
    // restart policy: recorded exited, about to run again.
    wait_monitor(&meta)?;
    if meta.state == State::Running
        && let Some(init) = live_init(&meta)?
    {
        // An orphan (its monitor was killed): the process itself.
        init.wait_exit()?;
    }
    let Ok(mut meta) = containers.reload(&meta.id) else {
        // Removed as it ended (`--rm`): what it recorded last.
        return Ok(meta.exit_code);
    };
    containers.settle(&mut meta)?;
    Ok(meta.exit_code)
}

/// `berth wait --condition running`: blocks until the container runs (a
/// `start` elsewhere), woken by inotify as its record is replaced — never a
/// timer. Fails if it is removed meanwhile.
pub fn wait_running(containers: &Containers, spec: &str) -> Result<()> {
    use crate::sys::watch::{self, Inotify};
    let id = containers.find(spec)?.id;
    let ino = Inotify::new().context("creating an inotify instance")?;
    let dir = containers.dir_of(&id);
    // Watched before the first look: a change between the two still wakes us.
    ino.watch(&dir, watch::IN_MOVED_TO | watch::IN_CREATE)
        .with_context(|| format!("watching `{}`", dir.display()))?;
    loop {
        let mut meta = containers.reload(&id)?;
        containers.settle(&mut meta)?;
        if meta.state == State::Running {
            return Ok(());
        }
        let fds = [std::os::fd::AsFd::as_fd(&ino)];
        watch::wait_readable(&fds).context("waiting for the container to run")?;
        ino.drain().context("reading inotify events")?;
    }
}

/// `--replace`: the container named `name`, if there is one, stopped as
/// `berth stop` stops it (its stop signal and timeout), then removed.
pub fn remove_named(containers: &Containers, name: &str) -> Result<()> {
    let Some(old) = containers.list()?.into_iter().find(|m| m.name == name) else {
        return Ok(());
    };
    stop(containers, &old.id, None)?;
    let dir = containers.dir_of(&old.id);
    let _lock = containers.lock(&old.id)?;
    let mut meta = match containers.reload(&old.id) {
        // Its berth removed it as it ended (`--rm`).
        Err(_) if !dir.exists() => return Ok(()),
        r => r?,
    };
    containers.settle(&mut meta)?;
    // Being started meanwhile, or orphaned: nothing of it may run on.
    kill_and_wait(containers, &meta)?;
    super::remove_dir(containers, &meta.id)?;
    Containers::forget_cidfile(&meta);
    Ok(())
}
