//! The mount points of berth's /etc files, made once per store instead of
//! once per container: a small read-only layer (`<root>/mountpoints/<name>/
//! etc/{hostname,hosts,resolv.conf}`, empty files) stacked above the
//! image's layers, as Docker's "init" layer does. The binds of the
//! container's /etc files then find their mount points in place.
//!
//! Without it each container made them in its writable layer: overlayfs
//! copied /etc up and three files were created there, and removed again
//! with the container — ~0.4 ms of mounts and ~0.3 ms of removal in each
//! `run --rm` of an image without those files (this machine, interleaved).
//!
//! Used only where the container sees what it saw before: the image's /etc
//! (the top-most layer's entry, looked at without following anything) is a
//! directory, or absent (the container would have made one); it belongs to
//! the host ids the container's root maps to, which is who makes this layer
//! (and, without an id range, berth's recorded ids say it is root's); its
//! mode and mtime are kept (they are part of the layer's name, so `diff`
//! and a copy-up see the image's); and it holds only the files no layer of
//! the image has (an image's own /etc/hosts stays what `export`, `cp` and a
//! volume's seeding read). A symlinked /etc, one of other owners, a user's
//! mount on / or /etc, or any error here: the container makes its mount
//! points as before. A `commit` drops the layer from the container (it
//! would sit above the committed one).

use crate::ident::idmap::IdMapping;
use anyhow::{Context, Result};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The layer holding `/etc/<name>` for each of `names` over `layers` (top
/// first), made under `dir` when missing; None where it must not be used.
pub fn ensure(
    dir: &Path,
    layers: &[PathBuf],
    mapping: &IdMapping,
    names: &[&str],
) -> Option<PathBuf> {
    let owner = root_owner(mapping)?;
    let etc = image_etc(layers, owner, !mapping.has_range())?;
    let names = not_in_image(layers, names);
    if names.is_empty() {
        return None;
    }
    let path = dir.join(format!(
        "etc-{:04o}-{}.{:09}-{}",
        etc.mode,
        etc.mtime.0,
        etc.mtime.1,
        names.join("-")
    ));
    if path.is_dir() {
        return Some(path);
    }
    match make(dir, &path, &etc, &names) {
        Ok(()) => Some(path),
        Err(e) => {
            log::debug!("making `{}`: {e:#}", path.display());
            None
        }
    }
}

/// The host uid and gid the container's root maps to, when they are this
/// process's own: the owner of what it makes.
fn root_owner(mapping: &IdMapping) -> Option<(u32, u32)> {
    let host_of_root = |ranges: &[crate::ident::idmap::IdRange]| {
        ranges
            .iter()
            .find(|r| r.container == 0 && r.size > 0)
            .map(|r| r.host)
    };
    let uid = nix::unistd::geteuid().as_raw();
    let gid = nix::unistd::getegid().as_raw();
    (host_of_root(&mapping.uids)? == uid && host_of_root(&mapping.gids)? == gid)
        .then_some((uid, gid))
}

/// What the layer's /etc copies from the image's.
struct Etc {
    mode: u32,
    /// Seconds and nanoseconds.
    mtime: (i64, i64),
}

/// The container would make /etc itself: 0755, and its time is its own.
const MADE: Etc = Etc {
    mode: 0o755,
    mtime: (0, 0),
};

/// Those of `names` no layer of the image has as an entry `etc/<name>`
/// under an `etc` that is a directory (a whiteout counts as one: the
/// container would make the file, as it did before). Never through a
/// symlink: `etc` is opened as a directory without following it, once per
/// layer, and the names are looked at beneath it, not followed.
fn not_in_image<'a>(layers: &[PathBuf], names: &[&'a str]) -> Vec<&'a str> {
    let mut missing = names.to_vec();
    for layer in layers {
        if missing.is_empty() {
            break;
        }
        let Ok(etc) = open_dir(&layer.join("etc")) else {
            continue;
        };
        missing.retain(|name| {
            matches!(
                nix::sys::stat::fstatat(&etc, *name, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW),
                Err(nix::errno::Errno::ENOENT)
            )
        });
    }
    missing
}

/// The names of berth's /etc files among `mounts` (their destinations'
/// last components), which the layer holds mount points for.
pub fn names<'a>(mounts: impl IntoIterator<Item = &'a oci_spec::runtime::Mount>) -> Vec<&'a str> {
    (mounts.into_iter())
        .filter_map(|m| m.destination().file_name()?.to_str())
        .collect()
}

