//! The steps that make layers: RUN in a container and COPY into a fresh
//! upper directory, each committed by `image::upper::commit_upper`.

use crate::store::Store;
use anyhow::Result;
use std::path::PathBuf;

/// A fresh directory under `<root>/layers` (same filesystem as the layers,
/// so the finished upper is renamed, not copied). Garbage if we crash.
pub fn scratch_dir(store: &Store) -> Result<PathBuf> {
    store.layout().scratch_dir()
}
