//! Named volumes: `<root>/volumes/<name>/_data` (what a container mounts)
//! and `volume.json` beside it (when it was made, its labels). A volume
//! appears whole or not at all: it is made in a `.tmp-*` directory, record
//! and `_data` included, and renamed into place; removal renames it out
//! first. A kill -9 leaves a complete volume or `.tmp-*` garbage, never a
//! half-made one. Volumes made before records existed (`_data` alone) are
//! volumes too, with no labels and their directory's time.
//!
//! `_data` belongs to the containers that use it: nothing here looks inside
//! it but [`Volumes::is_empty`], which only lists its top directory.

use super::Containers;
use crate::layout::{Layout, TMP_PREFIX, volume_data, volume_dir, volume_record, write_atomic};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

/// A record is a few labels; anything longer was not written by berth.
const MAX_RECORD: u64 = 1 << 20;

/// Docker's volume names, `[a-zA-Z0-9][a-zA-Z0-9_.-]*`: never `.`, `..`, a
/// path, a `.tmp-*` name, or anything that would leave the volumes
/// directory when joined to it.
pub fn is_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// `volume.json`
#[derive(Serialize, Deserialize, Debug, Clone, Default)]
struct Record {
    #[serde(rename = "CreatedAt")]
    created_at: String,
    #[serde(rename = "Labels", default)]
    labels: BTreeMap<String, String>,
}

/// One named volume.
#[derive(Debug, Clone)]
pub struct Volume {
    pub name: String,
    /// RFC 3339 with nanoseconds.
    pub created_at: String,
    pub labels: BTreeMap<String, String>,
    /// `<root>/volumes/<name>/_data`
    pub data: PathBuf,
}

impl Volume {
    /// `podman volume inspect`'s shape.
    pub fn inspect(&self) -> serde_json::Value {
        serde_json::json!({
            "Name": self.name,
            "Driver": "local",
            "Mountpoint": self.data,
            "CreatedAt": self.created_at,
            "Labels": self.labels,
            "Scope": "local",
            "Options": {},
        })
    }
}

/// The named volumes under one root.
pub struct Volumes {
    /// `<root>/volumes`
    dir: PathBuf,
}

impl Volumes {
    pub fn new(layout: &Layout) -> Volumes {
        Volumes::in_dir(layout.volumes())
    }

    /// The volumes in `dir` (a [`Layout::volumes`]).
    pub fn in_dir(dir: PathBuf) -> Volumes {
        Volumes { dir }
    }