/// `path` opened as a directory, never through a symlink at its end (a
/// container's upper may be one of the layers, `commit` looks at it).
fn open_dir(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// The layer again for a container whose writable layer `upper` becomes
/// its top layer (`commit`), over it and the layers `below`: the layer it
/// had (`current`) would show the image's /etc over the committed one.
pub fn over_committed(
    current: &Path,
    upper: &Path,
    below: &[PathBuf],
    names: &[&str],
) -> Option<PathBuf> {
    let mapping = IdMapping::for_current_user().ok()?;
    let layers: Vec<PathBuf> = std::iter::once(upper.to_path_buf())
        .chain(below.iter().cloned())
        .collect();
    ensure(current.parent()?, &layers, &mapping, names)
}

/// The image's /etc when the layer may stand in for it: the top-most entry
/// named `etc` is a directory of `owner`, or there is none (or a whiteout).
/// `recorded`: layers unpacked without an id range keep an entry's ids in
/// `user.berth.uid`/`gid` (every file is the user's on disk); those must
/// say root, or be absent.
fn image_etc(layers: &[PathBuf], owner: (u32, u32), recorded: bool) -> Option<Etc> {
    for layer in layers {
        // Not followed: an image's `etc` symlink is seen as one.
        let st = match std::fs::symlink_metadata(layer.join("etc")) {
            Ok(st) => st,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(_) => return None,
        };
        let ft = st.file_type();
        if ft.is_char_device() && st.rdev() == 0 {
            return Some(MADE);
        }
        if !ft.is_dir() || (st.uid(), st.gid()) != owner {
            return None;
        }
        if recorded && !recorded_root(&layer.join("etc"))? {
            return None;
        }
        return Some(Etc {
            mode: st.mode() & 0o7777,
            mtime: (st.mtime(), st.mtime_nsec()),
        });
    }
    Some(MADE)
}

/// Whether the ids berth recorded on `dir` (none: its owner's) are root's;
/// None when they cannot be read.
fn recorded_root(dir: &Path) -> Option<bool> {
    let f = open_dir(dir).ok()?;
    for name in [c"user.berth.uid", c"user.berth.gid"] {
        match crate::sys::fs::fgetxattr(std::os::fd::AsFd::as_fd(&f), name).ok()? {
            Some(v) if v != b"0" => return Some(false),
            _ => {}
        }
    }
    Some(true)
}

/// Makes the layer in a temporary directory and renames it into place
/// whole; a racing berth's finished one is as good as ours.
fn make(dir: &Path, path: &Path, image: &Etc, names: &[&str]) -> Result<()> {
    crate::layout::private_dir(dir)?;
    let tmp = tempfile::Builder::new()
        .prefix(crate::layout::TMP_PREFIX)
        .tempdir_in(dir)
        .with_context(|| format!("creating a temporary directory in `{}`", dir.display()))?;
    let etc = tmp.path().join("etc");
    std::fs::create_dir(&etc)?;
    // Set, not asked of mkdir: the umask would take bits off.
    std::fs::set_permissions(&etc, std::fs::Permissions::from_mode(image.mode))?;
    for name in names {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(etc.join(name))?
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    // Last: making the files moved it.
    let (secs, nanos) = image.mtime;
    let mtime = std::time::UNIX_EPOCH
        + std::time::Duration::new(secs.max(0) as u64, nanos.clamp(0, 999_999_999) as u32);
    std::fs::File::open(&etc)?
        .set_times(std::fs::FileTimes::new().set_modified(mtime))
        .context("setting the time of its /etc")?;
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755))?;
    match std::fs::rename(tmp.path(), path) {
        Ok(()) => {
            let _ = tmp.keep();
            Ok(())
        }
        Err(_) if path.is_dir() => Ok(()),
        Err(e) => Err(e).with_context(|| format!("renaming into `{}`", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own_mapping() -> IdMapping {
        let uid = nix::unistd::geteuid().as_raw();
        IdMapping::single(uid, nix::unistd::getegid().as_raw())
    }

    const ALL: [&str; 3] = ["hostname", "hosts", "resolv.conf"];

    #[test]
    fn the_layer_holds_empty_files_in_an_etc_with_the_images_mode_and_time() {
        let d = tempfile::tempdir().unwrap();
        let image = d.path().join("image");
        std::fs::create_dir_all(image.join("etc")).unwrap();
        std::fs::set_permissions(image.join("etc"), std::fs::Permissions::from_mode(0o750))
            .unwrap();
        let mp = d.path().join("mountpoints");
        let layer = ensure(&mp, std::slice::from_ref(&image), &own_mapping(), &ALL).unwrap();
        let etc = std::fs::metadata(layer.join("etc")).unwrap();
        let theirs = std::fs::metadata(image.join("etc")).unwrap();
        assert_eq!(etc.mode() & 0o7777, 0o750);
        assert_eq!(
            (etc.mtime(), etc.mtime_nsec()),
            (theirs.mtime(), theirs.mtime_nsec())
        );
        for n in ALL {
            let f = std::fs::symlink_metadata(layer.join("etc").join(n)).unwrap();
            assert!(f.is_file() && f.len() == 0, "{n}");
        }
        // Made once: the next container gets the same layer.
        assert_eq!(ensure(&mp, &[image], &own_mapping(), &ALL), Some(layer));
    }

    #[test]
    fn an_image_whose_etc_is_a_symlink_or_absent_is_told_apart() {
        let d = tempfile::tempdir().unwrap();
        let (top, below) = (d.path().join("top"), d.path().join("below"));
        std::fs::create_dir_all(&top).unwrap();
        std::fs::create_dir_all(below.join("usr/etc")).unwrap();
        std::os::unix::fs::symlink("usr/etc", below.join("etc")).unwrap();
        let mp = d.path().join("mountpoints");
        // The top layer has no etc: the one below decides, and a symlink
        // would be hidden by the layer's directory.
        assert_eq!(
            ensure(&mp, &[top.clone(), below], &own_mapping(), &ALL),
            None
        );
        // No layer has one: the container would make it, 0755.
        let layer = ensure(&mp, &[top], &own_mapping(), &ALL).unwrap();
        assert_eq!(
            std::fs::metadata(layer.join("etc")).unwrap().mode() & 0o7777,
            0o755
        );
    }

    #[test]
    fn only_the_files_asked_for_are_there() {
        let d = tempfile::tempdir().unwrap();
        let mp = d.path().join("mountpoints");
        let layer = ensure(&mp, &[], &own_mapping(), &["hosts"]).unwrap();
        let names: Vec<_> = std::fs::read_dir(layer.join("etc"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["hosts"]);
        assert_eq!(ensure(&mp, &[], &own_mapping(), &[]), None);
    }

    #[test]
    fn a_root_that_is_not_this_user_gets_no_layer() {
        let d = tempfile::tempdir().unwrap();
        let mut m = own_mapping();
        m.uids[0].container = 1000; // --userns=keep-id: root is another host id
        assert_eq!(ensure(&d.path().join("mp"), &[], &m, &ALL), None);
    }

    #[test]
    fn an_images_own_files_are_not_hidden() {
        let d = tempfile::tempdir().unwrap();
        let (top, below) = (d.path().join("top"), d.path().join("below"));
        std::fs::create_dir_all(top.join("etc")).unwrap();
        std::fs::create_dir_all(below.join("etc")).unwrap();
        std::fs::write(below.join("etc/hosts"), "10.0.0.1 db\n").unwrap();
        let mp = d.path().join("mountpoints");
        let layer = ensure(&mp, &[top.clone(), below.clone()], &own_mapping(), &ALL).unwrap();
        let mut names: Vec<_> = std::fs::read_dir(layer.join("etc"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["hostname", "resolv.conf"]);
        // All three the image's own: no layer.
        for n in ["hostname", "resolv.conf"] {
            std::fs::write(top.join("etc").join(n), "x").unwrap();
        }
        assert_eq!(ensure(&mp, &[top, below], &own_mapping(), &ALL), None);
    }

    #[test]
    fn without_a_range_the_recorded_owner_of_etc_decides() {
        let d = tempfile::tempdir().unwrap();
        let image = d.path().join("image");
        std::fs::create_dir_all(image.join("etc")).unwrap();
        let mp = d.path().join("mountpoints");
        let etc = std::fs::File::open(image.join("etc")).unwrap();
        let fd = std::os::fd::AsFd::as_fd(&etc);
        crate::sys::fs::fsetxattr(fd, c"user.berth.uid", b"0").unwrap();
        assert!(ensure(&mp, std::slice::from_ref(&image), &own_mapping(), &ALL).is_some());
        crate::sys::fs::fsetxattr(fd, c"user.berth.uid", b"1000").unwrap();
        assert_eq!(ensure(&mp, &[image], &own_mapping(), &ALL), None);
    }
}
