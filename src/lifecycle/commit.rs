//! `berth commit` and `berth diff`: a container's upper directory against
//! the layers its bundle (`berth.json`) names.
//!
//! The new image is the container's image, the layers of its earlier
//! commits, and one more layer: the upper directory diffed into an
//! uncompressed blob by the same code build steps use (`image::upper`),
//! overlay whiteouts as `.wh.` entries, opaque directories as
//! `.wh..wh..opq`, entries in a fixed order. Its config is the image's with
//! the container's own command, environment, working directory and user
//! (from its `config.json`, as podman commits them).
//!
//! A container that is not running gives its upper directory to the store:
//! renamed into `<root>/layers/<chainid>` instead of unpacked again, and the
//! container goes on over that layer with a fresh, empty upper (its bundle's
//! lowerdirs start with the new chain id). The upper already is what
//! unpacking its diff writes, in both id modes: with a subordinate range,
//! files of container ids owned by their mapped host ids, as the helper
//! unpacks them; without, the user's own files, as a direct unpack writes
//! them. Whiteouts are 0:0 character devices and opaque directories carry
//! `user.overlay.opaque=y` in both (the kernel writes them so under the
//! `userxattr` mount berth always uses; it never writes redirects or
//! metacopy there, and the `origin`/`impure` marks it may leave are read
//! only on an upper). One difference stays, unconverted: a direct unpack
//! records the tar's ids and mode in `user.berth.*` xattrs, which berth
//! writes and never reads (diff takes ownership from the id mode, not from
//! them) — build steps keep their uppers the same way. A running container
//! keeps its upper; its layer is unpacked from the blob.
//!
//! The store is written in the order every berth writer uses: the layer
//! blob and directory, then the config and manifest blobs, then index.json
//! under the store lock. The container's side is crash-safe through a
//! journal and one atomic swap (see [`adopt_upper`]). A commit killed at
//! any moment leaves the store valid (at most garbage for `system prune`)
//! and the container as it was or as committed.

use crate::container::{Containers, State};
use crate::helper::remove_tree;
use crate::image::unpack::{LayerMeta, Unpacker, read_layer_meta};
use crate::image::upper::Access;
use crate::layer::Change;
use crate::layout::{TMP_PREFIX, write_atomic};
use crate::spec::bundle::{self, Bundle};
use crate::store::Store;
use crate::store::digest::Digest;
use crate::store::images::Image;
use crate::store::oci::{self, Descriptor, History, Manifest, RunConfig};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

pub struct CommitOptions {
    /// `-m`: the history entry's comment.
    pub message: Option<String>,
    /// `-a`: the image's and the history entry's author.
    pub author: Option<String>,
    /// `-c 'CMD …'`: Dockerfile instructions applied to the config.
    pub changes: Vec<String>,
    /// The full reference to tag the image with.
    pub name: Option<String>,
    /// `--pause`: freeze a running container while its files are read.
    pub pause: bool,
}

/// `<container>/commit.json`: what an adopting commit is about to do, so
/// the next commit can finish or undo it after a kill.
const JOURNAL: &str = "commit.json";

#[derive(Serialize, Deserialize)]
struct Journal {
    chain: Digest,
    layer: LayerMeta,
}

/// A layer of the container above its image's: an earlier commit's.
struct Above {
    diff_id: Digest,
    size: u64,
}

