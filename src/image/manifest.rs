//! `berth manifest`: multi-platform lists made of the store's images (or a
//! registry's), and remote manifests read as the registry serves them.
//!
//! An entry's platform comes from its image's config, unless the user says
//! otherwise (`--os`, `--arch`, `--variant`). A list holds at most one image
//! per platform and each image once: a second image for a platform would
//! make which one a pull gets depend on the order (podman appends it; berth
//! refuses, naming the entry already there).
//!
//! A push sends each image by digest, then the index under the tag. berth's
//! layers are stored uncompressed and go up compressed, so an image's
//! pushed manifest is not its stored one: the pushed index names the
//! manifests as pushed (digest, size, media type), never the store's.

use super::pull::{Kind, Platform, choose, kind};
use super::push::{self, Destination, ManifestFormat, PushOptions};
use crate::reference::Reference;
use crate::registry::{Access, Client, Endpoint, Fetched, Registries};
use crate::store::Store;
use crate::store::digest::Digest;
use crate::store::images::Image;
use crate::store::lists::{List, is_index};
use crate::store::oci::{
    DOCKER_MANIFEST_LIST, Descriptor, ImageConfig, Index, MEDIA_INDEX, MEDIA_MANIFEST, Manifest,
};
use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::Read;

/// Where an entry added from a registry came from (`host/repo`): a
/// push copies its blobs from there. Only in the store's copy of the list;
/// a pushed index does not carry it.
pub const ANNOTATION_SOURCE: &str = "io.berth.manifest.source";

/// `--os`, `--arch`, `--variant`: what to say instead of the image's config.
#[derive(Clone, Debug, Default)]
pub struct PlatformOverride {
    pub os: Option<String>,
    pub arch: Option<String>,
    pub variant: Option<String>,
}

/// The list name `name` as the store knows it (`docker.io/library/x:latest`).
pub fn list_name(name: &str) -> Result<String> {
    let r = Reference::parse(name).map_err(|e| anyhow!("`{name}`: {e}"))?;
    if r.digest.is_some() {
        bail!("`{name}`: a manifest list is named by a tag, not a digest");
    }
    Ok(r.to_string())
}

/// The list named `name`, or an error saying there is none.
pub fn find(store: &Store, name: &str) -> Result<List> {
    let full = list_name(name)?;
    if let Some(l) = store.find_list(&full)? {
        return Ok(l);
    }
    if store.resolve(name).is_ok() {
        bail!("`{name}` is an image, not a manifest list");
    }
    bail!("manifest list `{name}` not known")
}

/// Creates the list `name` of the store's `images`; returns its digest.
pub fn create(store: &Store, name: &str, images: &[String]) -> Result<Digest> {
    let full = list_name(name)?;
    let mut index = Index::default();
    for spec in images {
        let img = store.resolve(spec)?;
        add_entry(&mut index, entry(&img, &PlatformOverride::default()))
            .with_context(|| format!("adding `{spec}`"))?;
    }
    let lock = store.lock()?;
    if store.find_list(&full)?.is_some() {
        bail!("manifest list `{name}` exists already");
    }
    store.save_list(&lock, &full, &index)
}

/// Adds `image` to the list `name`: an image of the store, else one fetched
/// from a registry by reference (its manifest and config only; the blobs
/// stay there until the list is pushed). Returns the list's new digest.
pub fn add(
    store: &Store,
    name: &str,
    image: &str,
    over: &PlatformOverride,
    access: &Access,
) -> Result<Digest> {
    let list = find(store, name)?;
    let d = match store.resolve(image) {
        Ok(img) => entry(&img, over),
        Err(local) => remote_entry(image, over, access)
            .with_context(|| format!("`{image}` is not in the store ({local:#})"))?,
    };
    let lock = store.lock()?;
    // Again under the lock: another `manifest add` may have changed it.
    let mut index = store
        .find_list(&list.name)?
        .ok_or_else(|| anyhow!("manifest list `{name}` not known"))?
        .index;
    add_entry(&mut index, d)?;
    store.save_list(&lock, &list.name, &index)
}

/// Removes the list `name` (not its images); returns what it was.
pub fn remove(store: &Store, name: &str) -> Result<List> {
    let list = find(store, name)?;
    let lock = store.lock()?;
    store.remove_list(&lock, &list.name)?;
    Ok(list)
}

