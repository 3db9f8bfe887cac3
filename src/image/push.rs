//! `berth push`: an image from the store to a registry.
//!
//! Layers a registry sends or an archive brought keep their compressed
//! bytes and are pushed unchanged. berth's own layers are uncompressed tars
//! (their digest is their diffID); a push compresses each once, on every
//! core, into a new blob beside it and records diffID → compressed digest in
//! the store's blob info, so every later push sends the same bytes without
//! compressing again (containers/image's blob info cache, in the store).
//!
//! A layer compressed for the first time goes to the registry as it is
//! made: the compressor's output is written to the new blob and, through a
//! bounded pipe, to an upload thread at once, so the upload overlaps the
//! compression instead of following it.
//!
//! Each other blob then goes up the cheapest way: not at all when the registry
//! has it (HEAD), mounted from another repository of the same registry the
//! store saw it in, else uploaded as a stream from its file. Config, then
//! the manifest under the tag; its digest is recorded as the image's repo
//! digest.

use crate::layer::{self, Compression};
use crate::registry::Client;
use crate::store::Store;
use crate::store::blobinfo::Compressed;
use crate::store::blobs::{BlobWriter, PendingBlob};
use crate::store::digest::Digest;
use crate::store::images::Image;
use crate::store::oci::{self, Descriptor, Manifest};
use anyhow::{Context, Result, bail};
use std::collections::HashSet;
use std::io::{BufReader, Read, Write};
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

/// The manifest schema to push.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ManifestFormat {
    /// OCI image manifest
    #[default]
    Oci,
    /// Docker image manifest, schema 2
    V2s2,
}

/// How to compress layers the store holds uncompressed.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CompressionFormat {
    #[default]
    Gzip,
    Zstd,
}

