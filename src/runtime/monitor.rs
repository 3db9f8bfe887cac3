//! The monitor: berth's side of a running container. Clones the child into
//! its namespaces, writes its id maps, lets it go, forwards signals, waits,
//! and turns the outcome into Docker's exit codes.
//!
//! Signals are blocked before the clone and read from a signalfd: no handler
//! runs concurrently with anything, and nothing polls. The child unblocks
//! them just before execve.

use super::child::{self, Message, Pipes};
use super::extensions::Extensions;
use super::plan::Plan;
use super::pty;
use anyhow::{Context, Result, anyhow};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sched::CloneFlags;
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use oci_spec::runtime::Spec;
use std::io::{IsTerminal, Read, Write};
use std::os::fd::AsFd;

/// Signals passed on to the container (`--sig-proxy`).
pub(super) const FORWARDED: &[Signal] = &[
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

/// The most the monitor reads of the child's report (one error chain).
pub(super) const REPORT_MAX: u64 = 64 * 1024;

/// How the container ended, as berth's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit(pub i32);

pub struct Options<'a> {
    pub spec: &'a Spec,
    pub extensions: &'a Extensions,
    pub sig_proxy: bool,
    /// Runs once the child exists, while its id maps are being written
    /// (newuidmap and newgidmap take ~1.5 ms): for what needs nothing of
    /// the child but its pid (saving the container's record), never for
    /// what acts in its namespaces. If the maps then fail, the child is
    /// killed and `run` fails as it would have without this.
    pub on_cloned: &'a mut dyn FnMut(Pid) -> Result<()>,
    /// Runs once the child exists and its maps are written, before it goes
    /// on (network setup); gets the child's pid.
    pub on_created: &'a mut dyn FnMut(Pid) -> Result<()>,
    /// Runs once the container's process has exec'd its command (the setup
    /// is over and nothing more can fail to start), when the wait loop is
    /// set up and about to block for the first time: what it releases (a
    /// detached monitor's setup memory) is not touched again before the
    /// container does something. What it returns says what the monitor
    /// does last before it sleeps.
    pub on_started: &'a mut dyn FnMut() -> Settle,
    /// Runs in the child right before capabilities are dropped (tty setup).
    pub child_before_exec: &'a dyn Fn() -> Result<()>,
    /// `-t`: the monitor's end of the socket the child sends its pty master on.
    pub tty: Option<&'a std::os::unix::net::UnixStream>,
    /// `-i`: relay berth's stdin to the terminal.
    pub stdin_open: bool,
    /// What berth owes systemd and a stopping caller while it waits.
    pub watch: Watch,
    /// Timed work for the wait loop (the healthcheck).
    pub ticker: Option<&'a mut dyn Ticker>,
}

/// What a monitor does last, once the container's command runs, before it
/// first sleeps.
pub enum Settle {
    /// Nothing more: it wakes as often as its caller does (a foreground run).
    Awake,
    /// Give back the memory the start touched once (`sys::memory`), then
    /// write `tell`'s bytes on its pipe, if any: a detached container's
    /// monitor, which only waits from here on, and tells the berth that
    /// started it once it is as small as it stays.
    Release {
        tell: Option<(std::fs::File, &'static [u8])>,
    },
}

/// Work the monitor's wait loop does between the container's events, on
/// time (the healthcheck): the loop's poll timeout is the next due time, so
/// nothing else sleeps and no thread or process waits between two runs.
pub trait Ticker {
    /// When [`Ticker::tick`] is next due (None: nothing scheduled).
    fn next(&self) -> Option<std::time::Instant>;
    /// Called once the due time has passed; `container` is its pid 1.
    fn tick(&mut self, container: Pid);
    /// A child of the monitor other than the container exited and was reaped.
    fn reaped(&mut self, pid: Pid, container: Pid);
}

/// Duties of the wait loop beyond waiting, each driven by its poll (a
/// timeout or one more fd): no thread, no timer process.
#[derive(Default)]
pub struct Watch {
    /// SIGTERM to berth stops the container: this signal (its StopSignal)
    /// to its pid 1, then SIGKILL when it still runs after the timeout.
    pub stop: Option<(Signal, std::time::Duration)>,
    /// The service manager's notify socket, for the two below.
    pub notifier: Option<crate::systemd::notify::Notifier>,
    /// WATCHDOG=1 this often while the process lives.
    pub watchdog: Option<std::time::Duration>,
    /// `--sdnotify=container`: the socket the container's process sends
    /// to (non-blocking); relayed with MAINPID set to berth.
    pub proxy: Option<std::os::unix::net::UnixDatagram>,
}

/// Errors of the run itself (bad command): exit code and one-line message.
pub struct ExecFailure {
    pub code: i32,
    pub message: String,
}

pub fn run(o: Options<'_>) -> Result<std::result::Result<Exit, ExecFailure>> {
    // Read once, here: the child only reads plain fields.
    let plan = Plan::new(o.spec, o.extensions).context("reading the container's spec")?;
    crate::logger::phase("monitor.plan");
    let (go_r, go_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    let (rep_r, rep_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    let mut mask = SigSet::empty();
    for s in FORWARDED {
        mask.add(*s);
    }
    mask.add(Signal::SIGCHLD);
    mask.add(Signal::SIGWINCH);
    let mut old = SigSet::empty();
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&mask), Some(&mut old))?;
    let result = run_blocked(o, &plan, (go_r, go_w), (rep_r, rep_w), &mask);
    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&old), None);
    result
}

