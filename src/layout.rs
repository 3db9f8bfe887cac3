//! Where berth keeps things. Picks the root (`--root`, `$BERTH_ROOT`, XDG)
//! and names every path under it; nothing else joins these names. Also the
//! ways berth writes there: atomic replace (temporary name, fsync, rename),
//! private (0700) directories, flocks.
//!
//! ```text
//! <root>/store/                  OCI image layout (oci-layout, index.json, blobs/sha256/)
//! <root>/layers/<chain>/         an unpacked layer (an overlay lowerdir)
//! <root>/layers/<chain>.json     its record: diffID, size, id mapping
//! <root>/layers/.tmp-*           scratch: layers being unpacked, build steps' dirs
//! <root>/cache/<key>             build cache: a step's key → its layer
//! <root>/cache-mounts/<id>[.lock] RUN --mount=type=cache directories
//! <root>/volumes/<name>/_data    named volumes
//! <root>/volumes/<name>/volume.json  a volume's record: created, labels
//! <root>/containers/<id>/        meta.json, upper/, work/, rootfs/, etc files
//! <root>/mountpoints/etc-*/      shared layers of empty /etc files, bound over (spec::mountpoints)
//! <root>/seccomp/<key>           the default seccomp profile, compiled (spec::seccomp_cache)
//! <root>/blob-info.json         compressed forms of layers, where blobs were
//!                                seen in registries, images' repo digests
//! <root>/name-history.jsonl      every change of what a name points to
//! <root>/store.lock              the index lock (exclusive)
//! <root>/work.lock               shared while temporary files are written,
//!                                exclusive for `system prune`
//! ```
//!
//! Temporary names start with [`TMP_PREFIX`] so a crash leaves garbage that
//! `system check` recognises. Ranks just above `sys`: std, nix and sys only.

use anyhow::{Context, Result};
use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Temporary files and directories under the root start with this.
pub const TMP_PREFIX: &str = ".tmp-";

/// The paths under one root.
#[derive(Clone, Debug)]
pub struct Layout {
    root: PathBuf,
}

/// A relative root (`--root rel`, `BERTH_ROOT=rel`) as the real path it
/// names from the working directory, once, here: the container's monitor
/// and helpers run elsewhere, and paths under the root go into its records
/// (so no `..` through a directory that may go away either). A root that
/// does not exist yet is its parent's real path and its name.
fn settled(p: PathBuf) -> PathBuf {
    if p.is_absolute() {
        return p;
    }
    if let Ok(real) = std::fs::canonicalize(&p) {
        return real;
    }
    let abs = std::path::absolute(&p).unwrap_or(p);
    match (abs.parent(), abs.file_name()) {
        (Some(dir), Some(name)) => std::fs::canonicalize(dir)
            .map(|d| d.join(name))
            .unwrap_or(abs),
        _ => abs,
    }
}

impl Layout {
    pub fn new(root: impl Into<PathBuf>) -> Layout {
        Layout { root: root.into() }
    }