/// Commits the container `spec` (id, prefix or name) as an image; returns
/// the new image's id.
pub fn commit(
    store: &Store,
    containers: &Containers,
    spec: &str,
    opts: &CommitOptions,
) -> Result<Digest> {
    // Bad changes are refused before anything is written.
    for c in &opts.changes {
        crate::image::change::apply(&mut RunConfig::default(), c)?;
    }
    let id = containers.find(spec)?.id;
    // Held to the end: a start, rm or commit of this container waits, then
    // sees the bundle this one leaves.
    let _container = containers.lock(&id)?;
    let mut meta = containers.reload(&id)?;
    containers.settle(&mut meta)?;
    // A start records its monitor under the lock, then reads the bundle
    // without it: a container being started counts as running.
    let running = matches!(meta.state, State::Running | State::Orphaned)
        || meta.monitor.is_some_and(|m| m.alive());
    if running && opts.pause {
        // Rootless cgroup v1 has no freezer berth may use.
        bail!(
            "cannot pause container `{}`: no cgroup freezer is available to this user; commit without --pause to take its files as they are",
            meta.name
        );
    }
    let base = base_image(store, &meta.image_id, &meta.name)?;
    let unpacker = Unpacker::for_current_user()?;
    let access = Access::of(&unpacker);
    let dir = containers.dir_of(&id);
    let _work = store.work_lock(false)?;
    if !running {
        recover(store, &dir)?;
    }
    let bundle = bundle::read(&dir)?;
    let overlay = &bundle.extensions.overlay;
    let above = layers_above(store, &base, &overlay.lowerdirs, &meta.name)?;
    let upper = overlay.upper.clone();
    if !upper.is_dir() {
        bail!("container `{}` has no writable layer", meta.name);
    }

    crate::logger::phase("commit.locked");
    let mut blob = store.blob_writer()?;
    access
        .diff(&upper, &mut blob, None)
        .with_context(|| format!("taking the diff of container `{}`", meta.name))?;
    crate::logger::phase("commit.diff");
    let blob = blob.finish()?;
    crate::logger::phase("commit.blob-synced");
    let diff_id = blob.digest.clone();
    let size = blob.size;
    let chain = match overlay.lowerdirs.first() {
        Some(top) => Digest::of(format!("sha256:{top} {diff_id}").as_bytes()),
        None => diff_id.clone(),
    };
    let record = LayerMeta {
        diff_id: diff_id.clone(),
        size,
        idmap: unpacker.idmap(),
    };
    // A running container's upper stays its own: the layer is unpacked
    // from the blob (before the store lock: it is the slow part).
    let pending = if running {
        Some(unpack(store, &unpacker, blob.path(), &diff_id)?)
    } else {
        None
    };

    let config = new_config(&base, &bundle, &above, opts, &diff_id)?;
    let config_bytes = serde_json::to_vec(&config)?;
    let lock = store.lock()?;
    blob.commit(Some(&diff_id))?;
    match pending {
        Some(p) => p.commit(store, &chain, &record.idmap)?,
        None => {
            if !adopt_upper(store, &dir, &bundle, &chain, &record)? {
                let blob = store.layout().blob(diff_id.hex());
                unpack(store, &unpacker, &blob, &diff_id)?.commit(store, &chain, &record.idmap)?;
            }
        }
    }
    crate::logger::phase("commit.layer");
    let config_digest = store.put_blob(&config_bytes)?;
    let mut layers = base.manifest.layers.clone();
    for a in &above {
        layers.push(Descriptor::new(
            oci::MEDIA_LAYER_TAR,
            a.diff_id.clone(),
            a.size,
        ));
    }
    layers.push(Descriptor::new(oci::MEDIA_LAYER_TAR, diff_id, size));
    let manifest = Manifest::new(
        Descriptor::new(
            oci::MEDIA_CONFIG,
            config_digest.clone(),
            config_bytes.len() as u64,
        ),
        layers,
    );
    let manifest_bytes = serde_json::to_vec(&manifest)?;
    let manifest_digest = store.put_blob(&manifest_bytes)?;
    let names: Vec<String> = opts.name.iter().cloned().collect();
    store.add_image(&lock, &manifest_digest, manifest_bytes.len() as u64, &names)?;
    crate::logger::phase("commit.image");
    Ok(config_digest)
}

/// Unpacks the layer tar at `tar` into a scratch directory of the store.
fn unpack(
    store: &Store,
    unpacker: &Unpacker,
    tar: &Path,
    diff_id: &Digest,
) -> Result<crate::image::unpack::PendingLayer> {
    let mut tar = std::io::BufReader::with_capacity(
        1 << 20,
        fs::File::open(tar).context("reading the new layer")?,
    );
    let pending = unpacker.unpack(store, &mut tar, None)?;
    if pending.diff_id != *diff_id {
        bail!(
            "the new layer changed while it was unpacked ({diff_id}, then {})",
            pending.diff_id
        );
    }
    Ok(pending)
}

