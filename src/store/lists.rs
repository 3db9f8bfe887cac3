//! Manifest lists (`berth manifest`): named OCI image indexes in the store.
//!
//! A list is a blob like a manifest, named in index.json by an entry whose
//! media type is an index (`org.opencontainers.image.ref.name` as for
//! images). It is not an image: [`Store::images`] skips it. Its entries
//! name image manifests by digest; those in the store are kept alive by
//! the list (gc), so removing an image a list uses leaves the list whole.

use super::digest::Digest;
use super::oci::{ANNOTATION_REF_NAME, DOCKER_MANIFEST_LIST, Descriptor, Index, MEDIA_INDEX};
use super::{Lock, Store};
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;

/// Whether an index.json entry (or a list entry) names an index, not a manifest.
pub fn is_index(media_type: &str) -> bool {
    media_type == MEDIA_INDEX || media_type == DOCKER_MANIFEST_LIST
}

#[derive(Clone, Debug)]
pub struct List {
    /// The digest of the index blob.
    pub digest: Digest,
    pub name: String,
    pub index: Index,
}

impl Store {
    /// Every named list, in index order.
    pub fn lists(&self) -> Result<Vec<List>> {
        let index = self.read_index()?;
        index
            .manifests
            .iter()
            .filter(|m| is_index(&m.media_type))
            .filter_map(|m| Some((m, m.ref_name()?)))
            .map(|(m, name)| self.load_list(&m.digest, name))
            .collect()
    }

    fn load_list(&self, digest: &Digest, name: &str) -> Result<List> {
        let index: Index = serde_json::from_slice(&self.read_blob(digest)?)
            .with_context(|| format!("parsing manifest list {digest}"))?;
        Ok(List {
            digest: digest.clone(),
            name: name.to_string(),
            index,
        })
    }

    /// The list named `name` (a full reference), if any.
    pub fn find_list(&self, name: &str) -> Result<Option<List>> {
        Ok(self.lists()?.into_iter().find(|l| l.name == name))
    }

    /// Stores `index` as the list `name`, replacing what the name held
    /// before when that was a list. The caller checks no image has the name.
    pub fn save_list(&self, lock: &Lock, name: &str, index: &Index) -> Result<Digest> {
        let bytes = serde_json::to_vec_pretty(index)?;
        let digest = self.put_blob(&bytes)?;
        let mut top = self.read_index()?;
        if top
            .manifests
            .iter()
            .any(|m| !is_index(&m.media_type) && m.ref_name() == Some(name))
        {
            bail!("`{name}` is the name of an image, not of a manifest list");
        }
        top.manifests.retain(|m| m.ref_name() != Some(name));
        let mut d = Descriptor::new(MEDIA_INDEX, digest.clone(), bytes.len() as u64);
        d.annotations = Some(BTreeMap::from([(
            ANNOTATION_REF_NAME.to_string(),
            name.to_string(),
        )]));
        top.manifests.push(d);
        self.write_index(&top, lock)?;
        Ok(digest)
    }