type PipePair = (std::os::fd::OwnedFd, std::os::fd::OwnedFd);

fn run_blocked(
    o: Options<'_>,
    plan: &Plan<'_>,
    (go_r, go_w): PipePair,
    (rep_r, rep_w): PipePair,
    mask: &SigSet,
) -> Result<std::result::Result<Exit, ExecFailure>> {
    let mut flags = CloneFlags::CLONE_NEWUSER
        | CloneFlags::CLONE_NEWNS
        | CloneFlags::CLONE_NEWPID
        | CloneFlags::CLONE_NEWUTS
        | CloneFlags::CLONE_NEWIPC;
    if plan.new_cgroupns && std::path::Path::new("/proc/self/ns/cgroup").exists() {
        flags |= CloneFlags::CLONE_NEWCGROUP;
    }
    if plan.new_netns {
        flags |= CloneFlags::CLONE_NEWNET;
    }
    let before_exec = o.child_before_exec;
    let mut go_child = Some(go_r.try_clone()?);
    let mut rep_child = Some(rep_w.try_clone()?);
    let mut ours = Some((go_w, rep_r));
    let pid = crate::sys::process::clone_child(flags, || {
        // The child's copy of our memory holds our ends too: closed there,
        // or a berth killed before "go" would leave the child waiting for
        // ever on a pipe whose write end it holds itself.
        drop(ours.take());
        let pipes = Pipes { go: go_child.take().expect("once"), report: rep_child.take().expect("once") };
        child::main(plan, pipes, before_exec)
    })
    .map_err(|e| match e.raw_os_error() {
        Some(libc::EPERM) | Some(libc::ENOSPC) | Some(libc::EINVAL) => anyhow!(
            "creating the container's namespaces: {e} (unprivileged user namespaces may be disabled: check `sysctl kernel.unprivileged_userns_clone` and `user.max_user_namespaces`)"
        ),
        _ => anyhow!("creating the container's namespaces: {e}"),
    })?;
    crate::logger::phase("monitor.clone");
    let (go_w, rep_r) = ours.take().expect("the monitor keeps its ends");
    // The child has its own copies; ours must close or EOF never comes.
    drop((go_r, rep_w, go_child, rep_child));
    let guard = KillOnDrop(Some(pid));
    let maps = plan
        .mapping
        .start_writing(pid.as_raw() as u32)
        .context("writing the container's id maps")?;
    let cloned = (o.on_cloned)(pid);
    maps.finish().context("writing the container's id maps")?;
    crate::logger::phase("monitor.idmap");
    cloned?;
    (o.on_created)(pid)?;
    std::fs::File::from(go_w)
        .write_all(b"g")
        .context("starting the container")?;
    crate::logger::phase("monitor.go");

    // Only berth's code writes here, before the exec; the bound is for the
    // day something else gets hold of the pipe.
    let mut report = Vec::new();
    std::fs::File::from(rep_r)
        .take(REPORT_MAX)
        .read_to_end(&mut report)?;
    if !report.is_empty() {
        let _ = waitpid(pid, None);
        std::mem::forget(guard);
        return match Message::decode(&report) {
            Some(Message::Setup(t)) => Err(anyhow!(t)),
            Some(Message::Exec(errno, cmd)) => Ok(Err(exec_failure(errno, &cmd))),
            None => Err(anyhow!("the container failed to start")),
        };
    }
    crate::logger::phase("monitor.execd");
    let status = supervise(
        pid,
        mask,
        o.tty,
        o.stdin_open,
        o.sig_proxy,
        o.watch,
        o.ticker,
        Some(o.on_started),
    )?;
    crate::logger::phase("monitor.exited");
    std::mem::forget(guard);
    Ok(Ok(status))
}