impl CompressionFormat {
    fn kind(self) -> Compression {
        match self {
            CompressionFormat::Gzip => Compression::Gzip,
            CompressionFormat::Zstd => Compression::Zstd,
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct PushOptions {
    pub format: ManifestFormat,
    pub compression: CompressionFormat,
}

/// Where to push: a registry host and a repository in it, and the tag.
#[derive(Clone, Debug)]
pub struct Destination {
    /// `docker.io`, `127.0.0.1:5000`: as the reference names it.
    pub host: String,
    /// `library/alpine`
    pub repo: String,
    /// The tag (or `sha256:…`) the manifest is put under.
    pub reference: String,
}

impl Destination {
    /// `host/repo`, the name of a location in the blob info record.
    pub fn location(&self) -> String {
        format!("{}/{}", self.host, self.repo)
    }
}

/// What the push of one image sends: its blobs (layers, then the config)
/// and the manifest that names them.
#[derive(Debug)]
pub struct Prepared {
    /// (what, descriptor): "blob" for layers, "config".
    pub blobs: Vec<(&'static str, Descriptor)>,
    pub manifest: Vec<u8>,
    pub media_type: &'static str,
}

/// A layer of the image as it will be pushed.
enum Layer {
    /// The blob is compressed already (pulled or loaded): sent as it is.
    Ready(Descriptor, Compression),
    /// The blob is an uncompressed tar: sent compressed.
    Compress { diff_id: Digest, blob: Digest },
}

/// Sends the bytes a reader yields to the registry as they come, then
/// commits them under the digest the second argument gives once the reader
/// has ended (the store's blob writer hashes them once; the upload does
/// not hash again); returns the size it sent.
type Upload<'a> = &'a (dyn Fn(&mut dyn Read, &dyn Fn() -> Option<Digest>) -> Result<u64> + Sync);

/// Compresses the layers that need it (once: see the module doc) and builds
/// the manifest to push. `progress` gets one line per compressed layer.
pub fn prepare(
    store: &Store,
    image: &Image,
    opts: PushOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Prepared> {
    Ok(prepare_sending(store, image, opts, progress, None)?.0)
}

/// [`prepare`], and with `upload` each layer compressed now is also sent
/// while it is made; returns the digests so sent too.
fn prepare_sending(
    store: &Store,
    image: &Image,
    opts: PushOptions,
    progress: &mut dyn FnMut(&str),
    upload: Option<Upload<'_>>,
) -> Result<(Prepared, HashSet<Digest>)> {
    let diff_ids = image.diff_ids();
    if diff_ids.len() != image.manifest.layers.len() {
        bail!(
            "the image's manifest has {} layers but its config {} diffIDs",
            image.manifest.layers.len(),
            diff_ids.len()
        );
    }
    let want = opts.compression.kind();
    if opts.format == ManifestFormat::V2s2 && want == Compression::Zstd {
        bail!(
            "the Docker v2s2 manifest format cannot carry zstd-compressed layers: push with --format oci or --compression-format gzip"
        );
    }
    let mut layers = Vec::new();
    for (l, diff_id) in image.manifest.layers.iter().zip(diff_ids) {
        let mut f = BufReader::new(store.open_blob(&l.digest)?);
        match layer::detect(&mut f).with_context(|| format!("reading layer {}", l.digest))? {
            Compression::None => layers.push(Layer::Compress {
                diff_id: diff_id.clone(),
                blob: l.digest.clone(),
            }),
            Compression::Zstd if opts.format == ManifestFormat::V2s2 => bail!(
                "layer {} is zstd-compressed, which a Docker v2s2 manifest cannot carry: push with --format oci",
                l.digest
            ),
            kind => layers.push(Layer::Ready(l.clone(), kind)),
        }
    }
    let mut descriptors = Vec::new();
    let mut sent = HashSet::new();
    for l in layers {
        let (d, kind) = match l {
            Layer::Ready(d, kind) => (d, kind),
            Layer::Compress { diff_id, blob } => {
                let (c, streamed) =
                    compressed_layer(store, &diff_id, &blob, want, progress, upload)?;
                if streamed {
                    sent.insert(c.digest.clone());
                }
                (Descriptor::new("", c.digest, c.size), want)
            }
        };
        let mut d = d;
        d.media_type = layer_media_type(opts.format, kind).to_string();
        if opts.format == ManifestFormat::V2s2 {
            d.annotations = None;
        }
        d.platform = None;
        descriptors.push(d);
    }
    let (manifest, media_type) = manifest_for(image, descriptors, opts.format)?;
    let mut blobs: Vec<(&'static str, Descriptor)> = Vec::new();
    for d in &manifest.layers {
        blobs.push(("blob", d.clone()));
    }
    blobs.push(("config", manifest.config.clone()));
    let prepared = Prepared {
        blobs,
        manifest: serde_json::to_vec(&manifest)?,
        media_type,
    };
    Ok((prepared, sent))
}

fn layer_media_type(format: ManifestFormat, kind: Compression) -> &'static str {
    match (format, kind) {
        (ManifestFormat::Oci, Compression::Gzip) => oci::MEDIA_LAYER_GZIP,
        (ManifestFormat::Oci, Compression::Zstd) => oci::MEDIA_LAYER_ZSTD,
        (ManifestFormat::Oci, Compression::None) => oci::MEDIA_LAYER_TAR,
        (ManifestFormat::V2s2, _) => oci::DOCKER_LAYER_GZIP,
    }
}

/// The manifest to push: the image's config unchanged (its diffIDs stay),
/// the layers as they will be sent.
fn manifest_for(
    image: &Image,
    layers: Vec<Descriptor>,
    format: ManifestFormat,
) -> Result<(Manifest, &'static str)> {
    let config = &image.manifest.config;
    Ok(match format {
        ManifestFormat::Oci => {
            let mut m = Manifest::new(
                Descriptor::new(oci::MEDIA_CONFIG, config.digest.clone(), config.size),
                layers,
            );
            m.annotations = image.manifest.annotations.clone();
            (m, oci::MEDIA_MANIFEST)
        }
        ManifestFormat::V2s2 => {
            let mut m = Manifest::new(
                Descriptor::new(DOCKER_CONFIG, config.digest.clone(), config.size),
                layers,
            );
            m.media_type = Some(DOCKER_MANIFEST.to_string());
            (m, DOCKER_MANIFEST)
        }
    })
}

/// The `kind` form of the uncompressed layer `blob` (diffID `diff_id`):
/// the recorded one when its blob is still in the store, else made now —
/// streamed from the blob through the compressor into a new blob, hashed
/// on the way — and recorded. With `upload` a layer made now is also sent
/// as it is made; says whether it was.
fn compressed_layer(
    store: &Store,
    diff_id: &Digest,
    blob: &Digest,
    kind: Compression,
    progress: &mut dyn FnMut(&str),
    upload: Option<Upload<'_>>,
) -> Result<(Compressed, bool)> {
    if let Some(c) = store.blob_info().compressed(diff_id, kind)
        && store.has_blob(&c.digest)
    {
        return Ok((c.clone(), false));
    }
    progress(&format!("Compressing layer {blob}"));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut input = store.open_blob(blob)?;
    let w = store.blob_writer()?;
    let (pending, sent) = match upload {
        None => {
            let mut w = w;
            layer::compress(&mut input, &mut w, kind, threads)
                .with_context(|| format!("compressing layer {blob}"))?;
            (w.finish()?, None)
        }
        Some(upload) => {
            let (pending, sent) = compress_sending(&mut input, w, kind, threads, upload)
                .with_context(|| format!("compressing layer {blob}"))?;
            (pending, Some(sent))
        }
    };
    let size = pending.size;
    // The blob and its record go in together under the lock, so a gc never
    // sees the new blob unrecorded (and removes it as garbage).
    let lock = store.lock()?;
    let c = Compressed {
        digest: pending.commit(None)?,
        size,
    };
    store.update_blob_info(&lock, |i| i.set_compressed(diff_id, kind, c.clone()))?;
    drop(lock);
    // A failed upload fails the push only now, with the blob kept and
    // recorded: the next push sends it from the store.
    let streamed = sent.is_some();
    if let Some(sent) = sent {
        let size = sent.with_context(|| format!("pushing blob {}", c.digest))?;
        if size != c.size {
            bail!(
                "pushing blob {}: the registry got {size} bytes of {}",
                c.digest,
                c.size
            );
        }
    }
    Ok((c, streamed))
}

/// Compressed blocks held between the compressor and a slow upload (about
/// a MiB each): the compressor waits when they are all taken.
const PIPE: usize = 16;

/// Compresses `input` into the blob `w` while `upload` (on a scoped
/// thread, joined before this returns) sends the same bytes and then, once
/// the blob is finished, commits them under its digest. The outer error is
/// the compression's; the inner result the upload's, which cannot stop the
/// store's blob being made.
fn compress_sending(
    input: &mut (dyn Read + Send),
    mut w: BlobWriter,
    kind: Compression,
    threads: usize,
    upload: Upload<'_>,
) -> Result<(PendingBlob, Result<u64>)> {
    let (tx, rx) = sync_channel(PIPE);
    let digest = OnceLock::new();
    std::thread::scope(|s| {
        let digest = &digest;
        let sender = s.spawn(move || {
            let mut reader = PipeReader {
                rx,
                block: Vec::new(),
                at: 0,
                ended: false,
                digest,
            };
            upload(&mut reader, &|| digest.get().cloned())
        });
        let mut tee = Tee {
            out: &mut w,
            tx: Some(tx),
        };
        let made = layer::compress(input, &mut tee, kind, threads);
        let tx = tee.tx.take();
        let finished = made.map_err(anyhow::Error::from).and_then(|()| w.finish());
        if let (Ok(pending), Some(tx)) = (&finished, tx) {
            // The end, with the digest: without it the reader takes the
            // closed pipe for a failed compression, and nothing is committed.
            tx.send(Block::End(pending.digest.clone())).ok();
        }
        let sent = sender
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the upload thread panicked")));
        Ok((finished?, sent))
    })
}

enum Block {
    Data(Vec<u8>),
    /// The blob is complete: its digest.
    End(Digest),
}

/// Writes to the blob and copies each block into the pipe; once the upload
/// has given up (its end of the pipe is gone) only to the blob.
struct Tee<'a> {
    out: &'a mut dyn Write,
    tx: Option<SyncSender<Block>>,
}

impl Write for Tee<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write_all(buf)?;
        if !buf.is_empty()
            && let Some(tx) = &self.tx
            && tx.send(Block::Data(buf.to_vec())).is_err()
        {
            self.tx = None;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// The upload's end of the pipe: blocks until the end, which sets `digest`.
struct PipeReader<'a> {
    rx: Receiver<Block>,
    block: Vec<u8>,
    at: usize,
    ended: bool,
    digest: &'a OnceLock<Digest>,
}

impl Read for PipeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.block.len() {
            if self.ended {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Block::End(d)) => {
                    let _ = self.digest.set(d);
                    self.ended = true;
                }
                Ok(Block::Data(b)) => (self.block, self.at) = (b, 0),
                Err(_) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the layer's compression stopped",
                    ));
                }
            }
        }
        let n = buf.len().min(self.block.len() - self.at);
        buf[..n].copy_from_slice(&self.block[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Pushes `image` to `dest` and returns the pushed manifest's digest, which
/// is recorded as the image's repo digest; the registry's repository is
/// recorded as a location of every blob, for later mounts.
pub fn push(
    store: &Store,
    image: &Image,
    client: &Client,
    dest: &Destination,
    opts: PushOptions,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Digest> {
    // Shared: `system prune` waits for the temporary blobs we write.
    let _work = store.work_lock(false)?;
    // An unreachable registry or refused credentials fail now, before
    // minutes of compression.
    client.ping()?;
    let upload = |body: &mut dyn Read, digest: &dyn Fn() -> Option<Digest>| {
        client.upload_blob_streaming(&dest.repo, body, digest)
    };
    let (prepared, sent) = prepare_sending(store, image, opts, progress, Some(&upload))?;
    let info = store.blob_info();
    let (layers, config) = prepared.blobs.split_at(prepared.blobs.len() - 1);
    let progress = std::sync::Mutex::new(progress);
    let say = |line: &str| {
        if let Ok(mut p) = progress.lock() {
            p(line);
        }
    };
    // Layers side by side (the client is shared: one connection pool, one
    // token cache); the config once they are all there, as podman does.
    for batch in [layers, config] {
        send_blobs(batch, &|what, d| {
            if sent.contains(&d.digest) {
                say(&format!("Copying {what} {} done", d.digest));
                return Ok(());
            }
            let how = send_blob(store, client, dest, info.locations(&d.digest), d)
                .with_context(|| format!("pushing {what} {}", d.digest))?;
            say(&format!("Copying {what} {} {how}", d.digest));
            Ok(())
        })?;
    }
    say("Writing manifest to image destination");
    let digest = client.put_manifest(
        &dest.repo,
        &dest.reference,
        prepared.media_type,
        &prepared.manifest,
    )?;
    let ours = Digest::of(&prepared.manifest);
    if digest != ours {
        bail!("the registry stored the manifest as {digest}, but its digest is {ours}");
    }
    let lock = store.lock()?;
    store.update_blob_info(&lock, |i| {
        for (_, d) in &prepared.blobs {
            i.add_location(&d.digest, &dest.location());
        }
    })?;
    store.add_repo_digest(
        &lock,
        &image.digest,
        &format!("{}@{digest}", dest.location()),
    )?;
    Ok(digest)
}

/// Blobs sent at once: enough to overlap one blob's round trips and disk
/// reads with another's transfer, few enough not to flood a registry.
const UPLOADS: usize = 3;

/// Runs `send` for every blob on up to [`UPLOADS`] scoped threads (joined
/// before it returns); the first error wins and stops the others taking
/// more.
fn send_blobs(
    blobs: &[(&'static str, Descriptor)],
    send: &(dyn Fn(&'static str, &Descriptor) -> Result<()> + Sync),
) -> Result<()> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failed = std::sync::atomic::AtomicBool::new(false);
    let worker = || -> Result<()> {
        use std::sync::atomic::Ordering::SeqCst;
        while !failed.load(SeqCst) {
            let Some((what, d)) = blobs.get(next.fetch_add(1, SeqCst)) else {
                break;
            };
            if let Err(e) = send(what, d) {
                failed.store(true, SeqCst);
                return Err(e);
            }
        }
        Ok(())
    };
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..UPLOADS.min(blobs.len()))
            .map(|_| s.spawn(worker))
            .collect();
        threads
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("an upload thread panicked")))
            })
            .collect::<Result<Vec<()>>>()
            .map(|_| ())
    })
}

