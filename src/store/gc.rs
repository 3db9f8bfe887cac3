//! Store health: what is referenced, what is broken, what is garbage.
//!
//! Garbage is what a crash or an interrupted command can leave: temporary
//! files, blobs and unpacked layers that no image refers to. It never makes
//! the layout invalid; `check` lists it and `prune` removes it. What is
//! live: every image of index.json, and every manifest list there with the
//! images of the store it names; and the layers the caller says are in use
//! (containers' lowerdirs: a committed container runs on its committed
//! layer, whether or not an image still names it), with their blobs; and
//! every image or list an entry of the name history points to, until the
//! entry expires (`image rollback` needs it whole). A history image that is
//! not whole is a note, not an error: rollback refuses it, gc goes on.

use super::Store;
use super::digest::Digest;
use super::lists::is_index;
use super::oci::{Descriptor, Index};
use crate::layout::{Lock, TMP_PREFIX};
use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

#[derive(Debug, Default)]
pub struct Report {
    /// Problems that make the store invalid (missing or corrupt blobs, …).
    pub errors: Vec<String>,
    /// Paths that nothing refers to.
    pub garbage: Vec<PathBuf>,
    pub garbage_bytes: u64,
    /// What is worth saying but leaves the store valid (the name history's
    /// interrupted or unreadable entries, images it points to that are gone).
    pub notes: Vec<String>,
}

#[derive(Default)]
struct Live {
    blobs: BTreeSet<String>,
    layers: BTreeSet<String>,
    /// The diffIDs images and the build cache use: their compressed forms
    /// (in the blob info record) stay alive with them.
    diff_ids: BTreeSet<Digest>,
    /// Manifests in the index.
    images: BTreeSet<Digest>,
}

impl Store {
    /// Walks the index and every file of the store. With `verify`, every
    /// referenced blob is re-hashed. `in_use`: chain ids of layers that are
    /// live whatever the index says (see the module docs).
    pub fn check(&self, verify: bool, in_use: &BTreeSet<Digest>) -> Result<Report> {
        Ok(self.check_live(verify, in_use)?.0)
    }

