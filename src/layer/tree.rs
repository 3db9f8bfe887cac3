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

/// How many directories removal holds open at once. A subtree deeper than
/// this is moved up into the top directory and removed from there, so
/// neither the fds nor the memory used grow with the depth: a container
/// can nest directories far deeper than any recursion or fd limit, and its
/// removal must still finish.
const MAX_REMOVE_DEPTH: usize = 64;

/// How many times one removal lists a directory again that another removal
/// of the same tree filled (see `remove_holding`).
const MAX_RELISTS: usize = 1024;

/// One directory being emptied: its fd, the names still to remove in it,
/// and its own name in the directory above.
struct Emptying {
    dir: Dir,
    left: Vec<Vec<u8>>,
    name: Vec<u8>,
}

/// Remove `name` in `parent` whatever it is; a directory is emptied first.
/// The walk is iterative and holds at most [`MAX_REMOVE_DEPTH`] directories.
pub(crate) fn remove_at(parent: BorrowedFd<'_>, name: &OsStr) -> io::Result<()> {
    remove_holding(parent, name, MAX_REMOVE_DEPTH)
}

/// [`remove_at`], holding at most `max_open` directories (at least 2).
fn remove_holding(parent: BorrowedFd<'_>, name: &OsStr, max_open: usize) -> io::Result<()> {
    let st = fstatat(parent, name, AtFlags::AT_SYMLINK_NOFOLLOW)?;
    if !is_dir(st.st_mode) {
        unlinkat(parent, name, UnlinkatFlags::NoRemoveDir)?;
        return Ok(());
    }
    let top = open_to_empty(parent, name, st.st_mode)?;
    let mut stack = vec![top];
    let mut moved = 0u64;
    let mut relisted = 0usize;
    while !stack.is_empty() {
        let depth = stack.len();
        let level = stack.last_mut().expect("not empty");
        // An entry already gone was removed by another removal of the same
        // tree (a `system reset` while a detached `--rm` container's monitor
        // empties it): what is left is still this one's to remove. (Before,
        // such an ENOENT ended the walk, and `remove_tree` took it for "the
        // path is gone": Ok, with the rest of the tree left in place.)
        let Some(child) = level.left.pop() else {
            let done = stack.pop().expect("a level");
            drop(done.dir);
            let above = stack.last().map_or(parent, |l| l.dir.as_fd());
            let name = OsStr::from_bytes(&done.name);
            match unlinkat(above, name, UnlinkatFlags::RemoveDir) {
                Ok(()) | Err(Errno::ENOENT) => {}
                // The other removal moved a deep subtree up into this
                // directory (its top) after this one listed it: list it
                // again. Bounded: only a removal moves entries in.
                Err(Errno::ENOTEMPTY) if relisted < MAX_RELISTS => {
                    relisted += 1;
                    if let Some(st) = present(fstatat(above, name, AtFlags::AT_SYMLINK_NOFOLLOW))?
                        && is_dir(st.st_mode)
                    {
                        stack.push(open_to_empty(above, name, st.st_mode)?);
                    }
                }
                Err(e) => return Err(e.into()),
            }
            continue;
        };
        let child = OsStr::from_bytes(&child);
        let Some(cst) = present(fstatat(
            level.dir.as_fd(),
            child,
            AtFlags::AT_SYMLINK_NOFOLLOW,
        ))?
        else {
            continue;
        };
        if !is_dir(cst.st_mode) {
            present(unlinkat(
                level.dir.as_fd(),
                child,
                UnlinkatFlags::NoRemoveDir,
            ))?;
            continue;
        }
        if depth < max_open.max(2) {
            match open_to_empty(level.dir.as_fd(), child, cst.st_mode) {
                Ok(next) => stack.push(next),
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
                Err(e) => return Err(e),
            }
            continue;
        }
        // Too deep to hold open: move the subtree up into the top directory
        // (one filesystem, so a rename), to be emptied from there. Moving a
        // directory to another parent rewrites its `..`: it needs u+w.
        if cst.st_mode & 0o700 != 0o700 {
            let chmodded = present(fchmodat(
                level.dir.as_fd(),
                child,
                Mode::from_bits_truncate(cst.st_mode | 0o700),
                nix::sys::stat::FchmodatFlags::NoFollowSymlink,
            ))?;
            if chmodded.is_none() {
                continue;
            }
        }
        let (deepest, rest) = stack.split_last_mut().expect("a level");
        let top = &mut rest[0];
        loop {
            moved += 1;
            let fresh = format!(".berth-removing-{moved}");
            match nix::fcntl::renameat2(
                deepest.dir.as_fd(),
                child,
                top.dir.as_fd(),
                fresh.as_str(),
                nix::fcntl::RenameFlags::RENAME_NOREPLACE,
            ) {
                Ok(()) => {
                    top.left.push(fresh.into_bytes());
                    break;
                }
                Err(Errno::EEXIST) => continue,
                Err(Errno::ENOENT) => break,
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}

/// A call on an entry another removal already took (ENOENT): None, not
/// an error.
fn present<T>(r: nix::Result<T>) -> io::Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(Errno::ENOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn is_dir(mode: libc::mode_t) -> bool {
    SFlag::from_bits_truncate(mode) & SFlag::S_IFMT == SFlag::S_IFDIR
}

/// Opens directory `name` in `parent` (never through a symlink) to be
/// emptied: made `u+rwx` when it is not (only its owner can, and nobody
/// else could delete the tree anyway), and its entries listed.
fn open_to_empty(parent: BorrowedFd<'_>, name: &OsStr, mode: libc::mode_t) -> io::Result<Emptying> {
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
        // No u+r: make it ours to read.
        Err(Errno::EACCES) => {
            fchmodat(
                parent,
                name,
                Mode::from_bits_truncate(mode | 0o700),
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
    let mut left = Vec::new();
    for entry in dir.iter() {
        let entry = entry?;
        let n = entry.file_name().to_bytes();
        if n != b"." && n != b".." {
            left.push(n.to_vec());
        }
    }
    Ok(Emptying {
        dir,
        left,
        name: name.as_bytes().to_vec(),
    })
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

    /// A tree of `depth` nested `d`s under `root`, with a read-only file in
    /// some levels and some directories read-only, as image layers have.
    /// Made fd-relative, level by level: the path passes PATH_MAX.
    fn deep_tree(root: BorrowedFd<'_>, depth: usize) {
        let mut fd = nix::fcntl::openat(
            root,
            ".",
            OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .unwrap();
        for i in 0..depth {
            nix::sys::stat::mkdirat(fd.as_fd(), "d", Mode::from_bits_truncate(0o700)).unwrap();
            if i % 7 == 0 {
                nix::fcntl::openat(
                    fd.as_fd(),
                    "f",
                    OFlag::O_CREAT | OFlag::O_WRONLY | OFlag::O_CLOEXEC,
                    Mode::from_bits_truncate(0o400),
                )
                .unwrap();
            }
            let next = nix::fcntl::openat(
                fd.as_fd(),
                "d",
                OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .unwrap();
            if i % 11 == 0 {
                fchmod(&fd, Mode::from_bits_truncate(0o500)).unwrap();
            }
            fd = next;
        }
    }

    fn gone(root: BorrowedFd<'_>) -> bool {
        fstatat(root, "d", AtFlags::AT_SYMLINK_NOFOLLOW).is_err()
    }

    #[test]
    fn remove_at_removes_a_tree_deeper_than_the_fds_it_may_hold() {
        // A container can nest directories without limit. 1500 levels are
        // more than the usual soft limit of 1024 fds, which a walk holding
        // one fd per level runs out of.
        let tmp = tempfile::tempdir().unwrap();
        let root = nix::fcntl::open(
            tmp.path(),
            OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .unwrap();
        deep_tree(root.as_fd(), 1500);
        // Whatever limit this test process was given: the usual one.
        use nix::sys::resource::{Resource, getrlimit, setrlimit};
        let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
        setrlimit(Resource::RLIMIT_NOFILE, soft.min(1024), hard).unwrap();
        remove_at(root.as_fd(), OsStr::new("d")).unwrap();
        assert!(gone(root.as_fd()), "the tree is gone");
    }

    #[test]
    fn removal_moves_what_is_deeper_than_it_holds_up_and_still_removes_all() {
        let tmp = tempfile::tempdir().unwrap();
        let root = nix::fcntl::open(
            tmp.path(),
            OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .unwrap();
        deep_tree(root.as_fd(), 200);
        remove_holding(root.as_fd(), OsStr::new("d"), 3).unwrap();
        assert!(gone(root.as_fd()), "the tree is gone");
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
