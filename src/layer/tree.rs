//! Whole-tree operations on extracted layers: removal (even of read-only
//! directories, which image layers are full of) and disk usage.

use std::collections::HashSet;
use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{Mode, SFlag, fchmod, fchmodat, fstat, fstatat};
use nix::unistd::{UnlinkatFlags, unlinkat};

use crate::sys::fs as sysfs;

/// The parent directory of `rel` beneath `root`, as an `O_PATH` fd, and
/// `rel`'s last component. The lookup never follows a symlink and never
/// leaves `root` (openat2 `RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS`): the content
/// of `root` (an upper dir, an unpacked layer) is a container's or an
/// image's, and a symlink there must never lead a host-side operation to
/// the host. `rel` is read as relative even with a leading `/`; `..` is
/// refused (`EXDEV`, as the kernel would), and so is an empty `rel`.
pub fn parent_beneath(root: &Path, rel: &Path) -> io::Result<(OwnedFd, OsString)> {
    let mut comps = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(n) => comps.push(n),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => {
                return Err(io::Error::from_raw_os_error(libc::EXDEV));
            }
        }
    }
    let Some(last) = comps.pop() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "no path beneath the directory",
        ));
    };
    let root = nix::fcntl::open(
        root,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    if comps.is_empty() {
        return Ok((root, last.to_os_string()));
    }
    let joined: Vec<&[u8]> = comps.iter().map(|c| c.as_bytes()).collect();
    let parent = CString::new(joined.join(&b"/"[..]))
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let fd = sysfs::openat2(
        root.as_fd(),
        &parent,
        libc::O_PATH | libc::O_DIRECTORY,
        0,
        sysfs::RESOLVE_BENEATH | sysfs::RESOLVE_NO_SYMLINKS,
    )?;
    Ok((fd, last.to_os_string()))
}

/// Whether `rel` exists beneath `root`, reached without following a symlink
/// (see [`parent_beneath`]); the last component may itself be a symlink.
/// A path that goes through a symlink counts as missing: where it leads is
/// not `root`'s to say.
pub fn exists_beneath(root: &Path, rel: &Path) -> bool {
    lstat_beneath(root, rel).is_ok()
}

/// lstat(2) of `rel` beneath `root`, reached without following a symlink
/// (see [`parent_beneath`]); the last component is not followed either.
pub fn lstat_beneath(root: &Path, rel: &Path) -> io::Result<nix::sys::stat::FileStat> {
    let (parent, name) = parent_beneath(root, rel)?;
    Ok(fstatat(
        parent.as_fd(),
        name.as_os_str(),
        AtFlags::AT_SYMLINK_NOFOLLOW,
    )?)
}

/// Removes the file, symlink or empty directory `rel` beneath `root`,
/// reached without following a symlink (see [`parent_beneath`]); the last
/// component is unlinked, never followed. A path that now goes through a
/// symlink is an error (`ELOOP`, `ENOTDIR`), and nothing is removed.
pub fn remove_beneath(root: &Path, rel: &Path) -> io::Result<()> {
    let (parent, name) = parent_beneath(root, rel)?;
    let st = fstatat(
        parent.as_fd(),
        name.as_os_str(),
        AtFlags::AT_SYMLINK_NOFOLLOW,
    )?;
    // Had the name been swapped since the stat, unlinkat still removes only
    // the name in `parent`: it never follows a symlink.
    let flag = if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR {
        UnlinkatFlags::RemoveDir
    } else {
        UnlinkatFlags::NoRemoveDir
    };
    unlinkat(parent.as_fd(), name.as_os_str(), flag)?;
    Ok(())
}

/// Remove `path` and everything below it, without following symlinks, even
/// when it holds directories without `u+w`/`u+x` (they are chmodded first).
/// A missing `path` is not an error, so removal can be retried after a crash.
pub fn remove_tree(path: &Path) -> io::Result<()> {
    let name = match path.file_name() {
        Some(n) => n,
        None => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("refusing to remove `{}`", path.display()),
            ));
        }
    };
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let parent = match nix::fcntl::open(
        parent,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(Errno::ENOENT) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    match remove_at(parent.as_fd(), name) {
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(()),
        r => r,
    }
}

