//! `-t`: a pseudo-terminal from the container's own devpts, its master end
//! passed to the monitor over a socket (SCM_RIGHTS), and the relay between
//! it and berth's terminal (raw mode restored on every exit path, window
//! size kept in sync).

use anyhow::{Context, Result, anyhow};
use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt};
use nix::sys::socket::{ControlMessage, ControlMessageOwned, MsgFlags, recvmsg, sendmsg};
use nix::sys::termios::{self, SetArg, Termios};
use std::io::{IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;

/// Child side, after pivot_root, in the session the child started: its
/// controlling terminal becomes a fresh pty slave on fds 0-2; the master
/// goes to the monitor.
pub fn child_setup(sock: &UnixStream) -> Result<()> {
    let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC)
        .context("opening /dev/ptmx")?;
    grantpt(&master).context("grantpt")?;
    unlockpt(&master).context("unlockpt")?;
    let name = ptsname_r(&master).context("ptsname")?;
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&name)
        .with_context(|| format!("opening {name}"))?;
    crate::sys::process::set_controlling_tty(slave.as_fd())
        .context("making the pty the controlling terminal")?;
    nix::unistd::dup2_stdin(&slave).context("attaching the pty")?;
    nix::unistd::dup2_stdout(&slave).context("attaching the pty")?;
    nix::unistd::dup2_stderr(&slave).context("attaching the pty")?;
    let fds = [master.as_raw_fd()];
    sendmsg::<()>(
        sock.as_raw_fd(),
        &[IoSlice::new(b"m")],
        &[ControlMessage::ScmRights(&fds)],
        MsgFlags::empty(),
        None,
    )
    .context("passing the pty to berth")?;
    Ok(())
}

/// Monitor side: receives the master.
pub fn receive_master(sock: &UnixStream) -> Result<OwnedFd> {
    let mut buf = [0u8; 1];
    let mut iov = [IoSliceMut::new(&mut buf)];
    let mut space = nix::cmsg_space!([std::os::fd::RawFd; 1]);
    let msg = recvmsg::<()>(
        sock.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )
    .context("receiving the container's terminal")?;
    for c in msg.cmsgs()? {
        if let ControlMessageOwned::ScmRights(fds) = c
            && let Some(fd) = fds.first()
        {
            let master = crate::sys::fs::owned(*fd);
            // Never blocking: the relay waits in poll, and writes input only
            // as far as the container reads it (see [`relay`]).
            nix::fcntl::fcntl(
                master.as_fd(),
                nix::fcntl::FcntlArg::F_SETFL(OFlag::O_NONBLOCK),
            )
            .context("making the container's terminal non-blocking")?;
            return Ok(master);
        }
    }
    Err(anyhow!("the container did not send its terminal"))
}

/// Puts berth's terminal in raw mode until dropped.
pub struct RawMode {
    saved: Option<Termios>,
}

impl RawMode {
    pub fn enter() -> RawMode {
        let stdin = std::io::stdin();
        let saved = termios::tcgetattr(stdin.as_fd()).ok();
        if let Some(t) = &saved {
            let mut raw = t.clone();
            termios::cfmakeraw(&mut raw);
            let _ = termios::tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &raw);
        }
        RawMode { saved }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(t) = &self.saved {
            let _ = termios::tcsetattr(std::io::stdin().as_fd(), SetArg::TCSADRAIN, t);
        }
    }
}

/// Copies berth's window size to the pty.
pub fn sync_size(master: BorrowedFd<'_>) {
    if let Ok(ws) = crate::sys::process::window_size(std::io::stdout().as_fd()) {
        let _ = crate::sys::process::set_window_size(master, &ws);
    }
}

/// What woke the relay up.
pub enum Event {
    /// One of the `wake` fds is readable (a signal is pending), or the
    /// timeout passed.
    Wake,
    MasterClosed,
}

/// A poll timeout from a duration (rounded up to whole milliseconds, so a
/// deadline is not polled for in a busy loop); none waits forever.
pub fn poll_timeout(timeout: Option<std::time::Duration>) -> PollTimeout {
    match timeout {
        None => PollTimeout::NONE,
        Some(d) => {
            let ms = d.as_nanos().div_ceil(1_000_000);
            PollTimeout::try_from(ms.min(i32::MAX as u128) as i32).unwrap_or(PollTimeout::MAX)
        }
    }
}