    /// Drops the list `name`; its blob (and the images only it kept) become
    /// garbage. Other lists with the same contents stay.
    pub fn remove_list(&self, lock: &Lock, name: &str) -> Result<()> {
        let mut top = self.read_index()?;
        let before = top.manifests.len();
        top.manifests
            .retain(|m| !(is_index(&m.media_type) && m.ref_name() == Some(name)));
        if top.manifests.len() == before {
            bail!("manifest list `{name}` not known");
        }
        self.write_index(&top, lock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::oci::{ImageConfig, MEDIA_CONFIG, MEDIA_MANIFEST, Manifest, RootFs};

    fn store() -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().unwrap();
        let s = Store::open(tmp.path()).unwrap();
        (tmp, s)
    }

    /// An image without layers, named `name`; returns its manifest descriptor.
    fn image(s: &Store, name: &str, arch: &str) -> Descriptor {
        let config = ImageConfig {
            architecture: arch.into(),
            os: "linux".into(),
            rootfs: RootFs {
                kind: "layers".into(),
                diff_ids: vec![],
            },
            ..Default::default()
        };
        let cb = serde_json::to_vec(&config).unwrap();
        let cd = s.put_blob(&cb).unwrap();
        let m = Manifest::new(Descriptor::new(MEDIA_CONFIG, cd, cb.len() as u64), vec![]);
        let mb = serde_json::to_vec(&m).unwrap();
        let md = s.put_blob(&mb).unwrap();
        let lock = s.lock().unwrap();
        s.add_image(&lock, &md, mb.len() as u64, &[name.to_string()])
            .unwrap();
        Descriptor::new(MEDIA_MANIFEST, md, mb.len() as u64)
    }

    fn list_of(entries: Vec<Descriptor>) -> Index {
        Index {
            manifests: entries,
            ..Index::default()
        }
    }

    #[test]
    fn a_list_is_named_but_is_not_an_image() {
        let (_t, s) = store();
        let img = image(&s, "docker.io/library/a:latest", "amd64");
        let lock = s.lock().unwrap();
        let d = s
            .save_list(&lock, "localhost/l:latest", &list_of(vec![img.clone()]))
            .unwrap();
        let images = s.images().unwrap();
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].digest, img.digest);
        assert!(s.resolve("localhost/l:latest").is_err());
        let l = s.find_list("localhost/l:latest").unwrap().unwrap();
        assert_eq!(l.digest, d);
        assert_eq!(l.index.manifests, vec![img]);
        assert!(
            s.check(false, &Default::default())
                .unwrap()
                .errors
                .is_empty()
        );
    }

    #[test]
    fn a_list_keeps_the_images_it_names_after_they_are_removed() {
        let (_t, s) = store();
        let img = image(&s, "docker.io/library/a:latest", "amd64");
        let lock = s.lock().unwrap();
        s.save_list(&lock, "localhost/l:latest", &list_of(vec![img.clone()]))
            .unwrap();
        s.remove_image(&lock, &img.digest).unwrap();
        assert!(s.images().unwrap().is_empty());
        let report = s.check(false, &Default::default()).unwrap();
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert!(report.garbage.is_empty(), "{:?}", report.garbage);
        s.remove_list(&lock, "localhost/l:latest").unwrap();
        // The name history keeps what names pointed to until it expires.
        s.compact_history(&lock, Some(i64::MAX)).unwrap();
        assert_eq!(
            s.check(false, &Default::default()).unwrap().garbage.len(),
            3
        );
    }

    #[test]
    fn lists_with_the_same_entries_are_removed_one_by_one() {
        let (_t, s) = store();
        let lock = s.lock().unwrap();
        let a = s
            .save_list(&lock, "localhost/a:latest", &list_of(vec![]))
            .unwrap();
        let b = s
            .save_list(&lock, "localhost/b:latest", &list_of(vec![]))
            .unwrap();
        assert_eq!(a, b);
        s.remove_list(&lock, "localhost/a:latest").unwrap();
        assert!(s.find_list("localhost/a:latest").unwrap().is_none());
        assert!(s.find_list("localhost/b:latest").unwrap().is_some());
        assert!(s.remove_list(&lock, "localhost/a:latest").is_err());
    }

    #[test]
    fn an_image_name_is_not_taken_by_a_list_nor_a_list_name_by_an_image() {
        let (_t, s) = store();
        let img = image(&s, "docker.io/library/a:latest", "amd64");
        let lock = s.lock().unwrap();
        let err = s
            .save_list(&lock, "docker.io/library/a:latest", &list_of(vec![]))
            .unwrap_err();
        assert!(err.to_string().contains("is the name of an image"), "{err}");
        s.save_list(&lock, "localhost/l:latest", &list_of(vec![]))
            .unwrap();
        // Tagging an image with the list's name takes the name: the list goes.
        s.add_image(&lock, &img.digest, img.size, &["localhost/l:latest".into()])
            .unwrap();
        assert!(s.find_list("localhost/l:latest").unwrap().is_none());
        assert_eq!(s.images().unwrap().len(), 1);
        assert!(
            s.check(false, &Default::default())
                .unwrap()
                .errors
                .is_empty()
        );
    }
}
