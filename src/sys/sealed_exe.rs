//! The fallback where the kernel has no Landlock (before 5.13, or not in
//! `lsm=`): berth re-executes itself from a sealed memfd copy of its binary
//! before it starts a container, as runc did for CVE-2019-5736. Then
//! /proc/self/exe of berth's side of the container is that copy, which no
//! one can write (F_SEAL_WRITE), and the binary on disk is out of reach.
//! Costs a copy of the binary and one exec per run, so it is only the
//! fallback (see sys::landlock).

use std::ffi::{CString, OsString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

const SEALS: libc::c_int =
    libc::F_SEAL_SEAL | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE;

/// Whether this process runs from a sealed copy already.
pub fn running_from_sealed_copy() -> bool {
    let Ok(exe) = std::fs::File::open("/proc/self/exe") else {
        return false;
    };
    // SAFETY: F_GET_SEALS reads the seals of a live fd; no memory is touched.
    let seals = unsafe { libc::fcntl(exe.as_raw_fd(), libc::F_GET_SEALS) };
    seals >= 0 && seals & SEALS == SEALS
}

/// Copies /proc/self/exe into a sealed memfd and executes it with the same
/// arguments and environment. Returns only on failure.
pub fn reexec_from_sealed_copy() -> io::Error {
    match try_reexec() {
        Ok(never) => match never {},
        Err(e) => e,
    }
}

fn try_reexec() -> io::Result<std::convert::Infallible> {
    let mut exe = std::fs::File::open("/proc/self/exe")?;
    // SAFETY: memfd_create reads a NUL-terminated name and returns a new fd.
    let fd = unsafe {
        libc::memfd_create(
            c"berth".as_ptr(),
            libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh fd that nothing else owns.
    let memfd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut copy = std::fs::File::from(memfd);
    io::copy(&mut exe, &mut copy)?;
    // SAFETY: F_ADD_SEALS changes the memfd's seals; no memory is touched.
    if unsafe { libc::fcntl(copy.as_raw_fd(), libc::F_ADD_SEALS, SEALS) } < 0 {
        return Err(io::Error::last_os_error());
    }
    let cstrings = |v: Vec<OsString>| -> io::Result<Vec<CString>> {
        v.into_iter()
            .map(|s| CString::new(s.as_bytes()).map_err(io::Error::other))
            .collect()
    };
    let argv = cstrings(std::env::args_os().collect())?;
    let envp = cstrings(
        std::env::vars_os()
            .map(|(k, v)| {
                let mut kv = k;
                kv.push("=");
                kv.push(v);
                kv
            })
            .collect(),
    )?;
    let ptrs = |v: &[CString]| -> Vec<*const libc::c_char> {
        v.iter()
            .map(|c| c.as_ptr())
            .chain(std::iter::once(std::ptr::null()))
            .collect()
    };
    let (argv_p, envp_p) = (ptrs(&argv), ptrs(&envp));
    // SAFETY: argv_p and envp_p are NULL-terminated arrays of pointers to
    // NUL-terminated strings that outlive the call; the path is empty with
    // AT_EMPTY_PATH, so the memfd itself is executed (an ELF: its
    // close-on-exec does not matter, unlike a script's).
    unsafe {
        libc::execveat(
            copy.as_raw_fd(),
            c"".as_ptr(),
            argv_p.as_ptr() as *const *mut libc::c_char,
            envp_p.as_ptr() as *const *mut libc::c_char,
            libc::AT_EMPTY_PATH,
        );
    }
    Err(io::Error::last_os_error())
}
