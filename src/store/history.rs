//! The history of names (a reflog, issue 13): every change of what a name
//! in index.json points to — tag, build -t, pull, load, import, commit,
//! manifest, untag, rmi, rollback — as one JSON line in
//! `<root>/name-history.jsonl`: time, name, old and new target, command.
//!
//! Recorded in the one place names move, [`Store::write_index`], under the
//! store lock: the index before and after are compared by name. The lines
//! are appended (one write, fdatasync) *before* index.json is renamed, so a
//! crash never loses the previous target of a name. A crash between the two
//! leaves an entry for a move that did not happen; it is recognised on
//! reading because the history of a name is a chain (each entry's `new` is
//! the next entry's `old`, the newest's `new` is what the index says): an
//! entry that breaks the chain is *interrupted*, left out of `image log`,
//! `rollback` and gc, reported by `system check` and dropped by the next
//! compaction. A line cut short by a crash is skipped; the next append
//! starts on a new line.
//!
//! Bounded: past [`COMPACT_AT`] bytes the file is rewritten (temp + rename)
//! keeping the newest [`KEEP_PER_NAME`] entries of each name; `system
//! prune`/`image prune` drop entries older than `--expire` (default 30
//! days, as git's reflog for unreachable entries). Images an entry points to stay alive in gc until it goes.

use super::digest::Digest;
use super::oci::{Descriptor, Index, Manifest};
use super::{Lock, Store};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::sync::OnceLock;

/// The file is compacted once an append leaves it larger than this.
pub const COMPACT_AT: u64 = 1 << 20;
/// Entries kept per name by a compaction (the newest).
pub const KEEP_PER_NAME: usize = 100;
/// At most this much of the file is read (its end): a file grown past it by
/// hand costs no more than this to read.
const READ_MAX: u64 = 8 << 20;
/// A recorded command is cut to this many bytes.
const COMMAND_MAX: usize = 1024;

static COMMAND: OnceLock<String> = OnceLock::new();

/// Sets the command line recorded with this process's name changes (the
/// caller leaves out secrets). Once per process; later calls are ignored.
pub fn set_command(command: String) {
    let _ = COMMAND.set(command);
}

/// What a name points to: an image manifest or a manifest list.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Target {
    #[serde(rename = "mediaType")]
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    /// The image id (config digest); none for a list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Digest>,
}

impl Target {
    /// The id users know it by: the image id, else the list's digest.
    pub fn shown_id(&self) -> &Digest {
        self.id.as_ref().unwrap_or(&self.digest)
    }

    pub fn is_list(&self) -> bool {
        super::lists::is_index(&self.media_type)
    }
}

/// One change of one name.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    /// Seconds since the epoch (wall clock).
    pub time: i64,
    pub name: String,
    pub old: Option<Target>,
    pub new: Option<Target>,
    pub command: String,
}

/// The history file as read: entries oldest first, each marked applied or
/// interrupted (see the module docs).
#[derive(Debug, Default)]
pub struct History {
    pub entries: Vec<(Entry, bool)>,
    /// Lines that did not parse (a torn last line after a crash).
    pub unreadable: usize,
}

impl History {
    /// The applied entries of `name`, newest first: index 0 is the change
    /// that made the name what it is now (git's `name@{0}`).
    pub fn of(&self, name: &str) -> Vec<&Entry> {
        self.entries
            .iter()
            .rev()
            .filter(|(e, ok)| *ok && e.name == name)
            .map(|(e, _)| e)
            .collect()
    }

    /// The entries that break their name's chain: moves a crash interrupted.
    pub fn interrupted(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|(_, ok)| !ok).map(|(e, _)| e)
    }

    /// Every target an applied entry points to, once each.
    pub fn targets(&self) -> Vec<&Target> {
        let mut seen = BTreeSet::new();
        self.entries
            .iter()
            .filter(|(_, ok)| *ok)
            .flat_map(|(e, _)| [e.old.as_ref(), e.new.as_ref()])
            .flatten()
            .filter(|t| seen.insert(t.digest.clone()))
            .collect()
    }
}

