//! An upper directory becomes a layer of the store: diffed once into an
//! uncompressed blob (its digest is its diffID), then renamed into
//! `<root>/layers/<chainid>` as it is — no re-extraction. Build steps and
//! `berth commit` share it.
//!
//! Files in an upper directory belong to container ids; with a subordinate
//! range they are owned by host ids the user cannot read or chown, so
//! copying and diffing run in the user namespace helper
//! (`helper::Job::Copy`, `Diff`).

use super::unpack::{LayerMeta, Unpacker};
use crate::helper::{self, Job, remove_tree};
use crate::ident::idmap::IdMapping;
use crate::layer::{self, CopyOp, DiffOptions, apply_copy};
use crate::store::Store;
use crate::store::digest::Digest;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How this user writes and reads container-owned files.
pub enum Access {
    Direct,
    Helper(IdMapping),
}

impl Access {
    /// The same way the layers are unpacked: through the helper with a range.
    pub fn of(unpacker: &Unpacker) -> Access {
        match unpacker {
            Unpacker::Helper(m) => Access::Helper(m.clone()),
            Unpacker::Direct(..) => Access::Direct,
        }
    }

    pub fn copy(&self, upper: &Path, ops: &[CopyOp]) -> Result<()> {
        match self {
            Access::Direct => apply_copy(upper, ops),
            Access::Helper(m) => {
                let job = Job::Copy {
                    upper: upper.to_path_buf(),
                    ops: ops.to_vec(),
                };
                helper::run(m, &job, None, None)
            }
        }
    }

    /// Writes the layer tar of `upper` to `out`.
    pub fn diff(&self, upper: &Path, out: &mut dyn Write, epoch: Option<i64>) -> Result<()> {
        match self {
            Access::Direct => {
                let root = nix::unistd::geteuid().is_root();
                // Without a range every file is ours and container root's.
                let owner = move |u: u32, g: u32| if root { (u, g) } else { (0, 0) };
                layer::diff(
                    upper,
                    out,
                    &DiffOptions {
                        owner: &owner,
                        epoch,
                    },
                )?;
                Ok(())
            }
            Access::Helper(m) => {
                let job = Job::Diff {
                    upper: upper.to_path_buf(),
                    epoch,
                };
                helper::run(m, &job, None, Some(out))
            }
        }
    }

    /// What `upper` changed against `lowers` (unpacked layers, top first).
    pub fn changes(&self, upper: &Path, lowers: &[PathBuf]) -> Result<Vec<layer::Change>> {
        match self {
            Access::Direct => layer::changes(upper, lowers),
            Access::Helper(m) => {
                let job = Job::Changes {
                    upper: upper.to_path_buf(),
                    lowers: lowers.to_vec(),
                };
                let mut out = Vec::new();
                helper::run(m, &job, None, Some(&mut out))?;
                serde_json::from_slice(&out).context("reading the helper's list of changes")
            }
        }
    }
}

/// A layer a build step made.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct BuiltLayer {
    pub chain: Digest,
    pub diff_id: Digest,
    pub size: u64,
    /// When the step ran: a cached rebuild keeps it, so its image id does not change.
    #[serde(default)]
    pub created: Option<String>,
}

/// Diffs `upper` into a blob, then renames it to `<root>/layers/<chain>`.
pub fn commit_upper(
    store: &Store,
    access: &Access,
    idmap: &str,
    upper: &Path,
    parent_chain: Option<&Digest>,
    epoch: Option<i64>,
) -> Result<BuiltLayer> {
    let mut blob = store.blob_writer()?;
    access
        .diff(upper, &mut blob, epoch)
        .context("taking the layer diff")?;
    let blob = blob.finish()?;
    let diff_id = blob.digest.clone();
    let size = blob.size;
    let chain = match parent_chain {
        Some(p) => Digest::of(format!("{p} {diff_id}").as_bytes()),
        None => diff_id.clone(),
    };
    let _lock = store.lock()?;
    blob.commit(Some(&diff_id))?;
    if store.layer_meta_path(&chain).exists() && store.layer_dir(&chain).is_dir() {
        remove_tree(upper)?;
    } else {
        if store.layer_dir(&chain).exists() {
            remove_tree(&store.layer_dir(&chain))?;
        }
        fs::rename(upper, store.layer_dir(&chain)).context("moving the layer into place")?;
        let meta = LayerMeta {
            diff_id: diff_id.clone(),
            size,
            idmap: idmap.to_string(),
        };
        crate::layout::write_atomic(&store.layer_meta_path(&chain), &serde_json::to_vec(&meta)?)?;
    }
    if !store.has_blob(&diff_id) {
        bail!("layer blob {diff_id} vanished");
    }
    Ok(BuiltLayer {
        chain,
        diff_id,
        size,
        created: None,
    })
}
