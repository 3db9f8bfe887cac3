//! Files in and out of a container's root as a plain tar (`berth cp`,
//! `berth export`): a path packed into a tar, or a tar extracted at a path,
//! with docker's rules for what the copy is called at the other end.
//!
//! The root is a directory fd (the container's merged view, or the host's
//! `/`). Every path given by the user is resolved in it with openat2
//! `RESOLVE_IN_ROOT`: an absolute symlink `/etc/x -> /` leads to the root
//! itself and `..` stops there, as it would for a process chrooted there.
//! Below the resolved path nothing is followed: the walk opens each child
//! from its parent's fd with `O_NOFOLLOW` and stores symlinks as links; the
//! extraction is `layer::extract`'s, beneath the destination's fd.

use super::apply::{ExtractOptions, Ownership, extract};
use crate::sys::fs as sysfs;
use anyhow::{Context, Result, bail};
use nix::dir::Dir;
use nix::fcntl::{AtFlags, OFlag, openat, readlinkat};
use nix::sys::stat::{FileStat, Mode, SFlag, fstat, fstatat};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::ffi::{CStr, CString, OsStr, OsString};
use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};
use tar::{EntryType, Header};

/// Paths given by the user are resolved as a chrooted process would;
/// magic links (/proc/…/fd, /proc/…/root) could jump anywhere.
const IN_ROOT: u64 = sysfs::RESOLVE_IN_ROOT | sysfs::RESOLVE_NO_MAGICLINKS;
/// As many symlinks as the kernel follows in one path (MAXSYMLINKS).
const MAX_LINKS: usize = 40;

/// Where a packed copy goes, as known to the side that packs it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PackDest {
    /// An existing directory, or a tar stream (`-`, export): the copy keeps
    /// the source's name, or is its contents for `DIR/.`.
    Dir,
    /// An existing file: only a file may replace it, under its name.
    File {
        #[serde(with = "super::raw_path")]
        name: PathBuf,
    },
    /// Nothing yet: the copy is created under this name. `slash`: it was
    /// written `NAME/`, which only a directory can become.
    Missing {
        #[serde(with = "super::raw_path")]
        name: PathBuf,
        slash: bool,
    },
}

/// What an extracted copy came from, as known to the side that packed it.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    File,
    Dir,
    /// A directory's contents (`DIR/.`): into a directory, made if missing.
    Contents,
    /// A tar the user gave (`berth cp - C:DIR`): only into a directory.
    Stream,
}

/// How the tree's ids are read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PackOptions {
    /// Follow a symlink named as the source (`-L`).
    pub follow: bool,
    /// Files are ours and the image's ids live in `user.berth.*` (no
    /// subordinate id range): those are the ids the tar carries.
    pub ids_from_xattrs: bool,
}

/// Writes the tar of `path` (resolved in `root`) to `out`. Its first
/// component is the name the copy gets at `dest` (see [`PackDest`]), or
/// `.` for a directory's contents (`DIR/.`, `/`), which are then entries
/// `./NAME…` with no entry for the directory itself. Entries in sorted
/// order; whiteouts (0:0 character devices) and sockets never appear.
pub fn pack(
    root: BorrowedFd<'_>,
    path: &Path,
    dest: &PackDest,
    opts: &PackOptions,
    out: impl Write,
) -> Result<()> {
    let shown = || path.display().to_string();
    let (parent, name) =
        locate(root, path, opts.follow).with_context(|| format!("`{}`", shown()))?;
    let st = fstatat(
        parent.as_fd(),
        name.as_os_str(),
        AtFlags::AT_SYMLINK_NOFOLLOW,
    )
    .with_context(|| format!("`{}`", shown()))?;
    let is_dir = kind(&st) == SFlag::S_IFDIR;
    let contents = is_dir && !ends_in_name(path);
    let top: OsString = match dest {
        PackDest::Dir if contents => ".".into(),
        PackDest::Dir => last_name(path).unwrap_or(OsStr::new(".")).to_os_string(),
        PackDest::File { .. } if is_dir => {
            bail!("cannot copy the directory `{}` to a file", shown())
        }
        PackDest::File { name } => name.as_os_str().to_os_string(),
        PackDest::Missing { slash: true, .. } if !is_dir => {
            bail!(
                "the destination must be an existing directory to copy the file `{}` into it",
                shown()
            )
        }
        PackDest::Missing { name, .. } => name.as_os_str().to_os_string(),
    };
    let mut w = Walker {
        tar: tar::Builder::new(out),
        opts: *opts,
        links: HashMap::new(),
    };
    w.tar.mode(tar::HeaderMode::Complete);
    if top == "." {
        let dir = openat(parent.as_fd(), name.as_os_str(), DIR_FLAGS, Mode::empty())
            .with_context(|| format!("reading `{}`", shown()))?;
        w.walk(dir, OsStr::new("./"))?;
    } else {
        w.entry(parent.as_fd(), &name, top)?;
    }
    w.tar.finish().context("writing the tar")?;
    Ok(())
}