/// Name → the entry naming it, for every named entry of an index.
fn names(index: &Index) -> BTreeMap<&str, &Descriptor> {
    let mut out = BTreeMap::new();
    for m in &index.manifests {
        if let Some(n) = m.ref_name() {
            out.entry(n).or_insert(m);
        }
    }
    out
}

/// The names whose target differs between two indexes: (name, old, new).
fn moves<'a>(
    before: &'a Index,
    after: &'a Index,
) -> Vec<(&'a str, Option<&'a Descriptor>, Option<&'a Descriptor>)> {
    let (b, a) = (names(before), names(after));
    let all: BTreeSet<&str> = b.keys().chain(a.keys()).copied().collect();
    all.into_iter()
        .filter_map(|n| {
            let (old, new) = (b.get(n).copied(), a.get(n).copied());
            let same = match (old, new) {
                (Some(o), Some(n)) => o.digest == n.digest && o.media_type == n.media_type,
                (None, None) => true,
                _ => false,
            };
            (!same).then_some((n, old, new))
        })
        .collect()
}

/// Marks each entry applied or interrupted: an entry is applied when its
/// `new` is the next newer entry's `old` for the same name, or, for the
/// newest, what `current` names now.
fn mark(entries: Vec<Entry>, current: &Index) -> Vec<(Entry, bool)> {
    let now = names(current);
    let mut next_old: BTreeMap<String, Option<Digest>> = BTreeMap::new();
    let mut out: Vec<(Entry, bool)> = Vec::with_capacity(entries.len());
    for e in entries.into_iter().rev() {
        let expected = match next_old.get(&e.name) {
            Some(d) => d.clone(),
            None => now.get(e.name.as_str()).map(|d| d.digest.clone()),
        };
        let ok = e.new.as_ref().map(|t| &t.digest) == expected.as_ref();
        next_old.insert(e.name.clone(), e.old.as_ref().map(|t| t.digest.clone()));
        out.push((e, ok));
    }
    out.reverse();
    out
}

/// Parses the lines of the file, skipping those that do not parse.
fn parse(bytes: &[u8]) -> (Vec<Entry>, usize) {
    let mut entries = Vec::new();
    let mut bad = 0;
    for line in bytes.split(|b| *b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Entry>(line) {
            Ok(e) => entries.push(e),
            Err(_) => bad += 1,
        }
    }
    (entries, bad)
}

impl Store {
    /// Reads the history, each entry marked against the index as it is now.
    /// A missing file is an empty history.
    pub fn history(&self) -> Result<History> {
        let index = self.read_index()?;
        self.history_against(&index)
    }

