//! `berth load`: docker-archive and oci-archive tarballs (gzip-compressed or
//! not) into the store.
//!
//! The archive is read once, as a stream: small files are kept in memory,
//! large ones go straight to temporary blobs, hashed on the way. Nothing
//! enters the store until every blob has matched its digest and every layer
//! has unpacked and matched its diffID; then, under the lock, it is all
//! renamed into place and the index updated last.
//!
//! The archive is untrusted, and compressed it can be tiny: what it makes us
//! hold is bounded. Link entries are names for other entries, never copies;
//! small files stay in memory only up to [`MEM_BUDGET`] in all (then they go
//! to temporary blobs like large ones); names, entries and the images'
//! configs are capped; decompressed sizes are bounded by [`layer::decompress`].

use super::unpack::{PendingLayer, Unpacker};
use crate::layer;
use crate::reference::Reference;
use crate::store::Store;
use crate::store::blobs::PendingBlob;
use crate::store::digest::Digest;
use crate::store::oci::{self, Descriptor, ImageConfig, Index, Manifest};
use anyhow::{Context, Result, anyhow, bail};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufReader, Cursor, Read};

/// Files up to this size stay in memory (configs, manifests, small layers),
/// while [`MEM_BUDGET`] lasts. It is also the largest manifest, index or
/// config we accept.
const IN_MEMORY: u64 = 1 << 20;

/// What the archive may make us keep in memory: the small files kept there
/// (beyond it they spill to temporary blobs, so no real archive fails on
/// it), and separately the entry names and the images' configs and
/// manifests (beyond it the archive is refused). A `docker save` of a
/// hundred images holds a few MiB of JSON; a gzip-compressed archive of a
/// few KB can claim gigabytes (issue 8: 5 KB made the old reader use 623 MB).
const MEM_BUDGET: u64 = 64 << 20;

/// Files and links in one archive. `docker save` writes about four entries
/// per layer, so this is thousands of images; beyond it, a forged archive
/// would only cost us time and temporary files.
const MAX_ENTRIES: usize = 1 << 18;

/// How many links a name may go through to reach a file (Linux's MAXSYMLINKS).
const MAX_LINK_HOPS: usize = 40;

enum Item {
    Mem { bytes: Vec<u8>, digest: Digest },
    Blob(PendingBlob),
}

impl Item {
    fn digest(&self) -> Digest {
        match self {
            Item::Mem { digest, .. } => digest.clone(),
            Item::Blob(p) => p.digest.clone(),
        }
    }

    fn size(&self) -> u64 {
        match self {
            Item::Mem { bytes, .. } => bytes.len() as u64,
            Item::Blob(p) => p.size,
        }
    }

    fn reader(&self) -> Result<Box<dyn Read + '_>> {
        Ok(match self {
            Item::Mem { bytes, .. } => Box::new(Cursor::new(bytes)),
            Item::Blob(p) => Box::new(std::fs::File::open(p.path())?),
        })
    }

    /// The whole content, for JSON: borrowed when in memory, read back when
    /// it spilled to a blob.
    fn bytes(&self) -> Result<Cow<'_, [u8]>> {
        match self {
            Item::Mem { bytes, .. } => Ok(Cow::Borrowed(bytes)),
            Item::Blob(p) if p.size <= IN_MEMORY => Ok(Cow::Owned(std::fs::read(p.path())?)),
            Item::Blob(p) => bail!("{} bytes is too large for JSON", p.size),
        }
    }
}

/// The archive's files by name, and its links (symlinks and hardlinks) as
/// names of other entries: an alias costs its name, whatever it points to.
#[derive(Default)]
struct Items {
    files: HashMap<String, Item>,
    links: HashMap<String, String>,
}

impl Items {
    /// The file `name` is, or reaches through links.
    fn resolve<'a>(&'a self, mut name: &'a str) -> Option<&'a str> {
        for _ in 0..=MAX_LINK_HOPS {
            match self.links.get(name) {
                Some(target) => name = target,
                None => return self.files.contains_key(name).then_some(name),
            }
        }
        None
    }

    fn get(&self, name: &str) -> Option<&Item> {
        self.files.get(self.resolve(name)?)
    }

    fn contains_key(&self, name: &str) -> bool {
        self.resolve(name).is_some()
    }

