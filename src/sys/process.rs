//! Process creation and terminal ioctls that need `unsafe`.

use nix::sched::CloneFlags;
use nix::unistd::Pid;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// Clones a child into new namespaces (`flags`) that runs `f` and exits with
/// its return value; SIGCHLD is delivered when it ends.
///
/// The caller must be single-threaded: the child is a copy of this process
/// with only the calling thread, and locks held by other threads would stay
/// locked forever in it (DESIGN.md, fork safety).
pub fn clone_child(flags: CloneFlags, mut f: impl FnMut() -> isize) -> io::Result<Pid> {
    // The child runs on its own copy of this buffer (no CLONE_VM), so the
    // parent may free it as soon as clone returns.
    let mut stack = vec![0u8; 1 << 20];
    // SAFETY: without CLONE_VM the child gets a private copy of the address
    // space; `f` runs on the copied stack and ends in exit or execve. The
    // single-thread precondition is documented above and upheld by callers.
    let pid =
        unsafe { nix::sched::clone(Box::new(&mut f), &mut stack, flags, Some(libc::SIGCHLD)) }?;
    Ok(pid)
}

/// Makes `fd` (a terminal) the controlling terminal of this session.
pub fn set_controlling_tty(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: TIOCSCTTY takes an int argument and touches no memory of ours.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCSCTTY, 0) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// The window size of terminal `fd`.
pub fn window_size(fd: BorrowedFd<'_>) -> io::Result<libc::winsize> {
    let mut ws: libc::winsize = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one winsize into the valid, owned `ws`.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGWINSZ, &mut ws) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ws)
    }
}

pub fn set_window_size(fd: BorrowedFd<'_>, ws: &libc::winsize) -> io::Result<()> {
    // SAFETY: TIOCSWINSZ reads one winsize from the valid `ws`.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCSWINSZ, ws) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

pub fn setrlimit(resource: i32, limit: &libc::rlimit) -> io::Result<()> {
    // SAFETY: setrlimit reads one rlimit struct from a valid reference.
    let r = unsafe { libc::setrlimit(resource as _, limit) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// fork(2). Returns the child's pid in the parent and None in the child.
///
/// Only called by a single-threaded process (the container's pid 1 before it
/// becomes the reaper for `--init`), so the child can run arbitrary code.
pub fn fork() -> io::Result<Option<Pid>> {
    // SAFETY: the caller is single-threaded (documented above), so the child
    // inherits no lock held by another thread.
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Parent { child } => Ok(Some(child)),
        nix::unistd::ForkResult::Child => Ok(None),
    }
}

/// Makes a helper started with `cmd` (pasta) die with berth, even when
/// berth is kill -9'd, and start with no signals blocked (the monitor
/// blocks the ones it forwards; the mask would otherwise be inherited).
pub fn die_with_parent(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs between fork and exec and only makes two
    // async-signal-safe syscalls (prctl, sigprocmask) on the child itself.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            let mut empty: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut empty);
            libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
            Ok(())
        });
    }
}
