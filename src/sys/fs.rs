//! Filesystem syscalls: openat2 and friends.
//!
//! Thin, typed wrappers over syscalls that nix does not expose in the shape we
//! need (openat2 with our own `open_how`, since libc's is `#[non_exhaustive]`;
//! fd-based xattrs). No policy: callers decide flags and what an errno means.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// Resolution flags for [`openat2`] (linux/openat2.h).
pub const RESOLVE_NO_XDEV: u64 = libc::RESOLVE_NO_XDEV;
/// Fail on procfs-style "magic" links (`/proc/self/fd/N`).
pub const RESOLVE_NO_MAGICLINKS: u64 = libc::RESOLVE_NO_MAGICLINKS;
/// Fail on any symlink in the path (implies `RESOLVE_NO_MAGICLINKS`).
pub const RESOLVE_NO_SYMLINKS: u64 = libc::RESOLVE_NO_SYMLINKS;
/// Every step of the resolution, symlinks and `..` included, must stay
/// beneath the dirfd; otherwise the call fails with `EXDEV`.
pub const RESOLVE_BENEATH: u64 = libc::RESOLVE_BENEATH;
/// Resolve as if the dirfd were the root: `..` and absolute symlinks stay inside.
pub const RESOLVE_IN_ROOT: u64 = libc::RESOLVE_IN_ROOT;

/// `struct open_how` from linux/openat2.h (the kernel's ABI, version 0: 24 bytes).
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

/// openat2(2): open `path` relative to `dirfd` with `flags` (`O_*`), `mode`
/// (for `O_CREAT`) and `resolve` (`RESOLVE_*`). Needs Linux 5.6; older kernels
/// give `ENOSYS`.
///
/// With `RESOLVE_BENEATH`/`RESOLVE_IN_ROOT`, the kernel answers `EAGAIN`
/// when a `..` met a rename or mount anywhere on the system during the walk
/// (it cannot then prove the result stays beneath); openat2(2) says to
/// retry, which this does a bounded number of times (and on `EINTR`).
pub fn openat2(
    dirfd: BorrowedFd<'_>,
    path: &CStr,
    flags: libc::c_int,
    mode: libc::mode_t,
    resolve: u64,
) -> io::Result<OwnedFd> {
    let mut tries = 0;
    loop {
        match openat2_once(dirfd, path, flags, mode, resolve) {
            Err(e)
                if tries < 128 && matches!(e.raw_os_error(), Some(libc::EAGAIN | libc::EINTR)) =>
            {
                tries += 1;
            }
            r => return r,
        }
    }
}

fn openat2_once(
    dirfd: BorrowedFd<'_>,
    path: &CStr,
    flags: libc::c_int,
    mode: libc::mode_t,
    resolve: u64,
) -> io::Result<OwnedFd> {
    let how = OpenHow {
        // The kernel rejects unknown or sign-extended high bits, so go through u32.
        flags: (flags | libc::O_CLOEXEC) as u32 as u64,
        mode: mode as u64,
        resolve,
    };
    // SAFETY: `path` is a valid NUL-terminated string and `how` a valid, initialised
    // `struct open_how` whose size we pass; both outlive the call. The kernel does not
    // keep either pointer. `dirfd` is a live fd borrowed for the duration of the call.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dirfd.as_raw_fd(),
            path.as_ptr(),
            &how as *const OpenHow,
            std::mem::size_of::<OpenHow>(),
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: on success openat2 returns a new file descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(ret as libc::c_int) })
}

