//! Keeping the host's berth binary out of the container's reach
//! (CVE-2019-5736). Until its execve, the container's first process is
//! berth's own code, and /proc/self/exe in it is the berth binary; an exec
//! the kernel resolves (a `#!` interpreter, PT_INTERP) that names it would
//! run the host binary under a loader the image supplies.
//!
//! Where the kernel has Landlock, the child confines exec to the container's
//! root (sys::landlock): three syscalls. Elsewhere berth re-executes itself
//! from a sealed memfd copy before it starts a container (sys::sealed_exe),
//! which costs a copy of the binary and an exec per run.

use anyhow::{Context, Result, anyhow};
use std::os::fd::AsFd;

/// Called by verbs that start containers, before anything else they do:
/// returns when the child will be able to protect the binary, re-executes
/// berth from a sealed copy when it will not.
pub fn ensure() -> Result<()> {
    if crate::sys::landlock::available() || crate::sys::sealed_exe::running_from_sealed_copy() {
        return Ok(());
    }
    log::debug!("no Landlock: re-executing from a sealed copy of the binary");
    Err(anyhow!(crate::sys::sealed_exe::reexec_from_sealed_copy()))
        .context("re-executing berth from a sealed copy (the kernel has no Landlock)")
}

/// In the child, after pivot_root: only files beneath `root` may be executed
/// from here on.
pub fn confine_exec(root: &std::fs::File) -> Result<()> {
    if crate::sys::landlock::available() {
        return crate::sys::landlock::restrict_exec_beneath(root.as_fd())
            .context("confining exec to the container root (Landlock)");
    }
    if crate::sys::sealed_exe::running_from_sealed_copy() {
        return Ok(());
    }
    Err(anyhow!(
        "the kernel has no Landlock and berth does not run from a sealed copy: refusing to start a container that could reach the berth binary"
    ))
}