/// Remove `name` in `parent` whatever it is; a directory is emptied first.
pub(crate) fn remove_at(parent: BorrowedFd<'_>, name: &OsStr) -> io::Result<()> {
    let st = fstatat(parent, name, AtFlags::AT_SYMLINK_NOFOLLOW)?;
    if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT != SFlag::S_IFDIR {
        unlinkat(parent, name, UnlinkatFlags::NoRemoveDir)?;
        return Ok(());
    }
    let open = || {
        Dir::openat(
            parent,
            name,
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
    };
    let mut dir = match open() {
        Ok(d) => d,
        // No u+r: make it ours to read. (Only the owner or CAP_FOWNER can; anyone
        // else would not be able to delete the tree anyway.)
        Err(Errno::EACCES) => {
            fchmodat(
                parent,
                name,
                Mode::from_bits_truncate(st.st_mode | 0o700),
                nix::sys::stat::FchmodatFlags::NoFollowSymlink,
            )
            // No fallback to following symlinks where the kernel refuses
            // AT_SYMLINK_NOFOLLOW: the name could have been swapped for a
            // symlink since the stat, and chmod would then land outside.
            ?;
            open()?
        }
        Err(e) => return Err(e.into()),
    };
    // Children can only be unlinked with u+wx on the directory.
    let dst = fstat(&dir)?;
    if dst.st_mode & 0o700 != 0o700 {
        fchmod(&dir, Mode::from_bits_truncate(dst.st_mode | 0o700))?;
    }
    let mut names = Vec::new();
    for entry in dir.iter() {
        let entry = entry?;
        let n = entry.file_name().to_bytes();
        if n == b"." || n == b".." {
            continue;
        }
        names.push(n.to_vec());
    }
    for n in &names {
        remove_at(dir.as_fd(), OsStr::from_bytes(n))?;
    }
    drop(dir);
    unlinkat(parent, name, UnlinkatFlags::RemoveDir)?;
    Ok(())
}

/// Bytes of disk used by the tree at `path`: the sum of `st_blocks * 512`
/// over every file, directory and symlink, symlinks not followed, each
/// hardlinked inode counted once. Sparse files count what they occupy, not
/// their length. The walk is fd-relative with `O_NOFOLLOW`: the tree may be
/// a running container's upper dir, whose directories it can swap for
/// symlinks to the host's while berth walks. An entry that vanishes
/// meanwhile counts nothing.
pub fn disk_usage(path: &Path) -> io::Result<u64> {
    let mut seen = HashSet::new();
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().unwrap_or(OsStr::new("."));
    let parent = nix::fcntl::open(
        parent,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    usage_at(parent.as_fd(), name, &mut seen, 0)
}

/// The deepest [`disk_usage`] walks: a container can nest directories
/// without end, and each level holds an fd and a stack frame.
const MAX_USAGE_DEPTH: usize = 512;

fn usage_at(
    parent: BorrowedFd<'_>,
    name: &OsStr,
    seen: &mut HashSet<(u64, u64)>,
    depth: usize,
) -> io::Result<u64> {
    if depth > MAX_USAGE_DEPTH {
        return Err(io::Error::other(format!(
            "directories nested deeper than {MAX_USAGE_DEPTH} levels"
        )));
    }
    let st = fstatat(parent, name, AtFlags::AT_SYMLINK_NOFOLLOW)?;
    let is_dir = SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR;
    if st.st_nlink > 1 && !is_dir && !seen.insert((st.st_dev, st.st_ino)) {
        return Ok(0);
    }
    let mut total = st.st_blocks as u64 * 512;
    if is_dir {
        let mut dir = Dir::openat(
            parent,
            name,
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        let mut names = Vec::new();
        for entry in dir.iter() {
            let n = entry?.file_name().to_bytes().to_vec();
            if n != b"." && n != b".." {
                names.push(n);
            }
        }
        for n in &names {
            match usage_at(dir.as_fd(), OsStr::from_bytes(n), seen, depth + 1) {
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
                r => total += r?,
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod beneath_tests {
    use super::*;

    #[test]
    fn disk_usage_refuses_a_tree_deeper_than_its_bound() {
        let tmp = tempfile::tempdir().unwrap();
        // Made fd-relative, level by level: the path would pass PATH_MAX.
        let mut fd = nix::fcntl::open(
            tmp.path(),
            OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .unwrap();
        for _ in 0..=MAX_USAGE_DEPTH {
            nix::sys::stat::mkdirat(fd.as_fd(), "d", Mode::from_bits_truncate(0o700)).unwrap();
            fd = nix::fcntl::openat(
                fd.as_fd(),
                "d",
                OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .unwrap();
        }
        drop(fd);
        let e = disk_usage(tmp.path()).unwrap_err();
        assert!(e.to_string().contains("deeper than"), "{e}");
        // The test's temp dir is too deep for remove_dir_all's paths too.
        let root = nix::fcntl::open(
            tmp.path(),
            OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .unwrap();
        remove_at(root.as_fd(), OsStr::new("d")).unwrap();
    }

    /// A layer-like dir with `lnk -> <outside>` (absolute) and a file outside.
    fn scene() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("layer");
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(root.join("d")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("f"), b"host").unwrap();
        std::os::unix::fs::symlink(&outside, root.join("lnk")).unwrap();
        (tmp, root, outside)
    }

    #[test]
    fn exists_beneath_does_not_follow_an_absolute_symlink() {
        let (_tmp, root, _) = scene();
        assert!(exists_beneath(&root, Path::new("/d")));
        // The symlink itself is there; what it points to is not the layer's.
        assert!(exists_beneath(&root, Path::new("/lnk")));
        assert!(!exists_beneath(&root, Path::new("/lnk/f")));
        assert!(!exists_beneath(&root, Path::new("/d/../lnk/f")));
    }

    #[test]
    fn remove_beneath_leaves_what_is_behind_a_symlink() {
        let (_tmp, root, outside) = scene();
        assert!(remove_beneath(&root, Path::new("lnk/f")).is_err());
        assert_eq!(std::fs::read(outside.join("f")).unwrap(), b"host");
        // The last component is unlinked, never followed.
        remove_beneath(&root, Path::new("/lnk")).unwrap();
        assert!(outside.join("f").exists());
        remove_beneath(&root, Path::new("/d")).unwrap();
        assert!(!root.join("d").exists());
    }
}
