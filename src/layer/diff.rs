//! Diff: an overlay upper directory becomes an OCI layer tar, in one walk.
//! Overlay whiteouts (0:0 character devices) become `.wh.NAME` entries and
//! opaque directories (`user.overlay.opaque=y`) get a `.wh..wh..opq` entry.
//! Entries are sorted and mtimes clamped to `epoch` when given, so the same
//! tree gives the same bytes (reproducible builds).

use anyhow::{Context, Result, bail};
use nix::dir::Dir;
use nix::fcntl::{AtFlags, OFlag, openat, readlinkat};
use nix::sys::stat::{Mode, SFlag, fstat, fstatat};
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use tar::{EntryType, Header};

pub struct DiffOptions<'a> {
    /// Maps a file's (uid, gid) as seen here to the ids the image records.
    pub owner: &'a dyn Fn(u32, u32) -> (u32, u32),
    /// Clamp mtimes to this (SOURCE_DATE_EPOCH / --timestamp).
    pub epoch: Option<i64>,
}

/// Writes the tar of `upper` to `out`; returns the number of entries.
///
/// The upper dir is a container's: every entry is reached from its parent's
/// fd (`openat` with `O_NOFOLLOW`, `fstatat`/`readlinkat` on the name), so a
/// symlink there is stored as a link and never followed to the host.
pub fn diff(upper: &Path, out: impl Write, opts: &DiffOptions) -> Result<u64> {
    let mut tar = tar::Builder::new(out);
    tar.mode(tar::HeaderMode::Complete);
    let mut links: HashMap<(u64, u64), String> = HashMap::new();
    let mut n = 0;
    let root = nix::fcntl::open(upper, DIR_FLAGS, Mode::empty())
        .with_context(|| format!("opening `{}`", upper.display()))?;
    walk(root, upper, "", &mut tar, opts, &mut links, &mut n)?;
    tar.finish().context("writing the layer tar")?;
    Ok(n)
}

/// A directory opened to be listed, never through a symlink.
const DIR_FLAGS: OFlag = OFlag::O_RDONLY
    .union(OFlag::O_DIRECTORY)
    .union(OFlag::O_NOFOLLOW)
    .union(OFlag::O_CLOEXEC);