/// Input read from berth's stdin that the master has not taken yet, and
/// whether it ended inside a line (one relay per process, so one state).
/// The master is written without blocking: a container that is busy
/// writing its output (the tty's echo alone fills it) would otherwise never
/// read its input, and berth, blocked writing it, never read the output.
struct Input {
    pending: Vec<u8>,
    line_open: bool,
}

static INPUT: std::sync::Mutex<Input> = std::sync::Mutex::new(Input {
    pending: Vec::new(),
    line_open: false,
});

/// Stdin is read while less than this waits for the container.
const INPUT_HIGH_WATER: usize = 1 << 16;

/// Relays stdin → master (when `stdin_open`) and master → stdout until one
/// of `wake` is readable (a signal is pending on the first), `timeout`
/// passes, or the master reports EOF/EIO.
pub fn relay(
    master: &OwnedFd,
    wake: &[BorrowedFd<'_>],
    timeout: Option<std::time::Duration>,
    stdin_open: &mut bool,
) -> Result<Event> {
    let mut buf = [0u8; 16384];
    let mut out = std::io::stdout();
    let mut input = INPUT.lock().unwrap_or_else(|p| p.into_inner());
    // A File view of the master, never closed here (ManuallyDrop).
    let mut m = std::mem::ManuallyDrop::new(crate::sys::fs::borrowed_file(master.as_raw_fd()));
    // A busy terminal must not push the caller's deadline back.
    let deadline = timeout.map(|t| std::time::Instant::now() + t);
    loop {
        let stdin = std::io::stdin();
        let timeout = deadline.map(|d| d.saturating_duration_since(std::time::Instant::now()));
        let master_flags = if input.pending.is_empty() {
            PollFlags::POLLIN
        } else {
            PollFlags::POLLIN | PollFlags::POLLOUT
        };
        let mut fds = vec![
            PollFd::new(master.as_fd(), master_flags),
            PollFd::new(stdin.as_fd(), PollFlags::POLLIN),
        ];
        if !*stdin_open || input.pending.len() >= INPUT_HIGH_WATER {
            fds.pop();
        }
        let first_wake = fds.len();
        fds.extend(wake.iter().map(|fd| PollFd::new(*fd, PollFlags::POLLIN)));
        let n = match poll(&mut fds, poll_timeout(timeout)) {
            Err(nix::errno::Errno::EINTR) => continue,
            r => r?,
        };
        let revents = |i: usize| {
            fds.get(i)
                .and_then(|f| f.revents())
                .unwrap_or(PollFlags::empty())
        };
        let mst = revents(0);
        let inp = first_wake == 2 && !revents(1).is_empty();
        let woken = n == 0
            || deadline.is_some_and(|d| d <= std::time::Instant::now())
            || (first_wake..fds.len()).any(|i| !revents(i).is_empty());
        drop(fds);
        if mst.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR) {
            match m.read(&mut buf) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Ok(0) | Err(_) => return Ok(Event::MasterClosed),
                Ok(n) => {
                    out.write_all(&buf[..n])?;
                    out.flush()?;
                }
            }
        }
        if inp {
            match stdin.lock().read(&mut buf) {
                Ok(0) | Err(_) => {
                    *stdin_open = false;
                    // A pipe's end of input has no keystroke: type the
                    // terminal's EOF (^D) for it, as a user would, so
                    // `echo x | berth run -it IMG cat` ends instead of
                    // hanging. After a partial line the first ^D only
                    // pushes the line; the second is the end of file.
                    let eof: &[u8] = if input.line_open {
                        b"\x04\x04"
                    } else {
                        b"\x04"
                    };
                    input.pending.extend_from_slice(eof);
                }
                Ok(n) => {
                    input.line_open = buf[n - 1] != b'\n';
                    input.pending.extend_from_slice(&buf[..n]);
                }
            }
        }
        if !input.pending.is_empty() {
            match m.write(&input.pending) {
                Ok(n) => {
                    input.pending.drain(..n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                // The container's side is gone: its input with it.
                Err(_) => input.pending.clear(),
            }
        }
        if woken {
            return Ok(Event::Wake);
        }
    }
}

/// Copies what is left in the master to stdout.
pub fn drain(master: &OwnedFd) -> Result<()> {
    // The master is non-blocking (receive_master): this stops at what is there.
    let mut m = std::mem::ManuallyDrop::new(crate::sys::fs::borrowed_file(master.as_raw_fd()));
    let mut out = std::io::stdout();
    let mut buf = [0u8; 16384];
    while let Ok(n) = m.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.write_all(&buf[..n])?;
    }
    out.flush()?;
    Ok(())
}