    /// The root directory: `--root`, else `$BERTH_ROOT`, else
    /// `$XDG_DATA_HOME/berth` (`~/.local/share/berth`), or `/var/lib/berth` for uid 0.
    pub fn pick(flag: Option<PathBuf>) -> Layout {
        if let Some(p) = flag {
            return Layout::new(settled(p));
        }
        if let Some(p) = std::env::var_os("BERTH_ROOT").filter(|p| !p.is_empty()) {
            return Layout::new(settled(p.into()));
        }
        if nix::unistd::geteuid().is_root() {
            return Layout::new("/var/lib/berth");
        }
        // A relative XDG_DATA_HOME is invalid and to be ignored (the XDG
        // base directory spec).
        if let Some(p) = std::env::var_os("XDG_DATA_HOME").filter(|p| Path::new(p).is_absolute()) {
            return Layout::new(PathBuf::from(p).join("berth"));
        }
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/"));
        Layout::new(home.join(".local/share/berth"))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<root>/store`: the OCI image layout.
    pub fn store(&self) -> PathBuf {
        self.root.join("store")
    }

    /// `<root>/store/index.json`: the tags; its presence marks a made store.
    pub fn store_index(&self) -> PathBuf {
        self.store().join("index.json")
    }

    /// `<root>/store/oci-layout`
    pub fn store_oci_layout(&self) -> PathBuf {
        self.store().join("oci-layout")
    }

    /// `<root>/store/blobs/sha256`
    pub fn blobs(&self) -> PathBuf {
        self.store().join("blobs/sha256")
    }

    /// `<root>/store/blobs/sha256/<hex>`
    pub fn blob(&self, hex: &str) -> PathBuf {
        self.blobs().join(hex)
    }

    /// `<root>/layers`: unpacked layers, their records, and scratch
    /// directories (on the layers' filesystem, so a finished one is renamed
    /// into place, not copied).
    pub fn layers(&self) -> PathBuf {
        self.root.join("layers")
    }

    /// `<root>/layers/<chain>`: an unpacked layer, usable as an overlay lowerdir.
    pub fn layer(&self, chain_hex: &str) -> PathBuf {
        self.layers().join(chain_hex)
    }

    /// `<root>/layers/<chain>.json`: what the layer is and how it was unpacked.
    pub fn layer_record(&self, chain_hex: &str) -> PathBuf {
        self.layers().join(format!("{chain_hex}.json"))
    }

    /// A new, empty scratch directory `<root>/layers/.tmp-*`, kept until
    /// the caller removes or renames it (garbage if we crash).
    pub fn scratch_dir(&self) -> Result<PathBuf> {
        let layers = self.layers();
        Ok(tempfile::Builder::new()
            .prefix(TMP_PREFIX)
            .tempdir_in(&layers)
            .with_context(|| format!("creating a scratch directory in `{}`", layers.display()))?
            .keep())
    }

    /// `<root>/cache`: the build cache, one file per step key.
    pub fn cache(&self) -> PathBuf {
        self.root.join("cache")
    }

    /// `<root>/cache/<hex>`: the layer a step with key hash `hex` made.
    pub fn cache_entry(&self, hex: &str) -> PathBuf {
        self.cache().join(hex)
    }

    /// `<root>/sbom`: what `berth sbom` read from each layer, one file per
    /// diffID (layers are immutable, so an entry never goes stale).
    pub fn sbom_cache(&self) -> PathBuf {
        self.root.join("sbom")
    }

    /// `<root>/sbom/<diffid hex>.json`
    pub fn sbom_cache_entry(&self, diff_id_hex: &str) -> PathBuf {
        self.sbom_cache().join(format!("{diff_id_hex}.json"))
    }

    /// `<root>/cache-mounts`: the `RUN --mount=type=cache` directories.
    pub fn cache_mounts(&self) -> PathBuf {
        self.root.join("cache-mounts")
    }

    /// `<root>/cache-mounts/<hex>`: the cache mount whose id hashes to `hex`.
    pub fn cache_mount(&self, hex: &str) -> PathBuf {
        self.cache_mounts().join(hex)
    }

    /// `<root>/cache-mounts/<hex>.lock`: held by a `sharing=locked` RUN.
    pub fn cache_mount_lock(&self, hex: &str) -> PathBuf {
        self.cache_mounts().join(format!("{hex}.lock"))
    }

    /// `<root>/mountpoints`: the shared layers that hold the mount points
    /// of containers' /etc files (see `spec::mountpoints`).
    pub fn mountpoints(&self) -> PathBuf {
        self.root.join("mountpoints")
    }

    /// `<root>/seccomp`: the default seccomp profile as this berth binary
    /// compiled it (see `spec::seccomp_cache`).
    pub fn seccomp_cache(&self) -> PathBuf {
        self.root.join("seccomp")
    }

    /// `<root>/volumes`
    pub fn volumes(&self) -> PathBuf {
        self.root.join("volumes")
    }

    /// `<root>/containers`
    pub fn containers(&self) -> PathBuf {
        self.root.join("containers")
    }

    /// `<root>/containers.lock`: held while container names are checked and
    /// taken (beside the directory, so listing it shows containers only).
    pub fn containers_lock(&self) -> PathBuf {
        self.root.join("containers.lock")
    }

    /// `<root>/containers/<id>`: a container's record and its rootfs dirs.
    pub fn container(&self, id: &str) -> PathBuf {
        self.containers().join(id)
    }

    /// `<root>/containers/<id>/meta.json`
    pub fn container_meta(&self, id: &str) -> PathBuf {
        self.container(id).join("meta.json")
    }

    /// `<root>/containers/<id>/config.json`: the OCI runtime spec of a
    /// container made by `create`.
    pub fn container_config(&self, id: &str) -> PathBuf {
        self.container(id).join("config.json")
    }

    /// `<root>/containers/<id>/ctr.log`: its k8s-file log, unless the
    /// container was given `--log-opt path=`.
    pub fn container_log(&self, id: &str) -> PathBuf {
        self.container(id).join("ctr.log")
    }

    /// `<root>/containers/<id>/health.json`: its healthcheck's state.
    pub fn container_health(&self, id: &str) -> PathBuf {
        self.container(id).join("health.json")
    }

    /// `<root>/containers/<id>/{upper,work,rootfs}`: the overlay's upper and
    /// work directories and its mount point.
    pub fn container_rootfs_dirs(&self, id: &str) -> [PathBuf; 3] {
        let dir = self.container(id);
        [dir.join("upper"), dir.join("work"), dir.join("rootfs")]
    }

    /// `<root>/events`: the event log (`events.log`, and `events.log.1`
    /// once it was rotated), in a directory of its own so a follower's
    /// inotify watch wakes for it alone.
    pub fn events_dir(&self) -> PathBuf {
        self.root.join("events")
    }

    /// `<root>/blob-info.json`: what the store knows of blobs beyond their
    /// bytes (see `store::blobinfo`). Beside the OCI layout, not in it, so
    /// the layout stays what skopeo and umoci expect.
    pub fn blob_info(&self) -> PathBuf {
        self.root.join("blob-info.json")
    }

    /// `<root>/name-history.jsonl`: every change of what a name points to
    /// (see `store::history`). Beside the OCI layout, like blob-info.json.
    pub fn name_history(&self) -> PathBuf {
        self.root.join("name-history.jsonl")
    }

    /// `<root>/store.lock`: see `Store::lock`.
    pub fn store_lock(&self) -> PathBuf {
        self.root.join("store.lock")
    }

    /// `<root>/work.lock`: see `Store::work_lock`.
    pub fn work_lock(&self) -> PathBuf {
        self.root.join("work.lock")
    }

    /// `<root>/osv`: the default OSV database, what `berth scan --db-update`
    /// fetches into (`<ECOSYSTEM>/all.zip`) and the scan gate reads.
    pub fn osv_db(&self) -> PathBuf {
        self.root.join("osv")
    }

    /// `<root>/osv-index`: the indexes of OSV databases, one directory per
    /// database and version (see `vuln::db`).
    pub fn osv_index(&self) -> PathBuf {
        self.root.join("osv-index")
    }

    /// `<root>/scan-cache/<image id>-<db version>.json`: an image's findings
    /// against one database version, for the scan gate (see `vuln::gate`).
    pub fn scan_cache(&self, image_hex: &str, db_version: &str) -> PathBuf {
        self.scan_cache_dir()
            .join(format!("{image_hex}-{db_version}.json"))
    }

    /// `<root>/scan-cache`
    pub fn scan_cache_dir(&self) -> PathBuf {
        self.root.join("scan-cache")
    }
}

/// `<volumes>/<name>`: the named volume `name`'s directory (its `_data`
/// and its record), where `volumes` is [`Layout::volumes`].
pub fn volume_dir(volumes: &Path, name: &str) -> PathBuf {
    volumes.join(name)
}

/// `<volumes>/<name>/volume.json`: the named volume's record.
pub fn volume_record(volumes: &Path, name: &str) -> PathBuf {
    volume_dir(volumes, name).join("volume.json")
}

/// `<volumes>/<name>/_data`: what the named volume `name` mounts, where
/// `volumes` is [`Layout::volumes`].
pub fn volume_data(volumes: &Path, name: &str) -> PathBuf {
    volume_dir(volumes, name).join("_data")
}

/// A flock, held until dropped.
pub struct Lock {
    _flock: nix::fcntl::Flock<File>,
}

/// An exclusive flock on directory `path` itself. When another process
/// holds one: waits for it if `wait`, else None. The lock follows the
/// directory through renames, and a crash releases it.
pub fn lock_dir(path: &Path, wait: bool) -> Result<Option<Lock>> {
    let dir = File::open(path).with_context(|| format!("opening `{}`", path.display()))?;
    let how = if wait {
        nix::fcntl::FlockArg::LockExclusive
    } else {
        nix::fcntl::FlockArg::LockExclusiveNonblock
    };
    match nix::fcntl::Flock::lock(dir, how) {
        Ok(l) => Ok(Some(Lock { _flock: l })),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(None),
        Err((_, e)) => Err(e).with_context(|| format!("locking `{}`", path.display())),
    }
}

/// A flock on `path` (created 0600 if missing), held until the Lock is dropped.
pub fn flock(path: &Path, exclusive: bool) -> Result<Lock> {
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("opening `{}`", path.display()))?;
    let arg = if exclusive {
        nix::fcntl::FlockArg::LockExclusive
    } else {
        nix::fcntl::FlockArg::LockShared
    };
    let lock = nix::fcntl::Flock::lock(file, arg)
        .map_err(|(_, e)| e)
        .with_context(|| format!("locking `{}`", path.display()))?;
    Ok(Lock { _flock: lock })
}

/// Creates `dir` (and its parents) with mode 0700; an existing `dir` is left as it is.
/// Private: unpacked layers hold image files as they are (setuid binaries,
/// world-writable dirs, device nodes); no other local user may reach them.
pub fn private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating `{}`", dir.display()))
}

/// Writes `bytes` to `path` through a temporary file in the same directory,
/// fsynced, then renamed; the directory is fsynced so the rename survives a crash.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().context("path has no parent")?;
    synced_temp(dir, bytes)
        .with_context(|| format!("writing `{}`", path.display()))?
        .persist(path)
        .with_context(|| format!("renaming into `{}`", path.display()))?;
    sync_dir(dir)
}

/// A temporary file in `dir` holding `bytes`, fsynced and readable, for
/// the caller to rename into place.
fn synced_temp(dir: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile> {
    let mut tmp = tempfile::Builder::new()
        .prefix(TMP_PREFIX)
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in `{}`", dir.display()))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    set_readable(tmp.path())?;
    Ok(tmp)
}

/// As [`write_atomic`], but fails when `path` exists (`--cidfile`): the
/// file appears whole, and never over another.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let path = std::path::absolute(path)?;
    let dir = path.parent().context("path has no parent")?;
    synced_temp(dir, bytes)
        .with_context(|| format!("writing `{}`", path.display()))?
        .persist_noclobber(&path)
        .with_context(|| format!("creating `{}`", path.display()))?;
    sync_dir(dir)
}

/// Temp + rename without the syncs, the file kept 0600: for files in a
/// container's private directory, where kill -9 must leave the old or the
/// new content (the rename gives that) but a power cut may lose either, and
/// `run --rm` should not wait for the disk. On ext4 (`auto_da_alloc`, on by
/// default) a rename over an existing file allocates the new file's blocks
/// at once, so after a power cut the name holds one of the two whole.
pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = unsynced_temp(path, bytes)?;
    tmp.persist(path)
        .with_context(|| format!("renaming into `{}`", path.display()))?;
    Ok(())
}

/// [`replace_file`] for a file nothing needs after a power cut (the record
/// of an `--rm` container, whose writable layer does not survive one
/// either): an existing file is swapped out (RENAME_EXCHANGE) and the
/// temporary name, which then holds the old content, removed. No blocks are
/// allocated for it then; on this machine's disk (ext4 mounted `discard`,
/// which discards a freed block before `unlink` returns) a rename over the
/// record cost 0.1–0.4 ms, and removing a record with blocks 0.1–0.2 ms
/// more, four saves in every `run --rm`. After a power cut the name may
/// hold an empty file. A kill -9 between the swap and the removal leaves a
/// temporary file, as one before the rename would; `rm` takes the whole
/// directory.
pub fn swap_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = unsynced_temp(path, bytes)?;
    match crate::sys::fs::exchange(tmp.path(), path) {
        // `tmp` now names the old file; dropping it removes that.
        Ok(()) => Ok(()),
        // No file to swap with (ENOENT), or a filesystem without exchange
        // (EINVAL): a plain rename, which then replaces nothing or must.
        Err(_) => tmp
            .persist(path)
            .map(drop)
            .with_context(|| format!("renaming into `{}`", path.display())),
    }
}

/// A temporary file beside `path` holding `bytes`, not synced, 0600.
fn unsynced_temp(path: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile> {
    let dir = path.parent().context("path has no parent")?;
    let mut tmp = tempfile::Builder::new()
        .prefix(TMP_PREFIX)
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in `{}`", dir.display()))?;
    tmp.write_all(bytes)?;
    Ok(tmp)
}

/// tempfile creates 0600 files; store files are 0644 like any OCI layout.
pub fn set_readable(path: &Path) -> Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(0o644))
        .with_context(|| format!("chmod `{}`", path.display()))
}

/// fsyncs a directory, so the renames in it survive a crash.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing `{}`", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_of_a_root_is_unchanged() {
        // Old roots must keep working: these names are on disk.
        let l = Layout::new("/r");
        let p = |p: PathBuf| p.to_string_lossy().into_owned();
        assert_eq!(p(l.store_index()), "/r/store/index.json");
        assert_eq!(p(l.store_oci_layout()), "/r/store/oci-layout");
        assert_eq!(p(l.blob("ab")), "/r/store/blobs/sha256/ab");
        assert_eq!(p(l.layer("c1")), "/r/layers/c1");
        assert_eq!(p(l.layer_record("c1")), "/r/layers/c1.json");
        assert_eq!(p(l.cache_entry("k")), "/r/cache/k");
        assert_eq!(p(l.cache_mount("m")), "/r/cache-mounts/m");
        assert_eq!(p(l.cache_mount_lock("m")), "/r/cache-mounts/m.lock");
        assert_eq!(p(volume_data(&l.volumes(), "v")), "/r/volumes/v/_data");
        assert_eq!(p(l.container_meta("i")), "/r/containers/i/meta.json");
        assert_eq!(
            l.container_rootfs_dirs("i").map(p),
            [
                "/r/containers/i/upper",
                "/r/containers/i/work",
                "/r/containers/i/rootfs"
            ]
        );
        assert_eq!(p(l.blob_info()), "/r/blob-info.json");
        assert_eq!(p(l.store_lock()), "/r/store.lock");
        assert_eq!(p(l.work_lock()), "/r/work.lock");
    }

    #[test]
    fn scratch_dirs_are_temporary_names_in_the_layers_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let l = Layout::new(tmp.path());
        private_dir(&l.layers()).unwrap();
        let d = l.scratch_dir().unwrap();
        assert_eq!(d.parent(), Some(l.layers().as_path()));
        assert!(
            d.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(TMP_PREFIX)
        );
        assert!(d.is_dir());
    }

    #[test]
    fn swap_file_swaps_in_the_new_content_and_leaves_no_temporary() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("meta.json");
        swap_file(&f, b"one").unwrap();
        let reader = fs::File::open(&f).unwrap();
        swap_file(&f, b"two").unwrap();
        swap_file(&f, b"three").unwrap();
        assert_eq!(fs::read(&f).unwrap(), b"three");
        // A reader of the old file keeps reading it whole: it was replaced, not rewritten.
        assert_eq!(std::io::read_to_string(reader).unwrap(), "one");
        assert_eq!(
            fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let names: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["meta.json"]);
    }

    #[test]
    fn write_atomic_replaces_a_file_and_leaves_no_temporary() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("f.json");
        write_atomic(&f, b"one").unwrap();
        write_atomic(&f, b"two").unwrap();
        assert_eq!(fs::read(&f).unwrap(), b"two");
        assert_eq!(
            fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o644
        );
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn private_dirs_are_0700() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("a/b");
        private_dir(&d).unwrap();
        assert_eq!(
            fs::metadata(&d).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
}
