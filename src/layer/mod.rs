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
pub fn decompress<'a>(r: impl BufRead + 'a) -> std::io::Result<Box<dyn Read + 'a>> {
    Ok(Box::new(r))
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