    /// Makes the volume `name`, or fails naming it when it exists.
    pub fn create(&self, name: &str, labels: BTreeMap<String, String>) -> Result<Volume> {
        if !is_name(name) {
            bail!(
                "invalid volume name `{name}`: use a letter or digit, then letters, digits, `_`, `.` and `-`"
            );
        }
        let volumes = &self.dir;
        crate::layout::private_dir(volumes)?;
        let tmp = tempfile::Builder::new()
            .prefix(TMP_PREFIX)
            .tempdir_in(volumes)
            .with_context(|| format!("creating a directory in `{}`", volumes.display()))?;
        let record = Record {
            created_at: crate::time::now_rfc3339_nanos(),
            labels,
        };
        std::fs::create_dir(tmp.path().join("_data"))
            .with_context(|| format!("creating `{}/_data`", tmp.path().display()))?;
        write_atomic(
            &tmp.path().join("volume.json"),
            &serde_json::to_vec_pretty(&record)?,
        )?;
        let dest = volume_dir(volumes, name);
        // rename(2) never replaces a non-empty directory: an existing
        // volume (its `_data` at least) makes this fail, and tmp goes.
        match std::fs::rename(tmp.path(), &dest) {
            Ok(()) => {
                let _ = tmp.keep();
                crate::layout::sync_dir(volumes)?;
            }
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOTEMPTY) | Some(libc::EEXIST)) => {
                bail!("volume `{name}` already exists")
            }
            Err(e) => {
                return Err(e).with_context(|| format!("renaming into `{}`", dest.display()));
            }
        }
        Ok(Volume {
            name: name.to_string(),
            created_at: record.created_at,
            labels: record.labels,
            data: volume_data(volumes, name),
        })
    }

    /// The volume `name` for a container's `-v name:/path`: made, as
    /// `create` makes it, when missing; another berth making it meanwhile
    /// is fine.
    pub fn ensure(&self, name: &str) -> Result<Volume> {
        if let Some(v) = self.get(name)? {
            return Ok(v);
        }
        match self.create(name, BTreeMap::new()) {
            Ok(v) => Ok(v),
            Err(e) => self.get(name)?.ok_or(e),
        }
    }

    /// The volume `name`, if it exists.
    pub fn get(&self, name: &str) -> Result<Option<Volume>> {
        if !is_name(name) {
            return Ok(None);
        }
        let volumes = &self.dir;
        let data = volume_data(volumes, name);
        let meta = match std::fs::symlink_metadata(&data) {
            Ok(m) if m.is_dir() => m,
            Ok(_) => bail!("`{}` is not a directory", data.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading `{}`", data.display())),
        };
        let path = volume_record(volumes, name);
        let record = match std::fs::File::open(&path) {
            Ok(f) => {
                let mut bytes = Vec::new();
                f.take(MAX_RECORD)
                    .read_to_end(&mut bytes)
                    .with_context(|| format!("reading `{}`", path.display()))?;
                serde_json::from_slice(&bytes)
                    .with_context(|| format!("parsing `{}`", path.display()))?
            }
            // Made by an older berth, which wrote no record.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                use std::os::unix::fs::MetadataExt;
                Record {
                    created_at: crate::time::rfc3339(meta.mtime()),
                    labels: BTreeMap::new(),
                }
            }
            Err(e) => return Err(e).with_context(|| format!("opening `{}`", path.display())),
        };
        Ok(Some(Volume {
            name: name.to_string(),
            created_at: record.created_at,
            labels: record.labels,
            data,
        }))
    }

    /// Every volume, by name.
    pub fn list(&self) -> Result<Vec<Volume>> {
        let volumes = &self.dir;
        let entries = match std::fs::read_dir(volumes) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("listing `{}`", volumes.display())),
        };
        let mut out = Vec::new();
        for e in entries {
            let name = e?.file_name();
            // `.tmp-*` and anything else that is no volume name is not listed.
            if let Some(v) = name.to_str().map(|n| self.get(n)).transpose()? {
                out.extend(v);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Whether the volume's `_data` has nothing in it: a volume is filled
    /// from the image where it is mounted while it is empty, as Docker does.
    /// A `_data` a container made unreadable to us (chowned to one of its
    /// ids, 0700) was used before: not empty.
    pub fn is_empty(&self, v: &Volume) -> Result<bool> {
        match std::fs::read_dir(&v.data) {
            Ok(mut dir) => Ok(dir.next().is_none()),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Ok(false),
            Err(e) => Err(e).with_context(|| format!("reading `{}`", v.data.display())),
        }
    }

    /// Takes the volume out of the volumes directory (one rename, so it is
    /// gone whole) and returns where it went, for the caller to remove
    /// (its files may belong to container ids: `helper::remove_tree`).
    pub fn detach(&self, v: &Volume) -> Result<PathBuf> {
        let volumes = &self.dir;
        let from = volume_dir(volumes, &v.name);
        let to = volumes.join(format!("{TMP_PREFIX}rm-{}", super::random_id()?));
        std::fs::rename(&from, &to).with_context(|| format!("removing volume `{}`", v.name))?;
        Ok(to)
    }
}

/// The containers that use each volume (running or not), by the mounts in
/// their `config.json`: volume name → the containers' names.
pub fn users(containers: &Containers) -> Result<BTreeMap<String, Vec<String>>> {
    let volumes = containers.layout().volumes();
    // The root may have been spelled another way (a symlink, a relative
    // path) by the berth that made the container: its mounts' sources are
    // matched by where they lead, not by how they are written.
    let real = std::fs::canonicalize(&volumes).ok();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in containers.list()? {
        let Some(spec) = containers.config(&m.id)? else {
            continue;
        };
        for mount in spec.mounts().iter().flatten() {
            let Some(source) = mount.source().as_ref() else {
                continue;
            };
            let name = match source.strip_prefix(&volumes) {
                Ok(rest) => rest.iter().next(),
                // `<volumes>/<name>/_data`: only berth's directories are
                // resolved, never anything in `_data`.
                Err(_) => source
                    .parent()
                    .filter(|v| {
                        v.parent()
                            .and_then(|d| std::fs::canonicalize(d).ok())
                            .is_some_and(|d| Some(d) == real)
                    })
                    .and_then(|v| v.file_name()),
            };
            if let Some(name) = name.and_then(|n| n.to_str()) {
                let names = out.entry(name.to_string()).or_default();
                if !names.contains(&m.name) {
                    names.push(m.name.clone());
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_volume_is_made_whole_once_and_listed_with_its_labels() {
        let dir = tempfile::tempdir().unwrap();
        let v = Volumes::new(&Layout::new(dir.path()));
        let labels = BTreeMap::from([("k".to_string(), "v".to_string())]);
        let made = v.create("data", labels.clone()).unwrap();
        assert!(made.data.is_dir());
        let e = v.create("data", BTreeMap::new()).unwrap_err();
        assert_eq!(e.to_string(), "volume `data` already exists");
        assert!(v.create("../x", BTreeMap::new()).is_err());
        let got = v.get("data").unwrap().unwrap();
        assert_eq!(got.labels, labels);
        assert_eq!(got.created_at, made.created_at);
        assert!(v.is_empty(&got).unwrap());
        // The failed second create left no `.tmp-*` behind; only volumes list.
        let names: Vec<_> = std::fs::read_dir(dir.path().join("volumes"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["data"]);
        assert_eq!(v.ensure("data").unwrap().labels, labels);
        assert!(v.ensure("other").unwrap().labels.is_empty());
        let listed: Vec<_> = v.list().unwrap().into_iter().map(|v| v.name).collect();
        assert_eq!(listed, ["data", "other"]);
        let gone = v.detach(&got).unwrap();
        assert!(v.get("data").unwrap().is_none());
        assert!(gone.join("_data").is_dir());
    }

    #[test]
    fn a_volume_an_older_berth_made_has_no_record_and_is_still_one() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        std::fs::create_dir_all(volume_data(&layout.volumes(), "old")).unwrap();
        let v = Volumes::new(&layout).get("old").unwrap().unwrap();
        assert!(v.labels.is_empty());
        assert!(v.created_at.ends_with('Z'));
    }
}