/// Berth's side of a running process `pid` until it exits (a container's
/// pid 1, or an exec'd command): relays its terminal when it has one (the
/// master comes on `tty`), keeps the window size in step, forwards the
/// signals in `mask` when `sig_proxy`, does the `watch` duties, runs
/// `ticker` when it is due, and reaps; returns its exit. The signals are
/// already blocked (`mask`), so nothing polls and no handler runs
/// concurrently. `on_waiting` runs once, at the loop's first wait (with a
/// terminal: before it goes raw); a release it asks for is made at the
/// first wait with nothing due.
#[allow(clippy::too_many_arguments)]
pub(super) fn supervise(
    pid: Pid,
    mask: &SigSet,
    tty: Option<&std::os::unix::net::UnixStream>,
    stdin_open: bool,
    sig_proxy: bool,
    watch: Watch,
    mut ticker: Option<&mut dyn Ticker>,
    on_waiting: Option<&mut dyn FnMut() -> Settle>,
) -> Result<Exit> {
    use std::time::Instant;
    let sfd = SignalFd::with_flags(mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)?;
    let master = tty.map(pty::receive_master).transpose()?;
    let mut first = FirstSleep {
        hook: on_waiting,
        release: false,
    };
    if master.is_some()
        && let Some(f) = first.hook.take()
    {
        // Before the terminal goes raw: what it says keeps its line breaks.
        // The pty relay waits in its own poll, so the release is made here,
        // with the few pages the relay then touches coming back.
        if let Settle::Release { tell } = f() {
            log_release(crate::sys::memory::release());
            if let Some((mut pipe, bytes)) = tell {
                let _ = pipe.write_all(bytes);
            }
        }
    }
    let _raw = master
        .as_ref()
        .filter(|_| std::io::stdin().is_terminal())
        .map(|_| pty::RawMode::enter());
    if let Some(m) = &master {
        pty::sync_size(m.as_fd());
    }
    let mut master_open = master.is_some();
    let mut stdin_open = stdin_open;
    let me = std::process::id();
    let notifier = watch.notifier.as_ref();
    let mut next_ping = (watch.watchdog)
        .filter(|_| notifier.is_some())
        .map(|p| (Instant::now(), p));
    let mut kill_at: Option<Instant> = None;
    let status = 'outer: loop {
        if let (Some(n), Some((at, period))) = (notifier, &mut next_ping)
            && *at <= Instant::now()
        {
            if let Err(e) = n.watchdog() {
                log::warn!("{e:#}");
            }
            *at = Instant::now() + *period;
        }
        if kill_at.is_some_and(|t| t <= Instant::now()) {
            let _ = kill(pid, Signal::SIGKILL);
            kill_at = None;
        }
        if let Some(t) = ticker.as_deref_mut()
            && t.next().is_some_and(|due| due <= Instant::now())
        {
            t.tick(pid);
        }
        let due = ticker.as_deref().and_then(|t| t.next());
        let deadline = [next_ping.map(|(at, _)| at), kill_at, due]
            .into_iter()
            .flatten()
            .min();
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let mut wake = vec![sfd.as_fd()];
        if let Some(p) = &watch.proxy {
            wake.push(p.as_fd());
        }
        match &master {
            Some(m) if master_open => {
                if let pty::Event::MasterClosed = pty::relay(m, &wake, timeout, &mut stdin_open)? {
                    master_open = false;
                }
            }
            _ => wait_readable(&wake, timeout, &mut first)?,
        }
        if let (Some(n), Some(p)) = (notifier, &watch.proxy)
            && let Err(e) = n.relay(p, me)
        {
            log::warn!("{e:#}");
        }
        while let Some(info) = sfd.read_signal()? {
            match Signal::try_from(info.ssi_signo as i32).ok() {
                Some(Signal::SIGCHLD) => {
                    let mut other = |p: Pid| {
                        if let Some(t) = ticker.as_deref_mut() {
                            t.reaped(p, pid);
                        }
                    };
                    if let Some(code) = reap_with(pid, &mut other)? {
                        break 'outer code;
                    }
                }
                Some(Signal::SIGWINCH) => {
                    if let Some(m) = &master {
                        pty::sync_size(m.as_fd());
                    }
                }
                Some(Signal::SIGTERM) if sig_proxy && watch.stop.is_some() => {
                    let (signal, timeout) = watch.stop.expect("checked");
                    let _ = kill(pid, signal);
                    kill_at.get_or_insert(Instant::now() + timeout);
                }
                Some(s) if sig_proxy => {
                    let _ = kill(pid, s);
                }
                _ => {}
            }
        }
    };
    if let (Some(m), true) = (&master, master_open) {
        // The process is gone; what it wrote before is still in the pty.
        pty::drain(m)?;
    }
    Ok(status)
}

