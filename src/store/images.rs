//! Images as the index sees them: manifests with their names (tags), looked
//! up by reference, id or digest; names added, moved and removed.

use super::digest::Digest;
use super::lists::is_index;
use super::oci::{ANNOTATION_REF_NAME, Descriptor, ImageConfig, MEDIA_MANIFEST, Manifest};
use super::{Lock, Store};
use crate::reference::Reference;
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub struct Image {
    /// The manifest's digest (podman's `Digest`).
    pub digest: Digest,
    pub manifest_size: u64,
    pub manifest: Manifest,
    pub config: ImageConfig,
    /// Full references (`docker.io/library/busybox:latest`), in index order.
    pub names: Vec<String>,
    /// `repo@sha256:…` the image has in registries, recorded by push and
    /// pull (podman's RepoDigests); filled by [`Store::images`] and
    /// [`Store::resolve`].
    pub repo_digests: Vec<String>,
}

impl Image {
    /// The image id: the config's digest, as Docker and podman define it.
    pub fn id(&self) -> &Digest {
        &self.manifest.config.digest
    }

    pub fn diff_ids(&self) -> &[Digest] {
        &self.config.rootfs.diff_ids
    }

    pub fn chain_ids(&self) -> Vec<Digest> {
        Digest::chain(self.diff_ids())
    }

    pub fn created_epoch(&self) -> Option<i64> {
        self.config
            .created
            .as_deref()
            .and_then(crate::time::parse_rfc3339)
    }
}

impl Store {
    /// Every image in the index, one per manifest, in index order. Manifest
    /// lists are not images and are left out (see [`Store::lists`]).
    pub fn images(&self) -> Result<Vec<Image>> {
        let index = self.read_index()?;
        let mut order: Vec<Digest> = Vec::new();
        let mut by_digest: BTreeMap<Digest, (u64, Vec<String>)> = BTreeMap::new();
        for m in index.manifests.iter().filter(|m| !is_index(&m.media_type)) {
            let e = by_digest.entry(m.digest.clone()).or_insert_with(|| {
                order.push(m.digest.clone());
                (m.size, Vec::new())
            });
            if let Some(name) = m.ref_name() {
                e.1.push(name.to_string());
            }
        }
        let info = self.blob_info();
        order
            .into_iter()
            .map(|d| {
                let (size, names) = by_digest.remove(&d).unwrap_or_default();
                let mut image = self.load_image(&d, size, names)?;
                image.repo_digests = info.repo_digests(&d).to_vec();
                Ok(image)
            })
            .collect()
    }

    /// An image's size as podman shows it: its layers uncompressed (the
    /// diffIDs' tar sizes, from the layer records) plus its config. Not the
    /// blobs' sizes: those depend on how the image came (a docker-archive's
    /// layers are stored uncompressed, an oci-archive's gzipped), and one
    /// image id must show one size. A layer without a record (not unpacked)
    /// counts its blob.
    pub fn image_size(&self, i: &Image) -> u64 {
        // Sizes come from files an image brought: a forged one may not
        // overflow a sum.
        let chains = i.chain_ids();
        let mut total = i.manifest.config.size;
        for (n, l) in i.manifest.layers.iter().enumerate() {
            let size = chains
                .get(n)
                .and_then(|c| self.layer_size(c))
                .unwrap_or(l.size);
            total = total.saturating_add(size);
        }
        total
    }

    /// The uncompressed size of the layer `chain`, from its record.
    pub fn layer_size(&self, chain: &Digest) -> Option<u64> {
        #[derive(serde::Deserialize)]
        struct Record {
            size: u64,
        }
        use std::io::Read;
        let mut bytes = Vec::new();
        std::fs::File::open(self.layer_meta_path(chain))
            .ok()?
            .take(64 << 10)
            .read_to_end(&mut bytes)
            .ok()?;
        serde_json::from_slice::<Record>(&bytes)
            .ok()
            .map(|r| r.size)
    }

    pub fn load_image(&self, digest: &Digest, size: u64, names: Vec<String>) -> Result<Image> {
        let manifest: Manifest = serde_json::from_slice(&self.read_blob(digest)?)
            .with_context(|| format!("parsing manifest {digest}"))?;
        let config: ImageConfig = serde_json::from_slice(&self.read_blob(&manifest.config.digest)?)
            .with_context(|| format!("parsing image config {}", manifest.config.digest))?;
        Ok(Image {
            digest: digest.clone(),
            manifest_size: size,
            manifest,
            config,
            names,
            repo_digests: Vec::new(),
        })
    }

    /// Finds an image by name (`busybox`, `localhost/x:1`, `name@sha256:…`
    /// with its local or a recorded repo digest), by full or short id, or by
    /// manifest digest.
    pub fn resolve(&self, spec: &str) -> Result<Image> {
        self.find(spec)?
            .ok_or_else(|| anyhow::anyhow!("image `{spec}` not known"))
    }

