//! `berth load`: docker-archive and oci-archive tarballs (gzip-compressed or
//! not) into the store.
//!
//! The archive is read once, as a stream: small files are kept in memory,
//! large ones go straight to temporary blobs, hashed on the way. Nothing
//! enters the store until every blob has matched its digest and every layer
//! has unpacked and matched its diffID; then, under the lock, it is all
//! renamed into place and the index updated last.

use super::unpack::{PendingLayer, Unpacker};
use crate::layer;
use crate::reference::Reference;
use crate::store::Store;
use crate::store::blobs::PendingBlob;
use crate::store::digest::Digest;
use crate::store::oci::{self, Descriptor, ImageConfig, Index, Manifest};
use anyhow::{Context, Result, anyhow, bail};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufReader, Cursor, Read};

/// Files up to this size stay in memory (configs, manifests, small layers).
const IN_MEMORY: u64 = 1 << 20;

enum Item {
    Mem(Vec<u8>),
    Blob(PendingBlob),
}

impl Item {
    fn digest(&self) -> Digest {
        match self {
            Item::Mem(b) => Digest::of(b),
            Item::Blob(p) => p.digest.clone(),
        }
    }

    fn reader(&self) -> Result<Box<dyn Read + '_>> {
        Ok(match self {
            Item::Mem(b) => Box::new(Cursor::new(b)),
            Item::Blob(p) => Box::new(std::fs::File::open(p.path())?),
        })
    }
}

/// One image found in the archive, checked and ready to commit.
struct Found {
    manifest: Manifest,
    config: Vec<u8>,
    /// Archive paths of the layer blobs, in manifest order.
    layer_items: Vec<String>,
    names: Vec<String>,
}

/// Loads every image of the archive; returns what to print for each.
pub fn load(store: &Store, input: Box<dyn Read>) -> Result<Vec<String>> {
    let _work = store.work_lock(false)?;
    let unpacker = Unpacker::for_current_user()?;
    let (mut items, mut speculative) = read_archive(store, input, &unpacker)?;
    let found = if items.contains_key("index.json") && items.contains_key("oci-layout") {
        oci_images(&items)?
    } else if items.contains_key("manifest.json") {
        docker_images(&items)?
    } else {
        bail!("not a docker-archive or oci-archive: no manifest.json or index.json in it");
    };
    let mut pending: BTreeMap<Digest, PendingLayer> = BTreeMap::new();
    for f in &found {
        let config: ImageConfig =
            serde_json::from_slice(&f.config).context("parsing the image config")?;
        let diff_ids = &config.rootfs.diff_ids;
        if diff_ids.len() != f.layer_items.len() {
            bail!(
                "the image config lists {} layers, the manifest {}",
                diff_ids.len(),
                f.layer_items.len()
            );
        }
        for ((chain, diff_id), item) in Digest::chain(diff_ids)
            .iter()
            .zip(diff_ids)
            .zip(&f.layer_items)
        {
            let blob = items
                .get(item)
                .ok_or_else(|| anyhow!("layer `{item}` is missing from the archive"))?;
            let early = speculative.remove(item);
            if pending.contains_key(chain) || store.layer_meta_path(chain).exists() {
                // Already unpacked: the archive's blob must still be what the
                // config claims, or it would enter the store under a trusted diffID.
                if let Some(l) = &early {
                    if l.diff_id != *diff_id {
                        bail!(
                            "layer `{item}`: digest mismatch: the config says {diff_id}, the content is {}",
                            l.diff_id
                        );
                    }
                    continue;
                }
                let mut tar = layer::decompress(BufReader::new(blob.reader()?))?;
                let mut w = crate::store::digest::HashingWriter::new(std::io::sink());
                std::io::copy(&mut tar, &mut w).with_context(|| format!("layer `{item}`"))?;
                let (_, actual, _) = w.finish();
                if actual != *diff_id {
                    bail!(
                        "layer `{item}`: digest mismatch: the config says {diff_id}, the content is {actual}"
                    );
                }
                continue;
            }
            let layer = match early {
                Some(l) => l,
                None => {
                    let mut tar = layer::decompress(BufReader::new(blob.reader()?))?;
                    unpacker
                        .unpack(store, &mut tar, None)
                        .with_context(|| format!("layer `{item}`"))?
                }
            };
            if layer.diff_id != *diff_id {
                bail!(
                    "layer `{item}`: digest mismatch: the config says {diff_id}, the content is {}",
                    layer.diff_id
                );
            }
            pending.insert(chain.clone(), layer);
        }
    }
    let lock = store.lock()?;
    let mut loaded = Vec::new();
    for f in found {
        for l in &f.manifest.layers {
            let item = items.remove(&format!("blobs/sha256/{}", l.digest.hex()));
            let item = item.or_else(|| {
                f.layer_items
                    .iter()
                    .find_map(|p| items.remove(p).filter(|i| i.digest() == l.digest))
            });
            match item {
                Some(Item::Blob(p)) => {
                    p.commit(Some(&l.digest))?;
                }
                Some(Item::Mem(b)) => {
                    store.put_blob(&b)?;
                }
                None if store.has_blob(&l.digest) => {}
                None => bail!("layer blob {} is missing from the archive", l.digest),
            }
        }
        let config: ImageConfig = serde_json::from_slice(&f.config)?;
        for chain in Digest::chain(&config.rootfs.diff_ids) {
            if let Some(layer) = pending.remove(&chain) {
                layer.commit(store, &chain, &unpacker.idmap())?;
            }
        }
        store.put_blob(&f.config)?;
        let manifest_bytes = serde_json::to_vec(&f.manifest)?;
        let digest = store.put_blob(&manifest_bytes)?;
        store.add_image(&lock, &digest, manifest_bytes.len() as u64, &f.names)?;
        if f.names.is_empty() {
            loaded.push(format!("Loaded image: {}", f.manifest.config.digest));
        }
        loaded.extend(f.names.iter().map(|n| format!("Loaded image: {n}")));
    }
    Ok(loaded)
}