/// What the wait loop owes before the monitor first sleeps: the
/// `on_waiting` hook, at the first wait, and then the release it may ask
/// for, at the first wait with nothing due.
struct FirstSleep<'a> {
    hook: Option<&'a mut dyn FnMut() -> Settle>,
    release: bool,
}

/// Waits until one of `fds` is readable or `timeout` passes, and settles
/// `first`: the hook runs right away (what it says or records comes before
/// anything the loop does next); a release it asks for waits for a sleep
/// with nothing due — something already pending (the SIGCHLD of a helper
/// reaped earlier, still on the signalfd; a notify datagram) would have the
/// loop undo it at once — and is then made by the poll itself, so that
/// nothing but the poll runs after it. Its `tell` goes out at once when the
/// release has to wait.
fn wait_readable(
    fds: &[std::os::fd::BorrowedFd<'_>],
    timeout: Option<std::time::Duration>,
    first: &mut FirstSleep<'_>,
) -> Result<()> {
    let mut fds: Vec<PollFd> = (fds.iter())
        .map(|fd| PollFd::new(*fd, PollFlags::POLLIN))
        .collect();
    let mut tell = None;
    if let Some(hook) = first.hook.take()
        && let Settle::Release { tell: t } = hook()
    {
        first.release = true;
        tell = t;
    }
    if first.release && poll(&mut fds, PollTimeout::ZERO)? == 0 {
        first.release = false;
        let tell = tell.map(|(pipe, bytes)| (std::os::fd::OwnedFd::from(pipe), bytes));
        match crate::sys::memory::release_then_poll(tell, &mut fds, pty::poll_timeout(timeout)) {
            Ok((dropped, polled)) => {
                log_release(Ok(dropped));
                match polled {
                    Err(e) if e.raw_os_error() == Some(libc::EINTR) => {}
                    r => return r.map(|_| ()).map_err(Into::into),
                }
            }
            // No smaps to read: wait as everyone else does, not small.
            Err(e) => log_release(Err(e)),
        }
    } else if let Some((mut pipe, bytes)) = tell {
        // Written and closed (dropped) now: the caller waits for it.
        let _ = pipe.write_all(bytes);
    }
    loop {
        match poll(&mut fds, pty::poll_timeout(timeout)) {
            Err(Errno::EINTR) => continue,
            r => return r.map(|_| ()).map_err(Into::into),
        }
    }
}

/// Logs what a monitor's release gave back.
fn log_release(r: std::io::Result<crate::sys::memory::Dropped>) {
    match r {
        Ok(d) => log::debug!(
            "monitor: unmapped {} kB of {} file mappings, {} kB of stack",
            d.kb,
            d.mappings,
            d.stack / 1024
        ),
        Err(e) => log::debug!("monitor: keeping its setup memory: {e}"),
    }
}

/// Reaps every exited child, telling `other` of each that is not the
/// container; returns the container's exit code once it is gone.
fn reap_with(pid: Pid, other: &mut dyn FnMut(Pid)) -> Result<Option<Exit>> {
    loop {
        match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(p, code)) if p == pid => return Ok(Some(Exit(code))),
            Ok(WaitStatus::Signaled(p, sig, _)) if p == pid => {
                return Ok(Some(Exit(128 + sig as i32)));
            }
            Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => return Ok(None),
            Ok(WaitStatus::Exited(p, _)) | Ok(WaitStatus::Signaled(p, _, _)) => {
                other(p);
                continue;
            }
            Ok(_) => continue,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

pub(super) fn exec_failure(errno: i32, cmd: &str) -> ExecFailure {
    match errno {
        libc::ELOOP => ExecFailure {
            code: 126,
            message: format!(
                "`{cmd}`: refusing to execute: it resolves through a /proc magic link (or a symlink loop)"
            ),
        },
        // A name with a slash is a path: $PATH was never searched.
        libc::ENOENT if cmd.contains('/') => ExecFailure {
            code: 127,
            message: format!(
                "`{cmd}`: no such file in the container (or its interpreter is missing)"
            ),
        },
        libc::ENOENT => ExecFailure {
            code: 127,
            message: format!(
                "executable file `{cmd}` not found in $PATH: No such file or directory"
            ),
        },
        _ => ExecFailure {
            code: 126,
            message: format!("`{cmd}`: cannot execute: {}", Errno::from_raw(errno).desc()),
        },
    }
}

/// Kills and reaps the child if the monitor fails before it runs.
pub(super) struct KillOnDrop(pub(super) Option<Pid>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _ = kill(pid, Signal::SIGKILL);
            let _ = waitpid(pid, None);
        }
    }
}