    /// [`Store::resolve`], with an unknown image as `None`; a `spec` that is
    /// neither a reference nor an id, or an ambiguous id prefix, is an error.
    pub fn find(&self, spec: &str) -> Result<Option<Image>> {
        let images = self.images()?;
        let wanted = Reference::parse(spec).ok();
        if let Some(r) = &wanted {
            let found = images.iter().find(|i| match &r.digest {
                Some(d) => {
                    let local = i.digest.to_string() == *d
                        && (r.tag.is_none()
                            || i.names.contains(
                                &r.to_string().split('@').next().unwrap_or("").to_string(),
                            ));
                    let repo_digest = format!("{}@{d}", r.repository());
                    local || i.repo_digests.contains(&repo_digest)
                }
                None => i.names.iter().any(|n| *n == r.to_string()),
            });
            if let Some(i) = found {
                return Ok(Some(i.clone()));
            }
        }
        let hex = spec.strip_prefix("sha256:").unwrap_or(spec);
        if hex.len() >= 3 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            let matches: Vec<&Image> = images
                .iter()
                .filter(|i| i.id().hex().starts_with(hex) || i.digest.hex() == hex)
                .collect();
            match matches.as_slice() {
                [one] => return Ok(Some((*one).clone())),
                [] => {}
                _ if matches.iter().all(|m| m.id() == matches[0].id()) => {
                    return Ok(Some(matches[0].clone()));
                }
                _ => bail!("image id prefix `{spec}` is ambiguous"),
            }
        }
        if wanted.is_none()
            && Reference::parse(spec).is_err()
            && !hex.bytes().all(|b| b.is_ascii_hexdigit())
        {
            // Report the parse error: it says what is wrong with the name.
            Reference::parse(spec).map_err(anyhow::Error::msg)?;
        }
        Ok(None)
    }

    /// Records an image: its manifest (already a blob) gets `names`, which
    /// move away from any image that held them. An image left with no name
    /// stays, unnamed, like podman's `<none>` images; a manifest list that
    /// loses its name is gone (a list is known only by its name).
    pub fn add_image(
        &self,
        lock: &Lock,
        manifest: &Digest,
        size: u64,
        names: &[String],
    ) -> Result<()> {
        let mut index = self.read_index()?;
        let losers: Vec<(Digest, u64)> = index
            .manifests
            .iter()
            .filter(|m| {
                m.digest != *manifest
                    && !is_index(&m.media_type)
                    && m.ref_name().is_some_and(|n| names.iter().any(|x| x == n))
            })
            .map(|m| (m.digest.clone(), m.size))
            .collect();
        index.manifests.retain(|m| match m.ref_name() {
            Some(n) => !names.iter().any(|x| x == n),
            None => m.digest != *manifest || names.is_empty(),
        });
        for n in names {
            index.manifests.push(named(manifest, size, Some(n)));
        }
        if !index.manifests.iter().any(|m| m.digest == *manifest) {
            index.manifests.push(named(manifest, size, None));
        }
        for (d, size) in losers {
            keep_unnamed(&mut index.manifests, &d, size);
        }
        self.write_index(&index, lock)
    }

    /// Removes `names` (all of them when empty) from the image with manifest `digest`.
    pub fn untag(&self, lock: &Lock, digest: &Digest, names: &[String]) -> Result<()> {
        let mut index = self.read_index()?;
        let size = size_of(&index.manifests, digest).unwrap_or(0);
        index.manifests.retain(|m| {
            m.digest != *digest
                || m.ref_name()
                    .is_some_and(|n| !names.is_empty() && !names.iter().any(|x| x == n))
        });
        keep_unnamed(&mut index.manifests, digest, size);
        self.write_index(&index, lock)
    }

    /// Drops the image from the index; its blobs and layers become garbage
    /// unless another image shares them.
    pub fn remove_image(&self, lock: &Lock, digest: &Digest) -> Result<()> {
        let mut index = self.read_index()?;
        index.manifests.retain(|m| m.digest != *digest);
        self.write_index(&index, lock)
    }
}

fn named(manifest: &Digest, size: u64, name: Option<&String>) -> Descriptor {
    let mut d = Descriptor::new(MEDIA_MANIFEST, manifest.clone(), size);
    if let Some(n) = name {
        d.annotations = Some(BTreeMap::from([(
            ANNOTATION_REF_NAME.to_string(),
            n.clone(),
        )]));
    }
    d
}

fn size_of(entries: &[Descriptor], digest: &Digest) -> Option<u64> {
    entries.iter().find(|m| m.digest == *digest).map(|m| m.size)
}

fn keep_unnamed(entries: &mut Vec<Descriptor>, digest: &Digest, size: u64) {
    if !entries.iter().any(|m| m.digest == *digest) {
        entries.push(named(digest, size, None));
    }
}
