//! Tar layers: apply (gzip/zstd/plain, whiteouts, PAX, links, xattrs) into a
//! directory without ever writing outside it; diff an upper directory back
//! into a tar; COPY's files into an upper directory; a container's files
//! packed and extracted for `berth cp` and `berth export`. No store paths,
//! no network.

mod apply;
mod archive;
mod changes;
mod chunks;
mod compress;
mod copy;
mod diff;
mod headers;
mod tree;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

// Not all re-exports have callers yet (store, cli come later).
#[allow(unused_imports)]
pub use apply::{ApplyOptions, ApplyReport, ExtractOptions, Ownership, apply, extract};
pub use archive::{PackDest, PackOptions, Source, pack, unpack_at};
pub use changes::{Change, ChangeKind, changes};
pub use chunks::{Chunk, ChunkReader};
#[allow(unused_imports)]
pub use compress::{Compression, classify, compress, decompress, detect, is_tar_header};
#[allow(unused_imports)]
pub use copy::{CopyOp, apply_copy, chmod_mode, raw_path, raw_paths};
#[allow(unused_imports)]
pub use diff::{DiffOptions, diff};
pub use headers::TarArchive;
#[allow(unused_imports)]
pub use tree::{
    disk_usage, exists_beneath, lstat_beneath, parent_beneath, remove_beneath, remove_tree,
};
