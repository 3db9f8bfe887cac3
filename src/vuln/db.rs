//! The OSV database: a directory of OSV JSON records at any depth (as
//! `gsutil cp -r` leaves the export) and/or per-ecosystem `all.zip` files,
//! or one such zip — and the index that lets a scan read only the records
//! of the packages it looks up.
//!
//! The index is derived data under the root
//! (`<root>/osv-index/<key>-<version>/`): `records` (every record of a
//! supported ecosystem, withdrawn ones dropped, as compact JSON one after
//! another), one `<n>.idx` per ecosystem (package name → where its records
//! are in `records`) and `index.json` (the ecosystems' files, counts and the
//! version). `<key>` names the source path; `<version>` hashes that path and the source
//! files' paths, sizes and modification times, so a changed database gets a
//! new index and the version doubles as the database version the scan
//! cache is keyed by. An index is built in a temporary directory and renamed
//! into place whole: kill -9 leaves the old one, or none, never half of one.
//!
//! Everything in a database is untrusted: a record is read at most
//! [`MAX_RECORD`] bytes (zip entries by what they inflate to, not what they
//! claim), ecosystem and package names never become file names, symlinks in
//! the database are not followed, and a malformed record is skipped with a
//! warning rather than failing the scan.

use super::osv::Record;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

/// The largest OSV record read; real ones are a few KiB, the largest
/// (PyPI records listing every version) well under 1 MiB.
pub const MAX_RECORD: u64 = 8 << 20;
/// How deep a database directory is walked.
const MAX_DEPTH: usize = 8;
/// Bumped when the index's shape changes, so old indexes are rebuilt.
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: u32,
    version: String,
    /// Ecosystem → its name index file (`0.idx`, …): names from the data
    /// never become file names.
    ecosystems: BTreeMap<String, String>,
    records: u64,
    skipped: u64,
}

/// Name → (offset, length) of each record naming it, in `records`.
type NameIndex = HashMap<String, Vec<(u64, u32)>>;

/// An opened database: its index, ecosystems loaded as they are asked for.
pub struct Db {
    dir: PathBuf,
    manifest: Manifest,
    records: std::fs::File,
    loaded: HashMap<String, NameIndex>,
}

/// One source file of a database, as the version is computed from.
struct Source {
    path: PathBuf,
    rel: String,
    size: u64,
    mtime: (i64, i64),
    zip: bool,
}

impl Db {
    /// Opens the database at `path` (a directory or a zip), building its
    /// index under `index_root` first when the database changed since.
    pub fn open(path: &Path, index_root: &Path) -> Result<Db> {
        let sources = list_sources(path)?;
        if sources.is_empty() {
            bail!(
                "`{}` holds no OSV records (*.json) or exports (*.zip); \
                 fetch them with `berth scan --db-update`",
                path.display()
            );
        }
        let version = version_of(path, &sources);
        let key = path_key(path);
        let dir = index_root.join(format!("{key}-{version}"));
        if !dir.join("index.json").exists() {
            crate::layout::private_dir(index_root)?;
            build(&sources, &dir, &version)
                .with_context(|| format!("indexing the OSV database `{}`", path.display()))?;
            remove_stale(index_root, &key, &dir);
        }
        let manifest: Manifest = serde_json::from_slice(
            &std::fs::read(dir.join("index.json"))
                .with_context(|| format!("reading `{}`", dir.display()))?,
        )
        .with_context(|| format!("`{}/index.json`", dir.display()))?;
        let records = std::fs::File::open(dir.join("records"))?;
        Ok(Db {
            dir,
            manifest,
            records,
            loaded: HashMap::new(),
        })
    }

    /// The database's version (a hash of its files' names, sizes and times).
    pub fn version(&self) -> &str {
        &self.manifest.version
    }

    pub fn record_count(&self) -> u64 {
        self.manifest.records
    }

