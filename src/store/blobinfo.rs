//! What the store knows of blobs beyond their bytes, kept in one small file
//! (`<root>/blob-info.json`) that is replaced atomically under the store lock:
//!
//! - **compressed forms** of uncompressed layers: diffID → `gzip`/`zstd` →
//!   the compressed blob's digest and size. berth stores its own layers
//!   uncompressed (their digest is their diffID); a push compresses a layer
//!   once, records it here, and every later push sends the same bytes
//!   (containers/image's blob info cache, kept in the store);
//! - **locations**: a blob → the registry repositories (`host/path`) known to
//!   hold it, so a push to another repository of the same registry can mount
//!   it instead of uploading it;
//! - **repo digests**: an image's manifest digest → the `repo@sha256:…` it has
//!   in registries (podman's RepoDigests): a pushed manifest has compressed
//!   layers, so its digest is not the local one.
//!
//! Every record is a hint: one whose blob is gone is ignored, and garbage
//! collection drops the records of blobs and images that are gone (see
//! `gc.rs`). A file that does not parse is treated as empty, with a warning:
//! losing it costs a recompression, never an image.

use super::Store;
use super::digest::Digest;
use crate::layer::Compression;
use crate::layout::{Lock, write_atomic};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::ErrorKind;

/// How many repositories are remembered per blob: enough to find one to
/// mount from, bounded so a blob pushed everywhere does not grow the file.
const MAX_LOCATIONS: usize = 16;

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlobInfo {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    compressed: BTreeMap<Digest, BTreeMap<String, Compressed>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    locations: BTreeMap<Digest, Vec<String>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    repo_digests: BTreeMap<Digest, Vec<String>>,
}

/// A compressed blob made from an uncompressed layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compressed {
    pub digest: Digest,
    pub size: u64,
}

fn algorithm(c: Compression) -> &'static str {
    match c {
        Compression::None => "none",
        Compression::Gzip => "gzip",
        Compression::Zstd => "zstd",
    }
}

/// `host/path` of `host/path@sha256:…`.
fn repo_of(repo_digest: &str) -> &str {
    repo_digest.split('@').next().unwrap_or(repo_digest)
}

impl BlobInfo {
    /// The recorded `algorithm` form of the layer with `diff_id`, if any
    /// (the caller checks the blob is still there).
    pub fn compressed(&self, diff_id: &Digest, algorithm_: Compression) -> Option<&Compressed> {
        self.compressed.get(diff_id)?.get(algorithm(algorithm_))
    }

    pub fn set_compressed(&mut self, diff_id: &Digest, algorithm_: Compression, c: Compressed) {
        self.compressed
            .entry(diff_id.clone())
            .or_default()
            .insert(algorithm(algorithm_).to_string(), c);
    }

    /// Repositories (`host/path`) known to hold `blob`, most recent first.
    pub fn locations(&self, blob: &Digest) -> &[String] {
        self.locations.get(blob).map_or(&[], Vec::as_slice)
    }

    pub fn add_location(&mut self, blob: &Digest, repo: &str) {
        let list = self.locations.entry(blob.clone()).or_default();
        list.retain(|r| r != repo);
        list.insert(0, repo.to_string());
        list.truncate(MAX_LOCATIONS);
    }

    /// `repo@sha256:…` names the image with manifest `manifest` has in registries.
    pub fn repo_digests(&self, manifest: &Digest) -> &[String] {
        self.repo_digests.get(manifest).map_or(&[], Vec::as_slice)
    }

    /// Records `repo@sha256:…` for the image; it replaces what was recorded
    /// for the same repository (a later push there made a new manifest).
    pub fn add_repo_digest(&mut self, manifest: &Digest, repo_digest: &str) {
        let list = self.repo_digests.entry(manifest.clone()).or_default();
        list.retain(|r| repo_of(r) != repo_of(repo_digest));
        list.push(repo_digest.to_string());
    }

    /// The compressed blobs recorded for layers in `used` (diffIDs of live
    /// images): the records that keep their blobs alive.
    pub(super) fn live_compressed<'a>(
        &'a self,
        used: &'a BTreeSet<Digest>,
    ) -> impl Iterator<Item = &'a Digest> + 'a {
        self.compressed
            .iter()
            .filter(|(diff_id, _)| used.contains(*diff_id))
            .flat_map(|(_, forms)| forms.values().map(|c| &c.digest))
    }

    /// Drops what refers to nothing: compressed forms of layers no image
    /// uses or whose blob is not in `blobs`, locations of blobs not in
    /// `blobs`, repo digests of images not in `images`.
    pub(super) fn retain_live(
        &mut self,
        used: &BTreeSet<Digest>,
        blobs: &BTreeSet<String>,
        images: &BTreeSet<Digest>,
    ) {
        let present = |d: &Digest| blobs.contains(d.hex());
        self.compressed.retain(|diff_id, forms| {
            forms.retain(|_, c| present(&c.digest));
            used.contains(diff_id) && !forms.is_empty()
        });
        self.locations.retain(|d, _| present(d));
        self.repo_digests.retain(|m, _| images.contains(m));
    }
}

