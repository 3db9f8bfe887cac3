//! `berth import`: a root filesystem tarball becomes a one-layer image.

use super::unpack::Unpacker;
use crate::layer;
use crate::store::Store;
use crate::store::digest::Digest;
use crate::store::oci::{self, Descriptor, History, ImageConfig, Manifest, RootFs, RunConfig};
use anyhow::{Context, Result};
use std::io::{BufReader, Read};

pub struct ImportOptions {
    pub changes: Vec<String>,
    pub message: Option<String>,
    /// The full reference to tag the image with.
    pub name: Option<String>,
    /// Shown in the history: the file imported.
    pub source: String,
}

/// Imports the tarball read from `input` (plain, gzip or zstd) and returns the image id.
pub fn import(store: &Store, input: Box<dyn Read>, opts: &ImportOptions) -> Result<Digest> {
    let mut run_config = RunConfig::default();
    for c in &opts.changes {
        super::change::apply(&mut run_config, c)?;
    }
    let mut tar = layer::decompress(BufReader::with_capacity(1 << 20, input))
        .context("reading the tarball")?;
    let unpacker = Unpacker::for_current_user()?;
    let _work = store.work_lock(false)?;
    // The layer is stored uncompressed: its digest is its diffID, import costs
    // one hash, and push compresses when a registry wants it.
    let mut blob = store.blob_writer()?;
    let pending = unpacker.unpack(store, &mut tar, Some(&mut blob))?;
    let blob = blob.finish()?;
    let created = crate::time::rfc3339(crate::time::now_epoch());
    let config = ImageConfig {
        created: Some(created.clone()),
        architecture: oci::host_arch().into(),
        os: "linux".into(),
        config: run_config,
        rootfs: RootFs {
            kind: "layers".into(),
            diff_ids: vec![pending.diff_id.clone()],
        },
        history: vec![History {
            created: Some(created),
            created_by: Some(format!("/bin/sh -c #(nop) ADD file:{} in /", opts.source)),
            comment: opts.message.clone(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let config_bytes = serde_json::to_vec(&config)?;
    let lock = store.lock()?;
    let layer_digest = blob.commit(Some(&pending.diff_id))?;
    let layer_size = pending.size;
    pending.commit(store, &layer_digest, &unpacker.idmap())?;
    let config_digest = store.put_blob(&config_bytes)?;
    let manifest = Manifest::new(
        Descriptor::new(
            oci::MEDIA_CONFIG,
            config_digest.clone(),
            config_bytes.len() as u64,
        ),
        vec![Descriptor::new(
            oci::MEDIA_LAYER_TAR,
            layer_digest,
            layer_size,
        )],
    );
    let manifest_bytes = serde_json::to_vec(&manifest)?;
    let manifest_digest = store.put_blob(&manifest_bytes)?;
    let names: Vec<String> = opts.name.iter().cloned().collect();
    store.add_image(&lock, &manifest_digest, manifest_bytes.len() as u64, &names)?;
    Ok(config_digest)
}
