//! Processes berth did not start, or no longer parents: what /proc says of a
//! pid, and pidfds to signal and wait on one without racing pid reuse.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// From /proc/PID/stat: the fields that tell one process from a later one
/// with the same pid, and whether it still runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// Field 3: `R`, `S`, `D`, `Z` (zombie), `X` (dead)…
    pub state: u8,
    /// Field 9, the kernel's PF_* flags.
    pub flags: u64,
    /// Field 22: clock ticks after boot when the process started.
    pub start: u64,
}

/// PF_EXITING: the process is in exit(2) and runs no more user code.
pub const PF_EXITING: u64 = 0x4;

pub fn stat(pid: i32) -> io::Result<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat"))?)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "unreadable /proc/PID/stat"))
}

fn parse_stat(text: &str) -> Option<Stat> {
    let f = StatFields::parse(text)?;
    Some(Stat {
        state: f.state()?,
        flags: f.num(9)?,
        start: f.num(22)?,
    })
}

/// Clock ticks a second: the unit of /proc/PID/stat's times.
pub fn clock_ticks() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .filter(|t| *t > 0)
        .map_or(100, |t| t as u64)
}

/// Bytes a page: the unit of /proc/PID/stat's rss.
pub fn page_size() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .filter(|t| *t > 0)
        .map_or(4096, |t| t as u64)
}

/// The fields of a /proc/PID/stat text, numbered as in proc(5).
pub struct StatFields<'a>(Vec<&'a str>);

impl<'a> StatFields<'a> {
    /// The command name (field 2) may hold spaces and parentheses: the
    /// fields after it start after its last `)`.
    pub fn parse(text: &'a str) -> Option<StatFields<'a>> {
        let rest = &text[text.rfind(')')? + 1..];
        Some(StatFields(rest.split_ascii_whitespace().collect()))
    }

    /// Field 3, the state letter.
    pub fn state(&self) -> Option<u8> {
        self.0.first()?.as_bytes().first().copied()
    }

    /// Field `n` (3 or later) as a signed number (nice, priority).
    pub fn signed(&self, n: usize) -> Option<i64> {
        self.0.get(n.checked_sub(3)?)?.parse().ok()
    }

    /// Field `n` (3 or later) as a number.
    pub fn num(&self, n: usize) -> Option<u64> {
        self.0.get(n.checked_sub(3)?)?.parse().ok()
    }
}

/// Whether `pid` is pid 1 of a pid namespace below ours: the last of the ids
/// in the `NSpid:` line of /proc/PID/status is its pid in its own namespace.
pub fn is_pid_ns_init(pid: i32) -> io::Result<bool> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let ids: Vec<&str> = status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))
        .map(|l| l.split_ascii_whitespace().collect())
        .unwrap_or_default();
    Ok(ids.len() > 1 && ids.last() == Some(&"1"))
}

/// A pidfd: names one process for good, even after its pid is reused.
pub struct PidFd(OwnedFd);

impl PidFd {
    /// A pidfd this process was handed (inherited across exec).
    pub fn from_owned(fd: OwnedFd) -> PidFd {
        PidFd(fd)
    }

    /// The fd number, to hand to a child across exec.
    pub fn as_fd_raw(&self) -> i32 {
        self.0.as_raw_fd()
    }

    pub fn open(pid: i32) -> io::Result<PidFd> {
        // SAFETY: pidfd_open takes a pid and flags and touches no memory of ours.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the fd was just returned by the kernel and nothing else owns it.
        Ok(PidFd(unsafe { OwnedFd::from_raw_fd(fd as i32) }))
    }

    pub fn kill(&self, signal: i32) -> io::Result<()> {
        // SAFETY: a NULL siginfo is allowed (the kernel fills one in as kill(2) does).
        let r = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.0.as_raw_fd(),
                signal,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Moves the calling thread into the namespaces `flags` names of this
    /// process (setns(2) on a pidfd, Linux 5.8): all at once, the user
    /// namespace first, so the capabilities it gives count for the others.
    /// A pid namespace applies to children forked afterwards only. The
    /// caller must be single-threaded (the kernel refuses a user or mount
    /// namespace change otherwise).
    pub fn setns(&self, flags: nix::sched::CloneFlags) -> io::Result<()> {
        // SAFETY: setns takes an fd we own and flags; it changes only this
        // thread's namespaces and credentials and touches no memory of ours.
        let r = unsafe { libc::setns(self.0.as_raw_fd(), flags.bits()) };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Blocks until the process has exited. For the init of a pid namespace
    /// that is after every other process in the namespace is gone: the
    /// kernel's init exit waits for them.
    pub fn wait_exit(&self) -> io::Result<()> {
        self.wait_exit_for(None).map(|_| ())
    }

    /// [`PidFd::wait_exit`] for at most `limit`: whether it exited. One
    /// blocking poll with a deadline, not a polling loop.
    pub fn wait_exit_for(&self, limit: Option<std::time::Duration>) -> io::Result<bool> {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        let deadline = limit.map(|l| std::time::Instant::now() + l);
        loop {
            let timeout = match deadline {
                None => PollTimeout::NONE,
                Some(d) => {
                    let left = d.saturating_duration_since(std::time::Instant::now());
                    PollTimeout::try_from(left.as_millis().min(i32::MAX as u128) as i32)
                        .unwrap_or(PollTimeout::MAX)
                }
            };
            let mut fds = [PollFd::new(self.0.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, timeout) {
                Ok(0) => return Ok(false),
                Ok(_) => return Ok(true),
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl AsFd for PidFd {
    /// Readable once the process has exited.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl AsRawFd for PidFd {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.0.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_found_after_a_hostile_command_name() {
        let line = "42 (a) S 1 (x) R 9 9 9 9 9 4194564 1 2 3 4 5 6 7 8 20 0 1 0 777 10 11\n";
        let s = parse_stat(line).unwrap();
        assert_eq!((s.state, s.flags, s.start), (b'R', 4194564, 777));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn our_own_stat_reads() {
        let s = stat(std::process::id() as i32).unwrap();
        assert!(matches!(s.state, b'R' | b'S'), "{}", s.state as char);
        assert_eq!(s.flags & PF_EXITING, 0);
        assert!(!is_pid_ns_init(std::process::id() as i32).unwrap());
    }
}