fn walk<W: Write>(
    dir: OwnedFd,
    upper: &Path,
    prefix: &str,
    tar: &mut tar::Builder<W>,
    opts: &DiffOptions,
    links: &mut HashMap<(u64, u64), String>,
    n: &mut u64,
) -> Result<()> {
    let shown = || upper.join(prefix).display().to_string();
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
    let dir = listing.as_fd();
    for name in names {
        let rel = format!("{prefix}{}", name.to_string_lossy());
        let st = fstatat(dir, name.as_os_str(), AtFlags::AT_SYMLINK_NOFOLLOW)
            .with_context(|| format!("`{}`", upper.join(&rel).display()))?;
        let kind = SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT;
        let (uid, gid) = (opts.owner)(st.st_uid, st.st_gid);
        let mtime = match opts.epoch {
            Some(e) => st.st_mtime.min(e),
            None => st.st_mtime,
        }
        .max(0) as u64;
        let mut h = Header::new_gnu();
        h.set_uid(uid.into());
        h.set_gid(gid.into());
        h.set_mtime(mtime);
        h.set_mode(st.st_mode & 0o7777);
        *n += 1;
        if kind == SFlag::S_IFCHR && st.st_rdev == 0 {
            let wh = match rel.rsplit_once('/') {
                Some((d, b)) => format!("{d}/.wh.{b}"),
                None => format!(".wh.{rel}"),
            };
            h.set_entry_type(EntryType::Regular);
            h.set_size(0);
            h.set_mode(0o600);
            tar.append_data(&mut h, &wh, std::io::empty())?;
        } else if kind == SFlag::S_IFDIR {
            // O_NOFOLLOW: had the name become a symlink since the stat, the
            // open fails instead of listing what it points to.
            let sub = openat(dir, name.as_os_str(), DIR_FLAGS, Mode::empty())
                .with_context(|| format!("reading `{}`", upper.join(&rel).display()))?;
            h.set_entry_type(EntryType::Directory);
            h.set_size(0);
            tar.append_data(&mut h, format!("{rel}/"), std::io::empty())?;
            if crate::sys::fs::is_overlay_opaque_fd(sub.as_fd()) {
                let mut o = Header::new_gnu();
                o.set_entry_type(EntryType::Regular);
                o.set_size(0);
                o.set_mode(0o600);
                o.set_mtime(mtime);
                tar.append_data(&mut o, format!("{rel}/.wh..wh..opq"), std::io::empty())?;
            }
            walk(sub, upper, &format!("{rel}/"), tar, opts, links, n)?;
        } else if kind == SFlag::S_IFLNK {
            h.set_entry_type(EntryType::Symlink);
            h.set_size(0);
            let target = readlinkat(dir, name.as_os_str())
                .with_context(|| format!("`{}`", upper.join(&rel).display()))?;
            tar.append_link(&mut h, &rel, target)?;
        } else if kind == SFlag::S_IFREG {
            let ino = (st.st_dev, st.st_ino);
            if st.st_nlink > 1 {
                if let Some(first) = links.get(&ino) {
                    h.set_entry_type(EntryType::Link);
                    h.set_size(0);
                    tar.append_link(&mut h, &rel, first)?;
                    continue;
                }
                links.insert(ino, rel.clone());
            }
            // O_NONBLOCK: a name swapped for a FIFO must not hang the diff;
            // the fstat below then refuses anything but the file we stat'ed.
            let fd = openat(
                dir,
                name.as_os_str(),
                OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .with_context(|| format!("reading `{}`", upper.join(&rel).display()))?;
            let now = fstat(&fd)?;
            if (now.st_dev, now.st_ino) != ino {
                bail!("`{}` changed while it was read", upper.join(&rel).display());
            }
            h.set_entry_type(EntryType::Regular);
            h.set_size(st.st_size as u64);
            tar.append_data(&mut h, &rel, std::fs::File::from(fd))?;
        } else if kind == SFlag::S_IFIFO {
            h.set_entry_type(EntryType::Fifo);
            h.set_size(0);
            tar.append_data(&mut h, &rel, std::io::empty())?;
        } else if kind == SFlag::S_IFCHR || kind == SFlag::S_IFBLK {
            h.set_entry_type(if kind == SFlag::S_IFCHR {
                EntryType::Char
            } else {
                EntryType::Block
            });
            h.set_size(0);
            let rdev = st.st_rdev;
            h.set_device_major(nix::sys::stat::major(rdev) as u32)?;
            h.set_device_minor(nix::sys::stat::minor(rdev) as u32)?;
            tar.append_data(&mut h, &rel, std::io::empty())?;
        }
        // Sockets cannot be stored in a layer; they are skipped.
    }
    Ok(())
}

#[cfg(test)]
mod diff_tests {
    use super::*;
    use crate::layer::{ApplyOptions, Ownership, apply};
    use std::fs;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};

    #[test]
    fn a_symlink_in_the_upper_is_stored_as_a_link_never_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let up = tmp.path().join("upper");
        let host = tmp.path().join("host");
        fs::create_dir_all(&up).unwrap();
        fs::create_dir_all(&host).unwrap();
        fs::write(host.join("secret"), b"host file").unwrap();
        std::os::unix::fs::symlink(&host, up.join("dir")).unwrap();
        std::os::unix::fs::symlink(host.join("secret"), up.join("file")).unwrap();
        let mut bytes = Vec::new();
        diff(
            &up,
            &mut bytes,
            &DiffOptions {
                owner: &same,
                epoch: None,
            },
        )
        .unwrap();
        let mut ar = tar::Archive::new(&bytes[..]);
        let mut seen = Vec::new();
        for e in ar.entries().unwrap() {
            let e = e.unwrap();
            assert_eq!(e.header().entry_type(), EntryType::Symlink);
            seen.push(e.path().unwrap().to_string_lossy().into_owned());
        }
        assert_eq!(seen, ["dir", "file"]);
        assert!(!bytes.windows(9).any(|w| w == b"host file"));
    }

    fn same(u: u32, g: u32) -> (u32, u32) {
        (u, g)
    }

    #[test]
    fn diff_then_apply_round_trips_whiteouts_links_and_opaque_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        let up = tmp.path().join("upper");
        fs::create_dir_all(up.join("d/sub")).unwrap();
        fs::write(up.join("d/sub/f"), b"hello").unwrap();
        fs::hard_link(up.join("d/sub/f"), up.join("d/hl")).unwrap();
        std::os::unix::fs::symlink("sub/f", up.join("d/ln")).unwrap();
        nix::sys::stat::mknod(
            &up.join("gone"),
            nix::sys::stat::SFlag::S_IFCHR,
            nix::sys::stat::Mode::empty(),
            0,
        )
        .unwrap();
        let mut tar_bytes = Vec::new();
        diff(
            &up,
            &mut tar_bytes,
            &DiffOptions {
                owner: &same,
                epoch: Some(0),
            },
        )
        .unwrap();
        let names: Vec<String> = tar::Archive::new(&tar_bytes[..])
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["d/", "d/hl", "d/ln", "d/sub/", "d/sub/f", ".wh.gone"]
        );
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        let own = if nix::unistd::geteuid().is_root() {
            Ownership::Preserve
        } else {
            Ownership::Xattr
        };
        apply(&tar_bytes[..], &out, &ApplyOptions { ownership: own }).unwrap();
        assert_eq!(fs::read(out.join("d/sub/f")).unwrap(), b"hello");
        assert_eq!(
            fs::metadata(out.join("d/hl")).unwrap().ino(),
            fs::metadata(out.join("d/sub/f")).unwrap().ino()
        );
        assert!(
            fs::symlink_metadata(out.join("gone"))
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }

    #[test]
    fn the_same_tree_gives_the_same_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir(tmp.path().join("a")).unwrap();
        fs::write(tmp.path().join("a/x"), b"1").unwrap();
        let run = || {
            let mut v = Vec::new();
            diff(
                tmp.path(),
                &mut v,
                &DiffOptions {
                    owner: &same,
                    epoch: Some(1),
                },
            )
            .unwrap();
            v
        };
        let first = run();
        filetime_touch(&tmp.path().join("a/x"));
        assert_eq!(first, run());
    }

    fn filetime_touch(p: &Path) {
        let now = nix::sys::time::TimeSpec::new(2_000_000_000, 0);
        nix::sys::stat::utimensat(
            nix::fcntl::AT_FDCWD,
            p,
            &now,
            &now,
            nix::sys::stat::UtimensatFlags::NoFollowSymlink,
        )
        .unwrap();
    }
}