    /// Takes the file out (for its commit); its aliases then name nothing.
    fn remove(&mut self, name: &str) -> Option<Item> {
        let key = self.resolve(name)?.to_string();
        self.files.remove(&key)
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

/// One image an archive held, now in the store.
pub struct Loaded {
    /// Its id: the digest of its config.
    pub id: Digest,
    /// The names the archive gave it (none for an untagged image).
    pub names: Vec<String>,
}

/// Loads every image of the archive.
pub fn load(store: &Store, input: Box<dyn Read>) -> Result<Vec<Loaded>> {
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
    // The diffID of each archive file checked so far: a blob that many
    // layers name (through links, or in many images) is decompressed once.
    let mut checked: HashMap<String, Digest> = HashMap::new();
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
            let key = items
                .resolve(item)
                .ok_or_else(|| anyhow!("layer `{item}` is missing from the archive"))?
                .to_string();
            let blob = &items.files[&key];
            let early = speculative.remove(&key);
            if pending.contains_key(chain) || store.layer_meta_path(chain).exists() {
                // Already unpacked: the archive's blob must still be what the
                // config claims, or it would enter the store under a trusted diffID.
                let actual = match (early, checked.get(&key)) {
                    (Some(l), _) => l.diff_id.clone(),
                    (None, Some(d)) => d.clone(),
                    (None, None) => {
                        let mut tar = layer::decompress(BufReader::new(blob.reader()?))
                            .with_context(|| format!("layer `{item}`"))?;
                        let mut w = crate::store::digest::HashingWriter::new(std::io::sink());
                        std::io::copy(&mut tar, &mut w)
                            .with_context(|| format!("layer `{item}`"))?;
                        w.finish().1
                    }
                };
                checked.insert(key, actual.clone());
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
                    let mut tar = layer::decompress(BufReader::new(blob.reader()?))
                        .with_context(|| format!("layer `{item}`"))?;
                    unpacker
                        .unpack(store, &mut tar, None)
                        .with_context(|| format!("layer `{item}`"))?
                }
            };
            checked.insert(key, layer.diff_id.clone());
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
                Some(Item::Mem { bytes, .. }) => {
                    store.put_blob(&bytes)?;
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
        loaded.push(Loaded {
            id: f.manifest.config.digest.clone(),
            names: f.names,
        });
    }
    Ok(loaded)
}

/// Reads every file of the archive once. Symlinks and hardlinks (which some
/// writers use for shared layers) become aliases of their targets.
/// Large entries are layers, almost always: each is unpacked as it streams
/// by (one pass: the blob is written, hashed and unpacked together). An entry
/// that does not unpack is only kept as a blob; if it turns out to be a
/// layer, the second phase unpacks it again and reports the error.
type Speculative = HashMap<String, PendingLayer>;

fn read_archive(
    store: &Store,
    input: Box<dyn Read>,
    unpacker: &Unpacker,
) -> Result<(Items, Speculative)> {
    let mut speculative = HashMap::new();
    let stream = layer::decompress(BufReader::with_capacity(1 << 20, input))
        .context("reading the archive")?;
    let mut archive = layer::TarArchive::new(stream);
    let mut items = Items::default();
    // Bytes of small files held in memory, and of names (files and links).
    let (mut in_memory, mut names) = (0u64, 0u64);
    for (n, entry) in archive
        .entries()
        .context("reading the archive")?
        .enumerate()
    {
        // tar's own word for a bad first header ("failed to read entire
        // block", a checksum) does not say what is wrong with the input.
        let mut entry = entry.with_context(|| match n {
            0 => {
                "reading the archive (is it a docker-archive or oci-archive? \
                 a tar, optionally gzip- or zstd-compressed)"
            }
            _ => "reading the archive",
        })?;
        let kind = entry.header().entry_type();
        let is_link = matches!(kind, tar::EntryType::Symlink | tar::EntryType::Link);
        if !is_link && !matches!(kind, tar::EntryType::Regular | tar::EntryType::Continuous) {
            continue;
        }
        if items.files.len() + items.links.len() >= MAX_ENTRIES {
            bail!("reading the archive: more than {MAX_ENTRIES} files and links");
        }
        let name = clean(
            &entry
                .path()
                .context("reading the archive")?
                .to_string_lossy(),
        );
        names += name.len() as u64;
        if names > MEM_BUDGET {
            bail!(
                "reading the archive: its names take more than {} MiB",
                MEM_BUDGET >> 20
            );
        }
        if is_link {
            if let Some(target) = entry.link_name()? {
                let base = name.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                let t = target.to_string_lossy();
                let resolved = if kind == tar::EntryType::Link || base.is_empty() {
                    clean(&t)
                } else {
                    clean(&format!("{base}/{t}"))
                };
                names += resolved.len() as u64;
                // A later entry of the same name replaces an earlier one.
                items.files.remove(&name);
                items.links.insert(name, resolved);
            }
            continue;
        }
        let size = entry.size();
        let item = if size <= IN_MEMORY && in_memory + size <= MEM_BUDGET {
            in_memory += size;
            let mut bytes = Vec::with_capacity(size as usize);
            entry
                .read_to_end(&mut bytes)
                .with_context(|| format!("reading `{name}` from the archive"))?;
            let digest = Digest::of(&bytes);
            Item::Mem { bytes, digest }
        } else if size <= IN_MEMORY {
            // Over the budget: a small file waits on disk instead.
            let mut w = store.blob_writer()?;
            std::io::copy(&mut entry, &mut w)
                .with_context(|| format!("reading `{name}` from the archive"))?;
            Item::Blob(w.finish()?)
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
        items.links.remove(&name);
        if let Some(Item::Mem { bytes, .. }) = items.files.insert(name, item) {
            in_memory -= bytes.len() as u64;
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

/// The content of a JSON file of the archive (index, manifest, config).
fn mem<'a>(items: &'a Items, name: &str) -> Result<Cow<'a, [u8]>> {
    match items.get(name) {
        Some(item) if item.size() <= IN_MEMORY => item
            .bytes()
            .with_context(|| format!("reading `{name}` from the archive")),
        Some(_) => bail!("`{name}` is too large for a manifest or config"),
        None => bail!("`{name}` is missing from the archive"),
    }
}

/// Counts `n` more bytes of configs and manifests held for the images found:
/// each image holds its own, so an archive listing one config many times
/// must not make us hold it many times over.
fn keep(kept: &mut u64, n: usize) -> Result<()> {
    *kept += n as u64;
    if *kept > MEM_BUDGET {
        bail!(
            "the archive's images take more than {} MiB of configs and manifests",
            MEM_BUDGET >> 20
        );
    }
    Ok(())
}

/// A blob of an OCI layout, checked against the digest that names it.
fn oci_blob<'a>(items: &'a Items, d: &Digest) -> Result<&'a Item> {
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

/// An OCI blob holding JSON: a manifest, an index or a config.
fn oci_json<'a>(items: &'a Items, what: &str, d: &Digest) -> Result<Cow<'a, [u8]>> {
    let item = oci_blob(items, d)?;
    if item.size() > IN_MEMORY {
        bail!("{what} {d} is too large");
    }
    item.bytes().with_context(|| format!("reading {what} {d}"))
}