/// Makes the (not running) container's upper directory the layer `chain`
/// and the container's lowerdir; gives it a fresh upper. The caller holds
/// the container's lock and the store's. Returns false, having changed
/// nothing, when this filesystem cannot swap directories: the caller
/// unpacks instead.
///
/// Every step leaves a container that sees its files: the journal; an
/// empty directory at `<root>/layers/<chain>`; the bundle rewritten with
/// `chain` as its top lowerdir (empty, so the upper still shows all); then
/// one `RENAME_EXCHANGE` of that directory and the upper (the layer holds
/// the files, the upper is empty); then the layer's record; the journal
/// goes last. [`recover`] finishes or undoes what a kill interrupted.
/// The work directory is kept: overlayfs empties its `work/` at each mount.
fn adopt_upper(
    store: &Store,
    dir: &Path,
    bundle: &Bundle,
    chain: &Digest,
    record: &LayerMeta,
) -> Result<bool> {
    let upper = &bundle.extensions.overlay.upper;
    let layer = store.layer_dir(chain);
    let mut after = bundle.clone();
    after
        .extensions
        .overlay
        .lowerdirs
        .insert(0, chain.hex().to_string());
    // The shared /etc mount points would sit above the committed layer and
    // show the image's /etc over the container's own: made again over it
    // (or none: the container makes its mount points itself).
    if let Some(current) = &bundle.extensions.overlay.mountpoints {
        let o = &bundle.extensions.overlay;
        let below = crate::spec::process::layer_dirs(&o.layers_dir, &o.lowerdirs);
        let mounts = bundle.spec.mounts().as_deref().unwrap_or_default();
        let generated = (bundle.extensions.generated.iter()).filter_map(|&i| mounts.get(i));
        let names = crate::spec::mountpoints::names(generated);
        after.extensions.overlay.mountpoints =
            crate::spec::mountpoints::over_committed(current, upper, &below, &names);
    }
    if store.layer_meta_path(chain).is_file() && layer.is_dir() {
        // The same content is a layer already: the upper's copy goes.
        let fresh = tempfile::Builder::new()
            .prefix(TMP_PREFIX)
            .tempdir_in(dir)
            .context("creating the container's new upper directory")?
            .keep();
        bundle::write(dir, &after)?;
        crate::sys::fs::exchange(&fresh, upper).context("swapping in a new upper directory")?;
        remove_tree(&fresh)?;
        return Ok(true);
    }
    if layer.exists() {
        // No record: an interrupted unpack's leftover.
        remove_tree(&layer)?;
    }
    let journal = dir.join(JOURNAL);
    write_atomic(
        &journal,
        &serde_json::to_vec(&Journal {
            chain: chain.clone(),
            layer: record.clone(),
        })?,
    )?;
    fs::create_dir(&layer).with_context(|| format!("creating `{}`", layer.display()))?;
    bundle::write(dir, &after)?;
    if let Err(e) = crate::sys::fs::exchange(&layer, upper) {
        log::debug!("cannot swap the upper into the store ({e}): unpacking the layer instead");
        bundle::write(dir, bundle)?;
        let _ = fs::remove_dir(&layer);
        fs::remove_file(&journal).context("removing the commit journal")?;
        return Ok(false);
    }
    write_atomic(&store.layer_meta_path(chain), &serde_json::to_vec(record)?)?;
    fs::remove_file(&journal).context("removing the commit journal")?;
    Ok(true)
}

/// Finishes or undoes an adopting commit that was killed (its journal is
/// left): once the swap happened the layer holds the files (it is not
/// empty) and only its record is missing; before it, the layer is the empty
/// placeholder, dropped from the container's lowerdirs. An empty diff makes
/// the two alike, and dropping an empty layer loses nothing.
fn recover(store: &Store, dir: &Path) -> Result<()> {
    let path = dir.join(JOURNAL);
    let Ok(bytes) = fs::read(&path) else {
        return Ok(());
    };
    let _lock = store.lock()?;
    if let Ok(j) = serde_json::from_slice::<Journal>(&bytes) {
        let layer = store.layer_dir(&j.chain);
        // Unreadable counts as full: never drop what may hold files.
        let swapped = match fs::read_dir(&layer) {
            Ok(mut d) => d.next().is_some(),
            Err(e) => e.kind() != std::io::ErrorKind::NotFound,
        };
        let mut b = bundle::read(dir)?;
        let lowers = &mut b.extensions.overlay.lowerdirs;
        if lowers.first().map(String::as_str) == Some(j.chain.hex()) {
            if swapped {
                if !store.layer_meta_path(&j.chain).exists() {
                    write_atomic(
                        &store.layer_meta_path(&j.chain),
                        &serde_json::to_vec(&j.layer)?,
                    )?;
                }
            } else {
                lowers.remove(0);
                bundle::write(dir, &b)?;
                let _ = fs::remove_dir(&layer);
            }
        } else if !store.layer_meta_path(&j.chain).exists() {
            // Killed before the bundle named it: rmdir removes only the
            // empty placeholder.
            let _ = fs::remove_dir(&layer);
        }
    }
    fs::remove_file(&path).context("removing the commit journal")
}

