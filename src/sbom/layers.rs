//! One layer's tar reduced to what the catalogers need: the packages each
//! database or lockfile in it lists, licenses, the os-release, symlinks
//! that may lead to one, and the layer's whiteouts.
//!
//! The tar is read as a stream from the store (gzip, zstd or plain, by
//! its magic bytes), with each entry's headers bounded
//! ([`crate::layer::TarArchive`]) and each file read up to a bound of its
//! kind: a 2 GB `status` is noted, not slurped. Paths are the tar's names,
//! cleaned; nothing is joined onto a host path.

use super::lang::{self, Lang};
use super::{Package, apk, dpkg, gobin, os, rpm};
use crate::store::Store;
use crate::store::digest::Digest;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::io::{BufReader, Read};

/// What one layer says.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct LayerFacts {
    /// Interesting files added or replaced by the layer, in tar order.
    pub files: Vec<FileFact>,
    /// Paths the layer deletes (`.wh.NAME`), with all below them.
    pub whiteouts: Vec<String>,
    /// Directories the layer makes opaque (`.wh..wh..opq`): what lower
    /// layers had below them is gone.
    pub opaque: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileFact {
    pub path: String,
    pub fact: Fact,
}

/// What an interesting file turned out to hold.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Fact {
    /// A package database or lockfile, and the packages it lists (a file
    /// that lists none still hides the versions below it).
    Packages(Vec<Package>),
    /// Licenses for the package whose docs hold this file (dpkg copyright).
    Licenses(Vec<String>),
    Os(os::Os),
    /// A symlink (or hard link, as an absolute target) at an interesting
    /// path, resolved later within the image's own tree.
    Symlink(String),
    /// The file could not be catalogued; why.
    Note(String),
}

/// How a file at some path is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    DpkgStatus,
    DpkgCopyright,
    OsRelease,
    Apk,
    RpmSqlite,
    RpmBdb,
    Lang(Lang),
}

impl Want {
    /// The most of such a file that is read.
    fn bound(self) -> u64 {
        match self {
            Want::DpkgStatus | Want::Apk => 64 << 20,
            Want::RpmSqlite => 256 << 20,
            Want::Lang(Lang::CargoLock | Lang::NpmLock) => 64 << 20,
            Want::DpkgCopyright | Want::Lang(_) => 1 << 20,
            Want::OsRelease => 64 << 10,
            Want::RpmBdb => 0,
        }
    }

    /// Whether a file over the bound is noted rather than read in part: a
    /// database or lockfile cut short would list too little; a license
    /// text or metadata file says what is needed in its first lines.
    fn whole(self) -> bool {
        matches!(
            self,
            Want::DpkgStatus
                | Want::Apk
                | Want::RpmSqlite
                | Want::Lang(Lang::CargoLock | Lang::NpmLock)
        )
    }
}

/// The most package entries one layer may list. A package costs some 40
/// times its few bytes of stanza in memory, so a status file of tiny
/// stanzas (`Package: a\nVersion: 1\n\n`, 64 MiB of them) would take
/// gigabytes; a real image lists thousands.
const MAX_PACKAGES_PER_LAYER: usize = 100_000;

/// Executables smaller than this cannot hold Go buildinfo; larger than
/// this are not scanned.
const GO_BINARY_SIZES: std::ops::RangeInclusive<u64> = 1024..=(1 << 30);

/// What `path` (cleaned, relative) is to the catalogers, if anything.
fn wanted(path: &str) -> Option<Want> {
    if path == "var/lib/dpkg/status" || dpkg::is_status_d(path) {
        return Some(Want::DpkgStatus);
    }
    if dpkg::copyright_package(path).is_some() {
        return Some(Want::DpkgCopyright);
    }
    if os::PATHS.contains(&path) {
        return Some(Want::OsRelease);
    }
    if path == apk::PATH {
        return Some(Want::Apk);
    }
    if rpm::SQLITE_PATHS.contains(&path) {
        return Some(Want::RpmSqlite);
    }
    if rpm::BDB_PATHS.contains(&path) {
        return Some(Want::RpmBdb);
    }
    lang::which(path).map(Want::Lang)
}