    /// The records naming `name` in `ecosystem` (a normalised name; see
    /// [`super::normalise_name`]).
    pub fn lookup(&mut self, ecosystem: &str, name: &str) -> Result<Vec<Record>> {
        if !self.loaded.contains_key(ecosystem) {
            let idx = match self.manifest.ecosystems.get(ecosystem) {
                Some(file) => {
                    let p = self.dir.join(file);
                    serde_json::from_slice(
                        &std::fs::read(&p).with_context(|| format!("reading `{}`", p.display()))?,
                    )
                    .with_context(|| format!("`{}`", p.display()))?
                }
                None => NameIndex::new(),
            };
            self.loaded.insert(ecosystem.to_string(), idx);
        }
        let Some(spots) = self.loaded[ecosystem].get(name) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(spots.len());
        for &(off, len) in spots {
            let mut buf = vec![0; len as usize];
            self.records.read_exact_at(&mut buf, off)?;
            out.push(serde_json::from_slice(&buf).context("the OSV index is damaged")?);
        }
        Ok(out)
    }
}

/// The database version of `path` without opening its index: what the
/// gate's cache is keyed by.
pub fn version(path: &Path) -> Result<String> {
    Ok(version_of(path, &list_sources(path)?))
}

fn path_key(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let h = sha2::Sha256::digest(abs.as_os_str().as_encoded_bytes());
    hex::encode(&h[..8])
}

fn version_of(path: &Path, sources: &[Source]) -> String {
    let mut h = sha2::Sha256::new();
    h.update(FORMAT.to_le_bytes());
    // Two databases with the same file names, sizes and times are still two.
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    h.update(abs.as_os_str().as_encoded_bytes());
    h.update([0]);
    for s in sources {
        h.update(s.rel.as_bytes());
        h.update([0]);
        h.update(s.size.to_le_bytes());
        h.update(s.mtime.0.to_le_bytes());
        h.update(s.mtime.1.to_le_bytes());
    }
    hex::encode(&h.finalize()[..8])
}

