//! The OSV database: a directory of OSV JSON records at any depth (as
//! `gsutil cp -r` leaves the export) and/or per-ecosystem `all.zip` files,
//! or one such zip — and the index that lets a scan read only the records
//! of the packages it looks up.
//!
//! The index is derived data under the root
//! (`<root>/osv-index/<key>-<version>/`): `records` (every record of a
//! supported ecosystem, withdrawn ones dropped, its bytes as the database
//! has them, one after another), one `<n>.idx` per ecosystem (package name
//! → where its records are in `records`) and `index.json` (the ecosystems'
//! files, counts and the version). Indexing parses only a record's id,
//! `withdrawn` and `affected[].package` (borrowed, the rest skipped), on
//! every core; a scan parses whole only the records it looks up. `<key>` names the source path; `<version>` hashes that path and the source
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
const FORMAT: u32 = 2;

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
        Db::open_listed(list(path)?, index_root)
    }

    /// [`Db::open`] of a database already [`list`]ed (for its version).
    pub fn open_listed(listed: Listed, index_root: &Path) -> Result<Db> {
        let Listed {
            path,
            sources,
            version,
        } = listed;
        let path = path.as_path();
        if sources.is_empty() {
            bail!(
                "`{}` holds no OSV records (*.json) or exports (*.zip); \
                 fetch them with `berth scan --db-update`",
                path.display()
            );
        }
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
            // Indexing read only the fields it needs: a record malformed
            // elsewhere is found out here, and skipped as indexing skips.
            match serde_json::from_slice::<Record>(&buf) {
                Ok(r) => out.push(r),
                Err(e) => log::warn!("skipped a malformed OSV record for {name}: {e}"),
            }
        }
        Ok(out)
    }
}

/// A database's files, listed once (a stat each: thousands for a directory
/// export), with the version they make: what the gate's cache is keyed by,
/// known without opening the index.
pub struct Listed {
    path: PathBuf,
    sources: Vec<Source>,
    pub version: String,
}

/// Lists the database at `path`: what [`version`] and [`Db::open_listed`] need.
pub fn list(path: &Path) -> Result<Listed> {
    let sources = list_sources(path)?;
    Ok(Listed {
        version: version_of(path, &sources),
        path: path.to_path_buf(),
        sources,
    })
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

/// The fields the index needs of a record; the rest is skipped unparsed
/// (and read whole only when a scan looks the record up). Borrowed: most
/// strings in a record have no escapes, so indexing allocates little.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
    #[serde(default, borrow)]
    withdrawn: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    affected: Vec<HeadAffected<'a>>,
}

#[derive(Deserialize)]
struct HeadAffected<'a> {
    #[serde(default, borrow)]
    package: Option<HeadPackage<'a>>,
}

#[derive(Deserialize)]
struct HeadPackage<'a> {
    #[serde(default, borrow)]
    ecosystem: std::borrow::Cow<'a, str>,
    #[serde(default, borrow)]
    name: std::borrow::Cow<'a, str>,
}

/// One thread's part of the index: its records in `records.<n>` of the
/// temporary directory, and where each is.
struct Part {
    records: std::io::BufWriter<std::fs::File>,
    offset: u64,
    names: BTreeMap<String, NameIndex>,
    count: u64,
    skipped: u64,
    first_problem: Option<String>,
    /// One buffer for every record read, so 300,000 records are not
    /// 300,000 allocations.
    buf: Vec<u8>,
}

