//! `berth save`: images out as a docker-archive (what `docker save` writes)
//! or an oci-archive (a tarred OCI image layout).

use crate::layer;
use crate::store::Store;
use crate::store::digest::Digest;
use crate::store::images::Image;
use crate::store::oci::{self, ANNOTATION_REF_NAME, Descriptor, Index};
use anyhow::{Context, Result};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufReader, Read, Seek, Write};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchiveFormat {
    DockerArchive,
    OciArchive,
}

/// One image to save, with the names to record for it.
pub struct Entry {
    pub image: Image,
    pub names: Vec<String>,
}

pub fn save(
    store: &Store,
    entries: &[Entry],
    format: ArchiveFormat,
    out: &mut dyn Write,
) -> Result<()> {
    let mut tar = tar::Builder::new(out);
    match format {
        ArchiveFormat::OciArchive => oci_archive(store, entries, &mut tar)?,
        ArchiveFormat::DockerArchive => docker_archive(store, entries, &mut tar)?,
    }
    tar.into_inner()?.flush()?;
    Ok(())
}

fn header(size: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::Regular);
    h
}

fn add_bytes(tar: &mut tar::Builder<&mut dyn Write>, name: &str, bytes: &[u8]) -> Result<()> {
    tar.append_data(&mut header(bytes.len() as u64), name, bytes)
        .with_context(|| format!("writing `{name}`"))
}

fn add_dir(tar: &mut tar::Builder<&mut dyn Write>, name: &str) -> Result<()> {
    let mut h = header(0);
    h.set_mode(0o755);
    h.set_entry_type(tar::EntryType::Directory);
    tar.append_data(&mut h, name, io::empty())
        .with_context(|| format!("writing `{name}`"))
}

fn add_blob(
    store: &Store,
    tar: &mut tar::Builder<&mut dyn Write>,
    name: &str,
    d: &Digest,
) -> Result<()> {
    let f = store.open_blob(d)?;
    let size = f.metadata()?.len();
    tar.append_data(&mut header(size), name, f)
        .with_context(|| format!("writing blob {d}"))
}

fn oci_archive(
    store: &Store,
    entries: &[Entry],
    tar: &mut tar::Builder<&mut dyn Write>,
) -> Result<()> {
    let mut index = Index::default();
    let mut blobs = BTreeSet::new();
    for e in entries {
        let i = &e.image;
        let mut desc = Descriptor::new(oci::MEDIA_MANIFEST, i.digest.clone(), i.manifest_size);
        let names: Vec<Option<&String>> = if e.names.is_empty() {
            vec![None]
        } else {
            e.names.iter().map(Some).collect()
        };
        for n in names {
            desc.annotations =
                n.map(|n| BTreeMap::from([(ANNOTATION_REF_NAME.to_string(), n.clone())]));
            index.manifests.push(desc.clone());
        }
        blobs.insert(i.digest.clone());
        blobs.insert(i.id().clone());
        blobs.extend(i.manifest.layers.iter().map(|l| l.digest.clone()));
    }
    add_bytes(tar, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    add_bytes(tar, "index.json", &serde_json::to_vec(&index)?)?;
    // The directories get entries of their own, before what they hold, as
    // podman writes them: an untar that has to invent a missing parent
    // (containers/storage, under skopeo and podman) chowns it to root and
    // fails as an unprivileged user.
    for dir in ["blobs/", "blobs/sha256/"] {
        add_dir(tar, dir)?;
    }
    for d in &blobs {
        add_blob(store, tar, &format!("blobs/sha256/{}", d.hex()), d)?;
    }
    Ok(())
}

fn docker_archive(
    store: &Store,
    entries: &[Entry],
    tar: &mut tar::Builder<&mut dyn Write>,
) -> Result<()> {
    let mut manifest = Vec::new();
    let mut written = BTreeSet::new();
    for e in entries {
        let i = &e.image;
        let config_name = format!("{}.json", i.id().hex());
        if written.insert(config_name.clone()) {
            add_blob(store, tar, &config_name, i.id())?;
        }
        let mut layers = Vec::new();
        for (l, diff_id) in i.manifest.layers.iter().zip(i.diff_ids()) {
            let name = format!("{}.tar", diff_id.hex());
            if written.insert(name.clone()) {
                add_layer_tar(store, tar, &name, l)?;
            }
            layers.push(name);
        }
        manifest.push(json!({"Config": config_name, "RepoTags": e.names, "Layers": layers}));
    }
    add_bytes(tar, "manifest.json", &serde_json::to_vec(&manifest)?)?;
    Ok(())
}

/// docker-archive layers are uncompressed tars; a compressed blob is
/// decompressed to a temporary file first (the tar header needs its size).
fn add_layer_tar(
    store: &Store,
    tar: &mut tar::Builder<&mut dyn Write>,
    name: &str,
    l: &Descriptor,
) -> Result<()> {
    if l.media_type == oci::MEDIA_LAYER_TAR || l.media_type.ends_with(".tar") {
        return add_blob(store, tar, name, &l.digest);
    }
    let mut tmp = tempfile::tempfile().context("creating a temporary file")?;
    let mut src = layer::decompress(BufReader::new(store.open_blob(&l.digest)?))?;
    let size = io::copy(&mut src, &mut tmp)
        .with_context(|| format!("decompressing layer {}", l.digest))?;
    tmp.rewind()?;
    tar.append_data(&mut header(size), name, tmp.take(size))
        .with_context(|| format!("writing layer {}", l.digest))
}
