//! `start`: running a created (or exited) container from its bundle, in the
//! foreground — this berth is its monitor — or detached under a monitor of
//! its own (see [`super::monitor`]).

use super::create::Created;
use crate::container::{Containers, Meta, Process, State};
use crate::events::Event;
use crate::runtime::monitor::{Settle, Ticker};
use crate::spec::bundle::{self, Bundle};
pub use crate::spec::launch::Attach;
use crate::spec::launch::{self, Launch, Stdio};
use crate::systemd::SdNotify;
use crate::systemd::notify::Notifier;
use anyhow::{Context, Result, anyhow, bail};
use std::io::Read;
use std::path::Path;

/// The container's berth stdio when it runs in the foreground, and what
/// berth owes systemd when it is a unit's main process.
pub struct Foreground {
    /// `-i`: the caller's stdin goes to the container.
    pub interactive: bool,
    /// Forward the signals berth gets (SIGTERM as the container's stop).
    pub sig_proxy: bool,
    /// `--sdnotify`, resolved, and the socket to notify (None: nobody).
    pub sdnotify: SdNotify,
    pub notifier: Option<Notifier>,
    /// `--pidfile`: gets the container's pid 1 as the host sees it.
    pub pidfile: Option<std::path::PathBuf>,
    /// Which output streams reach the caller (`-a`).
    pub attach: launch::Attach,
}

/// Why a started container did not get to run its command.
pub struct NotStarted {
    /// 125 (berth), 126 (not executable), 127 (not found).
    pub code: i32,
    pub message: String,
}

/// Takes the container for a start: under its lock, refuses one that runs
/// or is being started, and records `monitor` as the process that runs it.
fn claim(containers: &Containers, id: &str, monitor: Process) -> Result<Meta> {
    let _lock = containers.lock(id)?;
    let meta = startable(containers, id)?;
    record_monitor(containers, meta, monitor)
}

/// The record of a container that may be started (its lock held).
fn startable(containers: &Containers, id: &str) -> Result<Meta> {
    let mut meta = containers.reload(id)?;
    if containers.settle(&mut meta)? {
        // Its berth was killed: the next listing removes it. Started again,
        // it would mount a writable layer left by a volatile mount, which
        // overlayfs refuses.
        bail!(
            "container {} has exited and was run with --rm: it is being removed, run the image again",
            meta.name
        );
    }
    match meta.state {
        State::Running => bail!("container {} is already running", meta.name),
        State::Orphaned => bail!(
            "container {} is still running without its berth: remove it with `berth rm -f`",
            meta.name
        ),
        State::Created | State::Exited => {}
    }
    if meta.monitor.is_some_and(|m| m.alive()) {
        bail!("container {} is being started by another berth", meta.name);
    }
    Ok(meta)
}

fn record_monitor(containers: &Containers, mut meta: Meta, monitor: Process) -> Result<Meta> {
    meta.monitor = Some(monitor);
    meta.stopped_by_user = false;
    containers.clear_stopped(&meta.id)?;
    containers.save(&meta)?;
    Ok(meta)
}

/// Runs the container in this process to its end; records how it ended and
/// removes it when it asked for that (`--rm`). Its exit code, or why its
/// command could not run.
pub fn foreground(
    containers: &Containers,
    id: &str,
    how: Foreground,
) -> Result<Result<i32, NotStarted>> {
    let meta = claim(containers, id, Process::current()?)?;
    crate::logger::phase("start.claim");
    run_foreground(containers, meta, None, how)
}

/// [`foreground`] for the container `run` just made with this process as
/// its monitor: taken already, and its bundle at hand.
pub fn foreground_created(
    containers: &Containers,
    created: Created,
    how: Foreground,
) -> Result<Result<i32, NotStarted>> {
    debug_assert!(created.meta.monitor.is_some());
    run_foreground(containers, created.meta, Some(created.bundle), how)
}

