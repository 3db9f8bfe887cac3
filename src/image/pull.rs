//! `berth pull`, and the implicit pull of `run` and of a build's `FROM`: an
//! image from a registry into the store.
//!
//! The manifest (after picking this machine's entry of an index) and the
//! config are small and fetched first. Then the layers are fetched
//! concurrently, a few at a time, each streamed once: the compressed bytes go
//! to a temporary blob while being hashed, and through the decompressor into
//! the unpacker, so a layer is on disk, unpacked, when its download ends. A
//! layer is committed (blob renamed into place, directory renamed to its
//! chain id) as soon as its blob digest and its diffID have both been
//! checked; the image enters the index last. A pull killed half way leaves
//! only temporaries and complete, verified layers, which the next pull reuses.
//! Blobs already in the store are not fetched again; layers already unpacked
//! with this user's id mapping are not unpacked again.

use super::unpack::{PendingLayer, Unpacker, read_layer_meta};
use crate::layer;
use crate::reference::Reference;
use crate::registry::{Access, Client, Endpoint, ErrorKind, Fetched, Registries};
use crate::store::Store;
use crate::store::blobs::PendingBlob;
use crate::store::digest::{Digest, HashingWriter};
use crate::store::images::Image;
use crate::store::oci::{self, Descriptor, ImageConfig, Index, Manifest};
use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;
use std::fmt;
use std::io::{self, BufReader, Read};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Layers fetched at once: enough to fill a link while one layer waits on
/// its unpacker, few enough not to starve the unpackers of the 2-core
/// machines berth runs on (podman fetches up to 6).
const PARALLEL: usize = 3;

/// The largest image config accepted (configs of real images are a few KiB;
/// images with long histories reach a few hundred).
const MAX_CONFIG: u64 = 4 << 20;

const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_SCHEMA1: &[&str] = &[
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
];

/// When `run` and `build` fetch the image they name (podman's `--pull`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PullPolicy {
    /// Pull every time
    Always,
    /// Pull when the store has no image of that name
    Missing,
    /// Never pull: the image must be in the store
    Never,
    /// Pull when the registry has a different image under the name
    Newer,
}

/// An `os/arch[/variant]` to pick from a multi-platform index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub arch: String,
    pub variant: Option<String>,
}

impl Platform {
    /// This machine's platform.
    pub fn host() -> Platform {
        Platform {
            os: "linux".into(),
            arch: oci::host_arch().into(),
            variant: None,
        }
    }