    pub(super) fn history_against(&self, index: &Index) -> Result<History> {
        let path = self.layout().name_history();
        let mut f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(History::default()),
            Err(e) => return Err(e).with_context(|| format!("opening `{}`", path.display())),
        };
        let len = f.metadata()?.len();
        let skip = len.saturating_sub(READ_MAX);
        f.seek(SeekFrom::Start(skip))?;
        let mut bytes = Vec::new();
        f.take(READ_MAX)
            .read_to_end(&mut bytes)
            .with_context(|| format!("reading `{}`", path.display()))?;
        if skip > 0 {
            // Started mid-line: the first (partial) line is not an entry.
            let cut = bytes
                .iter()
                .position(|b| *b == b'\n')
                .map_or(bytes.len(), |p| p + 1);
            bytes.drain(..cut);
        }
        let (entries, unreadable) = parse(&bytes);
        Ok(History {
            entries: mark(entries, index),
            unreadable,
        })
    }

    /// The target a descriptor of index.json names, with the image id read
    /// from its manifest (none when that cannot be read: still recorded).
    fn target(&self, d: &Descriptor) -> Target {
        let id = if super::lists::is_index(&d.media_type) {
            None
        } else {
            self.read_blob(&d.digest)
                .ok()
                .and_then(|b| serde_json::from_slice::<Manifest>(&b).ok())
                .map(|m| m.config.digest)
        };
        Target {
            media_type: d.media_type.clone(),
            digest: d.digest.clone(),
            size: d.size,
            id,
        }
    }

    /// Appends an entry for every name that moves from `before` to `after`,
    /// synced, before the caller renames the new index into place. Returns
    /// the file's length before the append, for [`Store::undo_history`]
    /// when the index write fails; None when nothing moved.
    pub(super) fn record_moves(
        &self,
        before: &Index,
        after: &Index,
        _lock: &Lock,
    ) -> Result<Option<u64>> {
        let moved = moves(before, after);
        if moved.is_empty() {
            return Ok(None);
        }
        let mut command = COMMAND.get().cloned().unwrap_or_default();
        if command.len() > COMMAND_MAX {
            let mut cut = COMMAND_MAX;
            while !command.is_char_boundary(cut) {
                cut -= 1;
            }
            command.truncate(cut);
        }
        let time = crate::time::now_wall();
        let mut buf = Vec::new();
        for (name, old, new) in moved {
            let e = Entry {
                time,
                name: name.to_string(),
                old: old.map(|d| self.target(d)),
                new: new.map(|d| self.target(d)),
                command: command.clone(),
            };
            serde_json::to_writer(&mut buf, &e)?;
            buf.push(b'\n');
        }
        let path = self.layout().name_history();
        let f = fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("opening `{}`", path.display()))?;
        let len = f.metadata()?.len();
        let mut last = [0u8; 1];
        if len > 0 && f.read_at(&mut last, len - 1)? == 1 && last[0] != b'\n' {
            // A line torn by a crash: ours starts on a line of its own.
            buf.insert(0, b'\n');
        }
        (&f).write_all(&buf)
            .and_then(|()| f.sync_data())
            .with_context(|| format!("appending to `{}`", path.display()))?;
        Ok(Some(len))
    }

    /// Takes back an append whose index write failed.
    pub(super) fn undo_history(&self, len: u64) {
        let path = self.layout().name_history();
        if let Err(e) = fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_len(len))
        {
            log::warn!("taking back `{}`: {e}", path.display());
        }
    }

    /// Compacts the file once it passed [`COMPACT_AT`] (best effort: a
    /// failure leaves it as it is, still valid).
    pub(super) fn maybe_compact(&self, lock: &Lock) {
        let big = fs::metadata(self.layout().name_history()).is_ok_and(|m| m.len() > COMPACT_AT);
        if big && let Err(e) = self.compact_history(lock, None) {
            log::warn!("compacting the name history: {e:#}");
        }
    }

    /// Rewrites the history without interrupted entries, without entries
    /// older than `expire_before` (seconds since the epoch), and with at
    /// most [`KEEP_PER_NAME`] entries a name. Returns how many went.
    pub fn compact_history(&self, _lock: &Lock, expire_before: Option<i64>) -> Result<usize> {
        let path = self.layout().name_history();
        if !path.exists() {
            return Ok(0);
        }
        let h = self.history()?;
        let total = h.entries.len() + h.unreadable;
        let mut per_name: BTreeMap<&str, usize> = BTreeMap::new();
        let mut kept: Vec<&Entry> = Vec::new();
        for (e, ok) in h.entries.iter().rev() {
            let n = per_name.entry(e.name.as_str()).or_default();
            if !ok || *n >= KEEP_PER_NAME || expire_before.is_some_and(|t| e.time < t) {
                continue;
            }
            *n += 1;
            kept.push(e);
        }
        kept.reverse();
        let mut buf = Vec::new();
        for e in &kept {
            serde_json::to_writer(&mut buf, e)?;
            buf.push(b'\n');
        }
        crate::layout::write_atomic(&path, &buf)
            .with_context(|| format!("rewriting `{}`", path.display()))?;
        Ok(total - kept.len())
    }

    /// Whether the image or list `t` is whole in the store: its manifest,
    /// config and layer blobs, and its unpacked layers.
    pub fn target_complete(&self, t: &Target) -> Result<()> {
        if t.is_list() {
            if !self.has_blob(&t.digest) {
                anyhow::bail!("manifest list {} is gone", t.digest);
            }
            return Ok(());
        }
        let img = self
            .load_image(&t.digest, t.size, Vec::new())
            .with_context(|| format!("image {} is gone", t.shown_id()))?;
        for l in &img.manifest.layers {
            if !self.has_blob(&l.digest) {
                anyhow::bail!("image {}: layer blob {} is gone", t.shown_id(), l.digest);
            }
        }
        for c in img.chain_ids() {
            if !self.layer_dir(&c).is_dir() || !self.layer_meta_path(&c).is_file() {
                anyhow::bail!("image {}: unpacked layer {c} is gone", t.shown_id());
            }
        }
        Ok(())
    }

    /// Points `name` at `t` again (rollback): an image through
    /// [`Store::add_image`], a list by its index.json entry. The move is
    /// recorded like any other.
    pub fn point_name(&self, lock: &Lock, name: &str, t: &Target) -> Result<()> {
        if !t.is_list() {
            return self.add_image(lock, &t.digest, t.size, &[name.to_string()]);
        }
        let mut index = self.read_index()?;
        let loser = index
            .manifests
            .iter()
            .find(|m| m.ref_name() == Some(name) && !super::lists::is_index(&m.media_type))
            .map(|m| (m.digest.clone(), m.size));
        index.manifests.retain(|m| m.ref_name() != Some(name));
        let mut d = Descriptor::new(&t.media_type, t.digest.clone(), t.size);
        d.annotations = Some(BTreeMap::from([(
            super::oci::ANNOTATION_REF_NAME.to_string(),
            name.to_string(),
        )]));
        index.manifests.push(d);
        if let Some((digest, size)) = loser
            && !index.manifests.iter().any(|m| m.digest == digest)
        {
            // The image that had the name stays, unnamed, as add_image leaves it.
            index
                .manifests
                .push(Descriptor::new(super::oci::MEDIA_MANIFEST, digest, size));
        }
        self.write_index(&index, lock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::oci::{ImageConfig, MEDIA_CONFIG, RootFs};

    fn store() -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().unwrap();
        let s = Store::open(tmp.path()).unwrap();
        (tmp, s)
    }

    /// An image without layers; `n` makes each one different.
    fn image(s: &Store, n: u32) -> (Digest, u64, Digest) {
        let config = ImageConfig {
            architecture: "amd64".into(),
            os: "linux".into(),
            created: Some(format!("2024-01-01T00:00:{n:02}Z")),
            rootfs: RootFs {
                kind: "layers".into(),
                diff_ids: vec![],
            },
            ..Default::default()
        };
        let cb = serde_json::to_vec(&config).unwrap();
        let cd = s.put_blob(&cb).unwrap();
        let m = Manifest::new(
            Descriptor::new(MEDIA_CONFIG, cd.clone(), cb.len() as u64),
            vec![],
        );
        let mb = serde_json::to_vec(&m).unwrap();
        let md = s.put_blob(&mb).unwrap();
        (md, mb.len() as u64, cd)
    }

    const APP: &str = "localhost/app:latest";

    fn ids(h: &History, name: &str) -> Vec<(Option<Digest>, Option<Digest>)> {
        h.of(name)
            .iter()
            .map(|e| {
                (
                    e.old.as_ref().and_then(|t| t.id.clone()),
                    e.new.as_ref().and_then(|t| t.id.clone()),
                )
            })
            .collect()
    }

    #[test]
    fn every_move_of_a_name_is_recorded_newest_first_and_a_retag_is_not() {
        let (_t, s) = store();
        let (a, asz, aid) = image(&s, 1);
        let (b, bsz, bid) = image(&s, 2);
        let lock = s.lock().unwrap();
        s.add_image(&lock, &a, asz, &[APP.into()]).unwrap();
        s.add_image(&lock, &b, bsz, &[APP.into()]).unwrap();
        s.add_image(&lock, &b, bsz, &[APP.into()]).unwrap();
        s.untag(&lock, &b, &[APP.into()]).unwrap();
        let h = s.history().unwrap();
        assert_eq!(
            ids(&h, APP),
            vec![
                (Some(bid.clone()), None),
                (Some(aid.clone()), Some(bid)),
                (None, Some(aid)),
            ]
        );
        assert_eq!(h.interrupted().count(), 0);
    }

    #[test]
    fn an_entry_whose_index_write_never_happened_is_interrupted_not_applied() {
        let (_t, s) = store();
        let (a, asz, aid) = image(&s, 1);
        let (b, bsz, _) = image(&s, 2);
        let lock = s.lock().unwrap();
        s.add_image(&lock, &a, asz, &[APP.into()]).unwrap();
        // The crash: the history append of a move to b, and no index rename.
        let before = s.read_index().unwrap();
        let mut after = before.clone();
        after.manifests[0].digest = b.clone();
        after.manifests[0].size = bsz;
        s.record_moves(&before, &after, &lock).unwrap();
        let h = s.history().unwrap();
        assert_eq!(ids(&h, APP), vec![(None, Some(aid.clone()))]);
        assert_eq!(h.interrupted().count(), 1);
        // The next real move chains on from what the index held.
        s.untag(&lock, &a, &[APP.into()]).unwrap();
        let h = s.history().unwrap();
        assert_eq!(
            ids(&h, APP),
            vec![(Some(aid.clone()), None), (None, Some(aid))]
        );
        assert_eq!(s.compact_history(&lock, None).unwrap(), 1);
        assert_eq!(s.history().unwrap().interrupted().count(), 0);
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_the_next_entry_starts_a_line() {
        let (_t, s) = store();
        let (a, asz, aid) = image(&s, 1);
        let lock = s.lock().unwrap();
        s.add_image(&lock, &a, asz, &["localhost/x:1".into()])
            .unwrap();
        let path = s.layout().name_history();
        let mut f = fs::OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"time":1,"name":"localhost/x:1","ol"#)
            .unwrap();
        let h = s.history().unwrap();
        assert_eq!(h.unreadable, 1);
        assert_eq!(h.of("localhost/x:1").len(), 1);
        s.add_image(&lock, &a, asz, &[APP.into()]).unwrap();
        let h = s.history().unwrap();
        assert_eq!(h.unreadable, 1);
        assert_eq!(ids(&h, APP), vec![(None, Some(aid))]);
    }

    #[test]
    fn compaction_keeps_the_newest_entries_of_each_name_and_expires_old_ones() {
        let (_t, s) = store();
        let (a, asz, _) = image(&s, 1);
        let (b, bsz, bid) = image(&s, 2);
        let lock = s.lock().unwrap();
        for i in 0..KEEP_PER_NAME + 5 {
            let (d, sz) = if i % 2 == 0 { (&a, asz) } else { (&b, bsz) };
            s.add_image(&lock, d, sz, &[APP.into()]).unwrap();
        }
        assert_eq!(s.history().unwrap().of(APP).len(), KEEP_PER_NAME + 5);
        assert_eq!(s.compact_history(&lock, None).unwrap(), 5);
        let h = s.history().unwrap();
        assert_eq!(h.of(APP).len(), KEEP_PER_NAME);
        // The newest move (to a) and its old (b) are still there.
        assert_eq!(h.of(APP)[0].old.as_ref().unwrap().id, Some(bid));
        let all = s
            .compact_history(&lock, Some(crate::time::now_wall() + 1))
            .unwrap();
        assert_eq!(all, KEEP_PER_NAME);
        assert!(s.history().unwrap().entries.is_empty());
    }
}