fn run_foreground(
    containers: &Containers,
    mut meta: Meta,
    mut bundle: Option<Bundle>,
    how: Foreground,
) -> Result<Result<i32, NotStarted>> {
    // `meta` is reloaded as the runs go; the id stays.
    let id = meta.id.clone();
    let id = id.as_str();
    let notifier = how.notifier.as_ref();
    let me = std::process::id();
    loop {
        let file = meta.log.file(containers.layout().container_log(id));
        let log = meta.log.open(&file, &meta.id, &meta.name)?;
        let watch = foreground_watch(containers, &meta, &how)?;
        let mut started = || {
            let pid = containers.reload(id).ok().and_then(|m| m.pid);
            let said = match (how.sdnotify, notifier) {
                (SdNotify::Conmon, Some(n)) => n.notify_ready(me),
                // READY=1 comes from the container, or once it is healthy.
                (SdNotify::Container | SdNotify::Healthy, Some(n)) => n.main_pid(me),
                _ => Ok(()),
            };
            let written = match (&how.pidfile, pid) {
                (Some(file), Some(pid)) => write_pidfile(file, pid),
                _ => Ok(()),
            };
            for e in [said, written].into_iter().filter_map(Result::err) {
                log::warn!("{e:#}");
            }
            Settle::Awake
        };
        // `--sdnotify=healthy`: READY=1 once the first check passes.
        let mut ready_when_healthy = || {
            if let (SdNotify::Healthy, Some(n)) = (how.sdnotify, notifier)
                && let Err(e) = n.notify_ready(me)
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
            bundle.take(),
            Stdio::Caller {
                interactive: how.interactive,
                log,
                attach: how.attach,
            },
            how.sig_proxy,
            watch,
            &mut started,
            health.as_mut().map(|h| h as &mut dyn Ticker),
        );
        if out.as_ref().is_ok_and(|o| o.is_ok()) && health.is_some_and(|h| h.restart) {
            // `--health-on-failure=restart`: this berth stays its monitor.
            meta = restarted(containers, id, exit_code(&out))?;
            if !meta.stopped_by_user {
                continue;
            }
        }
        finish(containers, &meta.id, &out)?;
        crate::logger::phase("start.finish");
        return out;
    }
}

/// Records a run that ended to be run again: exited with `code` (a died
/// event), one restart more.
pub(super) fn restarted(containers: &Containers, id: &str, code: i32) -> Result<Meta> {
    let mut meta = containers.reload(id)?;
    mark_exited(&mut meta, code);
    died(containers, &meta, code);
    meta.restart_count += 1;
    containers.save(&meta)?;
    Ok(meta)
}

/// The `died` event of a run that ended with `code`.
pub(super) fn died(containers: &Containers, meta: &Meta, code: i32) {
    let mut e = Event::container("died", &meta.id, &meta.name, &meta.image);
    e.exit_code = Some(code);
    e.attributes = meta.labels.clone();
    crate::events::record(containers.layout(), e);
}

/// The foreground run's duties while it waits: SIGTERM stops the container
/// as `berth stop` would (its stop signal, SIGKILL after its timeout), the
/// watchdog is pinged while berth itself reports readiness, and the
/// container's notify socket is relayed (`--sdnotify=container`).
fn foreground_watch(
    containers: &Containers,
    meta: &Meta,
    how: &Foreground,
) -> Result<crate::runtime::monitor::Watch> {
    use super::stop::{DEFAULT_STOP_TIMEOUT, parse_signal};
    let signal = parse_signal(meta.stop_signal.as_deref().unwrap_or("SIGTERM"))?;
    let signal = nix::sys::signal::Signal::try_from(signal)
        .with_context(|| format!("stop signal {signal}"))?;
    let secs = meta.stop_timeout.unwrap_or(DEFAULT_STOP_TIMEOUT);
    let mut watch = crate::runtime::monitor::Watch {
        stop: Some((signal, std::time::Duration::from_secs(secs.into()))),
        ..Default::default()
    };
    let Some(notifier) = &how.notifier else {
        return Ok(watch);
    };
    match how.sdnotify {
        SdNotify::Conmon | SdNotify::Healthy => watch.watchdog = crate::systemd::watchdog_period(),
        SdNotify::Container => watch.proxy = notify_proxy(containers, meta)?,
        SdNotify::Ignore => return Ok(watch),
    }
    watch.notifier = Some(notifier.try_clone()?);
    Ok(watch)
}