    /// `linux/arm64`, `linux/arm/v7`; `arm64` alone means linux.
    pub fn parse(s: &str) -> Result<Platform> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok = |p: &&str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        if !parts.iter().all(ok) {
            bail!("invalid platform `{s}`: expected os/arch[/variant], e.g. linux/arm64");
        }
        let (os, arch, variant) = match parts.as_slice() {
            [arch] => ("linux", *arch, None),
            [os, arch] => (*os, *arch, None),
            [os, arch, variant] => (*os, *arch, Some(variant.to_string())),
            _ => bail!("invalid platform `{s}`: expected os/arch[/variant], e.g. linux/arm64"),
        };
        Ok(Platform {
            os: os.into(),
            arch: normalise_arch(arch).into(),
            variant,
        })
    }

    /// Whether an index entry's `platform` object is this platform. Without
    /// a variant asked for, any variant of the architecture matches.
    fn matches(&self, p: &Value) -> bool {
        let field = |k: &str| p.get(k).and_then(Value::as_str);
        field("os") == Some(self.os.as_str())
            && field("architecture").map(normalise_arch) == Some(self.arch.as_str())
            && self
                .variant
                .as_deref()
                .is_none_or(|v| field("variant") == Some(v))
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// Go's names, which indexes use, for the names people also type.
fn normalise_arch(a: &str) -> &str {
    match a {
        "x86_64" | "x86-64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// What a pull reports as it goes, for the progress display.
pub trait Observer: Sync {
    /// A step of the pull, in words ("Trying to pull …").
    fn step(&self, what: &str);
    /// The image is complete; its manifest goes into the store.
    fn finished(&self);
    /// A layer blob: `fetch` is false when the store already has it.
    fn blob_start(&self, digest: &Digest, size: u64, fetch: bool);
    /// `n` more bytes of the blob arrived.
    fn blob_bytes(&self, digest: &Digest, n: u64);
    fn blob_done(&self, digest: &Digest);
}

/// How to pull: the registry access flags and the platform.
pub struct PullOptions {
    pub access: Access,
    pub platform: Platform,
    pub all_tags: bool,
}

/// One image pulled.
pub struct Pulled {
    /// The image id: the config digest.
    pub id: Digest,
    /// The manifest's digest in the store.
    pub manifest: Digest,
}

/// Pulls `name` (as the user typed it): every tag with `all_tags`.
pub fn pull(
    store: &Store,
    name: &str,
    opts: &PullOptions,
    obs: &dyn Observer,
) -> Result<Vec<Pulled>> {
    // Ctrl-C stops the downloads; their temporaries go as the error unwinds.
    let _interrupt = crate::sys::process::InterruptGuard::install();
    let registries = Registries::load()?;
    let reference = registries.qualify(name)?;
    if !opts.all_tags {
        return Ok(vec![pull_reference(
            store,
            &registries,
            &reference,
            opts,
            obs,
        )?]);
    }
    if reference.digest.is_some() || name.rsplit('/').next().is_some_and(|l| l.contains(':')) {
        bail!("--all-tags: `{name}` names a tag or digest; give a repository alone");
    }
    let endpoint = registries
        .pull_sources(&reference)?
        .pop()
        .ok_or_else(|| anyhow!("{}: no registry to pull from", reference.repository()))?;
    let client = Client::connect(&endpoint, &opts.access)?;
    let tags = client
        .tags(&endpoint.repo)
        .with_context(|| format!("listing the tags of {}", reference.repository()))?;
    let mut pulled = Vec::new();
    for tag in tags {
        let mut r = reference.clone();
        r.tag = Some(tag);
        pulled.push(pull_reference(store, &registries, &r, opts, obs)?);
    }
    Ok(pulled)
}

/// Pulls one fully-qualified reference, trying its mirrors first.
fn pull_reference(
    store: &Store,
    registries: &Registries,
    reference: &Reference,
    opts: &PullOptions,
    obs: &dyn Observer,
) -> Result<Pulled> {
    let sources = registries.pull_sources(reference)?;
    let mut last = None;
    for endpoint in &sources {
        obs.step(&format!("Trying to pull {reference}..."));
        let attempt = Client::connect(endpoint, &opts.access)
            .and_then(|client| pull_from(store, &client, endpoint, reference, opts, obs));
        match attempt {
            Ok(p) => return Ok(p),
            Err(e) if endpoint.mirror => {
                log::warn!("pulling {reference} from mirror {}: {e:#}", endpoint.host);
                last = Some(e);
            }
            Err(e) => return Err(e.context(format!("pulling {reference}"))),
        }
    }
    Err(last
        .unwrap_or_else(|| anyhow!("no registry to pull from"))
        .context(format!("pulling {reference}")))
}

/// Everything of one image from one registry.
fn pull_from(
    store: &Store,
    client: &Client,
    endpoint: &Endpoint,
    reference: &Reference,
    opts: &PullOptions,
    obs: &dyn Observer,
) -> Result<Pulled> {
    let repo = endpoint.repo.as_str();
    let _work = store.work_lock(false)?;
    let wanted = match (&reference.digest, &reference.tag) {
        (Some(d), _) => d.clone(),
        (None, Some(t)) => t.clone(),
        (None, None) => "latest".into(),
    };
    let top = client.get_manifest(repo, &wanted)?;
    let top_digest = top.digest.clone();
    let fetched = match kind(&top)? {
        Kind::Index => {
            let chosen = choose(&top, &opts.platform)?;
            client.get_manifest(repo, &chosen.digest.to_string())?
        }
        Kind::Manifest => top,
    };
    if kind(&fetched)? != Kind::Manifest {
        bail!("the index's entry for {} is itself an index", opts.platform);
    }
    let fetched_digest = fetched.digest.clone();
    let mut manifest: Manifest =
        serde_json::from_slice(&fetched.bytes).context("parsing the image manifest")?;
    let config_bytes = fetch_config(store, client, repo, &manifest.config)?;
    let config: ImageConfig =
        serde_json::from_slice(&config_bytes).context("parsing the image config")?;
    if config.rootfs.diff_ids.len() != manifest.layers.len() {
        bail!(
            "the image config lists {} layers, the manifest {}",
            config.rootfs.diff_ids.len(),
            manifest.layers.len()
        );
    }
    for l in &manifest.layers {
        check_layer_type(&l.media_type)?;
    }
    fetch_layers(store, client, repo, &manifest.layers, &config, obs)?;

    obs.finished();
    let lock = store.lock()?;
    store.put_blob(&config_bytes)?;
    // An OCI manifest is kept as it came, so its digest is the registry's;
    // a Docker one becomes its OCI equivalent (the layout's index holds OCI
    // manifests), with the same blobs.
    let bytes = if manifest.media_type.as_deref() == Some(oci::MEDIA_MANIFEST) {
        fetched.bytes
    } else {
        super::load::to_oci_media_types(&mut manifest);
        serde_json::to_vec(&manifest)?
    };
    let digest = store.put_blob(&bytes)?;
    // Pulled by digest alone, the image has no tag to carry (podman's `<none>`).
    let names: Vec<String> = reference.tag.iter().map(|_| tagged(reference)).collect();
    store.add_image(&lock, &digest, bytes.len() as u64, &names)?;
    // podman's RepoDigests: the digest the registry knows the image by (the
    // index's, for a multi-platform name, and the platform's own), which
    // `--pull=newer` compares and `name@sha256:…` finds; and where its blobs
    // are, so a push to that registry can mount them instead of uploading.
    let repository = reference.repository();
    let source = format!("{}/{}", endpoint.host, endpoint.repo);
    store.update_blob_info(&lock, |info| {
        info.add_repo_digest(&digest, &format!("{repository}@{top_digest}"));
        if fetched_digest != top_digest {
            info.add_repo_digest(&digest, &format!("{repository}@{fetched_digest}"));
        }
        for l in &manifest.layers {
            info.add_location(&l.digest, &source);
        }
    })?;
    Ok(Pulled {
        id: manifest.config.digest.clone(),
        manifest: digest,
    })
}

/// `name:tag` without the digest, the name an image is recorded under.
fn tagged(r: &Reference) -> String {
    let mut r = r.clone();
    r.digest = None;
    r.to_string()
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Index,
    Manifest,
}

/// What the registry sent: by its Content-Type, else by the document's own
/// `mediaType` (registries serving OCI documents as `application/json`).
pub(super) fn kind(f: &Fetched) -> Result<Kind> {
    let declared = || {
        serde_json::from_slice::<Value>(&f.bytes)
            .ok()
            .and_then(|v| v.get("mediaType").and_then(Value::as_str).map(String::from))
    };
    let media = match f.media_type.as_str() {
        "" | "application/json" | "text/plain" => declared().unwrap_or_default(),
        m => m.to_string(),
    };
    match media.as_str() {
        oci::MEDIA_INDEX | oci::DOCKER_MANIFEST_LIST => Ok(Kind::Index),
        oci::MEDIA_MANIFEST | DOCKER_MANIFEST => Ok(Kind::Manifest),
        m if DOCKER_SCHEMA1.contains(&m) => bail!(
            "the registry has this image only as a Docker schema 1 manifest, \
             which berth does not read (deprecated since 2019): push it again with a current tool"
        ),
        // An OCI manifest without mediaType (the field is optional).
        "" if serde_json::from_slice::<Value>(&f.bytes)
            .is_ok_and(|v| v.get("config").is_some() && v.get("layers").is_some()) =>
        {
            Ok(Kind::Manifest)
        }
        "" if serde_json::from_slice::<Value>(&f.bytes)
            .is_ok_and(|v| v.get("manifests").is_some()) =>
        {
            Ok(Kind::Index)
        }
        m => bail!("unsupported manifest type `{}`", crate::term::escape(m)),
    }
}

/// The index entry for `platform`, or an error listing what the index has.
pub(super) fn choose(index: &Fetched, platform: &Platform) -> Result<Descriptor> {
    let index: Index = serde_json::from_slice(&index.bytes).context("parsing the image index")?;
    let found = index
        .manifests
        .iter()
        .find(|m| m.platform.as_ref().is_some_and(|p| platform.matches(p)));
    if let Some(m) = found {
        return Ok(m.clone());
    }
    let have: Vec<String> = index
        .manifests
        .iter()
        .filter_map(|m| m.platform.as_ref())
        .map(|p| {
            let f = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("");
            let mut s = format!("{}/{}", f("os"), f("architecture"));
            if !f("variant").is_empty() {
                s = format!("{s}/{}", f("variant"));
            }
            crate::term::escape(&s).into_owned()
        })
        .filter(|s| s != "unknown/unknown")
        .collect();
    bail!(
        "no image for {platform} in the index (it has: {})",
        if have.is_empty() {
            "none".into()
        } else {
            have.join(", ")
        }
    )
}

fn check_layer_type(media: &str) -> Result<()> {
    match media {
        oci::MEDIA_LAYER_TAR
        | oci::MEDIA_LAYER_GZIP
        | oci::MEDIA_LAYER_ZSTD
        | oci::DOCKER_LAYER_GZIP
        | "application/vnd.docker.image.rootfs.diff.tar" => Ok(()),
        m => bail!("unsupported layer type `{}`", crate::term::escape(m)),
    }
}

/// The config, from the store when it has it, else from the registry,
/// checked against its digest either way.
fn fetch_config(store: &Store, client: &Client, repo: &str, desc: &Descriptor) -> Result<Vec<u8>> {
    if store.has_blob(&desc.digest) {
        return store.read_blob(&desc.digest);
    }
    if desc.size > MAX_CONFIG {
        bail!(
            "the image config is {} bytes, more than berth accepts",
            desc.size
        );
    }
    let mut bytes = Vec::new();
    client
        .get_blob(repo, &desc.digest)?
        .take(MAX_CONFIG + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("fetching the image config {}", desc.digest))?;
    let actual = Digest::of(&bytes);
    if actual != desc.digest {
        bail!(
            "the image config {}: digest mismatch: the content is {actual}",
            desc.digest
        );
    }
    Ok(bytes)
}

/// One layer's work: where its bytes come from and what to make of them.
struct Job<'a> {
    desc: &'a Descriptor,
    diff_id: &'a Digest,
    chain: Digest,
    /// Fetch from the registry (else read the blob the store has).
    fetch: bool,
    /// Unpack (else only check the diffID: the layer is already unpacked).
    unpack: bool,
}

/// Fetches and unpacks what the store lacks of `layers`, PARALLEL at a time,
/// committing each layer when it is complete and checked.
fn fetch_layers(
    store: &Store,
    client: &Client,
    repo: &str,
    layers: &[Descriptor],
    config: &ImageConfig,
    obs: &dyn Observer,
) -> Result<()> {
    let unpacker = Unpacker::for_current_user()?;
    let idmap = unpacker.idmap();
    let diff_ids = &config.rootfs.diff_ids;
    let mut jobs = Vec::new();
    for ((desc, diff_id), chain) in layers.iter().zip(diff_ids).zip(Digest::chain(diff_ids)) {
        let fetch = !store.has_blob(&desc.digest);
        let unpacked = read_layer_meta(store, &chain)
            .is_some_and(|m| m.idmap == idmap && m.diff_id == *diff_id)
            && store.layer_dir(&chain).is_dir();
        obs.blob_start(&desc.digest, desc.size, fetch);
        if !fetch && unpacked {
            continue;
        }
        jobs.push(Job {
            desc,
            diff_id,
            chain,
            fetch,
            unpack: !unpacked,
        });
    }
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let work = || -> Result<()> {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(i) else {
                return Ok(());
            };
            if failed.load(Ordering::Relaxed) {
                return Ok(());
            }
            let r = with_retries(|| layer_job(store, client, repo, &unpacker, job, &failed, obs))
                .with_context(|| format!("layer {}", job.desc.digest));
            if r.is_err() {
                failed.store(true, Ordering::Relaxed);
                return r;
            }
            obs.blob_done(&job.desc.digest);
        }
    };
    // Scoped threads, all joined here: no thread outlives the pull (a
    // container may be forked next).
    let results: Vec<Result<()>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..PARALLEL.min(jobs.len()))
            .map(|_| s.spawn(work))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow!("a download thread panicked")))
            })
            .collect()
    });
    results.into_iter().collect()
}

