//! The software bill of materials of an image: every package installed in
//! it, read from its layers as they are stored, without running it.
//!
//! Each layer's tar is read once, as a stream, and reduced to the facts the
//! catalogers need ([`layers::LayerFacts`]: the packages each database or
//! lockfile in it lists, the licenses, the os-release, whiteouts). Those are
//! merged bottom-up with the layers' whiteouts, so a package whose database
//! entry a later layer removed (or whose database it whited out) is gone,
//! and each package is attributed to the lowest layer from which its entry
//! is continuously present. Nothing here touches a host path the image
//! controls: the only input is the store's blobs.

mod apk;
mod cache;
mod dpkg;
pub mod format;
mod gobin;
mod lang;
mod layers;
mod license;
mod os;
mod purl;
mod rpm;
mod sqlite;
mod tap;
mod text;

use crate::store::Store;
use crate::store::images::Image;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use layers::LayerFacts;
pub use os::Os;
pub use tap::Tap;

/// What an image holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sbom {
    /// The image id (its config's digest).
    pub image: String,
    /// The manifest's digest.
    pub digest: String,
    /// The image's names, as the store knows them.
    pub names: Vec<String>,
    pub os: Option<Os>,
    pub packages: Vec<Package>,
    /// What could not be catalogued, one sentence each (an unsupported
    /// database, a file over its size bound).
    pub notes: Vec<String>,
}

/// Which package manager or language ecosystem a package comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Deb,
    Apk,
    Rpm,
    Cargo,
    Python,
    Npm,
    Go,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Deb => "deb",
            Kind::Apk => "apk",
            Kind::Rpm => "rpm",
            Kind::Cargo => "cargo",
            Kind::Python => "python",
            Kind::Npm => "npm",
            Kind::Go => "go",
        }
    }
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    pub version: String,
    pub kind: Kind,
    /// Its package URL (purl spec), with the distro qualifier for OS packages.
    pub purl: String,
    /// The diffID of the layer that added it.
    pub layer: String,
    /// As the database records them (SPDX expressions or free text).
    pub licenses: Vec<String>,
    /// The file in the image that lists it (`var/lib/dpkg/status`).
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// The source package (deb `Source:`, apk origin, rpm source rpm's
    /// name): what OSV's Debian and Alpine records are keyed by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The source package's version when it differs from `version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
}

impl Package {
    /// A package as a cataloger finds it; the purl and layer come later.
    pub(crate) fn found(kind: Kind, name: &str, version: &str, location: &str) -> Package {
        Package {
            name: name.to_string(),
            version: version.to_string(),
            kind,
            purl: String::new(),
            layer: String::new(),
            licenses: Vec::new(),
            location: location.to_string(),
            arch: None,
            source: None,
            source_version: None,
        }
    }

    /// What makes two database entries the same installed package.
    fn key(&self) -> (Kind, &str, &str, Option<&str>) {
        (self.kind, &self.name, &self.version, self.arch.as_deref())
    }
}

/// The SBOM of `image`, read from its layer blobs in `store`.
pub fn catalog(store: &Store, image: &Image) -> Result<Sbom> {
    let diff_ids = image.diff_ids();
    if diff_ids.len() != image.manifest.layers.len() {
        anyhow::bail!(
            "image {} has {} layers but {} diff ids",
            image.digest,
            image.manifest.layers.len(),
            diff_ids.len()
        );
    }
    let layout = store.layout();
    let mut facts = Vec::with_capacity(diff_ids.len());
    for (desc, diff_id) in image.manifest.layers.iter().zip(diff_ids) {
        let f = match cache::get(layout, diff_id) {
            Some(f) => f,
            None => {
                let f = layers::read_layer(store, &desc.digest)
                    .with_context(|| format!("reading layer {diff_id}"))?;
                cache::put(layout, diff_id, &f);
                f
            }
        };
        facts.push((diff_id.to_string(), f));
    }
    Ok(merge(image, &facts))
}

/// Keeps the facts a [`Tap`] read from the layer `diff_id` as it entered
/// the store. The caller holds the store lock, as [`sweep_cache`]'s does,
/// so the entry cannot be swept before an image names its layer.
pub fn remember(store: &Store, diff_id: &crate::store::digest::Digest, facts: &LayerFacts) {
    cache::put(store.layout(), diff_id, facts);
}