/// A tar name made a clean relative path (`./a//b/` → `a/b`); `None` for
/// one that climbs out (`..`), which no catalogued path needs.
pub fn clean(name: &[u8]) -> Option<String> {
    let name = std::str::from_utf8(name).ok()?;
    let mut parts: Vec<&str> = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The facts of the layer stored as blob `blob`.
pub fn read_layer(store: &Store, blob: &Digest) -> Result<LayerFacts> {
    let file = store.open_blob(blob)?;
    let stream = crate::layer::decompress(BufReader::with_capacity(1 << 20, file))?;
    read_tar(stream)
}

/// The facts of the tar stream `r`.
pub fn read_tar(r: impl Read) -> Result<LayerFacts> {
    let mut out = LayerFacts::default();
    let mut budget = MAX_PACKAGES_PER_LAYER;
    let mut tar = crate::layer::TarArchive::new(r);
    for entry in tar.entries()? {
        let mut entry = entry.context("reading the layer tar")?;
        let raw = entry.path_bytes();
        let Some(path) = clean(&raw) else {
            continue;
        };
        let (dir, base) = match path.rsplit_once('/') {
            Some((d, b)) => (d, b),
            None => ("", path.as_str()),
        };
        if base == ".wh..wh..opq" {
            out.opaque.push(dir.to_string());
            continue;
        }
        if let Some(gone) = base.strip_prefix(".wh.") {
            let gone = if dir.is_empty() {
                gone.to_string()
            } else {
                format!("{dir}/{gone}")
            };
            out.whiteouts.push(gone);
            continue;
        }
        let kind = entry.header().entry_type();
        let Some(want) = wanted(&path) else {
            let exec = entry.header().mode().is_ok_and(|m| m & 0o111 != 0);
            if kind.is_file() && exec && GO_BINARY_SIZES.contains(&entry.size()) {
                let mut head = [0u8; 4];
                if entry.read_exact(&mut head).is_ok()
                    && &head == b"\x7fELF"
                    && let Some(blob) = gobin::find(&mut entry)
                        .with_context(|| format!("reading `{}`", crate::term::escape(&path)))?
                {
                    let found = gobin::packages(&blob, &path);
                    if !found.is_empty() {
                        out.files.push(FileFact {
                            path,
                            fact: Fact::Packages(found),
                        });
                    }
                }
            }
            continue;
        };
        let fact = if kind.is_symlink() || kind.is_hard_link() {
            let Some(target) = entry.link_name_bytes() else {
                continue;
            };
            let Ok(target) = String::from_utf8(target.into_owned()) else {
                continue;
            };
            if kind.is_hard_link() {
                // A hard link names a path from the root of the tree.
                Fact::Symlink(format!("/{target}"))
            } else {
                Fact::Symlink(target)
            }
        } else if want == Want::RpmBdb {
            Fact::Note(rpm::BDB_NOTE.to_string())
        } else if kind.is_file() {
            let size = entry.size();
            let bound = want.bound();
            if size > bound && want.whole() {
                Fact::Note(format!(
                    "{} MiB, over the {} MiB read for a package database: not catalogued",
                    size >> 20,
                    bound >> 20
                ))
            } else {
                let mut bytes = Vec::with_capacity(size.min(bound) as usize);
                (&mut entry)
                    .take(bound)
                    .read_to_end(&mut bytes)
                    .with_context(|| format!("reading `{}`", crate::term::escape(&path)))?;
                let over = || {
                    Fact::Note(format!(
                        "more than {MAX_PACKAGES_PER_LAYER} package entries in one layer: not catalogued"
                    ))
                };
                // Counted before parsing, where a stanza is a blank line: the
                // parse itself is what must not happen for too many.
                if matches!(want, Want::DpkgStatus | Want::Apk)
                    && bytes.windows(2).filter(|w| w == b"\n\n").count() >= budget
                {
                    over()
                } else {
                    match parse(want, &path, &bytes) {
                        Fact::Packages(found) if found.len() > budget => over(),
                        Fact::Packages(found) => {
                            budget -= found.len();
                            Fact::Packages(found)
                        }
                        other => other,
                    }
                }
            }
        } else {
            continue;
        };
        out.files.push(FileFact { path, fact });
    }
    Ok(out)
}

/// What the file at `path` of kind `want`, holding `bytes`, says.
fn parse(want: Want, path: &str, bytes: &[u8]) -> Fact {
    if want == Want::RpmSqlite {
        return match rpm::parse_sqlite(bytes, path) {
            Ok(found) => Fact::Packages(found),
            Err(e) => Fact::Note(e),
        };
    }
    let text = String::from_utf8_lossy(bytes);
    match want {
        Want::DpkgStatus => Fact::Packages(dpkg::parse_status(&text, path)),
        Want::DpkgCopyright => Fact::Licenses(dpkg::copyright_licenses(&text)),
        Want::OsRelease => Fact::Os(os::parse(&text)),
        Want::Apk => Fact::Packages(apk::parse_installed(&text)),
        Want::Lang(l) => Fact::Packages(lang::parse(l, &text, path)),
        Want::RpmSqlite | Want::RpmBdb => Fact::Note("not read".into()),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::io::Write;

    /// A tar of regular files, names as given (`tap`'s tests use it too).
    pub(in crate::sbom) fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            // Names as given, `..` included: the image's tar may hold anything.
            let mut h = tar::Header::new_gnu();
            h.as_mut_bytes()[..name.len()].copy_from_slice(name.as_bytes());
            h.set_mode(0o644);
            h.set_size(data.len() as u64);
            h.set_entry_type(tar::EntryType::Regular);
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn a_layer_of_countless_tiny_stanzas_is_a_note_not_gigabytes() {
        let status = "Package: a\nVersion: 1\nStatus: install ok installed\n\n"
            .repeat(MAX_PACKAGES_PER_LAYER + 1);
        let f = read_tar(&tar_of(&[("var/lib/dpkg/status", status.as_bytes())])[..]).unwrap();
        assert!(
            matches!(&f.files[..], [FileFact { fact: Fact::Note(n), .. }] if n.contains("package entries")),
            "{:?}",
            f.files.iter().map(|f| &f.path).collect::<Vec<_>>()
        );
        // Split over many status.d files, the budget is the layer's.
        let part = "Package: a\nVersion: 1\n\n".repeat(MAX_PACKAGES_PER_LAYER / 2 + 1);
        let f = read_tar(
            &tar_of(&[
                ("var/lib/dpkg/status.d/one", part.as_bytes()),
                ("var/lib/dpkg/status.d/two", part.as_bytes()),
            ])[..],
        )
        .unwrap();
        assert!(
            f.files.iter().any(|f| matches!(&f.fact, Fact::Note(_))),
            "the second file is over the layer's budget"
        );
    }

    #[test]
    fn compressed_layers_read_like_plain_ones() {
        let tar = tar_of(&[
            ("./etc/os-release", b"ID=alpine\n"),
            ("lib/apk/db/installed", b"P:musl\nV:1.2.4-r2\n\n"),
            ("usr/share/.wh..wh..opq", b""),
            ("var/.wh.cache", b""),
            ("../escape/etc/os-release", b"ID=evil\n"),
        ]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        let gz = gz.finish().unwrap();
        let zst = zstd::encode_all(&tar[..], 1).unwrap();
        for blob in [tar.clone(), gz, zst] {
            let f = read_tar(crate::layer::decompress(&blob[..]).unwrap()).unwrap();
            let paths: Vec<&str> = f.files.iter().map(|f| f.path.as_str()).collect();
            assert_eq!(paths, ["etc/os-release", "lib/apk/db/installed"]);
            assert_eq!(f.opaque, ["usr/share"]);
            assert_eq!(f.whiteouts, ["var/cache"]);
        }
    }
}