impl Store {
    /// The blob info record; empty when there is none (or it is unreadable:
    /// it only holds hints).
    pub fn blob_info(&self) -> BlobInfo {
        let path = self.layout().blob_info();
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => return BlobInfo::default(),
            Err(e) => {
                log::warn!("reading `{}`: {e}; ignoring it", path.display());
                return BlobInfo::default();
            }
        };
        serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            log::warn!("parsing `{}`: {e}; ignoring it", path.display());
            BlobInfo::default()
        })
    }

    /// Changes the blob info record. The caller holds the store lock, so
    /// concurrent updates do not lose each other's records.
    pub fn update_blob_info(&self, _lock: &Lock, f: impl FnOnce(&mut BlobInfo)) -> Result<()> {
        let old = self.blob_info();
        let mut info = old.clone();
        f(&mut info);
        if info == old {
            return Ok(());
        }
        write_atomic(&self.layout().blob_info(), &serde_json::to_vec(&info)?)
            .context("writing the blob info record")
    }

    /// Records that the image with manifest `manifest` is `repo@sha256:…`
    /// in a registry (after a push or a pull).
    pub fn add_repo_digest(&self, lock: &Lock, manifest: &Digest, repo_digest: &str) -> Result<()> {
        self.update_blob_info(lock, |i| i.add_repo_digest(manifest, repo_digest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Digest {
        Digest::of(s.as_bytes())
    }

    #[test]
    fn compressed_forms_are_recorded_per_algorithm() {
        let mut i = BlobInfo::default();
        let gz = Compressed {
            digest: d("gz"),
            size: 3,
        };
        i.set_compressed(&d("layer"), Compression::Gzip, gz.clone());
        assert_eq!(i.compressed(&d("layer"), Compression::Gzip), Some(&gz));
        assert_eq!(i.compressed(&d("layer"), Compression::Zstd), None);
        assert_eq!(i.compressed(&d("other"), Compression::Gzip), None);
    }

    #[test]
    fn the_record_round_trips_through_json() {
        let mut i = BlobInfo::default();
        i.set_compressed(
            &d("layer"),
            Compression::Zstd,
            Compressed {
                digest: d("z"),
                size: 9,
            },
        );
        i.add_location(&d("z"), "127.0.0.1:5000/a");
        i.add_repo_digest(&d("m"), &format!("127.0.0.1:5000/a@{}", d("p")));
        let back: BlobInfo = serde_json::from_slice(&serde_json::to_vec(&i).unwrap()).unwrap();
        assert_eq!(back, i);
    }

    #[test]
    fn locations_are_most_recent_first_without_repeats_and_bounded() {
        let mut i = BlobInfo::default();
        for n in 0..20 {
            i.add_location(&d("b"), &format!("h/r{n}"));
        }
        i.add_location(&d("b"), "h/r5");
        let l = i.locations(&d("b"));
        assert_eq!(l.len(), MAX_LOCATIONS);
        assert_eq!(l[0], "h/r5");
        assert_eq!(l.iter().filter(|r| *r == "h/r5").count(), 1);
        assert!(i.locations(&d("none")).is_empty());
    }

    #[test]
    fn a_new_repo_digest_replaces_the_one_of_the_same_repository() {
        let mut i = BlobInfo::default();
        let (one, two) = (format!("h/a@{}", d("1")), format!("h/a@{}", d("2")));
        let other = format!("h/b@{}", d("1"));
        i.add_repo_digest(&d("m"), &one);
        i.add_repo_digest(&d("m"), &other);
        i.add_repo_digest(&d("m"), &two);
        i.add_repo_digest(&d("m"), &two);
        assert_eq!(i.repo_digests(&d("m")), [other, two]);
    }

    #[test]
    fn records_of_gone_blobs_layers_and_images_are_dropped() {
        let mut i = BlobInfo::default();
        let c = |s: &str| Compressed {
            digest: d(s),
            size: 1,
        };
        i.set_compressed(&d("used"), Compression::Gzip, c("gz-kept"));
        i.set_compressed(&d("used"), Compression::Zstd, c("zst-gone"));
        i.set_compressed(&d("unused"), Compression::Gzip, c("gz-unused"));
        i.add_location(&d("gz-kept"), "h/a");
        i.add_location(&d("gone"), "h/a");
        i.add_repo_digest(&d("image"), "h/a@x");
        i.add_repo_digest(&d("removed"), "h/b@x");
        let used = BTreeSet::from([d("used")]);
        let live: Vec<&Digest> = i.live_compressed(&used).collect();
        assert_eq!(live, [&d("gz-kept"), &d("zst-gone")]);
        let blobs = BTreeSet::from([d("gz-kept").hex().to_string(), d("gz-unused").hex().into()]);
        i.retain_live(&used, &blobs, &BTreeSet::from([d("image")]));
        assert_eq!(
            i.compressed(&d("used"), Compression::Gzip),
            Some(&c("gz-kept"))
        );
        assert_eq!(i.compressed(&d("used"), Compression::Zstd), None);
        assert_eq!(i.compressed(&d("unused"), Compression::Gzip), None);
        assert_eq!(i.locations(&d("gz-kept")), ["h/a"]);
        assert!(i.locations(&d("gone")).is_empty());
        assert_eq!(i.repo_digests(&d("image")), ["h/a@x"]);
        assert!(i.repo_digests(&d("removed")).is_empty());
    }

    #[test]
    fn an_unreadable_record_is_empty_and_updates_replace_it() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        assert_eq!(store.blob_info(), BlobInfo::default());
        fs::write(store.layout().blob_info(), b"{not json").unwrap();
        assert_eq!(store.blob_info(), BlobInfo::default());
        let lock = store.lock().unwrap();
        store.add_repo_digest(&lock, &d("m"), "h/a@x").unwrap();
        assert_eq!(store.blob_info().repo_digests(&d("m")), ["h/a@x"]);
    }
}
