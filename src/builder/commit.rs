//! Layers into a stage and stages into an image: a step's upper directory
//! committed as a layer and recorded in the stage's history, and the
//! target's config and manifest written to the store.

use super::executor::{Builder, State};
use crate::image::upper::{BuiltLayer, commit_upper};
use crate::store::digest::Digest;
use crate::store::oci::{self, Descriptor, History, Manifest, RootFs};
use anyhow::Result;
use std::path::Path;

impl Builder<'_> {
    /// Makes `upper` the step's layer on top of `st`, remembered under `key`.
    pub(super) fn commit_step(
        &self,
        st: &mut State,
        upper: &Path,
        key: String,
        created_by: String,
    ) -> Result<()> {
        let parent = st.layers.last().map(|(l, _)| l.chain.clone());
        let mut l = commit_upper(
            self.store,
            &self.access,
            &self.idmap,
            upper,
            parent.as_ref(),
            self.opts.epoch,
        )?;
        l.created = Some(self.created());
        self.remember(&key, &l)?;
        self.add_layer(st, key, l, created_by);
        Ok(())
    }

    /// Puts a made or cached layer on top of `st`.
    pub(super) fn add_layer(&self, st: &mut State, key: String, l: BuiltLayer, created_by: String) {
        st.created = l.created.clone().unwrap_or_else(|| self.created());
        let desc = Descriptor::new(oci::MEDIA_LAYER_TAR, l.diff_id.clone(), l.size);
        st.config.rootfs.diff_ids.push(l.diff_id.clone());
        st.layers.push((l, desc));
        st.key = key;
        st.config.history.push(History {
            created: Some(st.created.clone()),
            created_by: Some(created_by),
            ..Default::default()
        });
    }

    /// Writes the target stage's config and manifest; returns the config's digest.
    pub(super) fn commit_image(&self, st: &State) -> Result<Digest> {
        let mut config = st.config.clone();
        config.created = Some(st.created.clone());
        config.architecture = oci::host_arch().into();
        config.os = "linux".into();
        config.rootfs = RootFs {
            kind: "layers".into(),
            diff_ids: st.layers.iter().map(|(l, _)| l.diff_id.clone()).collect(),
        };
        if !self.opts.labels.is_empty() {
            let labels = config.config.labels.get_or_insert_with(Default::default);
            labels.extend(self.opts.labels.clone());
        }
        let config_bytes = serde_json::to_vec(&config)?;
        let lock = self.store.lock()?;
        let config_digest = self.store.put_blob(&config_bytes)?;
        let manifest = Manifest::new(
            Descriptor::new(
                oci::MEDIA_CONFIG,
                config_digest.clone(),
                config_bytes.len() as u64,
            ),
            st.layers.iter().map(|(_, d)| d.clone()).collect(),
        );
        let bytes = serde_json::to_vec(&manifest)?;
        let digest = self.store.put_blob(&bytes)?;
        self.store
            .add_image(&lock, &digest, bytes.len() as u64, &self.opts.tags)?;
        Ok(config_digest)
    }
}

/// An image's layers as a build state holds them, with their chain ids (bottom first).
pub(super) fn image_layers(
    img: &crate::store::images::Image,
    chains: Vec<Digest>,
) -> Vec<(BuiltLayer, Descriptor)> {
    img.manifest
        .layers
        .iter()
        .zip(img.diff_ids())
        .zip(chains)
        .map(|((d, diff), chain)| {
            (
                BuiltLayer {
                    chain,
                    diff_id: diff.clone(),
                    size: d.size,
                    created: None,
                },
                d.clone(),
            )
        })
        .collect()
}