/// Extracts the tar on `input` at `path` (resolved in `root`): into it
/// when it is a directory, else as it, replacing a file; a directory is
/// never replaced by a file. The parent of a new name must exist.
pub fn unpack_at(
    root: BorrowedFd<'_>,
    path: &Path,
    source: Source,
    ownership: Ownership,
    owner: Option<(u32, u32)>,
    input: impl Read,
) -> Result<()> {
    let shown = || path.display().to_string();
    let slash = path.as_os_str().as_bytes().ends_with(b"/");
    let target = resolve(root, path, libc::O_PATH);
    let (dir, rename) = match target {
        Ok(fd) if kind(&fstat(&fd)?) == SFlag::S_IFDIR => (fd, None),
        Ok(_) if matches!(source, Source::Dir | Source::Contents) => {
            bail!("cannot copy a directory to the file `{}`", shown())
        }
        Err(e) if e.raw_os_error() != Some(libc::ENOENT) => {
            return Err(e).with_context(|| format!("`{}`", shown()));
        }
        found => {
            let name = match (source, last_name(path)) {
                (Source::Stream, _) => bail!("`{}` is not a directory", shown()),
                (Source::File, _) if slash && found.is_err() => {
                    bail!(
                        "`{}` does not exist; only a directory can be copied to it",
                        shown()
                    )
                }
                (_, None) => bail!("`{}` is not a directory", shown()),
                (_, Some(n)) => n.to_os_string(),
            };
            let parent = path.parent().unwrap_or(Path::new("/"));
            let fd = resolve(root, parent, libc::O_PATH | libc::O_DIRECTORY)
                .with_context(|| format!("the directory of `{}`", shown()))?;
            if source == Source::Contents {
                // The contents' entries have no common first name to
                // rename: the directory is made here, as docker makes it.
                nix::sys::stat::mkdirat(
                    fd.as_fd(),
                    name.as_os_str(),
                    Mode::from_bits_truncate(0o755),
                )
                .with_context(|| format!("creating `{}`", shown()))?;
                let made = openat(fd.as_fd(), name.as_os_str(), DIR_FLAGS, Mode::empty())
                    .with_context(|| format!("opening `{}`", shown()))?;
                (made, None)
            } else {
                (fd, Some(name))
            }
        }
    };
    let opts = ExtractOptions {
        ownership,
        owner,
        rename_top: rename,
    };
    extract(input, dir, &opts).map(|_| ())
}

/// `path` resolved in `root` as a chrooted process would (its last
/// component followed too).
fn resolve(root: BorrowedFd<'_>, path: &Path, flags: i32) -> std::io::Result<OwnedFd> {
    let rel = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    let c = CString::new(rel.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
    sysfs::openat2(root, &c, flags, 0, IN_ROOT)
}

/// The directory holding `path`'s last component and that component's name
/// (`.` when `path` names a directory by `.`, `..` or `/`), resolved in
/// `root`. With `follow`, a symlink there is followed, in `root`.
fn locate(root: BorrowedFd<'_>, path: &Path, follow: bool) -> Result<(OwnedFd, OsString)> {
    let mut path = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        let Some(name) = last_name(&path).filter(|_| ends_in_name(&path)) else {
            let fd = resolve(root, &path, libc::O_PATH | libc::O_DIRECTORY)?;
            return Ok((fd, ".".into()));
        };
        let name = name.to_os_string();
        let parent_path = path.parent().unwrap_or(Path::new("/")).to_path_buf();
        let parent = resolve(root, &parent_path, libc::O_PATH | libc::O_DIRECTORY)?;
        let st = fstatat(
            parent.as_fd(),
            name.as_os_str(),
            AtFlags::AT_SYMLINK_NOFOLLOW,
        )?;
        if !(follow && kind(&st) == SFlag::S_IFLNK) {
            return Ok((parent, name));
        }
        // An absolute target is the root's (RESOLVE_IN_ROOT reads it so),
        // a relative one its directory's.
        let target = readlinkat(parent.as_fd(), name.as_os_str())?;
        path = parent_path.join(target);
    }
    Err(std::io::Error::from_raw_os_error(libc::ELOOP).into())
}

