//! Tar layers: apply (gzip/zstd/plain, whiteouts, PAX, links, xattrs) into a
//! directory without ever writing outside it. No store paths, no network.
// TEMPORARY interface stubs, replaced by the layer branch.
#![allow(dead_code)]
use std::io::{BufRead, Read};
use std::path::Path;
#[derive(Clone, Copy, Debug)]
pub enum Ownership {
    Preserve,
    Xattr,
}
pub struct ApplyOptions {
    pub ownership: Ownership,
}
pub fn decompress<'a>(mut r: impl BufRead + 'a) -> std::io::Result<Box<dyn Read + 'a>> {
    Ok(match detect(&mut r)? {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(r)),
        Compression::Zstd => Box::new(zstd::Decoder::with_buffer(r)?),
        Compression::None => Box::new(r),
    })
}
pub fn apply(tar: impl Read, dest: &Path, _o: &ApplyOptions) -> anyhow::Result<()> {
    tar::Archive::new(tar).unpack(dest)?;
    Ok(())
}
pub fn remove_tree(p: &Path) -> std::io::Result<()> {
    std::fs::remove_dir_all(p)
}
pub fn disk_usage(_p: &Path) -> std::io::Result<u64> {
    Ok(0)
}
pub enum Compression {
    None,
    Gzip,
    Zstd,
}
pub fn detect(r: &mut impl BufRead) -> std::io::Result<Compression> {
    let b = r.fill_buf()?;
    Ok(if b.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if b.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    })
}
