//! Unpacking layers into `<root>/layers/<chainid>`, once, with the ownership
//! the containers will see.
//!
//! With a subordinate id range the tar is fed to a helper child of berth in a
//! user namespace with the container mapping, so files are chowned to their
//! mapped ids as they are written (no chown pass later). Without one, files
//! are the user's own and the image's ids and modes go to `user.berth.*`
//! xattrs. Real root unpacks directly and chowns.

use crate::helper::{self, Job, remove_tree};
use crate::ident::idmap::IdMapping;
use crate::layer::{self, ApplyOptions, Ownership};
use crate::store::Store;
use crate::store::digest::{Digest, Hasher};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};
use std::path::PathBuf;

/// How this user unpacks layers.
pub enum Unpacker {
    Direct(Ownership, String),
    Helper(IdMapping),
}

/// `<root>/layers/<chainid>.json`
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct LayerMeta {
    pub diff_id: Digest,
    /// Bytes of the uncompressed tar.
    pub size: u64,
    /// The id mapping the files were written with (`IdMapping::describe`).
    pub idmap: String,
}

/// A layer unpacked into a temporary directory, not yet in the store.
/// Dropped without [`PendingLayer::commit`], the directory is removed.
pub struct PendingLayer {
    dir: Option<PathBuf>,
    pub diff_id: Digest,
    pub size: u64,
    /// What the SBOM cataloguer read from the tar on its way past.
    facts: Option<crate::sbom::LayerFacts>,
}

impl Unpacker {
    pub fn for_current_user() -> Result<Unpacker> {
        if nix::unistd::geteuid().is_root() {
            return Ok(Unpacker::Direct(Ownership::Preserve, "host".into()));
        }
        let mapping = IdMapping::for_current_user()?;
        if mapping.has_range() {
            Ok(Unpacker::Helper(mapping))
        } else {
            Ok(Unpacker::Direct(Ownership::Xattr, mapping.describe()))
        }
    }

    pub fn idmap(&self) -> String {
        match self {
            Unpacker::Direct(_, d) => d.clone(),
            Unpacker::Helper(m) => m.describe(),
        }
    }

    /// Unpacks the uncompressed tar `tar` into a new temporary directory under
    /// `<root>/layers`, hashing it (the diffID), cataloguing it for the SBOM
    /// (on another core: `sbom::Tap`) and copying every byte to `tee` on the
    /// way (the caller's blob, when it keeps one).
    pub fn unpack<'a>(
        &self,
        store: &Store,
        tar: &'a mut dyn Read,
        tee: Option<&'a mut dyn Write>,
    ) -> Result<PendingLayer> {
        let dir = store
            .layout()
            .scratch_dir()
            .context("creating a temporary layer directory")?;
        let mut pending = PendingLayer {
            dir: Some(dir.clone()),
            diff_id: Digest::of(b""),
            size: 0,
            facts: None,
        };
        let mut reader = TeeReader {
            inner: tar,
            hasher: Hasher::new(),
            len: 0,
            tee,
            tap: crate::sbom::Tap::new(),
        };
        match self {
            Unpacker::Direct(ownership, _) => {
                layer::apply(
                    &mut reader,
                    &dir,
                    &ApplyOptions {
                        ownership: *ownership,
                    },
                )?;
                io::copy(&mut reader, &mut io::sink()).context("reading layer tar")?;
            }
            Unpacker::Helper(mapping) => {
                let job = Job::Unpack {
                    dir: dir.clone(),
                    work_lock: store.layout().work_lock(),
                };
                helper::run(mapping, &job, Some(&mut reader), None)?
            }
        }
        pending.diff_id = reader.hasher.finish();
        pending.size = reader.len;
        pending.facts = reader.tap.finish();
        Ok(pending)
    }
}

