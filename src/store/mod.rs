//! The OCI image layout under `<root>/store` and the unpacked layers under
//! `<root>/layers`. Knows nothing of containers, registries or Dockerfiles.
//!
//! Every write goes to a temporary name in the destination directory and is
//! renamed into place, so the layout is valid at every moment: a crash leaves
//! only garbage (`.tmp-*` names, unreferenced blobs or layers) that
//! [`gc`] finds and removes.

pub mod blobinfo;
pub mod blobs;
pub mod digest;
pub mod gc;
pub mod history;
pub mod images;
pub mod lists;
pub mod oci;
#[cfg(test)]
mod proptests;

use crate::layout::{Layout, Lock, flock, private_dir, write_atomic};
use anyhow::{Context, Result};
use digest::Digest;
use oci::Index;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub struct Store {
    layout: Layout,
}

/// Marks `<root>/layers` as a top of directory hierarchies for ext4 (see
/// `sys::fs::set_topdir`): each layer directory then starts in a block group
/// of its own choosing instead of its parent's. Without a journal, ext4 skips
/// over every recently deleted inode of a group for each inode it allocates
/// there, so unpacking a layer of thousands of files next to a layer just
/// removed (`rmi` then `pull`) grew quadratic: seconds of kernel time for a
/// 100 MB source tree. Best effort: other filesystems have no such flag.
fn spread_layers(layers: &Path) {
    let dir = nix::fcntl::open(
        layers,
        nix::fcntl::OFlag::O_RDONLY
            | nix::fcntl::OFlag::O_DIRECTORY
            | nix::fcntl::OFlag::O_NOFOLLOW
            | nix::fcntl::OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    );
    if let Err(e) = dir
        .map_err(io::Error::from)
        .and_then(|d| crate::sys::fs::set_topdir(std::os::fd::AsFd::as_fd(&d)))
    {
        log::debug!("marking `{}` as a top directory: {e}", layers.display());
    }
}

impl Store {
    /// Opens the store under `root`, creating the layout when it is missing.
    pub fn open(root: &Path) -> Result<Store> {
        let s = Store {
            layout: Layout::new(root),
        };
        if !s.layout.store_index().exists() {
            s.init()
                .with_context(|| format!("creating the store in `{}`", root.display()))?;
        }
        Ok(s)
    }

    /// Opens the store only if it exists (for read-only verbs on a fresh root).
    pub fn open_existing(root: &Path) -> Option<Store> {
        let s = Store {
            layout: Layout::new(root),
        };
        s.layout.store_index().exists().then_some(s)
    }

    fn init(&self) -> Result<()> {
        // Private: unpacked layers hold image files as they are (setuid
        // binaries, world-writable dirs, device nodes); no other local user
        // may reach them, as with podman's storage.
        private_dir(self.root())?;
        private_dir(&self.layout.layers())?;
        spread_layers(&self.layout.layers());
        fs::create_dir_all(self.layout.blobs())?;
        let _lock = self.lock()?;
        if !self.layout.store_oci_layout().exists() {
            write_atomic(
                &self.layout.store_oci_layout(),
                br#"{"imageLayoutVersion":"1.0.0"}"#,
            )?;
        }
        if !self.layout.store_index().exists() {
            write_atomic(
                &self.layout.store_index(),
                &serde_json::to_vec(&Index::default())?,
            )?;
        }
        Ok(())
    }

    pub fn root(&self) -> &Path {
        self.layout.root()
    }

    /// Where everything under the root is.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// `<root>/store`: the OCI image layout.
    pub fn dir(&self) -> PathBuf {
        self.layout.store()
    }

    pub fn blobs_dir(&self) -> PathBuf {
        self.layout.blobs()
    }

    pub fn layers_dir(&self) -> PathBuf {
        self.layout.layers()
    }

    /// `<root>/layers/<chainid>`: an unpacked layer, usable as an overlay lowerdir.
    pub fn layer_dir(&self, chain: &Digest) -> PathBuf {
        self.layout.layer(chain.hex())
    }

    /// `<root>/layers/<chainid>.json`: what the layer is and how it was unpacked.
    pub fn layer_meta_path(&self, chain: &Digest) -> PathBuf {
        self.layout.layer_record(chain.hex())
    }

    /// An exclusive lock on the store's index; held while index.json changes
    /// and while garbage is collected, so gc never sees a half-made image.
    pub fn lock(&self) -> Result<Lock> {
        flock(&self.layout.store_lock(), true)
    }

    /// Held shared by every command that writes temporary files into the
    /// store, and exclusively by `system prune`, which may then remove every
    /// temporary file as garbage of a crash.
    pub fn work_lock(&self, exclusive: bool) -> Result<Lock> {
        flock(&self.layout.work_lock(), exclusive)
    }

    pub fn read_index(&self) -> Result<Index> {
        let path = self.layout.store_index();
        let bytes = fs::read(&path).with_context(|| format!("reading `{}`", path.display()))?;
        serde_json::from_slice(&bytes).with_context(|| format!("parsing `{}`", path.display()))
    }

    /// Replaces index.json atomically. The caller holds the lock. Every
    /// name that moves is recorded in the name history first (see
    /// [`history`]): a crash between the two leaves an entry the history
    /// recognises as interrupted, never a move without its record.
    pub fn write_index(&self, index: &Index, lock: &Lock) -> Result<()> {
        let bytes = serde_json::to_vec(index)?;
        let recorded = match self.read_index() {
            Ok(before) => self
                .record_moves(&before, index, lock)
                .context("recording the name history")?,
            // An unreadable index has no names to compare: nothing to record.
            Err(_) => None,
        };
        if let Err(e) =
            write_atomic(&self.layout.store_index(), &bytes).context("writing the store index")
        {
            if let Some(len) = recorded {
                self.undo_history(len);
            }
            return Err(e);
        }
        if recorded.is_some() {
            self.maybe_compact(lock);
        }
        Ok(())
    }
}