/// Tries a layer again after a transient network failure (a connection
/// reset or cut short mid-download, a registry that went away for a
/// moment): at most [`TRIES`] times, waiting a little longer each time.
/// What the registry sent wrong (a digest mismatch, a 404) is not retried.
fn with_retries(mut job: impl FnMut() -> Result<()>) -> Result<()> {
    let mut wait = std::time::Duration::from_millis(250);
    for _ in 1..TRIES {
        match job() {
            Err(e) if is_transient(&e) => {
                log::warn!("{e:#}; trying again");
                std::thread::sleep(wait);
                wait *= 2;
            }
            r => return r,
        }
    }
    job()
}

const TRIES: usize = 3;

fn is_transient(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        if let Some(r) = c.downcast_ref::<crate::registry::Error>() {
            return r.kind == ErrorKind::Unreachable;
        }
        c.downcast_ref::<io::Error>().is_some_and(|io| {
            matches!(
                io.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::TimedOut
                    | io::ErrorKind::BrokenPipe
            ) && !io.to_string().contains("another layer failed")
        })
    })
}

/// Fetches (or reads) one layer, unpacks it (or checks it), commits it.
///
/// A fetched layer is two threads: one reads the network into the
/// temporary blob, hashing it, and hands each chunk on through a short
/// bounded queue; the other decompresses, unpacks and hashes the tar. On a
/// machine of two cores that halves a one-layer pull, whose work is
/// otherwise all in one thread.
fn layer_job(
    store: &Store,
    client: &Client,
    repo: &str,
    unpacker: &Unpacker,
    job: &Job,
    failed: &AtomicBool,
    obs: &dyn Observer,
) -> Result<()> {
    let (blob, unpacked) = if job.fetch {
        let mut counted = Counted {
            inner: client.get_blob(repo, &job.desc.digest)?,
            digest: &job.desc.digest,
            obs,
            failed,
            // Never more than the manifest says: a registry cannot make us
            // store more than it declared.
            left: job.desc.size.saturating_add(1),
        };
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUED_CHUNKS);
        std::thread::scope(|s| {
            let fetcher = s.spawn(move || fetch_into_blob(store, &mut counted, tx));
            let mut raw = BufReader::with_capacity(1 << 20, layer::ChunkReader::new(rx));
            let unpacked = unpack_or_hash(store, unpacker, &mut raw, job.unpack);
            // The rest of the stream (the compressor's trailer, tar
            // padding) is read too, also after a failed unpack: the
            // fetcher then completes the blob, and a blob that is not what
            // the manifest says is reported as such rather than as whatever
            // its bytes made the decompressor say.
            let rest = io::copy(&mut raw, &mut io::sink()).context("reading the layer");
            drop(raw);
            let blob = fetcher
                .join()
                .unwrap_or_else(|_| Err(anyhow!("the download thread panicked")));
            (blob.map(Some), unpacked.and_then(|u| rest.map(|_| u)))
        })
    } else {
        let mut raw = BufReader::with_capacity(1 << 20, store.open_blob(&job.desc.digest)?);
        (
            Ok(None),
            unpack_or_hash(store, unpacker, &mut raw, job.unpack),
        )
    };
    let blob = blob?;
    if let Some(b) = &blob
        && (b.size != job.desc.size || b.digest != job.desc.digest)
    {
        bail!(
            "digest mismatch: the registry sent {} bytes with digest {}, the manifest says {} bytes with digest {}",
            b.size,
            b.digest,
            job.desc.size,
            job.desc.digest
        );
    }
    let (layer, diff_id) = unpacked?;
    if diff_id != *job.diff_id {
        bail!(
            "digest mismatch: the config says {}, the content is {diff_id}",
            job.diff_id
        );
    }
    let lock = store.lock()?;
    if let Some(b) = blob {
        b.commit(Some(&job.desc.digest))?;
    }
    if let Some(l) = layer {
        commit_layer(store, l, &job.chain, &unpacker.idmap())?;
    }
    drop(lock);
    Ok(())
}

