//! The new mount API calls nix does not wrap: open_tree and move_mount.
//!
//! A bind's source is cloned with open_tree while the host is still in our
//! mount namespace, then attached with move_mount after pivot_root; a
//! classic bind from /proc/self/fd would be refused (EINVAL) because the
//! source mount left the namespace with the old root.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

fn cpath(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

/// A detached recursive clone of the mount tree at `path`.
pub fn clone_tree(path: &Path) -> io::Result<OwnedFd> {
    let p = cpath(path)?;
    let flags = libc::OPEN_TREE_CLONE | libc::OPEN_TREE_CLOEXEC | libc::AT_RECURSIVE as u32;
    // SAFETY: open_tree reads a NUL-terminated path we own and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_open_tree, libc::AT_FDCWD, p.as_ptr(), flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the fd was just returned by the kernel and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Attaches the detached tree `fd` at `dest`.
pub fn attach(fd: &OwnedFd, dest: &Path) -> io::Result<()> {
    let d = cpath(dest)?;
    move_mount(fd, libc::AT_FDCWD, &d, 0)
}

/// move_mount(2) of the detached tree `fd` to `to_path` relative to `to_dirfd`.
fn move_mount(
    fd: &OwnedFd,
    to_dirfd: i32,
    to_path: &std::ffi::CStr,
    flags: libc::c_uint,
) -> io::Result<()> {
    let empty = c"";
    // SAFETY: both paths are NUL-terminated strings that outlive the call;
    // the fds are open for its duration.
    let r = unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            fd.as_raw_fd(),
            empty.as_ptr(),
            to_dirfd,
            to_path.as_ptr(),
            libc::MOVE_MOUNT_F_EMPTY_PATH | flags,
        )
    };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Makes the detached tree `fd` read-only, every mount in it (mount_setattr
/// with AT_RECURSIVE): a plain MS_REMOUNT would only reach the top mount.
pub fn set_readonly_recursive(fd: &OwnedFd) -> io::Result<()> {
    #[repr(C)]
    struct MountAttr {
        attr_set: u64,
        attr_clr: u64,
        propagation: u64,
        userns_fd: u64,
    }
    let attr = MountAttr {
        attr_set: libc::MOUNT_ATTR_RDONLY,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    let empty = c"";
    // SAFETY: `attr` is a valid mount_attr of the size we pass; the path is an
    // empty NUL-terminated string; the fd is open for the whole call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            fd.as_raw_fd(),
            empty.as_ptr(),
            (libc::AT_EMPTY_PATH | libc::AT_RECURSIVE) as libc::c_uint,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Attaches the detached tree `fd` onto the object `target` (an O_PATH fd
/// resolved safely inside the container root), not onto a path name.
pub fn attach_at(fd: &OwnedFd, target: &OwnedFd) -> io::Result<()> {
    move_mount(fd, target.as_raw_fd(), c"", libc::MOVE_MOUNT_T_EMPTY_PATH)
}

/// overlayfs' mount data: `lowerdir=` (top first), `upperdir=` and
/// `workdir=` when `upper_work` is given, then `userxattr` and `extra`.
/// Each path has `\`, `:` and `,` escaped as overlayfs reads them: a root
/// named `a:b` or `a,b` would otherwise split the option, and the mount
/// fail (or, for lowerdir, name other directories).
pub fn overlay_data(lowers: &[String], upper_work: Option<(&Path, &Path)>, extra: &str) -> String {
    fn esc(p: &str) -> String {
        let mut s = String::with_capacity(p.len());
        for c in p.chars() {
            if matches!(c, '\\' | ':' | ',') {
                s.push('\\');
            }
            s.push(c);
        }
        s
    }
    let lower: Vec<String> = lowers.iter().map(|l| esc(l)).collect();
    let mut data = format!("lowerdir={}", lower.join(":"));
    if let Some((upper, work)) = upper_work {
        data.push_str(&format!(
            ",upperdir={},workdir={}",
            esc(&upper.to_string_lossy()),
            esc(&work.to_string_lossy())
        ));
    }
    data.push_str(",userxattr");
    data.push_str(extra);
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_paths_are_escaped_where_overlayfs_splits() {
        let lowers = [
            "../mountpoints/etc".to_string(),
            "a:b".into(),
            "c,d\\e".into(),
        ];
        assert_eq!(
            overlay_data(
                &lowers,
                Some((Path::new("/r:o,ot/u"), Path::new("/w"))),
                ",volatile"
            ),
            "lowerdir=../mountpoints/etc:a\\:b:c\\,d\\\\e,upperdir=/r\\:o\\,ot/u,workdir=/w,userxattr,volatile"
        );
        assert_eq!(
            overlay_data(&lowers[..1], None, ""),
            "lowerdir=../mountpoints/etc,userxattr"
        );
    }
}