/// Removes the cached facts of layers none of `images` (all the store
/// has) has: after `rmi` and the prunes, under the store lock.
pub fn sweep_cache(layout: &crate::layout::Layout, images: &[Image]) {
    let in_use = images
        .iter()
        .flat_map(|i| i.diff_ids().iter().map(|d| d.hex().to_string()))
        .collect();
    cache::sweep(layout, &in_use);
}

/// The facts of every layer, bottom first, merged into the image's SBOM.
fn merge(image: &Image, layers: &[(String, layers::LayerFacts)]) -> Sbom {
    use layers::Fact;
    // Each visible path with the chain of versions that led to it: a
    // version in a later layer replaces the file, a whiteout ends the chain.
    let mut visible: BTreeMap<&str, Vec<(usize, &Fact)>> = BTreeMap::new();
    for (n, (_, facts)) in layers.iter().enumerate() {
        for gone in facts.whiteouts.iter() {
            remove_tree(&mut visible, gone, true);
        }
        for dir in facts.opaque.iter() {
            remove_tree(&mut visible, dir, false);
        }
        for f in facts.files.iter() {
            visible.entry(&f.path).or_default().push((n, &f.fact));
        }
    }

    let os = os::resolve(&visible);
    let mut notes = Vec::new();
    let mut packages = Vec::new();
    let mut deb_licenses: BTreeMap<&str, &[String]> = BTreeMap::new();
    for (path, chain) in visible.iter() {
        let Some(&(top, fact)) = chain.last() else {
            continue;
        };
        match fact {
            Fact::Packages(found) => {
                for p in found {
                    // The lowest layer from which this entry was there in
                    // every version of the file.
                    let mut added = top;
                    for &(n, older) in chain.iter().rev().skip(1) {
                        match older {
                            Fact::Packages(ps) if ps.iter().any(|q| q.key() == p.key()) => {
                                added = n
                            }
                            _ => break,
                        }
                    }
                    let mut p = p.clone();
                    p.layer = layers[added].0.clone();
                    packages.push(p);
                }
            }
            // rpm ≥ 4.16 converts the Berkeley DB and may leave it behind.
            Fact::Note(_)
                if rpm::BDB_PATHS.contains(path)
                    && rpm::SQLITE_PATHS.iter().any(|p| visible.contains_key(p)) => {}
            Fact::Note(note) => notes.push(format!("{path}: {note}")),
            Fact::Licenses(l) => {
                if let Some(pkg) = dpkg::copyright_package(path) {
                    deb_licenses.insert(pkg, l);
                }
            }
            Fact::Os(_) | Fact::Symlink(_) => {}
        }
    }
    for p in packages.iter_mut() {
        if p.kind == Kind::Deb
            && p.licenses.is_empty()
            && let Some(l) = deb_licenses.get(p.name.as_str())
        {
            p.licenses = l.to_vec();
        }
        p.purl = purl::of(p, os.as_ref());
    }
    packages.sort_by(|a, b| {
        (a.kind, &a.name, &a.version, &a.location).cmp(&(b.kind, &b.name, &b.version, &b.location))
    });
    packages.dedup_by(|a, b| a.purl == b.purl && a.location == b.location);
    Sbom {
        image: image.id().to_string(),
        digest: image.digest.to_string(),
        names: image.names.clone(),
        os,
        packages,
        notes,
    }
}

/// Removes `path` and everything below it (`itself`), or only what is
/// below it (an opaque directory), from the merged view.
fn remove_tree(
    visible: &mut BTreeMap<&str, Vec<(usize, &layers::Fact)>>,
    path: &str,
    itself: bool,
) {
    if path.is_empty() {
        // The root itself made opaque: nothing below survives.
        visible.clear();
        return;
    }
    if itself {
        visible.remove(path);
    }
    let prefix = format!("{path}/");
    let below: Vec<&str> = visible
        .range::<str, _>((
            std::ops::Bound::Included(prefix.as_str()),
            std::ops::Bound::Unbounded,
        ))
        .map(|(k, _)| *k)
        .take_while(|k| k.starts_with(&prefix))
        .collect();
    for k in below {
        visible.remove(k);
    }
}
