//! Whole-tree operations on extracted layers: removal (even of read-only
//! directories, which image layers are full of) and disk usage.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{Mode, SFlag, fchmod, fchmodat, fstat, fstatat};
use nix::unistd::{UnlinkatFlags, unlinkat};

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
/// their length.
pub fn disk_usage(path: &Path) -> io::Result<u64> {
    let mut seen = HashSet::new();
    usage(path, &mut seen)
}

fn usage(path: &Path, seen: &mut HashSet<(u64, u64)>) -> io::Result<u64> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.nlink() > 1 && !meta.is_dir() && !seen.insert((meta.dev(), meta.ino())) {
        return Ok(0);
    }
    let mut total = meta.blocks() * 512;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            total += usage(&entry.path(), seen)?;
        }
    }
    Ok(total)
}