/// `--sdnotify=container`: the relay's socket, bound in the container's
/// notify directory when its spec has one (created with the proxy).
fn notify_proxy(
    containers: &Containers,
    meta: &Meta,
) -> Result<Option<std::os::unix::net::UnixDatagram>> {
    let b = bundle::read(&containers.dir_of(&meta.id))?;
    crate::spec::notify_dir(&b.spec)
        .map(|dir| bind_proxy(&dir))
        .transpose()
}

/// The socket the container's process notifies, in the host directory
/// mounted read-only at its notify directory: the container cannot replace
/// it, and a connect needs no write access to the mount. Open to every
/// user of the container (it checks nothing of the sender but relays).
/// Named through the directory's fd: the full path under the root is
/// longer than a socket address may be (108 bytes).
fn bind_proxy(dir: &Path) -> Result<std::os::unix::net::UnixDatagram> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let fd = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
        .open(dir)
        .with_context(|| format!("opening `{}`", dir.display()))?;
    let path = Path::new("/proc/self/fd")
        .join(fd.as_raw_fd().to_string())
        .join(crate::spec::NOTIFY_SOCKET_NAME);
    let shown = dir.join(crate::spec::NOTIFY_SOCKET_NAME);
    // Left by an earlier run of this container (berth's own directory).
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("removing `{}`", shown.display()));
        }
        _ => {}
    }
    let sock = std::os::unix::net::UnixDatagram::bind(&path)
        .with_context(|| format!("binding the notify socket `{}`", shown.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777))
        .with_context(|| format!("opening up `{}`", shown.display()))?;
    sock.set_nonblocking(true)
        .context("making the notify socket non-blocking")?;
    Ok(sock)
}

/// `--pidfile`: written whole or not at all.
pub fn write_pidfile(file: &Path, pid: i32) -> Result<()> {
    let file = std::path::absolute(file)?;
    crate::layout::write_atomic(&file, format!("{pid}\n").as_bytes())
        .with_context(|| format!("writing the pid file `{}`", file.display()))
}

/// One run of the container from its bundle (`bundle`, or read from its
/// directory): records it running once its
/// process exists, and calls `started` once its command runs.
#[allow(clippy::too_many_arguments)] // each is one of the run's own settings
pub(super) fn run_once(
    containers: &Containers,
    meta: &Meta,
    bundle: Option<Bundle>,
    stdio: Stdio,
    sig_proxy: bool,
    watch: crate::runtime::monitor::Watch,
    started: &mut dyn FnMut() -> Settle,
    mut ticker: Option<&mut dyn Ticker>,
) -> Result<Result<i32, NotStarted>> {
    let dir = containers.dir_of(&meta.id);
    let b = match bundle {
        Some(b) => b,
        None => bundle::read(&dir)?,
    };
    crate::logger::phase("start.bundle");
    // Saved while newuidmap and newgidmap run: a start whose maps then
    // fail ends as any failed start does (`finish`: exited, or removed).
    let mut on_cloned = |pid: nix::unistd::Pid| -> Result<()> {
        let mut running = containers.reload(&meta.id)?;
        running.state = State::Running;
        running.pid = Some(pid.as_raw());
        // Not yet started (it waits for our go), so /proc has it.
        running.pid_start = Some(Process::of(pid.as_raw())?.start);
        running.started_at = Some(crate::time::rfc3339(crate::time::now_epoch()));
        running.exit_code = None;
        containers.save(&running)?;
        crate::logger::phase("start.recorded");
        Ok(())
    };
    // Announced only once the maps are written: no `start` event for a
    // container that never got its ids.
    let mut on_created = |_pid: nix::unistd::Pid| -> Result<()> {
        let mut e = Event::container("start", &meta.id, &meta.name, &meta.image);
        e.attributes = meta.labels.clone();
        crate::events::record(containers.layout(), e);
        Ok(())
    };
    let launch = Launch {
        stdio,
        sig_proxy,
        network: &b.network,
        dir: &dir,
        on_cloned: &mut on_cloned,
        on_created: &mut on_created,
        on_started: started,
        watch,
        ticker: match &mut ticker {
            Some(t) => Some(&mut **t as &mut dyn Ticker),
            None => None,
        },
    };
    Ok(match launch::run(&b.spec, &b.extensions, launch)? {
        Ok(code) => Ok(code),
        Err(f) => Err(NotStarted {
            code: f.code,
            message: f.message,
        }),
    })
}