/// Reads every file of the archive once. Symlinks (which some writers use
/// for shared layers) become aliases of their targets.
/// Large entries are layers, almost always: each is unpacked as it streams
/// by (one pass: the blob is written, hashed and unpacked together). An entry
/// that does not unpack is only kept as a blob; if it turns out to be a
/// layer, the second phase unpacks it again and reports the error.
type Speculative = HashMap<String, PendingLayer>;

fn read_archive(
    store: &Store,
    input: Box<dyn Read>,
    unpacker: &Unpacker,
) -> Result<(HashMap<String, Item>, Speculative)> {
    let mut speculative = HashMap::new();
    let stream = layer::decompress(BufReader::with_capacity(1 << 20, input))
        .context("reading the archive")?;
    let mut archive = tar::Archive::new(stream);
    let mut items = HashMap::new();
    let mut links = Vec::new();
    for entry in archive.entries().context("reading the archive")? {
        let mut entry = entry.context("reading the archive")?;
        let name = clean(
            &entry
                .path()
                .context("reading the archive")?
                .to_string_lossy(),
        );
        match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let size = entry.size();
                let item = if size <= IN_MEMORY {
                    let mut buf = Vec::with_capacity(size as usize);
                    entry
                        .read_to_end(&mut buf)
                        .with_context(|| format!("reading `{name}` from the archive"))?;
                    Item::Mem(buf)
                } else {
                    let mut w = store.blob_writer()?;
                    {
                        let mut raw = std::io::BufReader::with_capacity(
                            1 << 20,
                            Tee {
                                inner: &mut entry,
                                out: &mut w,
                            },
                        );
                        let unpacked = layer::decompress(&mut raw)
                            .map_err(anyhow::Error::from)
                            .and_then(|mut tar| unpacker.unpack(store, &mut tar, None));
                        if let Ok(l) = unpacked {
                            speculative.insert(name.clone(), l);
                        }
                        // The rest of the entry (all of it after a failed unpack)
                        // still goes through the tee into the blob.
                        std::io::copy(&mut raw, &mut std::io::sink())
                            .with_context(|| format!("reading `{name}` from the archive"))?;
                    }
                    Item::Blob(w.finish()?)
                };
                items.insert(name, item);
            }
            tar::EntryType::Symlink | tar::EntryType::Link => {
                if let Some(target) = entry.link_name()? {
                    let base = name.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                    let t = target.to_string_lossy();
                    let resolved =
                        if entry.header().entry_type() == tar::EntryType::Link || base.is_empty() {
                            clean(&t)
                        } else {
                            clean(&format!("{base}/{t}"))
                        };
                    links.push((name, resolved));
                }
            }
            _ => {}
        }
    }
    for (name, target) in links {
        if let Some(Item::Mem(b)) = items.get(&target) {
            let b = b.clone();
            items.insert(name, Item::Mem(b));
        } else if items.contains_key(&target) {
            // Large aliased blobs: re-point by name; the content is the same file.
            let alias = match items.get(&target) {
                Some(Item::Blob(p)) => {
                    let mut w = store.blob_writer()?;
                    std::io::copy(&mut std::fs::File::open(p.path())?, &mut w)?;
                    Item::Blob(w.finish()?)
                }
                _ => continue,
            };
            items.insert(name, alias);
        }
    }
    Ok((items, speculative))
}