fn oci_images(items: &Items) -> Result<Vec<Found>> {
    let index: Index =
        serde_json::from_slice(&mem(items, "index.json")?).context("parsing index.json")?;
    let mut found = Vec::new();
    let mut kept = 0;
    for desc in &index.manifests {
        let names = desc.ref_name().and_then(full_name).into_iter().collect();
        let manifest_desc = pick_platform(items, desc)?;
        let bytes = oci_json(items, "manifest", &manifest_desc.digest)?;
        let mut manifest: Manifest = serde_json::from_slice(&bytes)
            .with_context(|| format!("parsing manifest {}", manifest_desc.digest))?;
        let config = oci_json(items, "config", &manifest.config.digest)?.into_owned();
        keep(&mut kept, bytes.len() + config.len())?;
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
fn pick_platform(items: &Items, desc: &Descriptor) -> Result<Descriptor> {
    if desc.media_type != oci::MEDIA_INDEX && desc.media_type != oci::DOCKER_MANIFEST_LIST {
        return Ok(desc.clone());
    }
    let inner = serde_json::from_slice::<Index>(&oci_json(items, "index", &desc.digest)?)
        .context("parsing an image index")?;
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
pub(super) fn to_oci_media_types(m: &mut Manifest) {
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

fn docker_images(items: &Items) -> Result<Vec<Found>> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Entry {
        config: String,
        #[serde(default)]
        repo_tags: Option<Vec<String>>,
        layers: Vec<String>,
    }
    let entries: Vec<Entry> =
        serde_json::from_slice(&mem(items, "manifest.json")?).context("parsing manifest.json")?;
    let mut found = Vec::new();
    let mut kept = 0;
    for e in entries {
        let config = mem(items, &clean(&e.config))?.into_owned();
        // A layer's descriptor and name cost about this much each.
        keep(
            &mut kept,
            config.len() + e.layers.iter().map(|l| 128 + l.len()).sum::<usize>(),
        )?;
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
            layers.push(Descriptor::new(media, item.digest(), item.size()));
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