/// Chunks in flight between a layer's fetcher and its unpacker (of
/// [`CHUNK`] bytes each): enough to ride out a stall on either side.
const QUEUED_CHUNKS: usize = 16;
const CHUNK: usize = 256 << 10;

/// Reads the whole blob from the network into a temporary blob, passing
/// each chunk on. When the unpacker has gone (it failed), the blob is still
/// completed, for its digest.
fn fetch_into_blob(
    store: &Store,
    from: &mut dyn Read,
    tx: std::sync::mpsc::SyncSender<layer::Chunk>,
) -> Result<PendingBlob> {
    let mut w = store.blob_writer()?;
    let mut to_unpacker = Some(tx);
    loop {
        let mut chunk = vec![0u8; CHUNK];
        let n = match from.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                if let Some(tx) = &to_unpacker {
                    let _ = tx.send(Err(io::Error::new(e.kind(), e.to_string())));
                }
                return Err(anyhow::Error::from(e).context("reading the layer"));
            }
        };
        chunk.truncate(n);
        io::Write::write_all(&mut w, &chunk).context("writing the layer blob")?;
        if let Some(tx) = &to_unpacker
            && tx.send(Ok(chunk)).is_err()
        {
            to_unpacker = None;
        }
    }
    w.finish()
}

/// Unpacks the (compressed) layer stream, or only hashes its tar when the
/// layer is already unpacked; returns the pending layer and the diffID.
fn unpack_or_hash(
    store: &Store,
    unpacker: &Unpacker,
    raw: &mut dyn io::BufRead,
    unpack: bool,
) -> Result<(Option<PendingLayer>, Digest)> {
    let mut tar = layer::decompress(raw).context("reading the layer")?;
    if unpack {
        let l = unpacker.unpack(store, &mut tar, None)?;
        let d = l.diff_id.clone();
        Ok((Some(l), d))
    } else {
        let mut w = HashingWriter::new(io::sink());
        io::copy(&mut tar, &mut w).context("reading the layer")?;
        Ok((None, w.finish().1))
    }
}