/// `./a/../b` → `b` (names are only keys here; nothing is written by name).
fn clean(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.join("/")
}

fn mem<'a>(items: &'a HashMap<String, Item>, name: &str) -> Result<&'a [u8]> {
    match items.get(name) {
        Some(Item::Mem(b)) => Ok(b),
        Some(Item::Blob(_)) => bail!("`{name}` is too large for a manifest or config"),
        None => bail!("`{name}` is missing from the archive"),
    }
}

/// A blob of an OCI layout, checked against the digest that names it.
fn oci_blob<'a>(items: &'a HashMap<String, Item>, d: &Digest) -> Result<&'a Item> {
    let name = format!("blobs/sha256/{}", d.hex());
    let item = items
        .get(&name)
        .ok_or_else(|| anyhow!("blob {d} is missing from the archive"))?;
    let actual = item.digest();
    if actual != *d {
        bail!("blob {d}: digest mismatch: the content is {actual}");
    }
    Ok(item)
}

fn oci_images(items: &HashMap<String, Item>) -> Result<Vec<Found>> {
    let index: Index =
        serde_json::from_slice(mem(items, "index.json")?).context("parsing index.json")?;
    let mut found = Vec::new();
    for desc in &index.manifests {
        let names = desc.ref_name().and_then(full_name).into_iter().collect();
        let manifest_desc = pick_platform(items, desc)?;
        let bytes = match oci_blob(items, &manifest_desc.digest)? {
            Item::Mem(b) => b,
            Item::Blob(_) => bail!("manifest {} is too large", manifest_desc.digest),
        };
        let mut manifest: Manifest = serde_json::from_slice(bytes)
            .with_context(|| format!("parsing manifest {}", manifest_desc.digest))?;
        let config = match oci_blob(items, &manifest.config.digest)? {
            Item::Mem(b) => b.clone(),
            Item::Blob(_) => bail!("config {} is too large", manifest.config.digest),
        };
        for l in &manifest.layers {
            oci_blob(items, &l.digest)?;
        }
        let layer_items = manifest
            .layers
            .iter()
            .map(|l| format!("blobs/sha256/{}", l.digest.hex()))
            .collect();
        to_oci_media_types(&mut manifest);
        found.push(Found {
            manifest,
            config,
            layer_items,
            names,
        });
    }
    Ok(found)
}

