//! What an upper directory changed against its lower layers, as `berth diff`
//! lists it: `A` added, `C` changed, `D` deleted, the way podman's overlay
//! driver reports them (containers/storage `pkg/archive` `changes`):
//! a whiteout is `D`; an opaque directory hiding a lower one is `D` (its
//! new contents follow as additions); an entry a lower layer has is `C`,
//! else `A`; the parent directories of an addition or a deletion are `C`.
//! A directory copied up only because something beneath it changed (same
//! mode and mtime as below) is not a change itself.
//!
//! Both trees are a container's and an image's: every entry is reached from
//! its parent's fd with `O_NOFOLLOW`/`AT_SYMLINK_NOFOLLOW`, never by path,
//! so a symlink in them is looked at, never followed.

use super::copy::raw_path;
use anyhow::{Context, Result};
use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, openat};
use nix::sys::stat::{FileStat, Mode, SFlag, fstatat};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    #[serde(rename = "A")]
    Added,
    #[serde(rename = "C")]
    Changed,
    #[serde(rename = "D")]
    Deleted,
}

impl ChangeKind {
    pub fn letter(self) -> char {
        match self {
            ChangeKind::Added => 'A',
            ChangeKind::Changed => 'C',
            ChangeKind::Deleted => 'D',
        }
    }
}

/// One changed path, absolute as the container sees it (`/etc/passwd`).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    #[serde(with = "raw_path")]
    pub path: PathBuf,
}

/// The changes of `upper` against `lowers` (unpacked layers, top first),
/// sorted by path.
pub fn changes(upper: &Path, lowers: &[PathBuf]) -> Result<Vec<Change>> {
    let root = nix::fcntl::open(upper, DIR_FLAGS, Mode::empty())
        .with_context(|| format!("opening `{}`", upper.display()))?;
    let mut lower_fds = Vec::new();
    for l in lowers {
        let fd = nix::fcntl::open(l.as_path(), DIR_FLAGS, Mode::empty())
            .with_context(|| format!("opening layer `{}`", l.display()))?;
        lower_fds.push(fd);
    }
    let mut walk = Walk {
        upper,
        lowers: lower_fds,
        out: Vec::new(),
        changed_dirs: HashSet::new(),
    };
    walk.dir(root, &mut Vec::new(), true)?;
    let mut out = walk.out;
    out.sort_by(|a, b| a.path.as_os_str().cmp(b.path.as_os_str()));
    out.dedup();
    Ok(out)
}

/// A directory opened to be listed, never through a symlink.
const DIR_FLAGS: OFlag = OFlag::O_RDONLY
    .union(OFlag::O_DIRECTORY)
    .union(OFlag::O_NOFOLLOW)
    .union(OFlag::O_CLOEXEC);

struct Walk<'a> {
    upper: &'a Path,
    lowers: Vec<OwnedFd>,
    out: Vec<Change>,
    /// Directories already listed, as changes or as parents of one.
    changed_dirs: HashSet<Vec<OsString>>,
}