/// Whether `path` ends in a name (not `/`, `.` or `..`, nor `DIR/.`).
fn ends_in_name(path: &Path) -> bool {
    let b = path.as_os_str().as_bytes();
    !(b.ends_with(b"/.") || b == b".")
        && matches!(path.components().next_back(), Some(Component::Normal(_)))
}

/// The last component of `path` when it is a name.
fn last_name(path: &Path) -> Option<&OsStr> {
    match path.components().next_back() {
        Some(Component::Normal(n)) => Some(n),
        _ => None,
    }
}

fn kind(st: &FileStat) -> SFlag {
    SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT
}

/// A directory opened to be listed, never through a symlink.
const DIR_FLAGS: OFlag = OFlag::O_RDONLY
    .union(OFlag::O_DIRECTORY)
    .union(OFlag::O_NOFOLLOW)
    .union(OFlag::O_CLOEXEC);

const XATTR_UID: &CStr = c"user.berth.uid";
const XATTR_GID: &CStr = c"user.berth.gid";

struct Walker<W: Write> {
    tar: tar::Builder<W>,
    opts: PackOptions,
    links: HashMap<(u64, u64), OsString>,
}

impl<W: Write> Walker<W> {
    /// Every entry of `dir`, sorted, under `prefix` (which ends in `/`).
    fn walk(&mut self, dir: OwnedFd, prefix: &OsStr) -> Result<()> {
        let shown = || Path::new(prefix).display().to_string();
        let mut listing = Dir::from_fd(dir).with_context(|| format!("reading `{}`", shown()))?;
        let mut names: Vec<OsString> = Vec::new();
        for e in listing.iter() {
            let e = e.with_context(|| format!("reading `{}`", shown()))?;
            let name = e.file_name().to_bytes();
            if name != b"." && name != b".." {
                names.push(OsString::from_vec(name.to_vec()));
            }
        }
        names.sort();
        for name in names {
            let mut rel = prefix.to_os_string();
            rel.push(&name);
            self.entry(listing.as_fd(), &name, rel)?;
        }
        Ok(())
    }