/// An index entry that is itself an index (multi-platform) resolves to the
/// manifest for this machine.
fn pick_platform(items: &HashMap<String, Item>, desc: &Descriptor) -> Result<Descriptor> {
    if desc.media_type != oci::MEDIA_INDEX && desc.media_type != oci::DOCKER_MANIFEST_LIST {
        return Ok(desc.clone());
    }
    let inner = match oci_blob(items, &desc.digest)? {
        Item::Mem(b) => serde_json::from_slice::<Index>(b).context("parsing an image index")?,
        Item::Blob(_) => bail!("index {} is too large", desc.digest),
    };
    inner
        .manifests
        .into_iter()
        .find(|m| {
            m.platform
                .as_ref()
                .is_none_or(|p| p["architecture"] == oci::host_arch() && p["os"] == "linux")
        })
        .ok_or_else(|| {
            anyhow!(
                "index {} has no image for linux/{}",
                desc.digest,
                oci::host_arch()
            )
        })
}

/// Docker media types become their OCI equivalents in the manifest we keep.
fn to_oci_media_types(m: &mut Manifest) {
    m.media_type = Some(oci::MEDIA_MANIFEST.into());
    m.config.media_type = oci::MEDIA_CONFIG.into();
    for l in &mut m.layers {
        l.media_type = match l.media_type.as_str() {
            oci::DOCKER_LAYER_GZIP => oci::MEDIA_LAYER_GZIP.into(),
            "application/vnd.docker.image.rootfs.diff.tar" => oci::MEDIA_LAYER_TAR.into(),
            other => other.into(),
        };
    }
}

fn docker_images(items: &HashMap<String, Item>) -> Result<Vec<Found>> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Entry {
        config: String,
        #[serde(default)]
        repo_tags: Option<Vec<String>>,
        layers: Vec<String>,
    }
    let entries: Vec<Entry> =
        serde_json::from_slice(mem(items, "manifest.json")?).context("parsing manifest.json")?;
    let mut found = Vec::new();
    for e in entries {
        let config = mem(items, &clean(&e.config))?.to_vec();
        let mut layers = Vec::new();
        let mut layer_items = Vec::new();
        for l in &e.layers {
            let name = clean(l);
            let item = items
                .get(&name)
                .ok_or_else(|| anyhow!("layer `{l}` is missing from the archive"))?;
            let media = match item
                .reader()
                .and_then(|r| Ok(layer::detect(&mut BufReader::new(r))?))?
            {
                layer::Compression::Gzip => oci::MEDIA_LAYER_GZIP,
                layer::Compression::Zstd => oci::MEDIA_LAYER_ZSTD,
                layer::Compression::None => oci::MEDIA_LAYER_TAR,
            };
            let size = match item {
                Item::Mem(b) => b.len() as u64,
                Item::Blob(p) => p.size,
            };
            layers.push(Descriptor::new(media, item.digest(), size));
            layer_items.push(name);
        }
        let cfg = Descriptor::new(oci::MEDIA_CONFIG, Digest::of(&config), config.len() as u64);
        let names = e
            .repo_tags
            .unwrap_or_default()
            .iter()
            .filter_map(|n| full_name(n))
            .collect();
        found.push(Found {
            manifest: Manifest::new(cfg, layers),
            config,
            layer_items,
            names,
        });
    }
    Ok(found)
}

/// A recorded name as a full reference; bare tags (`latest`) name nothing.
fn full_name(n: &str) -> Option<String> {
    if !n.contains('/') && !n.contains(':') {
        return None;
    }
    Reference::parse(n).ok().map(|r| r.to_string())
}

/// Copies what is read from `inner` into `out` on the way.
struct Tee<'a, R, W> {
    inner: &'a mut R,
    out: &'a mut W,
}

impl<R: Read, W: std::io::Write> Read for Tee<'_, R, W> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out.write_all(&buf[..n])?;
        Ok(n)
    }
}
