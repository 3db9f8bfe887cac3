//! Tar layers: apply (gzip/zstd/plain, whiteouts, PAX, links, xattrs) into a
//! directory without ever writing outside it. No store paths, no network.
