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

/// Starts `cmd` in a session of its own (setsid): a detached container's
/// monitor must not get the caller's terminal signals (SIGHUP when the
/// terminal closes, ^C to the foreground group).
pub fn new_session(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs between fork and exec and makes one
    // async-signal-safe syscall (setsid) on the child itself.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Makes `cmd` inherit no fd from `first` up but those a later
/// [`crate::sys::ns::keep_fd_on_exec`] on it names: whatever berth's caller
/// left open without close-on-exec stays out of the program `cmd` runs.
pub fn inherit_nothing_from(cmd: &mut std::process::Command, first: u32) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs between fork and exec and makes one
    // async-signal-safe syscall (close_range with CLOSE_RANGE_CLOEXEC) on
    // the child's own fd table; it closes nothing, so std's exec-error pipe
    // and the fds later closures name still work until the exec.
    unsafe {
        cmd.pre_exec(move || cloexec_from(first));
    }
}

/// Marks every fd from `first` up close-on-exec (close_range(2),
/// CLOSE_RANGE_CLOEXEC, Linux 5.11): whatever the caller of berth left open
/// stays out of the container (CVE-2024-21626), while fds berth still needs
/// before the exec (its report pipe) keep working.
pub fn cloexec_from(first: u32) -> io::Result<()> {
    close_range(first, libc::CLOSE_RANGE_CLOEXEC)
}

/// Closes every fd from `first` up (close_range(2)).
pub fn close_from(first: u32) -> io::Result<()> {
    close_range(first, 0)
}

/// Closes every fd from 3 up but those in `keep` (close_range(2) over the
/// gaps): for a process about to enter a container, whose caller may have
/// left anything open, down to what it needs.
pub fn close_all_but(keep: &[i32]) -> io::Result<()> {
    let mut keep: Vec<u32> = keep
        .iter()
        .filter(|f| **f >= 3)
        .map(|f| *f as u32)
        .collect();
    keep.sort_unstable();
    keep.dedup();
    let mut from = 3u32;
    for k in keep {
        if k > from {
            close_span(from, k - 1)?;
        }
        from = k + 1;
    }
    close_span(from, u32::MAX)
}

