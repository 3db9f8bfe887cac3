//! An image's findings, cached per image and database version, and the
//! scan gate of `push`/`run`/`create --scan-gate SEVERITY`.
//!
//! The cache file `<root>/scan-cache/<image id>-<db version>.json` holds
//! every finding (no filter) of one image against one database version. An
//! image id is its config's digest, which names its layers' diffIDs: same
//! id, same packages. The database version hashes its path and its files'
//! names, sizes and times (`db::list`, a few `stat`s for a database of
//! `all.zip`s), so the second gate of an image costs those stats and one
//! small read. A new database version is a new file; the old ones are
//! removed when a new one is written.

use super::db::{self, Db};
use super::scan::Finding;
use super::{Severity, Subject};
use crate::layout::Layout;
use crate::sbom::Sbom;
use crate::store::Store;
use crate::store::images::Image;
use anyhow::{Context, Result};
use std::path::Path;

/// What an SBOM's packages are, as OSV records name them; and how many
/// berth cannot match (an rpm, a Debian release without a version).
pub fn subjects(sbom: &Sbom) -> (Vec<Subject>, usize) {
    let os = sbom.os.as_ref().map(|o| super::purl::Os {
        id: o.id.clone(),
        version_id: o.version_id.clone().unwrap_or_default(),
    });
    let mut out = Vec::new();
    let mut unmatched = 0;
    for p in &sbom.packages {
        let source = p.source.as_ref().map(|s| match &p.source_version {
            Some(v) => format!("{s}@{v}"),
            None => s.clone(),
        });
        match super::purl::subject(&p.purl, source.as_deref(), os.as_ref()) {
            Some(s) => out.push(s),
            None => unmatched += 1,
        }
    }
    (out, unmatched)
}

/// Every finding of `image` against the database at `db_path`, from the
/// cache when this image was scanned against this database version before;
/// with the database version.
pub fn findings(
    layout: &Layout,
    store: &Store,
    image: &Image,
    db_path: &Path,
) -> Result<(Vec<Finding>, String)> {
    // Listed once: a directory export is a stat per record file.
    let listed = db::list(db_path)?;
    let version = listed.version.clone();
    let cache = layout.scan_cache(image.id().hex(), &version);
    if let Ok(bytes) = std::fs::read(&cache)
        && let Ok(found) = serde_json::from_slice(&bytes)
    {
        return Ok((found, version));
    }
    let mut db = Db::open_listed(listed, &layout.osv_index())?;
    let sbom = crate::sbom::catalog(store, image)?;
    let (subjects, _) = subjects(&sbom);
    let found = super::scan::scan(&mut db, &subjects)?;
    if let Some(dir) = cache.parent() {
        crate::layout::private_dir(dir)?;
        crate::layout::write_atomic(&cache, &serde_json::to_vec(&found)?)?;
        remove_other_versions(dir, image.id().hex(), &cache);
    }
    Ok((found, db.version().to_string()))
}

/// Removes the cached findings of images not among `images` (all the
/// store has), and the temporaries of writes a crash interrupted, once an
/// hour old: after `rmi` and the prunes, under the store lock, as the SBOM
/// cache is swept. Each file goes whole or stays.
pub fn sweep_cache(layout: &Layout, images: &[Image]) {
    let ids: std::collections::BTreeSet<&str> = images.iter().map(|i| i.id().hex()).collect();
    let Ok(rd) = std::fs::read_dir(layout.scan_cache_dir()) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let gone = match name.split_once('-') {
            _ if name.starts_with(crate::layout::TMP_PREFIX) => e
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|d| d.as_secs() > 3600)),
            Some((image, _)) => image.len() == 64 && !ids.contains(image),
            None => false,
        };
        if gone {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

fn remove_other_versions(dir: &Path, image_hex: &str, keep: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        if e.file_name().to_string_lossy().starts_with(image_hex) && e.path() != keep {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// The gate's refusal: the one-line error (the caller's context goes in
/// front of it) and, below it, the findings that caused it.
#[derive(Debug)]
pub struct Refused {
    pub image: String,
    pub min: Severity,
    pub findings: Vec<Finding>,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "scan gate: `{}` has {} known vulnerabilit{} at or above {}",
            self.image,
            self.findings.len(),
            if self.findings.len() == 1 { "y" } else { "ies" },
            self.min
        )
    }
}

impl std::error::Error for Refused {}

impl Refused {
    /// One line a finding, for below the error line (the caller escapes).
    pub fn lines(&self) -> Vec<String> {
        self.findings
            .iter()
            .map(|f| {
                let fixed = f.fixed.as_deref().map(|v| format!(", fixed in {v}"));
                let aliases = if f.aliases.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", f.aliases.join(", "))
                };
                format!(
                    "  {} {} {}{aliases} {}{}",
                    f.package,
                    f.version,
                    f.id,
                    f.severity,
                    fixed.unwrap_or_default()
                )
            })
            .collect()
    }
}

/// Refuses `image` (as the user named it: `reference`) when it has
/// findings at or above `min` in the database at `db_path`. A missing
/// database refuses too: a gate that cannot look does not pass.
pub fn check(
    layout: &Layout,
    store: &Store,
    image: &Image,
    reference: &str,
    db_path: &Path,
    min: Severity,
) -> Result<()> {
    let (found, _) = findings(layout, store, image, db_path)
        .with_context(|| format!("scan gate: scanning `{reference}`"))?;
    let over: Vec<Finding> = found.into_iter().filter(|f| f.severity >= min).collect();
    if over.is_empty() {
        return Ok(());
    }
    Err(Refused {
        image: reference.to_string(),
        min,
        findings: over,
    }
    .into())
}