/// The container's layers above its image's (its earlier commits), bottom
/// first, with what an image of them needs.
fn layers_above(
    store: &Store,
    base: &Image,
    lowerdirs: &[String],
    name: &str,
) -> Result<Vec<Above>> {
    let image: Vec<String> = base
        .chain_ids()
        .iter()
        .rev()
        .map(|c| c.hex().to_string())
        .collect();
    let n = lowerdirs
        .len()
        .checked_sub(image.len())
        .filter(|&n| lowerdirs[n..] == image[..])
        .with_context(|| format!("container `{name}`: its layers do not end with its image's"))?;
    lowerdirs[..n]
        .iter()
        .rev()
        .map(|hex| {
            let chain = Digest::from_hex(hex)?;
            let rec = read_layer_meta(store, &chain).with_context(|| {
                format!("container `{name}`: layer {chain} of an earlier commit has no record")
            })?;
            if !store.has_blob(&rec.diff_id) {
                bail!(
                    "container `{name}`: the blob {} of an earlier commit is missing",
                    rec.diff_id
                );
            }
            Ok(Above {
                diff_id: rec.diff_id,
                size: rec.size,
            })
        })
        .collect()
}

/// The chain ids of every layer a container runs on (its bundle's
/// lowerdirs): garbage collection keeps them, whether or not an image still
/// names them. A container without a readable bundle (being created) runs
/// on its image's layers, which its image keeps.
pub fn layers_in_use(containers: &Containers) -> Result<BTreeSet<Digest>> {
    let mut out = BTreeSet::new();
    for m in containers.list()? {
        let dir = containers.dir_of(&m.id);
        let Ok(b) = bundle::read(&dir) else {
            continue;
        };
        finish_record(containers, &dir, &b.extensions.overlay.lowerdirs);
        out.extend(
            b.extensions
                .overlay
                .lowerdirs
                .iter()
                .filter_map(|l| Digest::from_hex(l).ok()),
        );
    }
    Ok(out)
}

/// A commit killed after its swap left the container on a layer that has
/// no record yet (the next commit's [`recover`] writes it): written here
/// from the journal, so a gc in between keeps the layer's blob, which the
/// container's next commit needs. Best effort, and idempotent.
fn finish_record(containers: &Containers, dir: &Path, lowerdirs: &[String]) {
    let Some(j) = fs::read(dir.join(JOURNAL))
        .ok()
        .and_then(|b| serde_json::from_slice::<Journal>(&b).ok())
    else {
        return;
    };
    let layout = containers.layout();
    let record = layout.layer_record(j.chain.hex());
    let swapped = fs::read_dir(layout.layer(j.chain.hex())).is_ok_and(|mut d| d.next().is_some());
    if lowerdirs.first().map(String::as_str) == Some(j.chain.hex())
        && swapped
        && !record.exists()
        && let Ok(bytes) = serde_json::to_vec(&j.layer)
        && let Err(e) = write_atomic(&record, &bytes)
    {
        log::debug!("recording layer {}: {e:#}", j.chain);
    }
}

/// What the container `spec` changed against the layers it runs on, sorted
/// by path.
pub fn diff(containers: &Containers, spec: &str) -> Result<Vec<Change>> {
    let meta = containers.find(spec)?;
    let b = bundle::read(&containers.dir_of(&meta.id))?;
    let overlay = &b.extensions.overlay;
    if !overlay.upper.is_dir() {
        return Ok(Vec::new());
    }
    let lowers = crate::spec::process::layer_dirs(&overlay.layers_dir, &overlay.lowerdirs);
    let access = Access::of(&Unpacker::for_current_user()?);
    let mut changes = access
        .changes(&overlay.upper, &lowers)
        .with_context(|| format!("listing the changes of container `{}`", meta.name))?;
    changes.retain(|c| !RUNTIME_STUBS.iter().any(|s| c.path.as_os_str() == *s));
    Ok(changes)
}

/// Mount points the runtime makes in a container's root, not the
/// container's doing: `diff` leaves them out, as podman does
/// (libpod's `initInodes`).
const RUNTIME_STUBS: &[&str] = &[
    "/dev",
    "/etc/hostname",
    "/etc/hosts",
    "/etc/mtab",
    "/etc/resolv.conf",
    "/proc",
    "/run",
    "/run/.containerenv",
    "/run/notify",
    "/run/secrets",
    "/sys",
];

