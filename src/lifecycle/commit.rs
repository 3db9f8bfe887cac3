//! `berth commit` and `berth diff`: a container's upper directory against
//! its image's layers.
//!
//! The new image is the container's image plus one layer: the upper
//! directory diffed into an uncompressed blob by the same code build steps
//! use (`image::upper`), overlay whiteouts as `.wh.` entries, opaque
//! directories as `.wh..wh..opq`, entries in a fixed order. The layer is then
//! unpacked from that blob into `<root>/layers/<chainid>`, so the upper
//! directory stays the container's and a running container is never
//! disturbed.
//!
//! The store is written in the order every berth writer uses: the layer
//! blob and directory (each a temp + rename), then the config and manifest
//! blobs, then index.json under the store lock. A commit killed at any
//! moment leaves the store valid, with at most garbage for `system prune`.

use crate::container::{Containers, Meta, State};
use crate::image::unpack::Unpacker;
use crate::image::upper::Access;
use crate::layer::Change;
use crate::store::Store;
use crate::store::digest::Digest;
use crate::store::images::Image;
use crate::store::oci::{self, Descriptor, History, Manifest, RunConfig};
use anyhow::{Context, Result, bail};
use std::path::PathBuf;

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
    let mut meta = containers.find(spec)?;
    containers.settle(&mut meta)?;
    let running = matches!(meta.state, State::Running | State::Orphaned);
    if running && opts.pause {
        // Rootless cgroup v1 has no freezer berth may use.
        bail!(
            "cannot pause container `{}`: no cgroup freezer is available to this user; commit without --pause to take its files as they are",
            meta.name
        );
    }
    let base = base_image(store, &meta)?;
    let unpacker = Unpacker::for_current_user()?;
    let access = Access::of(&unpacker);
    let [upper, ..] = containers.layout().container_rootfs_dirs(&meta.id);
    if !upper.is_dir() {
        bail!("container `{}` has no writable layer", meta.name);
    }
    let _work = store.work_lock(false)?;

    // The layer: diffed into a blob, then unpacked from it.
    let mut blob = store.blob_writer()?;
    access
        .diff(&upper, &mut blob, None)
        .with_context(|| format!("taking the diff of container `{}`", meta.name))?;
    let blob = blob.finish()?;
    let diff_id = blob.digest.clone();
    let size = blob.size;
    let mut tar = std::io::BufReader::with_capacity(
        1 << 20,
        std::fs::File::open(blob.path()).context("reading the new layer")?,
    );
    let pending = unpacker.unpack(store, &mut tar, None)?;
    if pending.diff_id != diff_id {
        bail!(
            "the new layer changed while it was unpacked ({diff_id}, then {})",
            pending.diff_id
        );
    }
    let parent = base.chain_ids().last().cloned();
    let chain = match &parent {
        Some(p) => Digest::of(format!("{p} {diff_id}").as_bytes()),
        None => diff_id.clone(),
    };

    let config = new_config(&base, &meta, opts, &diff_id)?;
    let config_bytes = serde_json::to_vec(&config)?;
    let lock = store.lock()?;
    blob.commit(Some(&diff_id))?;
    pending.commit(store, &chain, &unpacker.idmap())?;
    let config_digest = store.put_blob(&config_bytes)?;
    let mut layers = base.manifest.layers.clone();
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
    Ok(config_digest)
}

/// What the container `spec` changed against its image, sorted by path.
pub fn diff(store: &Store, containers: &Containers, spec: &str) -> Result<Vec<Change>> {
    let meta = containers.find(spec)?;
    let base = base_image(store, &meta)?;
    let [upper, ..] = containers.layout().container_rootfs_dirs(&meta.id);
    if !upper.is_dir() {
        return Ok(Vec::new());
    }
    let lowers: Vec<PathBuf> = base
        .chain_ids()
        .iter()
        .rev()
        .map(|c| store.layer_dir(c))
        .collect();
    let access = Access::of(&Unpacker::for_current_user()?);
    let mut changes = access
        .changes(&upper, &lowers)
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
fn base_image(store: &Store, meta: &Meta) -> Result<Image> {
    store
        .resolve(&meta.image_id)
        .with_context(|| format!("the image of container `{}`", meta.name))
}

/// The base image's config with the container's command, the `-c`
/// changes and one more layer and history entry.
fn new_config(
    base: &Image,
    meta: &Meta,
    opts: &CommitOptions,
    diff_id: &Digest,
) -> Result<oci::ImageConfig> {
    let mut config = base.config.clone();
    let created = crate::time::rfc3339(crate::time::now_epoch());
    command_of(&mut config.config, &meta.command);
    for c in &opts.changes {
        crate::image::change::apply(&mut config.config, c)?;
    }
    config.created = Some(created.clone());
    if opts.author.is_some() {
        config.author = opts.author.clone();
    }
    config.rootfs.kind = "layers".into();
    config.rootfs.diff_ids.push(diff_id.clone());
    config.history.push(History {
        created: Some(created),
        created_by: Some(meta.command.join(" ")),
        author: opts.author.clone(),
        comment: opts.message.clone(),
        empty_layer: false,
    });
    Ok(config)
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
