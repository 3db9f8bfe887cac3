//! Namespace syscalls: unshare and friends.
//!
//! nix covers unshare(2), setresuid(2) and setresgid(2); what is left here is handing a file
//! descriptor to a re-executed child: clearing FD_CLOEXEC between fork and exec (which needs
//! `pre_exec`), and taking ownership of the inherited number on the other side.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Make `fd` survive the exec of `cmd` (in the child only), at the same number.
///
/// The parent keeps its copy close-on-exec, so commands spawned concurrently by other threads
/// do not inherit it.
pub fn keep_fd_on_exec(cmd: &mut Command, fd: RawFd) {
    // SAFETY: the closure runs between fork and exec and only calls fcntl(2), which is
    // async-signal-safe; it allocates nothing and touches no locks. `fd` is the caller's,
    // open for the duration of spawn (fork copies it), and ≥ 3 since stdio are occupied,
    // so Command's dup2 onto 0..2 does not clobber it.
    unsafe {
        cmd.pre_exec(move || {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags < 0 || libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Take ownership of `fd`, inherited across exec by agreement with the parent (an
/// environment variable names it). Fails if it is not open; marks it close-on-exec again so
/// it does not leak into anything this process executes.
pub fn take_inherited_fd(fd: RawFd) -> io::Result<OwnedFd> {
    if fd < 3 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("inherited fd {fd} is a stdio fd"),
        ));
    }
    // SAFETY: fcntl on an integer fd has no memory effects; F_SETFD on a closed fd fails
    // with EBADF, which we report.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the fd is open (checked above) and, by the contract with the parent that
    // passed its number, nothing else in this process owns it: it was opened before exec,
    // and this function is called once, early in main.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