/// Records the end of a run: exited, with its code when there is one.
/// Removes an `--rm` container instead.
pub(super) fn finish(
    containers: &Containers,
    id: &str,
    out: &Result<Result<i32, NotStarted>>,
) -> Result<()> {
    crate::logger::phase("finish");
    let mut meta = containers.reload(id)?;
    died(containers, &meta, exit_code(out));
    crate::logger::phase("finish.died");
    if meta.auto_remove {
        super::remove_dir(containers, id)
            .with_context(|| format!("removing container {}", meta.name))?;
        crate::logger::phase("finish.removed");
        Containers::forget_cidfile(&meta);
        let e = Event::container("remove", &meta.id, &meta.name, &meta.image);
        crate::events::record(containers.layout(), e);
        return Ok(());
    }
    mark_exited(&mut meta, exit_code(out));
    containers.save(&meta)
}

/// The code a run ended with: its command's (126/127 when it could not
/// start), or 125 when berth failed to run it.
pub(super) fn exit_code(out: &Result<Result<i32, NotStarted>>) -> i32 {
    match out {
        Ok(Ok(code)) => *code,
        Ok(Err(n)) => n.code,
        Err(_) => 125,
    }
}

/// The record of a run that ended with `code`.
pub(super) fn mark_exited(meta: &mut Meta, code: i32) {
    meta.state = State::Exited;
    meta.exit_code = Some(code);
    meta.finished_at = Some(crate::time::rfc3339(crate::time::now_epoch()));
}

/// Starts the container under a monitor of its own and returns once its
/// command runs: berth re-executed (`__monitor`), in a session of its own,
/// with /dev/null for stdio. The monitor reports on a pipe: `ok`, or the
/// exit code and the message of a start that failed.
/// What a detached container's monitor owes systemd (`run -d` under a
/// notify socket): the monitor is the unit's main process once it runs.
#[derive(Debug, Clone, Copy)]
pub struct DetachedNotify {
    /// `conmon` (READY=1 was sent by `run -d`), `healthy` (the monitor
    /// sends READY=1 once the first check passes) or `container` (the
    /// monitor relays the container's own).
    pub mode: SdNotify,
    /// WATCHDOG=1 this often, from the monitor.
    pub watchdog: Option<std::time::Duration>,
}

/// The environment variables that hand a [`DetachedNotify`] to the monitor
/// (NOTIFY_SOCKET itself is inherited).
const MONITOR_SDNOTIFY_ENV: &str = "BERTH_MONITOR_SDNOTIFY";
const MONITOR_WATCHDOG_ENV: &str = "BERTH_MONITOR_WATCHDOG_USEC";

impl DetachedNotify {
    /// What the starting berth handed over, in the monitor.
    pub(super) fn from_env() -> Option<DetachedNotify> {
        let mode = SdNotify::parse(&std::env::var(MONITOR_SDNOTIFY_ENV).ok()?).ok()?;
        let watchdog = std::env::var(MONITOR_WATCHDOG_ENV)
            .ok()
            .and_then(|v| v.parse().ok())
            .map(std::time::Duration::from_micros);
        Some(DetachedNotify { mode, watchdog })
    }

    /// The monitor's duties while it waits: the watchdog, and the
    /// container's notify socket relayed. None without a notify socket.
    pub(super) fn watch(
        &self,
        containers: &Containers,
        meta: &Meta,
    ) -> Result<crate::runtime::monitor::Watch> {
        let mut watch = crate::runtime::monitor::Watch::default();
        let Some(notifier) = crate::systemd::notify::Notifier::from_env()? else {
            return Ok(watch);
        };
        watch.watchdog = self.watchdog;
        if self.mode == SdNotify::Container {
            watch.proxy = notify_proxy(containers, meta)?;
        }
        watch.notifier = Some(notifier);
        Ok(watch)
    }
}