/// The image the container was made from (`rmi` refuses to remove it while
/// the container exists).
fn base_image(store: &Store, image_id: &str, name: &str) -> Result<Image> {
    store
        .resolve(image_id)
        .with_context(|| format!("the image of container `{name}`"))
}

/// The base image's config with the container's own command, environment,
/// working directory and user (podman commits the container's, not the
/// image's), the `-c` changes, and a layer and history entry for each
/// earlier commit and this one.
fn new_config(
    base: &Image,
    bundle: &Bundle,
    above: &[Above],
    opts: &CommitOptions,
    diff_id: &Digest,
) -> Result<oci::ImageConfig> {
    let mut config = base.config.clone();
    let created = crate::time::rfc3339(crate::time::now_epoch());
    let args = container_process(&mut config.config, &bundle.spec);
    for c in &opts.changes {
        crate::image::change::apply(&mut config.config, c)?;
    }
    config.created = Some(created.clone());
    if opts.author.is_some() {
        config.author = opts.author.clone();
    }
    config.rootfs.kind = "layers".into();
    for a in above {
        config.rootfs.diff_ids.push(a.diff_id.clone());
        config.history.push(History {
            created_by: Some("berth commit".into()),
            comment: Some("an earlier commit of the container".into()),
            ..Default::default()
        });
    }
    config.rootfs.diff_ids.push(diff_id.clone());
    config.history.push(History {
        created: Some(created),
        created_by: Some(args.join(" ")),
        author: opts.author.clone(),
        comment: opts.message.clone(),
        empty_layer: false,
    });
    Ok(config)
}

/// The container's process from its `config.json` into the image config:
/// its command, its environment (less the HOSTNAME berth gave it), its
/// working directory and its `-u`. Returns the command.
fn container_process(config: &mut RunConfig, spec: &oci_spec::runtime::Spec) -> Vec<String> {
    let Some(p) = spec.process() else {
        return Vec::new();
    };
    let args = p.args().clone().unwrap_or_default();
    command_of(config, &args);
    let image_has_hostname = config
        .env
        .iter()
        .flatten()
        .any(|e| e.starts_with("HOSTNAME="));
    let given = spec.hostname().as_deref().map(|h| format!("HOSTNAME={h}"));
    let env: Vec<String> = p
        .env()
        .iter()
        .flatten()
        .filter(|e| image_has_hostname || Some(*e) != given.as_ref())
        .cloned()
        .collect();
    config.env = Some(env);
    let cwd = p.cwd().to_string_lossy().into_owned();
    let image_cwd = config.working_dir.clone().filter(|w| !w.is_empty());
    if cwd != image_cwd.as_deref().unwrap_or("/") {
        config.working_dir = Some(cwd);
    }
    if let Some(u) = spec
        .annotations()
        .as_ref()
        .and_then(|a| a.get(crate::spec::USER_ANNOTATION))
    {
        config.user = Some(u.clone());
    }
    args
}

/// The container's command as the image's default, as podman and Docker
/// commit it: the entrypoint is kept when the command starts with it.
fn command_of(config: &mut RunConfig, args: &[String]) {
    let entrypoint = config.entrypoint.clone().unwrap_or_default();
    let mut default = entrypoint.clone();
    default.extend(config.cmd.clone().unwrap_or_default());
    if args == default.as_slice() || args.is_empty() {
        return;
    }
    match args.strip_prefix(entrypoint.as_slice()) {
        Some(rest) => config.cmd = Some(rest.to_vec()),
        None => {
            config.entrypoint = Some(args.to_vec());
            config.cmd = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn the_containers_command_becomes_the_images_default() {
        let mut c = RunConfig {
            entrypoint: Some(s(&["/entry"])),
            cmd: Some(s(&["serve"])),
            ..Default::default()
        };
        command_of(&mut c, &s(&["/entry", "serve"]));
        assert_eq!(
            (c.entrypoint.clone(), c.cmd.clone()),
            (Some(s(&["/entry"])), Some(s(&["serve"])))
        );
        command_of(&mut c, &s(&["/entry", "migrate", "-v"]));
        assert_eq!(c.cmd.clone(), Some(s(&["migrate", "-v"])));
        command_of(&mut c, &s(&["sh", "-c", "x"]));
        assert_eq!((c.entrypoint, c.cmd), (Some(s(&["sh", "-c", "x"])), None));
    }
}