    /// One entry `name` of `dir`, stored as `rel`, and what is below it.
    fn entry(&mut self, dir: BorrowedFd<'_>, name: &OsStr, rel: OsString) -> Result<()> {
        let shown = Path::new(&rel).display().to_string();
        let st = fstatat(dir, name, AtFlags::AT_SYMLINK_NOFOLLOW)
            .with_context(|| format!("`{shown}`"))?;
        let k = kind(&st);
        let mut h = Header::new_gnu();
        h.set_uid(st.st_uid.into());
        h.set_gid(st.st_gid.into());
        h.set_mtime(st.st_mtime.max(0) as u64);
        h.set_mode(st.st_mode & 0o7777);
        h.set_size(0);
        if k == SFlag::S_IFDIR {
            // O_NOFOLLOW: had the name become a symlink since the stat, the
            // open fails instead of listing what it points to.
            let sub = openat(dir, name, DIR_FLAGS, Mode::empty())
                .with_context(|| format!("reading `{shown}`"))?;
            self.ids_and_xattrs(sub.as_fd(), &mut h, &shown)?;
            h.set_entry_type(EntryType::Directory);
            let mut slashed = rel;
            slashed.push("/");
            self.tar
                .append_data(&mut h, Path::new(&slashed), std::io::empty())?;
            self.walk(sub, &slashed)?;
        } else if k == SFlag::S_IFREG {
            let ino = (st.st_dev, st.st_ino);
            if st.st_nlink > 1 {
                if let Some(first) = self.links.get(&ino) {
                    h.set_entry_type(EntryType::Link);
                    let first = first.clone();
                    self.tar.append_link(&mut h, &rel, first)?;
                    return Ok(());
                }
                self.links.insert(ino, rel.clone());
            }
            // O_NONBLOCK: a name swapped for a FIFO must not hang us; the
            // fstat below then refuses anything but the file we stat'ed.
            let fd = openat(
                dir,
                name,
                OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .with_context(|| format!("reading `{shown}`"))?;
            let now = fstat(&fd)?;
            if (now.st_dev, now.st_ino) != ino {
                bail!("`{shown}` changed while it was read");
            }
            self.ids_and_xattrs(fd.as_fd(), &mut h, &shown)?;
            h.set_entry_type(EntryType::Regular);
            h.set_size(st.st_size as u64);
            // A file that grows meanwhile is cut at its size; one that
            // shrinks fails the copy (tar-rs checks the length).
            let file = std::fs::File::from(fd).take(st.st_size as u64);
            self.tar
                .append_data(&mut h, &rel, file)
                .with_context(|| format!("reading `{shown}`"))?;
        } else if k == SFlag::S_IFLNK {
            h.set_entry_type(EntryType::Symlink);
            let target = readlinkat(dir, name).with_context(|| format!("`{shown}`"))?;
            // As written: tar-rs would normalise `/` to `//` and drop `./`.
            if target.len() <= 100 {
                h.set_link_name_literal(target.as_bytes())?;
                self.tar
                    .append_data(&mut h, Path::new(&rel), std::io::empty())?;
            } else {
                self.tar.append_link(&mut h, Path::new(&rel), target)?;
            }
        } else if k == SFlag::S_IFIFO {
            h.set_entry_type(EntryType::Fifo);
            self.tar.append_data(&mut h, &rel, std::io::empty())?;
        } else if (k == SFlag::S_IFCHR && st.st_rdev != 0) || k == SFlag::S_IFBLK {
            h.set_entry_type(if k == SFlag::S_IFCHR {
                EntryType::Char
            } else {
                EntryType::Block
            });
            h.set_device_major(nix::sys::stat::major(st.st_rdev) as u32)?;
            h.set_device_minor(nix::sys::stat::minor(st.st_rdev) as u32)?;
            self.tar.append_data(&mut h, &rel, std::io::empty())?;
        }
        // A 0:0 character device is an overlay whiteout (the merged view
        // hides them; an upper dir read directly would not) and sockets
        // cannot be stored: neither is content.
        Ok(())
    }

    /// The image's ids (from `user.berth.*` when they live there) and the
    /// xattrs an image may carry, as PAX records before the entry.
    fn ids_and_xattrs(&mut self, fd: BorrowedFd<'_>, h: &mut Header, rel: &str) -> Result<()> {
        if self.opts.ids_from_xattrs {
            let num = |n: &CStr| -> Option<u64> {
                let v = sysfs::fgetxattr(fd, n).ok()??;
                std::str::from_utf8(&v).ok()?.parse().ok()
            };
            if let Some(u) = num(XATTR_UID) {
                h.set_uid(u);
            }
            if let Some(g) = num(XATTR_GID) {
                h.set_gid(g);
            }
        }
        let names = match sysfs::flistxattr(fd) {
            Ok(n) => n,
            // A filesystem without xattrs has none to copy.
            Err(e) if e.raw_os_error() == Some(libc::EOPNOTSUPP) => return Ok(()),
            Err(e) => return Err(e).with_context(|| format!("listing the xattrs of `{rel}`")),
        };
        let mut pax: Vec<(String, Vec<u8>)> = Vec::new();
        for n in names {
            let b = n.as_bytes();
            // What `layer::apply` takes back: the user's own and file
            // capabilities; never overlay's or berth's own records.
            let wanted = (b.starts_with(b"user.")
                && !b.starts_with(b"user.overlay.")
                && !b.starts_with(b"user.berth."))
                || b == b"security.capability";
            let Ok(key) = n.to_str() else { continue };
            if !wanted {
                continue;
            }
            if let Ok(Some(v)) = sysfs::fgetxattr(fd, &n) {
                pax.push((format!("SCHILY.xattr.{key}"), v));
            }
        }
        if !pax.is_empty() {
            pax.sort();
            self.tar
                .append_pax_extensions(pax.iter().map(|(k, v)| (k.as_str(), v.as_slice())))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn names(tar: &[u8]) -> Vec<String> {
        tar::Archive::new(tar)
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect()
    }

    fn open(p: &Path) -> OwnedFd {
        nix::fcntl::open(p, OFlag::O_PATH | OFlag::O_DIRECTORY, Mode::empty()).unwrap()
    }

    const OPTS: PackOptions = PackOptions {
        follow: false,
        ids_from_xattrs: false,
    };

    /// A root with `d/f`, an absolute symlink `up -> /` and a relative
    /// `esc -> ../../..`, beside a host directory `host/secret`.
    fn scene() -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        fs::create_dir_all(root.join("d")).unwrap();
        fs::write(root.join("d/f"), b"in").unwrap();
        std::os::unix::fs::symlink("/", root.join("up")).unwrap();
        std::os::unix::fs::symlink("../../..", root.join("esc")).unwrap();
        fs::create_dir(tmp.path().join("host")).unwrap();
        fs::write(tmp.path().join("host/secret"), b"host").unwrap();
        (tmp, root)
    }

    fn pack_of(root: &Path, path: &str, dest: &PackDest, follow: bool) -> Result<Vec<u8>> {
        let mut v = Vec::new();
        let opts = PackOptions { follow, ..OPTS };
        pack(open(root).as_fd(), Path::new(path), dest, &opts, &mut v)?;
        Ok(v)
    }

    #[test]
    fn a_directory_keeps_its_name_and_dot_gives_its_contents() {
        let (_t, root) = scene();
        let named = pack_of(&root, "/d", &PackDest::Dir, false).unwrap();
        assert_eq!(names(&named), ["d/", "d/f"]);
        let contents = pack_of(&root, "/d/.", &PackDest::Dir, false).unwrap();
        assert_eq!(names(&contents), ["f"]);
        // Into a new directory, contents make the directory.
        let own = Ownership::Caller;
        unpack_at(
            open(&root).as_fd(),
            Path::new("/e"),
            Source::Contents,
            own,
            None,
            &contents[..],
        )
        .unwrap();
        assert_eq!(fs::read(root.join("e/f")).unwrap(), b"in");
        let renamed = pack_of(
            &root,
            "/d",
            &PackDest::Missing {
                name: "new".into(),
                slash: false,
            },
            false,
        )
        .unwrap();
        assert_eq!(names(&renamed), ["new/", "new/f"]);
    }

    #[test]
    fn symlinks_resolve_inside_the_root_never_on_the_host() {
        let (_t, root) = scene();
        // `up/d/f` is the root's d/f: `/` is the root.
        let v = pack_of(&root, "/up/d/f", &PackDest::Dir, false).unwrap();
        assert_eq!(names(&v), ["f"]);
        // `esc/host/secret` climbs no higher than the root: not found.
        assert!(pack_of(&root, "/esc/host/secret", &PackDest::Dir, false).is_err());
        assert!(pack_of(&root, "/../host/secret", &PackDest::Dir, false).is_err());
        // Without -L a symlink is copied as itself; with it, in the root.
        let v = pack_of(&root, "/esc", &PackDest::Dir, false).unwrap();
        assert_eq!(names(&v), ["esc"]);
        let v = pack_of(&root, "/esc", &PackDest::Dir, true).unwrap();
        assert!(names(&v).contains(&"esc/d/f".to_string()));
        assert!(!v.windows(4).any(|w| w == b"host"));
    }

    #[test]
    fn a_directory_never_replaces_a_file() {
        let (_t, root) = scene();
        let dest = PackDest::File { name: "x".into() };
        let e = pack_of(&root, "/d", &dest, false).unwrap_err();
        assert!(format!("{e:#}").contains("cannot copy the directory"));
        let missing = PackDest::Missing {
            name: "x".into(),
            slash: true,
        };
        assert!(pack_of(&root, "/d/f", &missing, false).is_err());
    }

    #[test]
    fn unpacking_through_a_planted_symlink_stays_in_the_root() {
        let (t, root) = scene();
        let tar = pack_of(&root, "/d/f", &PackDest::Dir, false).unwrap();
        let own = Ownership::Caller;
        // `/esc/` is the root itself, seen from inside.
        unpack_at(
            open(&root).as_fd(),
            Path::new("/esc/"),
            Source::File,
            own,
            None,
            &tar[..],
        )
        .unwrap();
        assert_eq!(fs::read(root.join("f")).unwrap(), b"in");
        // A new name whose parent is `up` (`/`): the root's.
        unpack_at(
            open(&root).as_fd(),
            Path::new("/up/g"),
            Source::File,
            own,
            None,
            &tar[..],
        )
        .unwrap();
        assert_eq!(fs::read(root.join("g")).unwrap(), b"in");
        assert_eq!(fs::read(t.path().join("host/secret")).unwrap(), b"host");
        assert!(!t.path().join("f").exists() && !t.path().join("g").exists());
    }

    #[test]
    fn a_file_replaces_a_file_but_never_a_directory() {
        let (_t, root) = scene();
        let tar = pack_of(&root, "/d/f", &PackDest::Dir, false).unwrap();
        let own = Ownership::Caller;
        fs::write(root.join("old"), b"old").unwrap();
        unpack_at(
            open(&root).as_fd(),
            Path::new("/old"),
            Source::File,
            own,
            None,
            &tar[..],
        )
        .unwrap();
        assert_eq!(fs::read(root.join("old")).unwrap(), b"in");
        let dir_tar = pack_of(&root, "/d", &PackDest::Dir, false).unwrap();
        let e = unpack_at(
            open(&root).as_fd(),
            Path::new("/old"),
            Source::Dir,
            own,
            None,
            &dir_tar[..],
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("cannot copy a directory"));
    }
}