    fn check_live(&self, verify: bool, in_use: &BTreeSet<Digest>) -> Result<(Report, Live)> {
        let mut report = Report::default();
        let mut live = self.live(&mut report, verify)?;
        for chain in in_use {
            live.layers.insert(chain.hex().to_string());
            // Its blob stays too: committing the container again makes an
            // image with this layer, which needs its bytes.
            let record = fs::read(self.layer_meta_path(chain))
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
            if let Some(d) = record
                .as_ref()
                .and_then(|v| v["diff_id"].as_str())
                .and_then(|d| Digest::parse(d).ok())
            {
                live.blobs.insert(d.hex().to_string());
                live.diff_ids.insert(d);
            }
        }
        for entry in fs::read_dir(self.blobs_dir())? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !live.blobs.contains(&name) {
                report.garbage_bytes += entry.metadata().map(|m| m.len()).unwrap_or(0);
                report.garbage.push(entry.path());
            }
        }
        for entry in fs::read_dir(self.layers_dir())? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let stem = name.strip_suffix(".json").unwrap_or(&name);
            if !live.layers.contains(stem) {
                report.garbage.push(entry.path());
            }
        }
        Ok((report, live))
    }

    fn live(&self, report: &mut Report, verify: bool) -> Result<Live> {
        let mut live = Live::default();
        let index = match self.read_index() {
            Ok(i) => i,
            Err(e) => {
                report.errors.push(format!("{e:#}"));
                return Ok(live);
            }
        };
        // The build cache keeps its layers (and their blobs) alive until
        // `system prune` or `builder prune` drops it.
        if let Ok(entries) = fs::read_dir(self.layout().cache()) {
            for e in entries.flatten() {
                let Ok(bytes) = fs::read(e.path()) else {
                    continue;
                };
                let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
                    continue;
                };
                for (field, set) in [("chain", &mut live.layers), ("diff_id", &mut live.blobs)] {
                    if let Some(d) = v[field].as_str().and_then(|d| Digest::parse(d).ok()) {
                        set.insert(d.hex().to_string());
                    }
                }
                if let Some(d) = v["diff_id"].as_str().and_then(|d| Digest::parse(d).ok()) {
                    live.diff_ids.insert(d);
                }
            }
        }
        // A manifest list keeps its blob and the images of the store it
        // names; an entry whose manifest is not here was added from a
        // registry and stays there.
        let mut manifests: Vec<(Digest, u64)> = Vec::new();
        for m in &index.manifests {
            if !is_index(&m.media_type) {
                manifests.push((m.digest.clone(), m.size));
                continue;
            }
            live.blobs.insert(m.digest.hex().to_string());
            let list = self.read_blob(&m.digest).and_then(|b| {
                serde_json::from_slice::<Index>(&b)
                    .with_context(|| format!("parsing manifest list {}", m.digest))
            });
            match list {
                Ok(list) => manifests.extend(
                    list.manifests
                        .iter()
                        .filter(|c| !is_index(&c.media_type) && self.has_blob(&c.digest))
                        .map(|c| (c.digest.clone(), c.size)),
                ),
                Err(e) => report
                    .errors
                    .push(format!("manifest list {}: {e:#}", m.digest)),
            }
        }
        self.history_live(&index, report, &mut live);
        let mut seen = BTreeSet::new();
        for (digest, size) in manifests {
            if !seen.insert(digest.clone()) {
                continue;
            }
            let m = Descriptor::new("", digest, size);
            live.images.insert(m.digest.clone());
            match self.image_parts(&m.digest, m.size, verify) {
                Ok((blobs, diff_ids, chains)) => {
                    live.diff_ids.extend(diff_ids);
                    live.blobs.extend(blobs.iter().map(|d| d.hex().to_string()));
                    for c in chains {
                        if !self.layer_dir(&c).is_dir() || !self.layer_meta_path(&c).is_file() {
                            report
                                .errors
                                .push(format!("image {}: unpacked layer {c} is missing", m.digest));
                        }
                        live.layers.insert(c.hex().to_string());
                    }
                }
                Err(e) => report.errors.push(format!("image {}: {e:#}", m.digest)),
            }
        }
        // A layer's compressed form lives while an image uses the layer and
        // the record names it: pushing the image again reuses those bytes.
        let info = self.blob_info();
        let compressed: Vec<String> = info
            .live_compressed(&live.diff_ids)
            .filter(|d| self.has_blob(d))
            .map(|d| d.hex().to_string())
            .collect();
        live.blobs.extend(compressed);
        Ok(live)
    }

    /// Adds what the name history points to (see the module docs).
    fn history_live(&self, index: &Index, report: &mut Report, live: &mut Live) {
        let history = match self.history_against(index) {
            Ok(h) => h,
            Err(e) => {
                report.notes.push(format!("name history: {e:#}"));
                return;
            }
        };
        if history.unreadable > 0 {
            report.notes.push(format!(
                "name history: {} unreadable line(s) skipped (cut short by a crash)",
                history.unreadable
            ));
        }
        for e in history.interrupted() {
            report.notes.push(format!(
                "name history: an interrupted command's move of `{}` is ignored",
                e.name
            ));
        }
        for t in history.targets() {
            if index.manifests.iter().any(|m| m.digest == t.digest) {
                continue; // live through the index already
            }
            if let Err(e) = self.target_complete(t) {
                report.notes.push(format!("name history: {e:#}"));
                continue;
            }
            let mut images = Vec::new();
            if t.is_list() {
                live.blobs.insert(t.digest.hex().to_string());
                if let Ok(list) = self
                    .read_blob(&t.digest)
                    .and_then(|b| Ok(serde_json::from_slice::<Index>(&b)?))
                {
                    images.extend(
                        list.manifests
                            .into_iter()
                            .filter(|c| !is_index(&c.media_type) && self.has_blob(&c.digest))
                            .map(|c| (c.digest, c.size)),
                    );
                }
            } else {
                images.push((t.digest.clone(), t.size));
            }
            for (digest, size) in images {
                if let Ok((blobs, diff_ids, chains)) = self.image_parts(&digest, size, false) {
                    live.diff_ids.extend(diff_ids);
                    live.blobs.extend(blobs.iter().map(|d| d.hex().to_string()));
                    live.layers
                        .extend(chains.iter().map(|c| c.hex().to_string()));
                    live.images.insert(digest);
                }
            }
        }
    }

    /// The blobs, layer diffIDs and layer chain ids one manifest needs.
    fn image_parts(
        &self,
        manifest: &Digest,
        size: u64,
        verify: bool,
    ) -> Result<(Vec<Digest>, Vec<Digest>, Vec<Digest>)> {
        let img = self.load_image(manifest, size, Vec::new())?;
        let mut blobs = vec![img.digest.clone(), img.id().clone()];
        for l in &img.manifest.layers {
            if !self.has_blob(&l.digest) {
                anyhow::bail!("layer blob {} is missing", l.digest);
            }
            if verify {
                let mut f = self.open_blob(&l.digest)?;
                let mut w = super::digest::HashingWriter::new(std::io::sink());
                std::io::copy(&mut f, &mut w)?;
                if w.finish().1 != l.digest {
                    anyhow::bail!("layer blob {} is corrupt", l.digest);
                }
            }
            blobs.push(l.digest.clone());
        }
        Ok((blobs, img.diff_ids().to_vec(), img.chain_ids()))
    }
}