/// Sends one blob the cheapest way; says which.
fn send_blob(
    store: &Store,
    client: &Client,
    dest: &Destination,
    seen_in: &[String],
    d: &Descriptor,
) -> Result<String> {
    if client.has_blob(&dest.repo, &d.digest)? {
        return Ok("skipped: already exists".into());
    }
    let prefix = format!("{}/", dest.host);
    for from in seen_in.iter().filter_map(|l| l.strip_prefix(&prefix)) {
        if from == dest.repo {
            continue;
        }
        // A mount refused or failed (no pull access there, the blob gone
        // from that repository) only means uploading after all.
        match client.mount_blob(&dest.repo, &d.digest, from) {
            Ok(true) => return Ok(format!("mounted from {from}")),
            Ok(false) => {}
            Err(e) => log::debug!("mounting {} from {from}: {e:#}", d.digest),
        }
    }
    let mut f = store.open_blob(&d.digest)?;
    client.upload_blob(&dest.repo, &d.digest, d.size, &mut f)?;
    Ok("done".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::oci::ImageConfig;
    use std::io::Read;

    fn store() -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().unwrap();
        let s = Store::open(tmp.path()).unwrap();
        (tmp, s)
    }

    /// An image of one uncompressed layer (as berth builds them) and one
    /// gzip layer (as a pull brings them), in the store.
    fn image(store: &Store) -> Image {
        let tar = {
            let mut b = tar::Builder::new(Vec::new());
            let mut h = tar::Header::new_ustar();
            let body = b"hello from a layer\n".repeat(1000);
            h.set_size(body.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, "hello.txt", &body[..]).unwrap();
            b.into_inner().unwrap()
        };
        let plain = store.put_blob(&tar).unwrap();
        let mut gz = Vec::new();
        layer::compress(&mut &tar[..1024], &mut gz, Compression::Gzip, 1).unwrap();
        let gz_digest = store.put_blob(&gz).unwrap();
        let mut config = ImageConfig::default();
        config.rootfs.kind = "layers".into();
        config.rootfs.diff_ids = vec![plain.clone(), Digest::of(&tar[..1024])];
        let config_bytes = serde_json::to_vec(&config).unwrap();
        let config_digest = store.put_blob(&config_bytes).unwrap();
        let mut manifest = Manifest::new(
            Descriptor::new(oci::MEDIA_CONFIG, config_digest, config_bytes.len() as u64),
            vec![
                Descriptor::new(oci::MEDIA_LAYER_TAR, plain, tar.len() as u64),
                Descriptor::new(oci::MEDIA_LAYER_GZIP, gz_digest, gz.len() as u64),
            ],
        );
        manifest.annotations = Some([("a".to_string(), "b".to_string())].into());
        let bytes = serde_json::to_vec(&manifest).unwrap();
        let digest = store.put_blob(&bytes).unwrap();
        Image {
            digest,
            manifest_size: bytes.len() as u64,
            manifest,
            config,
            names: vec![],
            repo_digests: vec![],
        }
    }

    fn prepared(store: &Store, img: &Image, opts: PushOptions) -> Result<(Manifest, Prepared)> {
        let p = prepare(store, img, opts, &mut |_| {})?;
        Ok((serde_json::from_slice(&p.manifest).unwrap(), p))
    }

    fn blob_count(store: &Store) -> usize {
        std::fs::read_dir(store.blobs_dir()).unwrap().count()
    }

    #[test]
    fn an_oci_push_compresses_berths_layers_and_keeps_pulled_ones() {
        let (_t, s) = store();
        let img = image(&s);
        let (m, p) = prepared(&s, &img, PushOptions::default()).unwrap();
        assert_eq!(p.media_type, oci::MEDIA_MANIFEST);
        assert_eq!(m.media_type.as_deref(), Some(oci::MEDIA_MANIFEST));
        assert_eq!(m.config, img.manifest.config);
        assert_eq!(m.annotations, img.manifest.annotations);
        let types: Vec<&str> = m.layers.iter().map(|l| l.media_type.as_str()).collect();
        assert_eq!(types, [oci::MEDIA_LAYER_GZIP, oci::MEDIA_LAYER_GZIP]);
        // The pulled layer goes as it is; berth's own is a new gzip blob
        // that decompresses to the layer.
        assert_eq!(m.layers[1], img.manifest.layers[1]);
        let gz = &m.layers[0];
        assert_ne!(gz.digest, img.manifest.layers[0].digest);
        let bytes = s.read_blob(&gz.digest).unwrap();
        assert_eq!(bytes.len() as u64, gz.size);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(Digest::of(&back), img.diff_ids()[0]);
        let blobs: Vec<&str> = p.blobs.iter().map(|(what, _)| *what).collect();
        assert_eq!(blobs, ["blob", "blob", "config"]);
    }

    #[test]
    fn a_layer_compressed_now_is_sent_as_it_is_made() {
        let (_t, s) = store();
        let img = image(&s);
        let got = std::sync::Mutex::new(Vec::new());
        let upload = |body: &mut dyn Read, digest: &dyn Fn() -> Option<Digest>| {
            let mut b = Vec::new();
            body.read_to_end(&mut b)?;
            // Known once the body has ended, and the bytes' own.
            assert_eq!(digest(), Some(Digest::of(&b)));
            let size = b.len() as u64;
            *got.lock().unwrap() = b;
            Ok(size)
        };
        let (p, sent) =
            prepare_sending(&s, &img, PushOptions::default(), &mut |_| {}, Some(&upload)).unwrap();
        let m: Manifest = serde_json::from_slice(&p.manifest).unwrap();
        // Only the layer compressed now; the pulled one goes up later.
        assert_eq!(sent, HashSet::from([m.layers[0].digest.clone()]));
        assert_eq!(
            *got.lock().unwrap(),
            s.read_blob(&m.layers[0].digest).unwrap(),
            "the registry got the stored blob's bytes"
        );
    }

    #[test]
    fn a_failed_upload_still_keeps_and_records_the_compressed_layer() {
        let (_t, s) = store();
        let img = image(&s);
        let upload = |body: &mut dyn Read, _: &dyn Fn() -> Option<Digest>| -> Result<u64> {
            body.read_exact(&mut [0; 10])?;
            bail!("the registry went away")
        };
        let err = prepare_sending(&s, &img, PushOptions::default(), &mut |_| {}, Some(&upload))
            .unwrap_err();
        assert!(
            format!("{err:#}").ends_with("the registry went away"),
            "{err:#}"
        );
        let c = s
            .blob_info()
            .compressed(&img.diff_ids()[0], Compression::Gzip)
            .cloned()
            .expect("recorded");
        assert!(s.has_blob(&c.digest));
        // The next push sends it from the store: nothing compressed again.
        let mut lines = Vec::new();
        let p = prepare(&s, &img, PushOptions::default(), &mut |l| {
            lines.push(l.to_string())
        })
        .unwrap();
        assert!(lines.is_empty(), "{lines:?}");
        let m: Manifest = serde_json::from_slice(&p.manifest).unwrap();
        assert_eq!(m.layers[0].digest, c.digest);
    }

    #[test]
    fn a_second_push_reuses_the_compressed_layer() {
        let (_t, s) = store();
        let img = image(&s);
        let (first, _) = prepared(&s, &img, PushOptions::default()).unwrap();
        let blobs = blob_count(&s);
        let mut lines = Vec::new();
        let p = prepare(&s, &img, PushOptions::default(), &mut |l| {
            lines.push(l.to_string())
        })
        .unwrap();
        assert_eq!(
            serde_json::from_slice::<Manifest>(&p.manifest)
                .unwrap()
                .layers,
            first.layers
        );
        assert_eq!(blob_count(&s), blobs, "no new blob");
        assert!(lines.is_empty(), "nothing compressed: {lines:?}");
        let c = s
            .blob_info()
            .compressed(&img.diff_ids()[0], Compression::Gzip)
            .cloned()
            .unwrap();
        assert_eq!(c.digest, first.layers[0].digest);
    }

    #[test]
    fn a_record_whose_blob_is_gone_is_compressed_again() {
        let (_t, s) = store();
        let img = image(&s);
        let (first, _) = prepared(&s, &img, PushOptions::default()).unwrap();
        std::fs::remove_file(s.blob_path(&first.layers[0].digest)).unwrap();
        let (again, _) = prepared(&s, &img, PushOptions::default()).unwrap();
        assert_eq!(again.layers[0], first.layers[0], "same bytes again");
        assert!(s.has_blob(&again.layers[0].digest));
    }

    #[test]
    fn zstd_is_a_second_compressed_form_of_the_same_layer() {
        let (_t, s) = store();
        let img = image(&s);
        let zstd = PushOptions {
            compression: CompressionFormat::Zstd,
            ..PushOptions::default()
        };
        let (gz, _) = prepared(&s, &img, PushOptions::default()).unwrap();
        let (z, _) = prepared(&s, &img, zstd).unwrap();
        assert_eq!(z.layers[0].media_type, oci::MEDIA_LAYER_ZSTD);
        assert_ne!(z.layers[0].digest, gz.layers[0].digest);
        let bytes = s.read_blob(&z.layers[0].digest).unwrap();
        assert_eq!(
            Digest::of(&zstd::stream::decode_all(&bytes[..]).unwrap()),
            img.diff_ids()[0]
        );
        // The already-gzip layer stays gzip.
        assert_eq!(z.layers[1].media_type, oci::MEDIA_LAYER_GZIP);
    }

    #[test]
    fn v2s2_uses_docker_media_types_and_the_same_config() {
        let (_t, s) = store();
        let img = image(&s);
        let v2s2 = PushOptions {
            format: ManifestFormat::V2s2,
            ..PushOptions::default()
        };
        let (m, p) = prepared(&s, &img, v2s2).unwrap();
        assert_eq!(p.media_type, DOCKER_MANIFEST);
        assert_eq!(m.media_type.as_deref(), Some(DOCKER_MANIFEST));
        assert_eq!(m.config.media_type, DOCKER_CONFIG);
        assert_eq!(m.config.digest, *img.id());
        assert!(m.annotations.is_none());
        assert!(
            m.layers
                .iter()
                .all(|l| l.media_type == oci::DOCKER_LAYER_GZIP)
        );
    }

    #[test]
    fn v2s2_refuses_zstd() {
        let (_t, s) = store();
        let img = image(&s);
        let opts = PushOptions {
            format: ManifestFormat::V2s2,
            compression: CompressionFormat::Zstd,
        };
        let err = prepared(&s, &img, opts).unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "the Docker v2s2 manifest format cannot carry zstd-compressed layers: push with --format oci or --compression-format gzip"
        );
    }

    #[test]
    fn compressed_layers_live_while_an_image_uses_the_layer() {
        let (_t, s) = store();
        let img = image(&s);
        let (m, _) = prepared(&s, &img, PushOptions::default()).unwrap();
        let gz = m.layers[0].digest.clone();
        // gc wants the image complete: its layers unpacked too.
        for chain in img.chain_ids() {
            std::fs::create_dir(s.layer_dir(&chain)).unwrap();
            std::fs::write(s.layer_meta_path(&chain), b"{}").unwrap();
        }
        let lock = s.lock().unwrap();
        s.add_image(
            &lock,
            &img.digest,
            img.manifest_size,
            &["localhost/x:1".into()],
        )
        .unwrap();
        s.collect(&lock, false, &Default::default()).unwrap();
        assert!(s.has_blob(&gz), "kept while the image is there");
        s.remove_image(&lock, &img.digest).unwrap();
        // The name history keeps a removed image until it expires.
        s.compact_history(&lock, Some(i64::MAX)).unwrap();
        s.collect(&lock, false, &Default::default()).unwrap();
        assert!(!s.has_blob(&gz), "collected with the image");
        assert_eq!(
            s.blob_info()
                .compressed(&img.diff_ids()[0], Compression::Gzip),
            None
        );
    }
}