fn commit_layer(store: &Store, l: PendingLayer, chain: &Digest, idmap: &str) -> Result<()> {
    // A layer left by another id mapping is replaced, never reused.
    if read_layer_meta(store, chain).is_some_and(|m| m.idmap != idmap) {
        crate::helper::remove_tree(&store.layer_dir(chain))?;
        let _ = std::fs::remove_file(store.layer_meta_path(chain));
    }
    l.commit(store, chain, idmap)
}

/// Counts what arrives for the progress display, stops the download when
/// another layer failed, and refuses bytes beyond the declared size.
struct Counted<'a> {
    inner: Box<dyn Read + Send>,
    digest: &'a Digest,
    obs: &'a dyn Observer,
    failed: &'a AtomicBool,
    left: u64,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failed.load(Ordering::Relaxed) {
            return Err(io::Error::other("stopped: another layer failed"));
        }
        if crate::sys::process::interrupted() {
            // Not ErrorKind::Interrupted: readers retry that one forever.
            return Err(io::Error::other("interrupted"));
        }
        let max = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..max])?;
        if n == 0 && max == 0 && !buf.is_empty() {
            return Err(io::Error::other(
                "the registry sent more bytes than the manifest says",
            ));
        }
        self.left -= n as u64;
        self.obs.blob_bytes(self.digest, n as u64);
        Ok(n)
    }
}