fn close_span(first: u32, last: u32) -> io::Result<()> {
    // SAFETY: closes fds first..=last of this process; the caller (a forked
    // child that exits or execs) holds no Rust object it will use for any of
    // them afterwards.
    let r = unsafe { libc::close_range(first, last, 0) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn close_range(first: u32, flags: libc::c_uint) -> io::Result<()> {
    // SAFETY: close_range only closes or flags fds of this process from
    // `first` up; callers hold no Rust object for any of them afterwards (a
    // closed one) or keep using them (close-on-exec only).
    let r = unsafe { libc::close_range(first, u32::MAX, flags as libc::c_int) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Whether `fd` is open in this process.
pub fn fd_is_open(fd: i32) -> bool {
    // SAFETY: F_GETFD reads the fd's flags and touches no memory.
    unsafe { libc::fcntl(fd, libc::F_GETFD) >= 0 }
}

/// Clears close-on-exec on `fd` (a `--preserve-fds` fd passed to the container).
pub fn keep_on_exec(fd: i32) -> io::Result<()> {
    // SAFETY: F_SETFD changes one fd flag and touches no memory.
    let r = unsafe { libc::fcntl(fd, libc::F_SETFD, 0) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Sets every catchable signal back to its default action. Ignored signals
/// survive execve; berth's Rust runtime ignores SIGPIPE and a caller (a
/// backgrounding shell) may have ignored SIGINT and SIGQUIT, and none of that
/// is the container's business. Handled signals are reset by execve itself,
/// but berth's child installs none, so this covers them too.
pub fn reset_signal_dispositions() {
    /// The kernel's `struct sigaction` (not glibc's, whose sigset is 128
    /// bytes): all zeros is SIG_DFL, no flags, empty mask.
    #[repr(C)]
    struct KernelSigaction {
        handler: usize,
        flags: u64,
        restorer: usize,
        mask: u64,
    }
    let dfl = KernelSigaction {
        handler: 0,
        flags: 0,
        restorer: 0,
        mask: 0,
    };
    for sig in 1..=64 {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        // SAFETY: rt_sigaction reads one valid kernel sigaction (SIG_DFL)
        // and writes nothing (old action NULL). The raw syscall, because
        // glibc's refuses its two reserved real-time signals (32, 33),
        // which an ignoring caller leaves ignored too.
        unsafe {
            libc::syscall(
                libc::SYS_rt_sigaction,
                sig,
                &dfl as *const KernelSigaction,
                std::ptr::null_mut::<KernelSigaction>(),
                8usize,
            );
        }
    }
}

/// Overwrites this process's initial command line and environment (what
/// /proc/PID/cmdline and /proc/PID/environ show: arg_start..arg_end and
/// env_start..env_end from /proc/self/stat): the command line becomes
/// `name`, the environment zeros. `--init`'s reaper is a copy of the monitor
/// and would otherwise show the container the caller's environment, secrets
/// included, and berth's own arguments (store and volume paths).
pub fn wipe_initial_args_and_environ(name: &str) -> io::Result<()> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    let fields = super::pidfd::StatFields::parse(&stat)
        .ok_or_else(|| io::Error::other("unreadable /proc/self/stat"))?;
    let field = |n: usize| -> io::Result<usize> {
        fields
            .num(n)
            .map(|v| v as usize)
            .ok_or_else(|| io::Error::other("unreadable /proc/self/stat"))
    };
    for (start, end, text) in [(field(48)?, field(49)?, name), (field(50)?, field(51)?, "")] {
        if start == 0 || end <= start {
            continue;
        }
        let len = end - start;
        // SAFETY: start..end is the kernel's record of this process's own
        // initial argument or environment strings, in its writable stack
        // mapping; libc's `environ` and Rust's saved argv point into it, and
        // nothing reads them after this (the caller, `--init`'s pid 1 just
        // before it forks the command, execs from its own copies and never
        // looks at them again). `text` is written only when it fits with its NUL.
        unsafe {
            std::ptr::write_bytes(start as *mut u8, 0, len);
            if text.len() < len {
                std::ptr::copy_nonoverlapping(text.as_ptr(), start as *mut u8, text.len());
            }
        }
    }
    Ok(())
}

/// Set by the SIGINT/SIGTERM handler of an [`InterruptGuard`].
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn note_interrupt(_: libc::c_int) {
    // Async-signal-safe: one atomic store.
    INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// While alive, Ctrl-C (SIGINT) and SIGTERM do not kill berth but set a
/// flag ([`interrupted`]) that long transfers check, so they stop by
/// returning an error and their temporaries are removed on the way out.
/// The flag is seen when bytes arrive; a registry that stalls mid-blob
/// would hold berth until its read timeout, so the handler is one-shot
/// (SA_RESETHAND): a second Ctrl-C kills berth at once, which leaves the
/// store valid like any kill. Dropped, the default actions are back (a
/// container forked later must not inherit a handler).
pub struct InterruptGuard(());

impl InterruptGuard {
    pub fn install() -> InterruptGuard {
        use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
        let action = SigAction::new(
            SigHandler::Handler(note_interrupt),
            SaFlags::SA_RESTART | SaFlags::SA_RESETHAND,
            SigSet::empty(),
        );
        for sig in [Signal::SIGINT, Signal::SIGTERM] {
            // SAFETY: the handler only stores to an atomic, which is
            // async-signal-safe; the previous action is discarded and
            // restored to SIG_DFL by Drop.
            let _ = unsafe { sigaction(sig, &action) };
        }
        InterruptGuard(())
    }
}

impl Drop for InterruptGuard {
    fn drop(&mut self) {
        use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
        let dfl = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
        for sig in [Signal::SIGINT, Signal::SIGTERM] {
            // SAFETY: restores the default action; no handler code involved.
            let _ = unsafe { sigaction(sig, &dfl) };
        }
    }
}

/// Whether SIGINT or SIGTERM arrived while an [`InterruptGuard`] was alive.
pub fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst)
}
