//! Seccomp between fork and exec of a `std::process::Command`, for the unit tests that
//! watch a real filter at work (`runtime::seccomp`'s tests): what they cannot do without
//! `unsafe` (`CommandExt::pre_exec`). Test code only: the container child installs its
//! filters itself (`runtime::seccomp::install`), and berth spawns nothing else under one.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};

use seccompiler::BpfProgram;

/// Spawns `cmd` with no_new_privs set and `progs` installed, in order, in the child just
/// before it execs.
pub fn spawn_with_filters(cmd: &mut Command, progs: Vec<BpfProgram>) -> io::Result<Child> {
    let hook = move || -> io::Result<()> {
        for prog in &progs {
            seccompiler::apply_filter(prog).map_err(|e| match e {
                seccompiler::Error::Prctl(e) | seccompiler::Error::Seccomp(e) => e,
                _ => io::Error::from_raw_os_error(libc::EINVAL),
            })?;
        }
        Ok(())
    };
    // SAFETY: the hook runs in the child between fork and exec, where a multi-threaded
    // parent's locks may be held, so it must not allocate or lock. It does neither: the
    // programs were built (and moved into the closure) before the fork; apply_filter makes
    // two syscalls (prctl(PR_SET_NO_NEW_PRIVS), seccomp(SET_MODE_FILTER)) on a stack
    // `sock_fprog` pointing at them; its errors and ours are io::Errors made from a raw errno,
    // which allocate nothing.
    unsafe { cmd.pre_exec(hook) };
    cmd.spawn()
}
