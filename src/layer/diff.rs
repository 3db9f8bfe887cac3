//! Diff: an overlay upper directory becomes an OCI layer tar, in one walk.
//! Overlay whiteouts (0:0 character devices) become `.wh.NAME` entries and
//! opaque directories (`user.overlay.opaque=y`) get a `.wh..wh..opq` entry.
//! Entries are sorted and mtimes clamped to `epoch` when given, so the same
//! tree gives the same bytes (reproducible builds).

use anyhow::{Context, Result};
use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;
use tar::{EntryType, Header};

pub struct DiffOptions<'a> {
    /// Maps a file's (uid, gid) as seen here to the ids the image records.
    pub owner: &'a dyn Fn(u32, u32) -> (u32, u32),
    /// Clamp mtimes to this (SOURCE_DATE_EPOCH / --timestamp).
    pub epoch: Option<i64>,
}

/// Writes the tar of `upper` to `out`; returns the number of entries.
pub fn diff(upper: &Path, out: impl Write, opts: &DiffOptions) -> Result<u64> {
    let mut tar = tar::Builder::new(out);
    tar.mode(tar::HeaderMode::Complete);
    let mut links: HashMap<(u64, u64), String> = HashMap::new();
    let mut n = 0;
    walk(upper, "", &mut tar, opts, &mut links, &mut n)?;
    tar.finish().context("writing the layer tar")?;
    Ok(n)
}

fn walk<W: Write>(
    dir: &Path,
    prefix: &str,
    tar: &mut tar::Builder<W>,
    opts: &DiffOptions,
    links: &mut HashMap<(u64, u64), String>,
    n: &mut u64,
) -> Result<()> {
    let mut names: Vec<_> = fs::read_dir(dir)
        .with_context(|| format!("reading `{}`", dir.display()))?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<std::io::Result<_>>()?;
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let name = name.to_string_lossy();
        let rel = format!("{prefix}{name}");
        let meta = fs::symlink_metadata(&path)?;
        let ft = meta.file_type();
        let (uid, gid) = (opts.owner)(meta.uid(), meta.gid());
        let mtime = match opts.epoch {
            Some(e) => meta.mtime().min(e),
            None => meta.mtime(),
        }
        .max(0) as u64;
        let mut h = Header::new_gnu();
        h.set_uid(uid.into());
        h.set_gid(gid.into());
        h.set_mtime(mtime);
        h.set_mode(meta.mode() & 0o7777);
        *n += 1;
        if ft.is_char_device() && meta.rdev() == 0 {
            let wh = match rel.rsplit_once('/') {
                Some((d, b)) => format!("{d}/.wh.{b}"),
                None => format!(".wh.{rel}"),
            };
            h.set_entry_type(EntryType::Regular);
            h.set_size(0);
            h.set_mode(0o600);
            tar.append_data(&mut h, &wh, std::io::empty())?;
        } else if ft.is_dir() {
            h.set_entry_type(EntryType::Directory);
            h.set_size(0);
            tar.append_data(&mut h, format!("{rel}/"), std::io::empty())?;
            if is_opaque(&path) {
                let mut o = Header::new_gnu();
                o.set_entry_type(EntryType::Regular);
                o.set_size(0);
                o.set_mode(0o600);
                o.set_mtime(mtime);
                tar.append_data(&mut o, format!("{rel}/.wh..wh..opq"), std::io::empty())?;
            }
            walk(&path, &format!("{rel}/"), tar, opts, links, n)?;
        } else if ft.is_symlink() {
            h.set_entry_type(EntryType::Symlink);
            h.set_size(0);
            tar.append_link(&mut h, &rel, fs::read_link(&path)?)?;
        } else if ft.is_file() {
            if meta.nlink() > 1 {
                if let Some(first) = links.get(&(meta.dev(), meta.ino())) {
                    h.set_entry_type(EntryType::Link);
                    h.set_size(0);
                    tar.append_link(&mut h, &rel, first)?;
                    continue;
                }
                links.insert((meta.dev(), meta.ino()), rel.clone());
            }
            h.set_entry_type(EntryType::Regular);
            h.set_size(meta.len());
            let f =
                fs::File::open(&path).with_context(|| format!("reading `{}`", path.display()))?;
            tar.append_data(&mut h, &rel, f)?;
        } else if ft.is_fifo() {
            h.set_entry_type(EntryType::Fifo);
            h.set_size(0);
            tar.append_data(&mut h, &rel, std::io::empty())?;
        } else if ft.is_char_device() || ft.is_block_device() {
            h.set_entry_type(if ft.is_char_device() {
                EntryType::Char
            } else {
                EntryType::Block
            });
            h.set_size(0);
            let rdev = meta.rdev();
            h.set_device_major(nix::sys::stat::major(rdev) as u32)?;
            h.set_device_minor(nix::sys::stat::minor(rdev) as u32)?;
            tar.append_data(&mut h, &rel, std::io::empty())?;
        }
        // Sockets cannot be stored in a layer; they are skipped.
    }
    Ok(())
}

/// Whether overlayfs (mounted with userxattr) sees directory `p` as opaque.
pub fn is_opaque(p: &Path) -> bool {
    fs::File::open(p)
        .ok()
        .and_then(|f| {
            crate::sys::fs::fgetxattr(std::os::fd::AsFd::as_fd(&f), c"user.overlay.opaque")
                .ok()
                .flatten()
        })
        .is_some_and(|v| v == b"y")
}

#[cfg(test)]
mod diff_tests {
    use super::*;
    use crate::layer::{ApplyOptions, Ownership, apply};

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