/// The image `name` names, pulled first as `policy` says.
pub fn ensure(
    store: &Store,
    name: &str,
    policy: PullPolicy,
    opts: &PullOptions,
    obs: &dyn Observer,
) -> Result<Image> {
    let local = store.resolve(name);
    let pull_it = match (policy, &local) {
        (PullPolicy::Never, _) => false,
        (PullPolicy::Always, _) => true,
        (PullPolicy::Missing, l) => l.is_err() && Reference::parse(name).is_ok(),
        (PullPolicy::Newer, Err(_)) => Reference::parse(name).is_ok(),
        (PullPolicy::Newer, Ok(img)) => is_stale(store, img, name, opts),
    };
    if !pull_it {
        return local;
    }
    let pulled = pull(store, name, opts, obs)?;
    let p = pulled.first().context("nothing was pulled")?;
    store.resolve(&p.manifest.to_string())
}

/// Whether the registry's manifest for `name` differs from the image's.
/// A registry that cannot be asked keeps the local image (podman's `newer`).
fn is_stale(store: &Store, img: &Image, name: &str, opts: &PullOptions) -> bool {
    let check = || -> Result<bool> {
        let registries = Registries::load()?;
        let reference = registries.qualify(name)?;
        let endpoint = registries
            .pull_sources(&reference)?
            .pop()
            .context("no registry")?;
        let client = Client::connect(&endpoint, &opts.access)?;
        let tag = reference.tag.clone().unwrap_or_else(|| "latest".into());
        let known = store.blob_info();
        let ours = format!("{}@", reference.repository());
        Ok(match client.head_manifest(&endpoint.repo, &tag)? {
            Some(d) => {
                d != img.digest
                    && !known
                        .repo_digests(&img.digest)
                        .iter()
                        .any(|r| r.strip_prefix(&ours) == Some(d.to_string().as_str()))
            }
            None => false,
        })
    };
    check().unwrap_or_else(|e| {
        log::warn!("checking for a newer {name}: {e:#}; using the local image");
        false
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fetched(media: &str, v: Value) -> Fetched {
        let bytes = serde_json::to_vec(&v).unwrap();
        Fetched {
            media_type: media.into(),
            digest: Digest::of(&bytes),
            bytes,
        }
    }

    #[test]
    fn platforms_parse_like_podman() {
        let p = Platform::parse("linux/arm/v7").unwrap();
        assert_eq!((p.os.as_str(), p.arch.as_str()), ("linux", "arm"));
        assert_eq!(p.variant.as_deref(), Some("v7"));
        assert_eq!(
            Platform::parse("aarch64").unwrap().to_string(),
            "linux/arm64"
        );
        for bad in ["", "linux/", "a/b/c/d", "linux/amd 64"] {
            assert!(Platform::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_variant_is_matched_only_when_asked_for() {
        let entry = json!({"os": "linux", "architecture": "arm", "variant": "v6"});
        assert!(Platform::parse("linux/arm").unwrap().matches(&entry));
        assert!(Platform::parse("linux/arm/v6").unwrap().matches(&entry));
        assert!(!Platform::parse("linux/arm/v7").unwrap().matches(&entry));
        assert!(!Platform::parse("linux/amd64").unwrap().matches(&entry));
    }

    #[test]
    fn a_missing_platform_lists_what_the_index_has() {
        let index = fetched(
            oci::MEDIA_INDEX,
            json!({"schemaVersion": 2, "manifests": [
                {"mediaType": oci::MEDIA_MANIFEST, "digest": Digest::of(b"a").to_string(), "size": 1,
                 "platform": {"os": "linux", "architecture": "amd64"}},
                {"mediaType": oci::MEDIA_MANIFEST, "digest": Digest::of(b"b").to_string(), "size": 1,
                 "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
                {"mediaType": oci::MEDIA_MANIFEST, "digest": Digest::of(b"c").to_string(), "size": 1,
                 "platform": {"os": "unknown", "architecture": "unknown"}}
            ]}),
        );
        let arm = choose(&index, &Platform::parse("linux/arm64").unwrap()).unwrap();
        assert_eq!(arm.digest, Digest::of(b"b"));
        let err = choose(&index, &Platform::parse("linux/s390x").unwrap()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no image for linux/s390x in the index (it has: linux/amd64, linux/arm64/v8)"
        );
    }

    #[test]
    fn documents_are_told_apart_by_type_then_by_content() {
        let m = json!({"schemaVersion": 2, "config": {}, "layers": []});
        assert_eq!(
            kind(&fetched(DOCKER_MANIFEST, m.clone())).unwrap(),
            Kind::Manifest
        );
        assert_eq!(
            kind(&fetched("application/json", m)).unwrap(),
            Kind::Manifest
        );
        let i = json!({"schemaVersion": 2, "manifests": []});
        assert_eq!(kind(&fetched("", i)).unwrap(), Kind::Index);
        let err = kind(&fetched(DOCKER_SCHEMA1[1], json!({}))).unwrap_err();
        assert!(err.to_string().contains("schema 1"), "{err}");
        assert!(kind(&fetched("text/html", json!({}))).is_err());
    }
}
