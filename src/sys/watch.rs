//! Waiting without sleeping: inotify watches and a poll over several fds, so
//! `logs -f` wakes when the log grows or its writer ends, never on a timer.

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// inotify(7) event masks.
pub const IN_MODIFY: u32 = libc::IN_MODIFY;
pub const IN_CLOSE_WRITE: u32 = libc::IN_CLOSE_WRITE;
pub const IN_MOVED_TO: u32 = libc::IN_MOVED_TO;
pub const IN_CREATE: u32 = libc::IN_CREATE;

/// An inotify instance (non-blocking, close-on-exec).
pub struct Inotify(OwnedFd);

impl Inotify {
    pub fn new() -> io::Result<Inotify> {
        // SAFETY: inotify_init1 takes flags only and returns a new fd or -1.
        let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the fd was just returned by the kernel and nothing else owns it.
        Ok(Inotify(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Watches `path` for the events in `mask`. A directory's watch also
    /// reports those events for the files in it.
    pub fn watch(&self, path: &Path, mask: u32) -> io::Result<()> {
        let c = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: `c` is a NUL-terminated string that outlives the call; the
        // kernel only reads it.
        let wd = unsafe { libc::inotify_add_watch(self.0.as_raw_fd(), c.as_ptr(), mask) };
        if wd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Reads and discards every queued event: callers look at the files
    /// again rather than at what the events say.
    pub fn drain(&self) -> io::Result<()> {
        let mut buf = [0u8; 4096];
        loop {
            match nix::unistd::read(self.0.as_fd(), &mut buf) {
                Ok(0) | Err(Errno::EAGAIN) => return Ok(()),
                Ok(_) | Err(Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl AsFd for Inotify {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

/// Blocks until at least one of `fds` is readable (or hung up); returns
/// which ones are.
pub fn wait_readable(fds: &[BorrowedFd<'_>]) -> io::Result<Vec<bool>> {
    wait_readable_for(fds, None)
}

/// As [`wait_readable`], giving up after `limit` (then none is readable).
pub fn wait_readable_for(
    fds: &[BorrowedFd<'_>],
    limit: Option<std::time::Duration>,
) -> io::Result<Vec<bool>> {
    let mut polled: Vec<PollFd<'_>> = fds
        .iter()
        .map(|fd| PollFd::new(*fd, PollFlags::POLLIN))
        .collect();
    let timeout = match limit {
        // Rounded up: waking a little late beats spinning on a zero timeout.
        Some(d) => {
            PollTimeout::try_from(d.as_millis().saturating_add(1).min(i32::MAX as u128) as i32)
                .unwrap_or(PollTimeout::MAX)
        }
        None => PollTimeout::NONE,
    };
    loop {
        match poll(&mut polled, timeout) {
            Ok(_) => break,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(polled
        .iter()
        .map(|p| p.revents().is_some_and(|r| !r.is_empty()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_in_a_watched_directory_wakes_the_watcher() {
        let dir = tempfile::tempdir().unwrap();
        let ino = Inotify::new().unwrap();
        ino.watch(dir.path(), IN_MODIFY | IN_CREATE).unwrap();
        std::fs::write(dir.path().join("f"), b"x").unwrap();
        assert_eq!(wait_readable(&[ino.as_fd()]).unwrap(), vec![true]);
        ino.drain().unwrap();
    }
}