pub fn detached(
    containers: &Containers,
    id: &str,
    notify: Option<DetachedNotify>,
) -> Result<Result<(), NotStarted>> {
    // The monitor lives as long as the container: of the caller's fds it
    // keeps only the `--preserve-fds` ones, which it passes on. Anything
    // else (a directory, a pipe the caller waits on) would be held open by
    // it, and be in the container's first process until its exec.
    let preserved = bundle::read(&containers.dir_of(id))?
        .extensions
        .preserve_fds;
    let (mut report, report_w) = std::io::pipe().context("creating the monitor's report pipe")?;
    let mut cmd = crate::ident::userns::helper_command(&[
        std::ffi::OsStr::new(super::monitor::SUBCOMMAND),
        containers.layout().root().as_os_str(),
        std::ffi::OsStr::new(id),
    ]);
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .env(
            super::monitor::REPORT_FD_ENV,
            report_w_fd(&report_w).to_string(),
        )
        // The monitor records the container's events where this berth does.
        .env(
            crate::events::BACKEND_ENV,
            crate::events::backend().as_str(),
        );
    // First: the report pipe (opened after the preserved fds, so above
    // them) is made inheritable again by the next step.
    crate::sys::process::inherit_nothing_from(&mut cmd, 3 + preserved);
    crate::sys::ns::keep_fd_on_exec(&mut cmd, report_w_fd(&report_w));
    crate::sys::process::new_session(&mut cmd);
    match notify {
        Some(n) => {
            cmd.env(MONITOR_SDNOTIFY_ENV, n.mode.as_str());
            match n.watchdog {
                Some(w) => cmd.env(MONITOR_WATCHDOG_ENV, w.as_micros().to_string()),
                None => cmd.env_remove(MONITOR_WATCHDOG_ENV),
            };
        }
        None => {
            // Nobody's notify socket: the monitor must not inherit one.
            cmd.env_remove(MONITOR_SDNOTIFY_ENV)
                .env_remove(MONITOR_WATCHDOG_ENV)
                .env_remove(crate::systemd::notify::SOCKET_ENV);
        }
    }
    // Checked and recorded under the lock, which the monitor takes before
    // it reads the record: a second start sees this one's monitor alive.
    let lock = containers.lock(id)?;
    let meta = startable(containers, id)?;
    let mut child = cmd.spawn().context("starting the container's monitor")?;
    drop(report_w);
    if let Err(e) = Process::of(child.id() as i32).and_then(|m| record_monitor(containers, meta, m))
    {
        let _ = child.kill();
        let _ = child.wait();
        return Err(e);
    }
    // The monitor is the unit's main process from now on, told before it
    // can send anything (it waits for this lock): under NotifyAccess=main
    // systemd drops what a process other than the main one sends. (conmon:
    // MAINPID and READY=1 go together once the container runs.)
    if notify.is_some_and(|n| n.mode != SdNotify::Conmon)
        && let Some(n) = Notifier::from_env()?
    {
        n.main_pid(child.id())
            .context("telling systemd the monitor's pid")?;
    }
    drop(lock);
    // The monitor is not ours to wait for: it outlives this berth (it is
    // reparented to the subreaper or init when we exit).
    std::mem::forget(child);
    let mut said = String::new();
    report
        .by_ref()
        .take(64 * 1024)
        .read_to_string(&mut said)
        .context("reading the monitor's report")?;
    if said == "ok" {
        return Ok(Ok(()));
    }
    match said.split_once(' ') {
        Some((code, message)) if code.parse::<i32>().is_ok() => Ok(Err(NotStarted {
            code: code.parse().unwrap_or(125),
            message: message.to_string(),
        })),
        _ => Err(anyhow!(
            "the container's monitor ended before the container started"
        )),
    }
}

fn report_w_fd(w: &std::io::PipeWriter) -> i32 {
    use std::os::fd::AsRawFd;
    w.as_raw_fd()
}
