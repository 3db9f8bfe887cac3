//! The OCI image layout under `<root>/store` and the unpacked layers under
//! `<root>/layers`. Knows nothing of containers, registries or Dockerfiles.
//!
//! Every write goes to a temporary name in the destination directory and is
//! renamed into place, so the layout is valid at every moment: a crash leaves
//! only garbage (`.tmp-*` names, unreferenced blobs or layers) that
//! [`gc`] finds and removes.

pub mod blobs;
pub mod digest;
pub mod gc;
pub mod images;
pub mod oci;

use anyhow::{Context, Result};
use digest::Digest;
use oci::Index;
use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub const TMP_PREFIX: &str = ".tmp-";

pub struct Store {
    root: PathBuf,
}

/// An exclusive lock on the store's index; held while index.json changes and
/// while garbage is collected, so gc never sees a half-made image.
pub struct Lock {
    _flock: nix::fcntl::Flock<File>,
}

impl Store {
    /// Opens the store under `root`, creating the layout when it is missing.
    pub fn open(root: &Path) -> Result<Store> {
        let s = Store {
            root: root.to_path_buf(),
        };
        if !s.dir().join("index.json").exists() {
            s.init()
                .with_context(|| format!("creating the store in `{}`", root.display()))?;
        }
        Ok(s)
    }

    /// Opens the store only if it exists (for read-only verbs on a fresh root).
    pub fn open_existing(root: &Path) -> Option<Store> {
        let s = Store {
            root: root.to_path_buf(),
        };
        s.dir().join("index.json").exists().then_some(s)
    }

    fn init(&self) -> Result<()> {
        // Private: unpacked layers hold image files as they are (setuid
        // binaries, world-writable dirs, device nodes); no other local user
        // may reach them, as with podman's storage.
        private_dir(&self.root)?;
        private_dir(&self.layers_dir())?;
        fs::create_dir_all(self.dir().join("blobs/sha256"))?;
        let _lock = self.lock()?;
        if !self.dir().join("oci-layout").exists() {
            write_atomic(
                &self.dir().join("oci-layout"),
                br#"{"imageLayoutVersion":"1.0.0"}"#,
            )?;
        }
        if !self.dir().join("index.json").exists() {
            write_atomic(
                &self.dir().join("index.json"),
                &serde_json::to_vec(&Index::default())?,
            )?;
        }
        Ok(())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<root>/store`: the OCI image layout.
    pub fn dir(&self) -> PathBuf {
        self.root.join("store")
    }

    pub fn blobs_dir(&self) -> PathBuf {
        self.root.join("store/blobs/sha256")
    }

    pub fn layers_dir(&self) -> PathBuf {
        self.root.join("layers")
    }

    /// `<root>/layers/<chainid>`: an unpacked layer, usable as an overlay lowerdir.
    pub fn layer_dir(&self, chain: &Digest) -> PathBuf {
        self.layers_dir().join(chain.hex())
    }

    /// `<root>/layers/<chainid>.json`: what the layer is and how it was unpacked.
    pub fn layer_meta_path(&self, chain: &Digest) -> PathBuf {
        self.layers_dir().join(format!("{}.json", chain.hex()))
    }

    pub fn lock(&self) -> Result<Lock> {
        flock(&self.root.join("store.lock"), true)
    }

    /// Held shared by every command that writes temporary files into the
    /// store, and exclusively by `system prune`, which may then remove every
    /// temporary file as garbage of a crash.
    pub fn work_lock(&self, exclusive: bool) -> Result<Lock> {
        flock(&self.root.join("work.lock"), exclusive)
    }

    pub fn read_index(&self) -> Result<Index> {
        let path = self.dir().join("index.json");
        let bytes = fs::read(&path).with_context(|| format!("reading `{}`", path.display()))?;
        serde_json::from_slice(&bytes).with_context(|| format!("parsing `{}`", path.display()))
    }

    /// Replaces index.json atomically. The caller holds the lock.
    pub fn write_index(&self, index: &Index, _lock: &Lock) -> Result<()> {
        let bytes = serde_json::to_vec(index)?;
        write_atomic(&self.dir().join("index.json"), &bytes).context("writing the store index")
    }
}

/// A flock on `path` (created if missing), held until the Lock is dropped.
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
pub fn private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
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
    let mut tmp = tempfile::Builder::new()
        .prefix(TMP_PREFIX)
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in `{}`", dir.display()))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    set_readable(tmp.path())?;
    tmp.persist(path)
        .with_context(|| format!("renaming into `{}`", path.display()))?;
    sync_dir(dir)
}

/// tempfile creates 0600 files; store files are 0644 like any OCI layout.
pub fn set_readable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o644))
        .with_context(|| format!("chmod `{}`", path.display()))
}

pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing `{}`", dir.display()))
}