impl Part {
    fn new(path: &Path) -> Result<Part> {
        Ok(Part {
            records: std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?),
            offset: 0,
            names: BTreeMap::new(),
            count: 0,
            skipped: 0,
            first_problem: None,
            buf: Vec::with_capacity(64 << 10),
        })
    }

    fn skip(&mut self, what: impl FnOnce() -> String) {
        self.skipped += 1;
        if self.first_problem.is_none() {
            self.first_problem = Some(what());
        }
    }

    /// Reads one record of at most [`MAX_RECORD`] bytes from `r` into the
    /// buffer and indexes it.
    fn read(&mut self, r: impl Read, origin: &dyn Fn() -> String) -> Result<()> {
        self.buf.clear();
        if let Err(e) = r.take(MAX_RECORD + 1).read_to_end(&mut self.buf) {
            self.skip(|| format!("{}: {e}", origin()));
            return Ok(());
        }
        if self.buf.len() as u64 > MAX_RECORD {
            self.skip(|| format!("{}: larger than {} MiB", origin(), MAX_RECORD >> 20));
            return Ok(());
        }
        self.add(origin)
    }

    /// Indexes the record in the buffer. It is kept as it is (the index's
    /// reader parses it whole), under each supported (ecosystem, name) of
    /// its `affected[]`.
    fn add(&mut self, origin: &dyn Fn() -> String) -> Result<()> {
        let head: Head = match serde_json::from_slice(&self.buf) {
            Ok(h) => h,
            Err(e) => {
                self.skip(|| format!("{}: {e}", origin()));
                return Ok(());
            }
        };
        if head.id.is_empty() {
            self.skip(|| format!("{}: no id", origin()));
            return Ok(());
        }
        if head.withdrawn.is_some() {
            return Ok(());
        }
        let mut keys: Vec<(&str, String)> = (head.affected.iter())
            .filter_map(|a| a.package.as_ref())
            .filter(|p| super::scheme(&p.ecosystem).is_some())
            .map(|p| (&*p.ecosystem, super::normalise_name(&p.ecosystem, &p.name)))
            .collect();
        keys.sort();
        keys.dedup();
        if keys.is_empty() {
            return Ok(());
        }
        let len = u32::try_from(self.buf.len()).context("record too large")?;
        self.records.write_all(&self.buf)?;
        for (eco, name) in keys {
            let names = match self.names.get_mut(eco) {
                Some(n) => n,
                None => self.names.entry(eco.to_string()).or_default(),
            };
            names.entry(name).or_default().push((self.offset, len));
        }
        self.offset += u64::from(len);
        self.count += 1;
        Ok(())
    }

    /// The `share`th of `parts` equal slices of the zip's entries.
    fn add_zip(&mut self, src: &Source, share: usize, parts: usize) -> Result<()> {
        let f = std::fs::File::open(&src.path)?;
        let mut zip = zip::ZipArchive::new(Window::new(f))
            .with_context(|| format!("`{}` is not a zip file", src.path.display()))?;
        let n = zip.len();
        for i in n * share / parts..n * (share + 1) / parts {
            let entry = match zip.by_index(i) {
                Ok(e) => e,
                Err(e) => {
                    self.skip(|| format!("{}: entry {i}: {e}", src.path.display()));
                    continue;
                }
            };
            let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
            if !entry.is_file() || !name.ends_with(".json") {
                continue;
            }
            let origin = || format!("{}:{name}", src.path.display());
            if entry.size() > MAX_RECORD {
                self.skip(|| format!("{}: larger than {} MiB", origin(), MAX_RECORD >> 20));
                continue;
            }
            // Read through the inflater: what an entry inflates to is
            // bounded, not what its header claims.
            self.read(entry, &origin)?;
        }
        Ok(())
    }

    fn add_file(&mut self, src: &Source) -> Result<()> {
        use std::os::unix::fs::OpenOptionsExt as _;
        let origin = || src.path.display().to_string();
        // Listed as a file, not followed as a symlink; one swapped in since
        // is refused here.
        match std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&src.path)
        {
            Ok(f) => self.read(f, &origin),
            Err(e) => {
                self.skip(|| format!("{}: {e}", origin()));
                Ok(())
            }
        }
    }
}

/// A file read through a window of its bytes that a seek moves over
/// rather than empties (as `BufReader`'s seek does): the zip reader seeks
/// to every entry, and the entries lie one after another, so a window
/// serves hundreds of them with one read.
struct Window {
    file: std::fs::File,
    buf: Vec<u8>,
    /// Where `buf` starts in the file, and the position read next.
    start: u64,
    pos: u64,
}

impl Window {
    const SIZE: usize = 256 << 10;

    fn new(file: std::fs::File) -> Window {
        Window {
            file,
            buf: Vec::new(),
            start: 0,
            pos: 0,
        }
    }
}

impl Read for Window {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let end = self.start + self.buf.len() as u64;
        if self.pos < self.start || self.pos >= end {
            // A large read skips the window; a small one refills it here.
            if out.len() >= Self::SIZE {
                let n = self.file.read_at(out, self.pos)?;
                self.pos += n as u64;
                return Ok(n);
            }
            self.buf.resize(Self::SIZE, 0);
            let n = self.file.read_at(&mut self.buf, self.pos)?;
            self.buf.truncate(n);
            self.start = self.pos;
            if n == 0 {
                return Ok(0);
            }
        }
        let at = (self.pos - self.start) as usize;
        let n = out.len().min(self.buf.len() - at);
        out[..n].copy_from_slice(&self.buf[at..at + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl std::io::Seek for Window {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        use std::io::SeekFrom;
        let new = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => self.file.metadata()?.len().checked_add_signed(d),
        };
        self.pos = new.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek out of range")
        })?;
        Ok(self.pos)
    }
}