impl Walk<'_> {
    /// Lists the upper directory `dir` at `comps`; `lower_visible` is false
    /// beneath an opaque or added directory, where nothing of the lowers shows.
    fn dir(&mut self, dir: OwnedFd, comps: &mut Vec<OsString>, lower_visible: bool) -> Result<()> {
        let shown = || self.upper.join(join(comps)).display().to_string();
        let mut listing = Dir::from_fd(dir).with_context(|| format!("reading `{}`", shown()))?;
        let mut names: Vec<OsString> = Vec::new();
        for e in listing.iter() {
            let e = e.with_context(|| format!("reading `{}`", shown()))?;
            let name = e.file_name().to_bytes();
            if name != b"." && name != b".." {
                names.push(OsStr::from_bytes(name).to_os_string());
            }
        }
        names.sort();
        let fd = listing.as_fd();
        for name in names {
            comps.push(name);
            self.entry(fd, comps, lower_visible)?;
            comps.pop();
        }
        Ok(())
    }

    fn entry(
        &mut self,
        parent: BorrowedFd<'_>,
        comps: &mut Vec<OsString>,
        lower_visible: bool,
    ) -> Result<()> {
        let name = comps.last().expect("an entry has a name").clone();
        let st = fstatat(parent, name.as_os_str(), AtFlags::AT_SYMLINK_NOFOLLOW)
            .with_context(|| format!("`{}`", self.upper.join(join(comps)).display()))?;
        let below = if lower_visible {
            self.lookup_lower(comps)
        } else {
            None
        };
        if is_whiteout(&st) {
            self.record(comps, ChangeKind::Deleted);
            return Ok(());
        }
        if kind(&st) != SFlag::S_IFDIR {
            let k = if below.is_some() {
                ChangeKind::Changed
            } else {
                ChangeKind::Added
            };
            self.record(comps, k);
            return Ok(());
        }
        // O_NOFOLLOW: a name swapped for a symlink since the stat fails
        // instead of listing where it points.
        let sub = openat(parent, name.as_os_str(), DIR_FLAGS, Mode::empty())
            .with_context(|| format!("reading `{}`", self.upper.join(join(comps)).display()))?;
        let opaque = crate::sys::fs::is_overlay_opaque_fd(sub.as_fd());
        let children_see_lower = match &below {
            Some(b) if kind(b) == SFlag::S_IFDIR && !opaque => {
                // Copied up only for what is beneath: not a change itself.
                // (Directory sizes are left out, unlike podman: they differ
                // between a copy and its original on btrfs and xfs.)
                if b.st_mode != st.st_mode
                    || b.st_mtime != st.st_mtime
                    || b.st_mtime_nsec != st.st_mtime_nsec
                {
                    self.record(comps, ChangeKind::Changed);
                }
                true
            }
            Some(_) if opaque => {
                self.record(comps, ChangeKind::Deleted);
                false
            }
            Some(_) => {
                self.record(comps, ChangeKind::Changed);
                false
            }
            None => {
                self.record(comps, ChangeKind::Added);
                false
            }
        };
        self.dir(sub, comps, children_see_lower)
    }

    fn record(&mut self, comps: &[OsString], kind: ChangeKind) {
        if kind != ChangeKind::Changed {
            for n in 1..comps.len() {
                let parent = comps[..n].to_vec();
                if self.changed_dirs.insert(parent.clone()) {
                    self.out.push(Change {
                        kind: ChangeKind::Changed,
                        path: absolute(&parent),
                    });
                }
            }
        }
        // A directory listed once is not a parent to list again.
        self.changed_dirs.insert(comps.to_vec());
        self.out.push(Change {
            kind,
            path: absolute(comps),
        });
    }

    /// What the lowers show at `comps` (overlay's lookup: top layer first,
    /// stopping at a whiteout, a non-directory on the way, or a missing
    /// name under an opaque directory).
    fn lookup_lower(&self, comps: &[OsString]) -> Option<FileStat> {
        'layers: for layer in &self.lowers {
            let mut cur: Option<OwnedFd> = None;
            let mut opaque = false;
            for (i, c) in comps.iter().enumerate() {
                let dir = cur.as_ref().map_or(layer.as_fd(), |d| d.as_fd());
                let st = match fstatat(dir, c.as_os_str(), AtFlags::AT_SYMLINK_NOFOLLOW) {
                    Ok(st) => st,
                    Err(Errno::ENOENT) if !opaque => continue 'layers,
                    Err(_) => return None,
                };
                if is_whiteout(&st) {
                    return None;
                }
                if i + 1 == comps.len() {
                    return Some(st);
                }
                if kind(&st) != SFlag::S_IFDIR {
                    return None;
                }
                let Ok(next) = openat(dir, c.as_os_str(), DIR_FLAGS, Mode::empty()) else {
                    return None;
                };
                opaque = crate::sys::fs::is_overlay_opaque_fd(next.as_fd());
                cur = Some(next);
            }
        }
        None
    }
}

fn kind(st: &FileStat) -> SFlag {
    SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT
}

/// Overlay's whiteout: a 0:0 character device.
fn is_whiteout(st: &FileStat) -> bool {
    kind(st) == SFlag::S_IFCHR && st.st_rdev == 0
}

fn join(comps: &[OsString]) -> PathBuf {
    comps.iter().collect()
}

