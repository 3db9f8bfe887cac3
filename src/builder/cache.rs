//! The build cache: a step's key (its parent's key, the instruction as
//! expanded, the build args and the content it reads) names the layer it
//! made, in `<root>/cache/<sha256 of the key>`.

use super::executor::Builder;
use crate::image::upper::BuiltLayer;
use crate::store::digest::Digest;
use anyhow::Result;
use sha2::{Digest as _, Sha256};
use std::path::PathBuf;

/// A key from its parts; a NUL between them keeps `a`+`bc` apart from `ab`+`c`.
pub(super) fn key_of(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

impl Builder<'_> {
    fn cache_path(&self, key: &str) -> PathBuf {
        self.store
            .layout()
            .cache_entry(Digest::of(key.as_bytes()).hex())
    }

    /// A cached layer for `key`, if it and its blob are still there.
    pub(super) fn cached(&self, key: &str) -> Option<BuiltLayer> {
        if self.opts.no_cache {
            return None;
        }
        let l: BuiltLayer =
            serde_json::from_slice(&std::fs::read(self.cache_path(key)).ok()?).ok()?;
        (self.store.layer_dir(&l.chain).is_dir() && self.store.has_blob(&l.diff_id)).then_some(l)
    }

    pub(super) fn remember(&self, key: &str, l: &BuiltLayer) -> Result<()> {
        crate::layout::private_dir(&self.store.layout().cache())?;
        crate::layout::write_atomic(&self.cache_path(key), &serde_json::to_vec(l)?)
    }
}
