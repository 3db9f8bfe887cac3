//! Landlock (Linux 5.13+): the one rule berth installs in every container,
//! "execute only files beneath the container's root".
//!
//! Why: until its execve the container's first process is berth itself, and
//! the kernel resolves some exec paths berth never sees — a script's `#!`
//! interpreter, an ELF's PT_INTERP, a symlink swapped in after berth checked
//! it. Any of those naming `/proc/self/exe` would run the host's berth binary
//! inside the container, under a loader the image supplies, which could then
//! keep a reopenable fd to the binary and overwrite it once berth exits
//! (runc's CVE-2019-5736). With this rule the kernel refuses to execute any
//! file whose path does not lead to the container's root — the host binary,
//! reached through a magic link, is on a host mount outside it — whatever path
//! named it. It costs three syscalls per container, where runc's sealed
//! memfd copy costs a copy of the binary and an extra exec per run.
//!
//! Thin wrappers; the policy (which directory, when) is the caller's.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// LANDLOCK_ACCESS_FS_EXECUTE (linux/landlock.h, ABI 1).
const ACCESS_FS_EXECUTE: u64 = 1 << 0;
/// LANDLOCK_RULE_PATH_BENEATH.
const RULE_PATH_BENEATH: libc::c_int = 1;

/// LANDLOCK_CREATE_RULESET_VERSION.
const CREATE_RULESET_VERSION: u32 = 1 << 0;

/// Whether the kernel offers Landlock (an ABI version). `BERTH_TEST_NO_LANDLOCK=1`
/// answers no, so the tests can exercise the fallback on a kernel that has it.
pub fn available() -> bool {
    if std::env::var_os("BERTH_TEST_NO_LANDLOCK").is_some_and(|v| v == "1") {
        return false;
    }
    // SAFETY: with LANDLOCK_CREATE_RULESET_VERSION the kernel reads no
    // attribute (NULL, size 0) and returns the ABI version; no fd is made.
    let r = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<RulesetAttr>(),
            0usize,
            CREATE_RULESET_VERSION,
        )
    };
    r > 0
}

/// `struct landlock_ruleset_attr`, ABI 1 (the kernel accepts the short
/// version from newer headers' point of view: size is passed).
#[repr(C)]
struct RulesetAttr {
    handled_access_fs: u64,
}

/// `struct landlock_path_beneath_attr`, packed as in the uapi header.
#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

/// Restricts this thread (and everything it later starts) to executing only
/// files beneath `dir`. Needs CAP_SYS_ADMIN in the current user namespace or
/// no_new_privs; irreversible.
pub fn restrict_exec_beneath(dir: BorrowedFd<'_>) -> io::Result<()> {
    let attr = RulesetAttr {
        handled_access_fs: ACCESS_FS_EXECUTE,
    };
    // SAFETY: `attr` is a valid ruleset attribute whose size we pass; the
    // kernel copies it and returns a new fd that nothing else owns.
    let r = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            &attr as *const RulesetAttr,
            std::mem::size_of::<RulesetAttr>(),
            0u32,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: landlock_create_ruleset returned a fresh fd we now own.
    let ruleset = unsafe { OwnedFd::from_raw_fd(r as libc::c_int) };
    let rule = PathBeneathAttr {
        allowed_access: ACCESS_FS_EXECUTE,
        parent_fd: dir.as_raw_fd(),
    };
    // SAFETY: `rule` is a valid packed path-beneath attribute that outlives
    // the call; `ruleset` and `dir` are live fds.
    let r = unsafe {
        libc::syscall(
            libc::SYS_landlock_add_rule,
            ruleset.as_raw_fd(),
            RULE_PATH_BENEATH,
            &rule as *const PathBeneathAttr,
            0u32,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: restrict_self takes a live ruleset fd and flags 0; it changes
    // only this thread's credentials.
    let r = unsafe { libc::syscall(libc::SYS_landlock_restrict_self, ruleset.as_raw_fd(), 0u32) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