fn absolute(comps: &[OsString]) -> PathBuf {
    let mut bytes = Vec::new();
    for c in comps {
        bytes.push(b'/');
        bytes.extend_from_slice(c.as_bytes());
    }
    PathBuf::from(OsString::from_vec(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn lines(upper: &Path, lowers: &[PathBuf]) -> Vec<String> {
        changes(upper, lowers)
            .unwrap()
            .iter()
            .map(|c| format!("{} {}", c.kind.letter(), c.path.display()))
            .collect()
    }

    fn whiteout(p: &Path) {
        nix::sys::stat::mknod(p, SFlag::S_IFCHR, Mode::empty(), 0).unwrap();
    }

    /// A lower layer: /etc/passwd, /etc/group, /usr/share/doc/a, /old/x, /keep/y.
    fn lower(dir: &Path) {
        for f in [
            "etc/passwd",
            "etc/group",
            "usr/share/doc/a",
            "old/x",
            "keep/y",
        ] {
            let p = dir.join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, b"lower").unwrap();
        }
    }

    /// A lower directory's mode and times on its upper copy, as overlay's copy-up.
    fn copy_up(lower: &Path, upper: &Path, rel: &str) {
        let st = fs::metadata(lower.join(rel)).unwrap();
        fs::set_permissions(upper.join(rel), st.permissions()).unwrap();
        let t = nix::sys::time::TimeSpec::from(
            st.modified()
                .unwrap()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap(),
        );
        nix::sys::stat::utimensat(
            nix::fcntl::AT_FDCWD,
            &upper.join(rel),
            &t,
            &t,
            nix::sys::stat::UtimensatFlags::NoFollowSymlink,
        )
        .unwrap();
    }

    #[test]
    fn additions_changes_and_deletions_read_as_podman_prints_them() {
        let tmp = tempfile::tempdir().unwrap();
        let (lo, up) = (tmp.path().join("lower"), tmp.path().join("upper"));
        lower(&lo);
        fs::create_dir_all(up.join("etc")).unwrap();
        fs::write(up.join("etc/passwd"), b"changed").unwrap();
        fs::create_dir_all(up.join("usr/share/doc")).unwrap();
        whiteout(&up.join("usr/share/doc/a"));
        whiteout(&up.join("old"));
        fs::create_dir_all(up.join("new/sub")).unwrap();
        fs::write(up.join("new/sub/f"), b"new").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", up.join("link")).unwrap();
        // Overlay gives a copied-up directory its lower mode and times
        // back once the copy-up beneath it is done.
        for d in ["etc", "usr/share/doc", "usr/share", "usr"] {
            copy_up(&lo, &up, d);
        }
        assert_eq!(
            lines(&up, std::slice::from_ref(&lo)),
            [
                "C /etc/passwd",
                "A /link",
                "A /new",
                "A /new/sub",
                "A /new/sub/f",
                "D /old",
                "C /usr",
                "C /usr/share",
                "C /usr/share/doc",
                "D /usr/share/doc/a",
            ]
        );
    }

    #[test]
    fn an_opaque_directory_over_a_lower_one_is_deleted_and_its_contents_added() {
        let tmp = tempfile::tempdir().unwrap();
        let (lo, up) = (tmp.path().join("lower"), tmp.path().join("upper"));
        lower(&lo);
        fs::create_dir_all(up.join("keep")).unwrap();
        // `rm -rf /keep; mkdir /keep; echo > /keep/y`: y is new, though a
        // lower layer has a y too.
        crate::sys::fs::fsetxattr(
            nix::fcntl::open(&up.join("keep"), DIR_FLAGS, Mode::empty())
                .unwrap()
                .as_fd(),
            c"user.overlay.opaque",
            b"y",
        )
        .unwrap();
        fs::write(up.join("keep/y"), b"new").unwrap();
        assert_eq!(
            lines(&up, std::slice::from_ref(&lo)),
            ["D /keep", "A /keep/y"]
        );
    }

    #[test]
    fn a_whiteout_in_a_higher_layer_hides_what_the_lower_has() {
        let tmp = tempfile::tempdir().unwrap();
        let (l1, l2, up) = (
            tmp.path().join("l1"),
            tmp.path().join("l2"),
            tmp.path().join("upper"),
        );
        lower(&l1);
        fs::create_dir_all(l2.join("etc")).unwrap();
        whiteout(&l2.join("etc/group"));
        fs::create_dir_all(up.join("etc")).unwrap();
        fs::write(up.join("etc/group"), b"again").unwrap();
        fs::write(up.join("etc/passwd"), b"changed").unwrap();
        let got = lines(&up, &[l2, l1]);
        assert!(got.contains(&"A /etc/group".to_string()), "{got:?}");
        assert!(got.contains(&"C /etc/passwd".to_string()), "{got:?}");
    }

    #[test]
    fn a_symlinked_lower_directory_is_never_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let (lo, up, host) = (
            tmp.path().join("lower"),
            tmp.path().join("upper"),
            tmp.path().join("host"),
        );
        fs::create_dir_all(host.join("secret")).unwrap();
        fs::create_dir_all(&lo).unwrap();
        std::os::unix::fs::symlink(&host, lo.join("d")).unwrap();
        fs::create_dir_all(up.join("d")).unwrap();
        fs::write(up.join("d/secret"), b"x").unwrap();
        // Through the link the host has d/secret; beneath the layer, d is a
        // symlink and nothing is under it.
        assert_eq!(
            lines(&up, std::slice::from_ref(&lo)),
            ["C /d", "A /d/secret"]
        );
    }
}
