//! What a layer says, kept per diffID under `<root>/sbom`: a layer's
//! content never changes, so the second `berth sbom` of an image (or of
//! another image sharing its base) reads a few KB of JSON per layer
//! instead of the layer's tar. Entries are written whole (temporary file,
//! fsync, rename): a crash leaves the old entry, none, or a `.tmp-` file.
//! An unreadable or older-format entry is a miss; a failed write only
//! costs the next run its speed. Entries are written when a layer enters
//! the store (`import`, `load`, `pull`: see [`super::Tap`]) or when a layer
//! is first catalogued from its blob; those of layers no image in the store
//! has any more are removed by the garbage collection of `rmi` and the
//! prunes ([`super::sweep_cache`]), under the store lock.

use super::layers::LayerFacts;
use crate::layout::Layout;
use crate::store::digest::Digest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Bumped whenever what a layer's facts hold changes, so entries written
/// by an older berth are read again from the layer.
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Entry {
    format: u32,
    facts: LayerFacts,
}

/// The cached facts of the layer `diff_id`, if any.
pub fn get(layout: &Layout, diff_id: &Digest) -> Option<LayerFacts> {
    let bytes = std::fs::read(layout.sbom_cache_entry(diff_id.hex())).ok()?;
    let e: Entry = serde_json::from_slice(&bytes).ok()?;
    (e.format == FORMAT).then_some(e.facts)
}

/// Keeps `facts` for the layer `diff_id`; failures are logged, not raised.
pub fn put(layout: &Layout, diff_id: &Digest, facts: &LayerFacts) {
    let write = || -> anyhow::Result<()> {
        crate::layout::private_dir(&layout.sbom_cache())?;
        let bytes = serde_json::to_vec(&Entry {
            format: FORMAT,
            facts: facts.clone(),
        })?;
        crate::layout::write_atomic(&layout.sbom_cache_entry(diff_id.hex()), &bytes)
    };
    if let Err(e) = write() {
        log::debug!("sbom cache: {e:#}");
    }
}

/// Removes entries for layers not in `in_use` (every diffID of every image).
pub fn sweep(layout: &Layout, in_use: &BTreeSet<String>) {
    let Ok(dir) = std::fs::read_dir(layout.sbom_cache()) else {
        return;
    };
    for e in dir.flatten() {
        let name = e.file_name();
        let Some(hex) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
            continue;
        };
        if hex.len() == 64 && !in_use.contains(hex) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
