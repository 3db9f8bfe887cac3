//! Running a container's spec: its stdio, the network helper beside it, the
//! monitor, and what a failure to start means to the caller. One path for
//! `berth run` and the build's RUN steps.

use crate::container::log::{LogWriter, Stream, pump};
use crate::runtime::extensions::Extensions;
use crate::runtime::monitor::{self, Options};
use crate::runtime::network;
use anyhow::{Context, Result};
use oci_spec::runtime::Spec;
use std::cell::Cell;
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

pub use crate::runtime::monitor::ExecFailure;

/// Where the container's stdio goes.
pub enum Stdio {
    /// `berth run`: the caller's; stdin only with `-i` (as podman), a pty
    /// of its own when the spec asks for a terminal. With a `log` (and no
    /// terminal), stdout and stderr are pipes to berth, which logs what
    /// comes through and shows it to the caller as well, as podman does.
    Caller {
        interactive: bool,
        log: Option<LogWriter>,
        attach: Attach,
    },
    /// A build step: its output is progress, not the build's result, so it
    /// goes to stderr — or to `log` (`-q`), whose tail a failure reports.
    /// Nothing to read.
    Step { log: Option<std::fs::File> },
    /// A detached container: stdout and stderr through pipes to its `log`
    /// (to /dev/null without one), stdin from /dev/null.
    Detached { log: Option<LogWriter> },
}

/// Which of the container's output streams reach the caller (`-a`): the
/// others go to the log only, or to /dev/null without one.
#[derive(Debug, Clone, Copy)]
pub struct Attach {
    pub stdout: bool,
    pub stderr: bool,
}

impl Default for Attach {
    fn default() -> Attach {
        Attach {
            stdout: true,
            stderr: true,
        }
    }
}

pub struct Launch<'a> {
    pub stdio: Stdio,
    /// Forward the signals berth receives to the container.
    pub sig_proxy: bool,
    pub network: &'a network::Plan,
    /// Where the network helper keeps its log.
    pub dir: &'a Path,
    /// Runs once the container's process exists, while its id maps are
    /// written (see `monitor::Options::on_cloned`).
    pub on_cloned: &'a mut dyn FnMut(nix::unistd::Pid) -> Result<()>,
    /// Runs once the container's process exists, before it starts (its
    /// network is attached first).
    pub on_created: &'a mut dyn FnMut(nix::unistd::Pid) -> Result<()>,
    /// Runs once the container's command runs (exec'd); says what the
    /// monitor does last before it first sleeps.
    pub on_started: &'a mut dyn FnMut() -> monitor::Settle,
    /// Stop on SIGTERM, the systemd watchdog and notify relay.
    pub watch: monitor::Watch,
    /// Timed work for the monitor's wait loop (the healthcheck).
    pub ticker: Option<&'a mut dyn crate::runtime::monitor::Ticker>,
}

