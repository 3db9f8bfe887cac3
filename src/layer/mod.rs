//! Tar layers: apply (gzip/zstd/plain, whiteouts, PAX, links, xattrs) into a
//! directory without ever writing outside it. No store paths, no network.

mod apply;
mod compress;
mod diff;
mod headers;
mod tree;

#[cfg(test)]
mod tests;

// Not all re-exports have callers yet (store, cli come later).
#[allow(unused_imports)]
pub use apply::{ApplyOptions, ApplyReport, Ownership, apply};
#[allow(unused_imports)]
pub use compress::{Compression, decompress, detect};
#[allow(unused_imports)]
pub use diff::{DiffOptions, diff};
pub use headers::TarArchive;
#[allow(unused_imports)]
pub use tree::{
    disk_usage, exists_beneath, lstat_beneath, parent_beneath, remove_beneath, remove_tree,
};