/// The database's files: `*.json` and `*.zip` below a directory (not
/// following symlinks, skipping dot-names such as an update's temporaries),
/// or the one zip given; sorted, so the version is stable.
fn list_sources(path: &Path) -> Result<Vec<Source>> {
    let md = std::fs::metadata(path)
        .with_context(|| format!("no OSV database at `{}`", path.display()))?;
    let mut out = Vec::new();
    if md.is_file() {
        out.push(Source {
            path: path.to_path_buf(),
            rel: String::new(),
            size: md.size(),
            mtime: (md.mtime(), md.mtime_nsec()),
            zip: true,
        });
        return Ok(out);
    }
    let mut stack = vec![(path.to_path_buf(), String::new(), 0)];
    while let Some((dir, rel, depth)) = stack.pop() {
        let rd = std::fs::read_dir(&dir).with_context(|| format!("reading `{}`", dir.display()))?;
        for e in rd {
            let e = e?;
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') {
                continue;
            }
            let ft = e.file_type()?;
            let r = if rel.is_empty() {
                name.to_string()
            } else {
                format!("{rel}/{name}")
            };
            if ft.is_dir() && depth < MAX_DEPTH {
                stack.push((e.path(), r, depth + 1));
            } else if ft.is_file() && (name.ends_with(".json") || name.ends_with(".zip")) {
                let md = e.metadata()?;
                out.push(Source {
                    path: e.path(),
                    rel: r,
                    size: md.size(),
                    mtime: (md.mtime(), md.mtime_nsec()),
                    zip: name.ends_with(".zip"),
                });
            }
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

/// Reads at most [`MAX_RECORD`] bytes; `None` when there is more.
fn read_bounded(r: impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    r.take(MAX_RECORD + 1).read_to_end(&mut buf)?;
    Ok((buf.len() as u64 <= MAX_RECORD).then_some(buf))
}

struct Builder {
    records: std::io::BufWriter<std::fs::File>,
    offset: u64,
    names: BTreeMap<String, NameIndex>,
    count: u64,
    skipped: u64,
    first_problem: Option<String>,
}

impl Builder {
    fn skip(&mut self, what: String) {
        self.skipped += 1;
        self.first_problem.get_or_insert(what);
    }

    fn add(&mut self, origin: &str, bytes: Option<Vec<u8>>) -> Result<()> {
        let Some(bytes) = bytes else {
            self.skip(format!("{origin}: larger than {} MiB", MAX_RECORD >> 20));
            return Ok(());
        };
        let rec: Record = match serde_json::from_slice(&bytes) {
            Ok(r) => r,
            Err(e) => {
                self.skip(format!("{origin}: {e}"));
                return Ok(());
            }
        };
        if rec.id.is_empty() {
            self.skip(format!("{origin}: no id"));
            return Ok(());
        }
        if rec.withdrawn.is_some() {
            return Ok(());
        }
        let mut keys: Vec<(String, String)> = (rec.affected.iter())
            .filter_map(|a| a.package.as_ref())
            .filter(|p| super::scheme(&p.ecosystem).is_some())
            .map(|p| {
                let name = super::normalise_name(&p.ecosystem, &p.name);
                (p.ecosystem.clone(), name)
            })
            .collect();
        keys.sort();
        keys.dedup();
        if keys.is_empty() {
            return Ok(());
        }
        let compact = serde_json::to_vec(&rec)?;
        let len = u32::try_from(compact.len()).context("record too large")?;
        self.records.write_all(&compact)?;
        for (eco, name) in keys {
            (self.names.entry(eco).or_default().entry(name).or_default()).push((self.offset, len));
        }
        self.offset += u64::from(len);
        self.count += 1;
        Ok(())
    }

    fn add_zip(&mut self, src: &Source) -> Result<()> {
        let f = std::fs::File::open(&src.path)?;
        let mut zip = zip::ZipArchive::new(std::io::BufReader::new(f))
            .with_context(|| format!("`{}` is not a zip file", src.path.display()))?;
        for i in 0..zip.len() {
            let entry = match zip.by_index(i) {
                Ok(e) => e,
                Err(e) => {
                    self.skip(format!("{}: entry {i}: {e}", src.path.display()));
                    continue;
                }
            };
            let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
            if !entry.is_file() || !name.ends_with(".json") {
                continue;
            }
            let origin = format!("{}:{name}", src.path.display());
            if entry.size() > MAX_RECORD {
                self.add(&origin, None)?;
                continue;
            }
            match read_bounded(entry) {
                Ok(b) => self.add(&origin, b)?,
                Err(e) => self.skip(format!("{origin}: {e}")),
            }
        }
        Ok(())
    }
}

fn build(sources: &[Source], dir: &Path, version: &str) -> Result<()> {
    let parent = dir.parent().context("index has no parent")?;
    let tmp = tempfile::Builder::new()
        .prefix(crate::layout::TMP_PREFIX)
        .tempdir_in(parent)?;
    let mut b = Builder {
        records: std::io::BufWriter::new(std::fs::File::create(tmp.path().join("records"))?),
        offset: 0,
        names: BTreeMap::new(),
        count: 0,
        skipped: 0,
        first_problem: None,
    };
    for s in sources {
        if s.zip {
            b.add_zip(s)?;
        } else {
            let f = std::fs::File::open(&s.path)?;
            let origin = s.path.display().to_string();
            match read_bounded(f) {
                Ok(bytes) => b.add(&origin, bytes)?,
                Err(e) => b.skip(format!("{origin}: {e}")),
            }
        }
    }
    let f = b.records.into_inner().map_err(|e| e.into_error())?;
    f.sync_all()?;
    let mut ecosystems = BTreeMap::new();
    for (n, (eco, names)) in b.names.iter().enumerate() {
        let file = format!("{n}.idx");
        let mut w = std::fs::File::create(tmp.path().join(&file))?;
        w.write_all(&serde_json::to_vec(names)?)?;
        w.sync_all()?;
        ecosystems.insert(eco.clone(), file);
    }
    if b.skipped > 0 {
        log::warn!(
            "skipped {} malformed OSV record(s); the first: {}",
            b.skipped,
            // The logger escapes: record ids and paths are the database's.
            b.first_problem.as_deref().unwrap_or_default()
        );
    }
    let manifest = Manifest {
        format: FORMAT,
        version: version.to_string(),
        ecosystems,
        records: b.count,
        skipped: b.skipped,
    };
    std::fs::write(
        tmp.path().join("index.json"),
        serde_json::to_vec(&manifest)?,
    )?;
    let tmp = tmp.keep();
    std::fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    match std::fs::rename(&tmp, dir) {
        Ok(()) => {}
        // Another scan built the same index meanwhile: theirs is as good.
        Err(_) if dir.join("index.json").exists() => {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        Err(e) => return Err(e).with_context(|| format!("renaming into `{}`", dir.display())),
    }
    crate::layout::sync_dir(parent)
}

/// Older indexes of the same database (and temporaries of killed builds)
/// go once a new one is in place.
fn remove_stale(index_root: &Path, key: &str, keep: &Path) {
    let Ok(rd) = std::fs::read_dir(index_root) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if (name.starts_with(&format!("{key}-")) && e.path() != keep)
            || name.starts_with(crate::layout::TMP_PREFIX)
                && e.metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t.elapsed().is_ok_and(|d| d.as_secs() > 3600))
        {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// `--db-update`: fetches `<base>/<ECOSYSTEM>/all.zip` for each ecosystem
/// into `db/<ECOSYSTEM>/all.zip` (downloaded beside it, checked to be a
/// zip, renamed over the old one), then indexes the database.
pub fn update(db: &Path, base: &str, ecosystems: &[String], index_root: &Path) -> Result<Db> {
    crate::layout::private_dir(db)?;
    for eco in ecosystems {
        let url = format!("{}/{eco}/all.zip", base.trim_end_matches('/'));
        let dir = db.join(eco);
        crate::layout::private_dir(&dir)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(crate::layout::TMP_PREFIX)
            .tempfile_in(&dir)?;
        let n = crate::net::fetch::fetch_to(&url, tmp.as_file_mut())
            .with_context(|| format!("downloading `{url}`"))?;
        tmp.as_file().sync_all()?;
        zip::ZipArchive::new(std::fs::File::open(tmp.path())?)
            .with_context(|| format!("`{url}` is not a zip file"))?;
        tmp.persist(dir.join("all.zip"))?;
        crate::layout::sync_dir(&dir)?;
        log::info!("{url}: {n} bytes");
    }
    Db::open(db, index_root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, eco: &str, name: &str) -> String {
        serde_json::json!({
            "id": id, "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": eco, "name": name},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]
        })
        .to_string()
    }

    #[test]
    fn a_directory_is_indexed_and_looked_up_by_ecosystem_and_name() {
        let t = tempfile::tempdir().unwrap();
        let db = t.path().join("db");
        std::fs::create_dir_all(db.join("PyPI/deep")).unwrap();
        std::fs::write(db.join("PyPI/deep/a.json"), record("A", "PyPI", "Foo_Bar")).unwrap();
        std::fs::write(db.join("b.json"), record("B", "Debian:12", "glibc")).unwrap();
        std::fs::write(db.join("bad.json"), "{not json").unwrap();
        let mut w =
            serde_json::from_str::<serde_json::Value>(&record("W", "PyPI", "foo-bar")).unwrap();
        w["withdrawn"] = "2024-02-01T00:00:00Z".into();
        std::fs::write(db.join("w.json"), w.to_string()).unwrap();
        let idx = t.path().join("idx");
        let mut d = Db::open(&db, &idx).unwrap();
        assert_eq!(d.record_count(), 2);
        let got = d.lookup("PyPI", "foo-bar").unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].id, "A");
        assert_eq!(d.lookup("Debian:12", "glibc").unwrap()[0].id, "B");
        assert!(d.lookup("Debian:11", "glibc").unwrap().is_empty());
        let v1 = d.version().to_string();
        assert_eq!(version(&db).unwrap(), v1);
        // A new record is a new database version and a new index.
        std::fs::write(db.join("c.json"), record("C", "npm", "left-pad")).unwrap();
        let mut d = Db::open(&db, &idx).unwrap();
        assert_ne!(d.version(), v1);
        assert_eq!(d.lookup("npm", "left-pad").unwrap()[0].id, "C");
        assert_eq!(
            std::fs::read_dir(&idx).unwrap().count(),
            1,
            "the old index is gone"
        );
    }

    #[test]
    fn a_zip_entry_inflating_past_the_bound_is_skipped() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("all.zip");
        let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("A.json", opts).unwrap();
        z.write_all(record("A", "crates.io", "smallvec").as_bytes())
            .unwrap();
        z.start_file("bomb.json", opts).unwrap();
        let zeros = vec![b' '; 1 << 20];
        for _ in 0..(MAX_RECORD >> 20) + 1 {
            z.write_all(&zeros).unwrap();
        }
        z.finish().unwrap();
        let mut d = Db::open(&path, &t.path().join("idx")).unwrap();
        assert_eq!(d.record_count(), 1);
        assert_eq!(d.lookup("crates.io", "smallvec").unwrap()[0].id, "A");
    }
}