/// Runs the container to its end: its exit code (128+N for signal N), or why
/// its command could not be started (126/127 with the message).
pub fn run(
    spec: &Spec,
    extensions: &Extensions,
    mut l: Launch<'_>,
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
    let interactive = matches!(
        l.stdio,
        Stdio::Caller {
            interactive: true,
            ..
        }
    );
    let mut log = match &mut l.stdio {
        Stdio::Caller { log, .. } | Stdio::Detached { log } => log.take(),
        Stdio::Step { .. } => None,
    };
    // A detached monitor lives as long as its container: it stays small
    // between bursts of output (see `log::pump`).
    let idle = matches!(l.stdio, Stdio::Detached { .. }).then_some(IDLE_RELEASE);
    let show = match l.stdio {
        Stdio::Caller { attach, .. } => attach,
        _ => Attach {
            stdout: false,
            stderr: false,
        },
    };
    if tty && log.take().is_some() {
        // The terminal is relayed inside the monitor, which has no log yet.
        log::warn!("a container with a terminal (-t) is not logged yet: its output is only shown");
    }
    // The container's ends of the output pipes: moved into the child by
    // its copy of this Cell, closed on our side once it exists (or EOF
    // would never come).
    let (mut out_pipes, child_ends) = match &log {
        Some(_) => {
            let (or, ow) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
            let (er, ew) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
            (Some((or, er)), Cell::new(Some((ow, ew))))
        }
        None => (None, Cell::new(None)),
    };
    let logged = log.is_some();
    // Without a log or a terminal the container writes to the caller's own
    // stdout and stderr — handed over, nothing copies — except where those
    // are pipes or sockets: a reader that goes away (`| head -1`) must end
    // the container, and the container's pid 1 never gets the SIGPIPE that
    // would (a pid namespace's init ignores it). Those go through a pipe of
    // berth's, spliced on without a copy; see `relay`.
    let mut grown = Widened::default();
    let (mut relay_ours, relay_ends) = match &l.stdio {
        Stdio::Caller { attach, .. } if !logged && !tty => {
            let mut ours = [None, None];
            let mut theirs = [None, None];
            for (i, wanted) in [attach.stdout, attach.stderr].into_iter().enumerate() {
                if wanted && may_break(i as i32 + 1) {
                    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
                    grown.widen(i as i32 + 1);
                    ours[i] = Some(r);
                    theirs[i] = Some(w);
                }
            }
            if interactive {
                grown.widen(0);
            }
            (ours, theirs)
        }
        _ => ([None, None], [None, None]),
    };
    let relay_ends = relay_ends.map(Cell::new);
    let before_exec = || -> Result<()> {
        if let Some((out, err)) = child_ends.take() {
            nix::unistd::dup2_stdout(&out).context("redirecting stdout to the log")?;
            nix::unistd::dup2_stderr(&err).context("redirecting stderr to the log")?;
        }
        match (&l.stdio, &tty_child) {
            (Stdio::Caller { .. }, Some(sock)) => crate::runtime::pty::child_setup(sock),
            (
                Stdio::Caller {
                    interactive,
                    attach,
                    ..
                },
                None,
            ) => {
                if let Some(out) = relay_ends[0].take() {
                    nix::unistd::dup2_stdout(&out).context("redirecting stdout")?;
                }
                if let Some(err) = relay_ends[1].take() {
                    nix::unistd::dup2_stderr(&err).context("redirecting stderr")?;
                }
                if !(logged || attach.stdout && attach.stderr) {
                    let null = std::fs::File::options()
                        .write(true)
                        .open("/dev/null")
                        .context("opening /dev/null")?;
                    if !attach.stdout {
                        nix::unistd::dup2_stdout(&null).context("redirecting stdout")?;
                    }
                    if !attach.stderr {
                        nix::unistd::dup2_stderr(&null).context("redirecting stderr")?;
                    }
                }
                if !interactive {
                    let null = std::fs::File::open("/dev/null").context("opening /dev/null")?;
                    nix::unistd::dup2_stdin(&null).context("redirecting stdin")?;
                }
                Ok(())
            }
            (Stdio::Detached { .. }, _) => {
                if !logged {
                    let null = std::fs::File::options()
                        .write(true)
                        .open("/dev/null")
                        .context("opening /dev/null")?;
                    nix::unistd::dup2_stdout(&null)
                        .context("redirecting the container's output")?;
                    nix::unistd::dup2_stderr(&null)
                        .context("redirecting the container's output")?;
                }
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
    let mut pump = None;
    let on_created = l.on_created;
    let mut relays = Vec::new();
    let target = std::sync::Arc::new(std::sync::Mutex::new(None));
    let broken = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut created = |pid: nix::unistd::Pid| -> Result<()> {
        net_helper = l.network.attach(pid, l.dir)?;
        drop(child_ends.take());
        drop(relay_ends.each_ref().map(Cell::take));
        *target.lock().unwrap_or_else(|p| p.into_inner()) = Some(pid);
        // Threads are safe from here, as for the log's pump below.
        for (i, ours) in relay_ours.iter_mut().enumerate() {
            if let Some(from) = ours.take() {
                let (target, broken) = (target.clone(), broken.clone());
                relays.push(std::thread::spawn(move || {
                    relay(from, i as i32 + 1, &target, &broken)
                }));
            }
        }
        if let (Some((out, err)), Some(log)) = (out_pipes.take(), log.take()) {
            // A thread is safe from here: the container is cloned and
            // nothing forks after this (the network helper above was the last).
            pump = Some(std::thread::spawn(move || {
                tee_to_log(out, err, log, show, idle)
            }));
        }
        on_created(pid)
    };
    let result = monitor::run(Options {
        spec,
        extensions,
        sig_proxy: l.sig_proxy,
        on_cloned: l.on_cloned,
        on_created: &mut created,
        on_started: l.on_started,
        child_before_exec: &before_exec,
        tty: tty_parent.as_ref(),
        stdin_open: interactive,
        watch: l.watch,
        ticker: match l.ticker.as_deref_mut() {
            Some(t) => Some(t as &mut dyn crate::runtime::monitor::Ticker),
            None => None,
        },
    });
    // Reaped: from here the pid is no longer the container's to kill.
    target.lock().unwrap_or_else(|p| p.into_inner()).take();
    drop(net_helper);
    for r in relays {
        if r.join().is_err() {
            log::warn!("passing the container's output on: the relay panicked");
        }
    }
    // The pipes reach EOF once every process in the container is gone
    // (its pid namespace ends with it), or the run failed and the child was killed.
    if let Some(p) = pump {
        match p.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => log::warn!("logging the container's output: {e:#}"),
            Err(_) => log::warn!("logging the container's output: the logger panicked"),
        }
    }
    // The reader of our stdout or stderr went away and the container was
    // ended for it: the status of a process SIGPIPE killed, as the shell
    // expects of a pipeline's writer (`set -o pipefail`), and no message.
    drop(grown);
    if broken.load(std::sync::atomic::Ordering::SeqCst) {
        return Ok(result?.map(|_| 128 + libc::SIGPIPE));
    }
    Ok(result?.map(|exit| exit.0))
}

/// How much the caller's pipes may hold while a container's bytes pass
/// through them: the most an unprivileged process may ask for
/// (`/proc/sys/fs/pipe-max-size`'s default). A shell's pipes hold 64 KiB,
/// 16 pages: a `head -c` upstream writing 8 KiB at a time, the container's
/// `cat` reading 64 KiB and berth's relay then wake each other every few
/// pages. At 1 MiB each runs longer per wake-up: 1 GiB through `run -i …
/// cat` between two pipes went from ~0.7× to ~0.8–1.0× plain `cat`'s time
/// on 2 cores (bench/pipeline.sh; plain `cat` itself is no faster with 1 MiB
/// pipes). berth's own relay pipe stays at the default: growing it measured
/// nothing, and it lives as long as a service's container (each grown pipe
/// counts against the user's `pipe-user-pages-soft`, past which every new
/// pipe of that user gets 8 KiB).
const PIPE_BYTES: usize = 1 << 20;

/// The caller's pipes (fds 0-2) berth grew to [`PIPE_BYTES`], with the
/// sizes they had: set back once the container is gone, so the caller's
/// pipes are left as berth found them (where they still hold more than
/// that size, the kernel refuses and they stay grown).
#[derive(Default)]
struct Widened(Vec<(i32, usize)>);

impl Widened {
    /// Grows berth's `fd` when it is a pipe. What is not a pipe (a file, a
    /// terminal, a socket), a pipe already as large, or a user past the
    /// kernel's pipe budget is left as it is: the size only changes how
    /// often the two ends wake, never what passes.
    fn widen(&mut self, fd: i32) {
        let f = std::mem::ManuallyDrop::new(crate::sys::fs::borrowed_file(fd));
        if let Ok(Some(was)) = crate::sys::fs::grow_pipe(f.as_fd(), PIPE_BYTES) {
            self.0.push((fd, was));
        }
    }
}

impl Drop for Widened {
    fn drop(&mut self) {
        for &(fd, was) in &self.0 {
            let f = std::mem::ManuallyDrop::new(crate::sys::fs::borrowed_file(fd));
            let _ = crate::sys::fs::set_pipe_size(f.as_fd(), was);
        }
    }
}

/// Whether writes to berth's `fd` can fail because its reader went away:
/// a pipe or a socket (not a file, a terminal or /dev/null).
fn may_break(fd: i32) -> bool {
    use std::os::unix::fs::FileTypeExt;
    let f = std::mem::ManuallyDrop::new(crate::sys::fs::borrowed_file(fd));
    f.metadata()
        .map(|m| m.file_type())
        .is_ok_and(|t| t.is_fifo() || t.is_socket())
}

/// Passes what the container writes on `from` to berth's own `fd` until
/// EOF (every process of the container is gone). When `fd`'s reader has
/// gone, kills the container (`target`, while it is not yet reaped) and
/// sets `broken`: berth then exits as SIGPIPE would have ended it.
fn relay(
    from: OwnedFd,
    fd: i32,
    target: &std::sync::Mutex<Option<nix::unistd::Pid>>,
    broken: &std::sync::atomic::AtomicBool,
) {
    let to = std::mem::ManuallyDrop::new(crate::sys::fs::borrowed_file(fd));
    loop {
        match crate::sys::fs::splice(from.as_fd(), to.as_fd(), 1 << 20) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if matches!(e.raw_os_error(), Some(libc::EPIPE | libc::ECONNRESET)) => {
                broken.store(true, std::sync::atomic::Ordering::SeqCst);
                if let Some(pid) = *target.lock().unwrap_or_else(|p| p.into_inner()) {
                    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
                }
                break;
            }
            // The caller's end is non-blocking (a shell's or a language
            // runtime's pipe set O_NONBLOCK) and full: wait for its reader
            // rather than give up, or the container would block for ever.
            Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => {
                use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
                let mut fds = [PollFd::new(to.as_fd(), PollFlags::POLLOUT)];
                if let Err(e) = poll(&mut fds, PollTimeout::NONE)
                    && e != nix::errno::Errno::EINTR
                {
                    log::warn!("waiting to pass the container's output on: {e}");
                    return discard(from);
                }
            }
            Err(e) => {
                log::warn!("passing the container's output on: {e}");
                return discard(from);
            }
        }
    }
}

/// Reads what the container still writes on `from` to EOF and drops it:
/// berth's own stdout failed for good (not a reader gone, which ends the
/// container), and the container must not block on a full pipe for that.
fn discard(from: OwnedFd) {
    let mut from = std::fs::File::from(from);
    let _ = std::io::copy(&mut from, &mut std::io::sink());
}

/// What the container writes goes to the log and, in the foreground
/// (the `show` streams), untouched to the caller's stdout and stderr.
fn tee_to_log(
    out: OwnedFd,
    err: OwnedFd,
    mut log: LogWriter,
    show: Attach,
    idle: Option<std::time::Duration>,
) -> Result<()> {
    let mut tee = |stream: Stream, bytes: &[u8]| {
        let shown = match stream {
            Stream::Stdout => show.stdout,
            Stream::Stderr => show.stderr,
        };
        if !shown {
            return;
        }
        // The caller going away (a closed pipe) does not stop the log.
        let _ = match stream {
            Stream::Stdout => {
                let mut o = std::io::stdout().lock();
                o.write_all(bytes).and_then(|()| o.flush())
            }
            Stream::Stderr => std::io::stderr().lock().write_all(bytes),
        };
    };
    pump(
        vec![(out, Stream::Stdout), (err, Stream::Stderr)],
        &mut log,
        &mut tee,
        idle,
    )
}

/// How long a detached container's output pauses before its monitor gives
/// back the memory the logging touched: long enough that a steady trickle
/// of lines costs no release per line.
const IDLE_RELEASE: std::time::Duration = std::time::Duration::from_secs(2);