/// What [`Store::collect`] removed, and what it left to its caller.
#[derive(Debug, Default)]
pub struct Collected {
    /// Files removed, and their bytes.
    pub files: usize,
    pub bytes: u64,
    /// Garbage directories (unpacked layers, scratch directories): files in
    /// them may belong to subordinate ids, which only the user namespace
    /// helper can remove. The caller removes them while it holds the lock.
    pub dirs: Vec<PathBuf>,
}

impl Store {
    /// Removes the blobs and layer records that no image refers to and that
    /// are not `in_use`, and
    /// with `include_tmp` the temporary files of interrupted commands (only
    /// safe while no other command writes: see [`Store::work_lock`]). The
    /// garbage directories are returned, not removed: a layer's record goes
    /// before its directory, so a crash never leaves a record naming a
    /// half-removed layer. The caller holds the index lock.
    pub fn collect(
        &self,
        lock: &Lock,
        include_tmp: bool,
        in_use: &BTreeSet<Digest>,
    ) -> Result<Collected> {
        let (report, live) = self.check_live(false, in_use)?;
        if !report.errors.is_empty() {
            anyhow::bail!(
                "the store has errors, not collecting garbage: {}",
                report.errors.join("; ")
            );
        }
        // Records first, then the blobs they name: a crash in between
        // leaves garbage blobs, never a record of a removed blob.
        self.update_blob_info(lock, |i| {
            i.retain_live(&live.diff_ids, &live.blobs, &live.images)
        })?;
        let mut out = Collected::default();
        for path in report.garbage {
            let is_tmp = path
                .file_name()
                .is_some_and(|f| f.to_string_lossy().starts_with(TMP_PREFIX));
            if is_tmp && !include_tmp {
                continue;
            }
            let meta = match fs::symlink_metadata(&path) {
                Ok(m) => m,
                Err(_) => continue,
            };
            if meta.is_dir() {
                out.dirs.push(path);
            } else {
                fs::remove_file(&path)
                    .map_err(|e| anyhow::anyhow!("removing `{}`: {e}", path.display()))?;
                out.files += 1;
                out.bytes += meta.len();
            }
        }
        Ok(out)
    }
}