impl PendingLayer {
    /// Renames the directory to `<root>/layers/<chain>` and records its meta,
    /// and keeps its SBOM facts. The caller holds the store lock. An
    /// existing layer wins.
    pub fn commit(mut self, store: &Store, chain: &Digest, idmap: &str) -> Result<()> {
        if let Some(facts) = self.facts.take() {
            crate::sbom::remember(store, &self.diff_id, &facts);
        }
        let dir = self.dir.take().expect("pending layer has its dir");
        let dest = store.layer_dir(chain);
        if dest.exists() && store.layer_meta_path(chain).exists() {
            remove_tree(&dir)?;
            return Ok(());
        }
        if dest.exists() {
            remove_tree(&dest)?;
        }
        std::fs::rename(&dir, &dest)
            .with_context(|| format!("renaming layer into `{}`", dest.display()))?;
        let meta = LayerMeta {
            diff_id: self.diff_id.clone(),
            size: self.size,
            idmap: idmap.to_string(),
        };
        crate::layout::write_atomic(&store.layer_meta_path(chain), &serde_json::to_vec(&meta)?)
    }
}

impl Drop for PendingLayer {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take()
            && let Err(e) = remove_tree(&dir)
        {
            log::warn!("removing `{}`: {e:#}", dir.display());
        }
    }
}

pub fn read_layer_meta(store: &Store, chain: &Digest) -> Option<LayerMeta> {
    serde_json::from_slice(&std::fs::read(store.layer_meta_path(chain)).ok()?).ok()
}

struct TeeReader<'a> {
    inner: &'a mut dyn Read,
    hasher: Hasher,
    len: u64,
    tee: Option<&'a mut dyn Write>,
    tap: crate::sbom::Tap,
}

impl Read for TeeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        self.tap.feed(&buf[..n]);
        if let Some(t) = self.tee.as_mut() {
            t.write_all(&buf[..n])?;
        }
        Ok(n)
    }
}

/// The unpacked layers of `image`, top first, ready as overlay lowerdirs.
/// A layer unpacked under another id mapping (the user's range changed) or
/// missing is unpacked again from its blob, layer by layer.
pub fn ensure_layers(store: &Store, image: &crate::store::images::Image) -> Result<Vec<Digest>> {
    let chains = image.chain_ids();
    let mut unpacker: Option<Unpacker> = None;
    for (i, chain) in chains.iter().enumerate() {
        let meta = read_layer_meta(store, chain);
        let u = match &unpacker {
            Some(u) => u,
            None => unpacker.insert(Unpacker::for_current_user()?),
        };
        let idmap = u.idmap();
        if meta.as_ref().is_some_and(|m| m.idmap == idmap) && store.layer_dir(chain).is_dir() {
            continue;
        }
        if let Some(m) = &meta {
            log::warn!(
                "layer {chain} was unpacked for id mapping `{}`, now `{idmap}`: unpacking it again",
                m.idmap
            );
        }
        // The store's own records, but checked: a manifest with fewer layers
        // than the config's diff_ids is an error, not an index panic.
        let desc = image.manifest.layers.get(i).with_context(|| {
            format!(
                "image {}: the config lists more layers than the manifest",
                image.id()
            )
        })?;
        let _work = store.work_lock(false)?;
        let mut tar = layer::decompress(io::BufReader::new(store.open_blob(&desc.digest)?))?;
        let pending = u
            .unpack(store, &mut tar, None)
            .with_context(|| format!("unpacking layer {}", desc.digest))?;
        let want = &image.diff_ids()[i];
        if pending.diff_id != *want {
            anyhow::bail!(
                "layer {}: digest mismatch: the config says {want}, the content is {}",
                desc.digest,
                pending.diff_id
            );
        }
        let lock = store.lock()?;
        if store.layer_dir(chain).exists() {
            remove_tree(&store.layer_dir(chain))?;
        }
        pending.commit(store, chain, &idmap)?;
        drop(lock);
    }
    Ok(chains.into_iter().rev().collect())
}