/// The list's JSON as it is shown: without berth's own annotations.
pub fn shown(list: &List) -> Index {
    let mut index = list.index.clone();
    for m in &mut index.manifests {
        strip_source(m);
    }
    index
}

pub fn strip_source(d: &mut Descriptor) {
    if let Some(a) = &mut d.annotations {
        a.remove(ANNOTATION_SOURCE);
        if a.is_empty() {
            d.annotations = None;
        }
    }
}

/// The manifest or index `spec` names, as its registry serves it.
pub fn fetch_remote(spec: &str, access: &Access) -> Result<Fetched> {
    let (_, _, fetched) = remote(spec, access)?;
    Ok(fetched)
}

/// How `manifest push` pushes: each image as `berth push` would, and
/// with `all` (podman's default) the images too, not only the index.
#[derive(Clone, Copy, Debug)]
pub struct ListPushOptions {
    pub push: PushOptions,
    pub all: bool,
}

/// Pushes the list to `dest` (its images by digest first, with
/// `opts.all`), the index last under `dest.reference`; returns the
/// digest of the index as pushed.
pub fn push_list(
    store: &Store,
    list: &List,
    client: &Client,
    dest: &Destination,
    access: &Access,
    opts: ListPushOptions,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Digest> {
    client.ping()?;
    let mut index = list.index.clone();
    for m in &mut index.manifests {
        let plat = platform_text(m.platform.as_ref());
        let pushed = if store.has_blob(&m.digest) {
            push_local(store, m, client, dest, opts, progress)
        } else {
            push_remote(m, client, dest, access, opts.all, progress)
        };
        pushed.with_context(|| format!("pushing the image for {plat} ({})", m.digest))?;
        strip_source(m);
    }
    let media = match opts.push.format {
        ManifestFormat::Oci => MEDIA_INDEX,
        ManifestFormat::V2s2 => DOCKER_MANIFEST_LIST,
    };
    index.media_type = Some(media.to_string());
    let bytes = serde_json::to_vec(&index)?;
    progress("Writing manifest list to image destination");
    let digest = client.put_manifest(&dest.repo, &dest.reference, media, &bytes)?;
    let ours = Digest::of(&bytes);
    if digest != ours {
        bail!("the registry stored the manifest list as {digest}, but its digest is {ours}");
    }
    Ok(digest)
}

/// An image of the store: sent as `berth push` sends it (compressing what
/// is stored uncompressed), under its pushed digest; `m` becomes the
/// pushed manifest's descriptor.
fn push_local(
    store: &Store,
    m: &mut Descriptor,
    client: &Client,
    dest: &Destination,
    opts: ListPushOptions,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<()> {
    let image = store.load_image(&m.digest, m.size, Vec::new())?;
    let prepared = push::prepare(store, &image, opts.push, progress)?;
    let digest = Digest::of(&prepared.manifest);
    if opts.all {
        let to = Destination {
            reference: digest.to_string(),
            ..dest.clone()
        };
        let got = push::push(store, &image, client, &to, opts.push, progress)?;
        if got != digest {
            bail!("the pushed manifest is {got}, not the prepared {digest}");
        }
    } else if client
        .head_manifest(&dest.repo, &digest.to_string())?
        .is_none()
    {
        bail!(
            "{} has no manifest {digest}: push with --all",
            dest.location()
        );
    }
    m.media_type = prepared.media_type.to_string();
    m.digest = digest;
    m.size = prepared.manifest.len() as u64;
    Ok(())
}

/// An image added from a registry: copied from there unless `dest` has it
/// (blobs mounted when both are repositories of one registry, else
/// streamed through), unchanged, so its digest stays.
fn push_remote(
    m: &Descriptor,
    client: &Client,
    dest: &Destination,
    access: &Access,
    all: bool,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<()> {
    if client
        .head_manifest(&dest.repo, &m.digest.to_string())?
        .is_some()
    {
        return Ok(());
    }
    let source = m
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANNOTATION_SOURCE))
        .ok_or_else(|| anyhow!("the image is neither in the store nor from a registry"))?;
    if !all {
        bail!(
            "{} has no manifest {}: push with --all",
            dest.location(),
            m.digest
        );
    }
    let (host, repo) = source
        .split_once('/')
        .ok_or_else(|| anyhow!("bad source `{}`", crate::term::escape(source)))?;
    let mut endpoint = Registries::load()?.registry_endpoint(host)?;
    endpoint.repo = repo.to_string();
    let from = Client::connect(&endpoint, access)?;
    let fetched = from.get_manifest(repo, &m.digest.to_string())?;
    let manifest: Manifest =
        serde_json::from_slice(&fetched.bytes).context("parsing the image manifest")?;
    for d in manifest.layers.iter().chain([&manifest.config]) {
        if client.has_blob(&dest.repo, &d.digest)? {
            continue;
        }
        if host == dest.host && client.mount_blob(&dest.repo, &d.digest, repo)? {
            progress(&format!("Copying blob {} mounted from {repo}", d.digest));
            continue;
        }
        let mut body = from.get_blob(repo, &d.digest)?;
        client
            .upload_blob(&dest.repo, &d.digest, d.size, &mut body)
            .with_context(|| format!("copying blob {} from {source}", d.digest))?;
        progress(&format!("Copying blob {} done", d.digest));
    }
    client.put_manifest(
        &dest.repo,
        &m.digest.to_string(),
        &fetched.media_type,
        &fetched.bytes,
    )?;
    Ok(())
}

/// The list entry for an image of the store.
fn entry(img: &Image, over: &PlatformOverride) -> Descriptor {
    let media = img
        .manifest
        .media_type
        .clone()
        .unwrap_or_else(|| MEDIA_MANIFEST.to_string());
    let mut d = Descriptor::new(&media, img.digest.clone(), img.manifest_size);
    d.platform = Some(platform(&img.config, over));
    d
}

/// `{os, architecture, variant}` from the config, as overridden.
fn platform(config: &ImageConfig, over: &PlatformOverride) -> Value {
    let mut p = Map::new();
    let os = over.os.clone().unwrap_or_else(|| config.os.clone());
    let arch = over
        .arch
        .clone()
        .unwrap_or_else(|| config.architecture.clone());
    p.insert("architecture".into(), arch.into());
    p.insert("os".into(), os.into());
    // A new architecture drops the config's variant (arm/v7 is no arm64 variant).
    let variant = match (&over.variant, &over.arch) {
        (Some(v), _) => Some(v.clone()),
        (None, Some(_)) => None,
        (None, None) => config.variant.clone(),
    };
    if let Some(v) = variant.filter(|v| !v.is_empty()) {
        p.insert("variant".into(), v.into());
    }
    Value::Object(p)
}

fn platform_text(p: Option<&Value>) -> String {
    let f = |k: &str| {
        p.and_then(|p| p.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut s = format!("{}/{}", f("os"), f("architecture"));
    if !f("variant").is_empty() {
        s = format!("{s}/{}", f("variant"));
    }
    crate::term::escape(&s).into_owned()
}

/// Adds `d` to the list unless the image or its platform is there already.
fn add_entry(index: &mut Index, d: Descriptor) -> Result<()> {
    if index.manifests.iter().any(|m| m.digest == d.digest) {
        bail!("image {} is in the list already", d.digest);
    }
    let same = |a: Option<&Value>, b: Option<&Value>| {
        let f = |p: Option<&Value>, k: &str| {
            p.and_then(|p| p.get(k))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        ["os", "architecture", "variant"]
            .iter()
            .all(|k| f(a, k) == f(b, k))
    };
    if let Some(m) = index
        .manifests
        .iter()
        .find(|m| same(m.platform.as_ref(), d.platform.as_ref()))
    {
        bail!(
            "the list has an image for {} already ({})",
            platform_text(m.platform.as_ref()),
            m.digest
        );
    }
    index.manifests.push(d);
    Ok(())
}

/// Connects to the first source of `spec` that answers and fetches its
/// manifest (tag or digest).
fn remote(spec: &str, access: &Access) -> Result<(Client, Endpoint, Fetched)> {
    let registries = Registries::load()?;
    let reference = registries.qualify(spec)?;
    let wanted = match (&reference.digest, &reference.tag) {
        (Some(d), _) => d.clone(),
        (None, Some(t)) => t.clone(),
        (None, None) => "latest".into(),
    };
    let mut last = None;
    for endpoint in registries.pull_sources(&reference)? {
        let attempt = Client::connect(&endpoint, access)
            .and_then(|c| Ok((c.get_manifest(&endpoint.repo, &wanted)?, c)));
        match attempt {
            Ok((f, c)) => return Ok((c, endpoint, f)),
            Err(e) if endpoint.mirror => {
                log::warn!("{reference} from mirror {}: {e:#}", endpoint.host);
                last = Some(e);
            }
            Err(e) => return Err(e.context(format!("reading {reference}"))),
        }
    }
    Err(last
        .unwrap_or_else(|| anyhow!("no registry to read from"))
        .context(format!("reading {reference}")))
}

/// A config is a small JSON document; more is refused.
const MAX_CONFIG: u64 = 4 << 20;

/// The entry for an image in a registry: of an index, the instance for the
/// platform asked for (`--os`/`--arch`/`--variant`, else this machine's).
fn remote_entry(spec: &str, over: &PlatformOverride, access: &Access) -> Result<Descriptor> {
    let (client, endpoint, top) = remote(spec, access)?;
    let fetched = match kind(&top)? {
        Kind::Manifest => top,
        Kind::Index => {
            let host = Platform::host();
            let want = Platform {
                os: over.os.clone().unwrap_or(host.os),
                arch: over.arch.clone().unwrap_or(host.arch),
                variant: over.variant.clone(),
            };
            let chosen = choose(&top, &want)?;
            client.get_manifest(&endpoint.repo, &chosen.digest.to_string())?
        }
    };
    if kind(&fetched)? != Kind::Manifest {
        bail!("the index's entry is itself an index");
    }
    let manifest: Manifest =
        serde_json::from_slice(&fetched.bytes).context("parsing the image manifest")?;
    let mut bytes = Vec::new();
    client
        .get_blob(&endpoint.repo, &manifest.config.digest)?
        .take(MAX_CONFIG)
        .read_to_end(&mut bytes)
        .context("reading the image config")?;
    if Digest::of(&bytes) != manifest.config.digest {
        bail!(
            "the registry sent a config whose digest is not {}",
            manifest.config.digest
        );
    }
    let config: ImageConfig = serde_json::from_slice(&bytes).context("parsing the image config")?;
    let mut d = Descriptor::new(
        &fetched.media_type,
        fetched.digest.clone(),
        fetched.bytes.len() as u64,
    );
    d.platform = Some(platform(&config, over));
    d.annotations = Some(BTreeMap::from([(
        ANNOTATION_SOURCE.to_string(),
        endpoint.to_string(),
    )]));
    if is_index(&d.media_type) {
        bail!("`{spec}` is an index inside an index");
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(arch: &str, variant: Option<&str>) -> ImageConfig {
        ImageConfig {
            architecture: arch.into(),
            os: "linux".into(),
            variant: variant.map(String::from),
            ..Default::default()
        }
    }

    #[test]
    fn the_platform_comes_from_the_config_unless_overridden() {
        let c = config("arm", Some("v7"));
        let none = PlatformOverride::default();
        assert_eq!(
            platform(&c, &none),
            json!({"os": "linux", "architecture": "arm", "variant": "v7"})
        );
        let arm64 = PlatformOverride {
            arch: Some("arm64".into()),
            ..Default::default()
        };
        assert_eq!(
            platform(&c, &arm64),
            json!({"os": "linux", "architecture": "arm64"})
        );
    }

    #[test]
    fn a_list_has_one_image_per_platform_and_each_image_once() {
        let mut index = Index::default();
        let d = |hex: char, arch: &str| {
            let mut d = Descriptor::new(MEDIA_MANIFEST, Digest::of(&[hex as u8]), 1);
            d.platform = Some(platform(&config(arch, None), &PlatformOverride::default()));
            d
        };
        add_entry(&mut index, d('a', "amd64")).unwrap();
        add_entry(&mut index, d('b', "arm64")).unwrap();
        let err = add_entry(&mut index, d('c', "arm64")).unwrap_err();
        assert!(
            err.to_string()
                .contains("the list has an image for linux/arm64 already"),
            "{err}"
        );
        let err = add_entry(&mut index, d('a', "s390x")).unwrap_err();
        assert!(err.to_string().contains("in the list already"), "{err}");
        assert_eq!(index.manifests.len(), 2);
    }
}