/// Indexes `sources` into `dir`: on every core, each thread a contiguous
/// share of the loose files and of each zip's entries, into its own part
/// of `records`; the parts are then joined (records appended, offsets
/// shifted) in order, so the index is the same whatever the thread count.
fn build(sources: &[Source], dir: &Path, version: &str) -> Result<()> {
    let parent = dir.parent().context("index has no parent")?;
    let tmp = tempfile::Builder::new()
        .prefix(crate::layout::TMP_PREFIX)
        .tempdir_in(parent)?;
    let (zips, files): (Vec<&Source>, Vec<&Source>) = sources.iter().partition(|s| s.zip);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    // Threads are joined before this returns: nothing forks meanwhile.
    let parts: Vec<Result<Part>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                let (zips, files, tmp) = (&zips, &files, tmp.path());
                s.spawn(move || -> Result<Part> {
                    let mut part = Part::new(&tmp.join(format!("records.{k}")))?;
                    let n = files.len();
                    for src in &files[n * k / threads..n * (k + 1) / threads] {
                        part.add_file(src)?;
                    }
                    for src in zips {
                        part.add_zip(src, k, threads)?;
                    }
                    part.records.flush()?;
                    Ok(part)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| bail!("an indexing thread panicked"))
            })
            .collect()
    });
    let mut parts = parts.into_iter().collect::<Result<Vec<_>>>()?.into_iter();
    let first = parts.next().context("no indexing thread")?;
    let mut records = first.records.into_inner().map_err(|e| e.into_error())?;
    let (mut names, mut base) = (first.names, first.offset);
    let (mut count, mut skipped, mut first_problem) =
        (first.count, first.skipped, first.first_problem);
    for (k, part) in parts.enumerate() {
        drop(part.records);
        let path = tmp.path().join(format!("records.{}", k + 1));
        std::io::copy(&mut std::fs::File::open(&path)?, &mut records)?;
        std::fs::remove_file(&path)?;
        for (eco, part_names) in part.names {
            let all = names.entry(eco).or_default();
            for (name, spots) in part_names {
                (all.entry(name).or_default()).extend(spots.iter().map(|&(o, l)| (o + base, l)));
            }
        }
        base += part.offset;
        count += part.count;
        skipped += part.skipped;
        first_problem = first_problem.or(part.first_problem);
    }
    records.sync_all()?;
    drop(records);
    std::fs::rename(tmp.path().join("records.0"), tmp.path().join("records"))?;
    // The name maps and the manifest go in one file, written and synced
    // once.
    let mut ecosystems = BTreeMap::new();
    for (n, (eco, names)) in names.iter().enumerate() {
        let file = format!("{n}.idx");
        let mut w = std::fs::File::create(tmp.path().join(&file))?;
        w.write_all(&serde_json::to_vec(names)?)?;
        w.sync_all()?;
        ecosystems.insert(eco.clone(), file);
    }
    if skipped > 0 {
        log::warn!(
            "skipped {skipped} malformed OSV record(s); the first: {}",
            // The logger escapes: record ids and paths are the database's.
            first_problem.as_deref().unwrap_or_default()
        );
    }
    let manifest = Manifest {
        format: FORMAT,
        version: version.to_string(),
        ecosystems,
        records: count,
        skipped,
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
        assert_eq!(list(&db).unwrap().version, v1);
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
    fn a_record_malformed_where_indexing_does_not_look_is_skipped_by_the_scan() {
        let t = tempfile::tempdir().unwrap();
        let db = t.path().join("db");
        std::fs::create_dir_all(&db).unwrap();
        std::fs::write(db.join("a.json"), record("A", "npm", "left-pad")).unwrap();
        let mut bad =
            serde_json::from_str::<serde_json::Value>(&record("B", "npm", "left-pad")).unwrap();
        bad["affected"][0]["ranges"] = "every one".into();
        std::fs::write(db.join("b.json"), bad.to_string()).unwrap();
        let mut d = Db::open(&db, &t.path().join("idx")).unwrap();
        let got = d.lookup("npm", "left-pad").unwrap();
        assert_eq!(got.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["A"]);
    }

    #[test]
    fn the_zip_window_reads_and_seeks_as_the_file_does() {
        use std::io::Seek as _;
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("f");
        let data: Vec<u8> = (0..(Window::SIZE * 2 + 100))
            .map(|i| (i % 251) as u8)
            .collect();
        std::fs::write(&path, &data).unwrap();
        let mut w = Window::new(std::fs::File::open(&path).unwrap());
        for at in [
            0u64,
            5,
            3,
            Window::SIZE as u64 - 2,
            7,
            data.len() as u64 - 10,
        ] {
            w.seek(std::io::SeekFrom::Start(at)).unwrap();
            let mut got = [0u8; 20];
            let n = w.read(&mut got).unwrap();
            assert!(n > 0);
            assert_eq!(&got[..n], &data[at as usize..at as usize + n], "at {at}");
        }
        w.seek(std::io::SeekFrom::End(-3)).unwrap();
        let mut rest = Vec::new();
        w.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, &data[data.len() - 3..]);
        let mut all = Vec::new();
        w.seek(std::io::SeekFrom::Start(0)).unwrap();
        w.read_to_end(&mut all).unwrap();
        assert_eq!(all, data);
        assert!(w.seek(std::io::SeekFrom::Current(-1_000_000_000)).is_err());
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