/// fsetxattr(2): set extended attribute `name` to `value` on the file behind `fd`.
/// `fd` must not be an `O_PATH` fd (the kernel answers `EBADF`).
pub fn fsetxattr(fd: BorrowedFd<'_>, name: &CStr, value: &[u8]) -> io::Result<()> {
    // SAFETY: `name` is NUL-terminated and `value` is a valid slice whose length we
    // pass; both outlive the call and the kernel copies them.
    let ret = unsafe {
        libc::fsetxattr(
            fd.as_raw_fd(),
            name.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// fgetxattr(2): the value of extended attribute `name` on the file behind `fd`,
/// or `None` when it is not set (`ENODATA`).
pub fn fgetxattr(fd: BorrowedFd<'_>, name: &CStr) -> io::Result<Option<Vec<u8>>> {
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: `name` is NUL-terminated; `buf` is a valid writable buffer of the
        // length we pass. The kernel writes at most that many bytes.
        let ret = unsafe {
            libc::fgetxattr(
                fd.as_raw_fd(),
                name.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        if ret >= 0 {
            buf.truncate(ret as usize);
            return Ok(Some(buf));
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::ENODATA) => return Ok(None),
            // Value larger than our buffer: grow (xattr values are at most 64 KiB).
            Some(libc::ERANGE) if buf.len() < 65536 => buf.resize(65536, 0),
            _ => return Err(err),
        }
    }
}

/// flistxattr(2): the names of the extended attributes of the file behind
/// `fd` (not an `O_PATH` fd), in the kernel's order.
pub fn flistxattr(fd: BorrowedFd<'_>) -> io::Result<Vec<CString>> {
    let mut buf = vec![0u8; 1024];
    loop {
        // SAFETY: `buf` is a valid writable buffer of the length we pass; the
        // kernel writes at most that many bytes.
        let ret = unsafe { libc::flistxattr(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if ret >= 0 {
            buf.truncate(ret as usize);
            return Ok(buf
                .split(|&b| b == 0)
                .filter(|n| !n.is_empty())
                .filter_map(|n| CString::new(n).ok())
                .collect());
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            // The list is at most XATTR_LIST_MAX (64 KiB).
            Some(libc::ERANGE) if buf.len() < 65536 => buf.resize(65536, 0),
            _ => return Err(err),
        }
    }
}

/// overlayfs's opaque-directory marker when it is mounted with `userxattr`
/// (Documentation/filesystems/overlayfs.rst), as berth mounts it: `y` on a
/// directory of an upper or lower layer hides what the layers below have there.
pub const OVERLAY_OPAQUE: &CStr = c"user.overlay.opaque";

/// Whether the directory at `path` carries [`OVERLAY_OPAQUE`] = `y`. A
/// symlink at `path` is not followed (and is not an opaque directory).
pub fn is_overlay_opaque(path: &std::path::Path) -> bool {
    use nix::fcntl::OFlag;
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    nix::fcntl::open(path, flags, nix::sys::stat::Mode::empty())
        .is_ok_and(|fd| is_overlay_opaque_fd(std::os::fd::AsFd::as_fd(&fd)))
}

/// Whether the directory behind `fd` carries [`OVERLAY_OPAQUE`] = `y`.
pub fn is_overlay_opaque_fd(fd: BorrowedFd<'_>) -> bool {
    fgetxattr(fd, OVERLAY_OPAQUE)
        .ok()
        .flatten()
        .is_some_and(|v| v == b"y")
}

/// Takes ownership of an fd the kernel just handed us (e.g. via SCM_RIGHTS).
pub fn owned(fd: std::os::fd::RawFd) -> std::os::fd::OwnedFd {
    use std::os::fd::FromRawFd;
    // SAFETY: callers pass an fd freshly installed by the kernel for this
    // process, which nothing else owns.
    unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) }
}

/// A File over an fd owned elsewhere; wrap it in ManuallyDrop so it is never closed here.
pub fn borrowed_file(fd: std::os::fd::RawFd) -> std::fs::File {
    use std::os::fd::FromRawFd;
    // SAFETY: the caller keeps the owner alive longer than this File and
    // never lets it drop (ManuallyDrop), so the fd is not closed twice.
    unsafe { std::fs::File::from_raw_fd(fd) }
}

/// renameat2(RENAME_EXCHANGE): swaps the directory entries `a` and `b` in
/// one step (both must exist, on one filesystem). Neither last component is
/// followed: the names swap, whatever they are.
pub fn exchange(a: &std::path::Path, b: &std::path::Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &std::path::Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both paths are NUL-terminated strings that outlive the call;
    // renameat2 only reads them.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// An anonymous in-memory file (memfd, close-on-exec) for output a child
/// writes and berth reads afterwards, which can never hold more than `max`
/// bytes: sized to `max` and sealed against growing, so a write past the
/// end fails (EPERM) instead of taking memory. How much was written is the
/// file offset the child's descriptors share.
pub fn bounded_anon_file(name: &CStr, max: u64) -> io::Result<std::fs::File> {
    // SAFETY: memfd_create reads a NUL-terminated name and returns a new fd or -1.
    let fd =
        unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the fd was just returned by the kernel and nothing else owns it.
    let file = unsafe { std::fs::File::from_raw_fd(fd) };
    file.set_len(max)?;
    let seals = libc::F_SEAL_GROW | libc::F_SEAL_SHRINK | libc::F_SEAL_SEAL;
    // SAFETY: fcntl on an fd we own, with an int argument; no memory is passed.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_ADD_SEALS, seals) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(file)
}

/// What names a file for good: its device and inode numbers.
pub type FileId = (u64, u64);

/// The [`FileId`] of this process's root directory (`/`): a directory
/// whose id is this one is the host's root, not a container's.
pub fn root_id() -> io::Result<FileId> {
    let st = nix::sys::stat::stat("/")?;
    Ok((st.st_dev, st.st_ino))
}

/// The [`FileId`] of what `fd` refers to.
pub fn id_of(fd: BorrowedFd<'_>) -> io::Result<FileId> {
    let st = nix::sys::stat::fstat(fd)?;
    Ok((st.st_dev, st.st_ino))
}

/// Grows the pipe `fd` to hold `bytes` (`F_SETPIPE_SZ`) and returns the
/// size it had; a pipe already that large is left alone (None), never
/// shrunk. Fails with `EBADF` for what is not a pipe, and with `EPERM` past
/// `/proc/sys/fs/pipe-max-size` or the user's `pipe-user-pages-soft`
/// budget for an unprivileged caller.
pub fn grow_pipe(fd: BorrowedFd<'_>, bytes: usize) -> io::Result<Option<usize>> {
    use nix::fcntl::{FcntlArg, fcntl};
    let now = usize::try_from(fcntl(fd, FcntlArg::F_GETPIPE_SZ)?)
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    if now >= bytes {
        return Ok(None);
    }
    set_pipe_size(fd, bytes)?;
    Ok(Some(now))
}

/// Sets the pipe `fd`'s size (`F_SETPIPE_SZ`); shrinking fails with
/// `EBUSY` while it holds more than the new size.
pub fn set_pipe_size(fd: BorrowedFd<'_>, bytes: usize) -> io::Result<()> {
    use nix::fcntl::{FcntlArg, fcntl};
    let bytes = i32::try_from(bytes).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    fcntl(fd, FcntlArg::F_SETPIPE_SZ(bytes))?;
    Ok(())
}

/// Moves up to `len` bytes from the pipe `from` to `to` (a pipe, socket or
/// file) without copying them through user space; 0 at EOF.
pub fn splice(from: BorrowedFd<'_>, to: BorrowedFd<'_>, len: usize) -> io::Result<usize> {
    loop {
        // SAFETY: both fds are borrowed and open for the call; null offsets
        // (the fds' own positions), no memory is passed.
        let n = unsafe {
            libc::splice(
                from.as_raw_fd(),
                std::ptr::null_mut(),
                to.as_raw_fd(),
                std::ptr::null_mut(),
                len,
                libc::SPLICE_F_MOVE,
            )
        };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// sync_file_range(2) with `SYNC_FILE_RANGE_WRITE`: starts writing `len`
/// bytes of the file at `offset` back to disk and returns without waiting,
/// so a later fsync finds them written (or in flight) rather than starting
/// them all then. Not a durability guarantee by itself.
pub fn start_writeback(fd: BorrowedFd<'_>, offset: u64, len: u64) -> io::Result<()> {
    let (off, len) = (
        i64::try_from(offset).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?,
        i64::try_from(len).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?,
    );
    loop {
        // SAFETY: `fd` is a live fd borrowed for the call; no memory is passed.
        let r =
            unsafe { libc::sync_file_range(fd.as_raw_fd(), off, len, libc::SYNC_FILE_RANGE_WRITE) };
        if r == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// `FS_TOPDIR_FL` (linux/fs.h, `chattr +T`): directories made in a directory
/// with it are placed by ext4's Orlov allocator as tops of hierarchies
/// (spread over block groups) rather than next to their parent.
const FS_TOPDIR_FL: libc::c_int = 0x0002_0000;

/// Sets `FS_TOPDIR_FL` on the directory behind `fd` (a no-op when it has
/// it). Filesystems without inode flags answer `ENOTTY` or `EOPNOTSUPP`.
pub fn set_topdir(fd: BorrowedFd<'_>) -> io::Result<()> {
    let mut flags: libc::c_int = 0;
    // SAFETY: FS_IOC_GETFLAGS writes one int (the kernel's type, whatever
    // the ioctl number's encoding says) to the pointer, which is valid and
    // outlives the call; `fd` is a live fd borrowed for the call.
    if unsafe { libc::ioctl(fd.as_raw_fd(), libc::FS_IOC_GETFLAGS, &mut flags) } < 0 {
        return Err(io::Error::last_os_error());
    }
    if flags & FS_TOPDIR_FL != 0 {
        return Ok(());
    }
    flags |= FS_TOPDIR_FL;
    // SAFETY: FS_IOC_SETFLAGS reads one int from the pointer, valid for the
    // call; `fd` is a live fd borrowed for the call.
    if unsafe { libc::ioctl(fd.as_raw_fd(), libc::FS_IOC_SETFLAGS, &flags) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
