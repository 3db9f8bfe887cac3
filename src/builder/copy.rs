//! COPY and ADD: sources from the context (globs, `.dockerignore`), from a
//! stage or image (`--from`), heredoc bodies, and for ADD URLs (through
//! `net::fetch::download`) and local archives unpacked; the destination as
//! Docker resolves it; the copy into a fresh upper dir, done by the helper.

use super::context::{self, Ignore};
use super::dockerfile::instr::{Add, Copy, Files, Instr};
use super::dockerfile::{Heredoc, expand_body};
use super::executor::{Builder, State};
use super::stages::Scope;
use super::steps::scratch_dir;
use crate::helper::remove_tree;
use crate::ident::users;
use crate::layer::CopyOp;
use crate::net::fetch::download;
use crate::store::Store;
use anyhow::{Result, anyhow, bail};
use sha2::{Digest as _, Sha256};
use std::path::{Path, PathBuf};

/// What COPY and ADD ask for, in one shape.
pub(super) struct CopyArgs<'a> {
    keyword: &'static str,
    files: &'a Files,
    from: Option<&'a str>,
    parents: bool,
    checksum: Option<&'a str>,
}

impl<'a> CopyArgs<'a> {
    pub(super) fn copy(c: &'a Copy) -> Self {
        CopyArgs {
            keyword: "COPY",
            files: &c.files,
            from: c.from.as_deref(),
            parents: c.parents,
            checksum: None,
        }
    }

    pub(super) fn add(a: &'a Add) -> Self {
        CopyArgs {
            keyword: "ADD",
            files: &a.files,
            from: None,
            parents: false,
            checksum: a.checksum.as_deref(),
        }
    }

    fn is_add(&self) -> bool {
        self.keyword == "ADD"
    }
}

/// Where the sources land and how.
struct Target {
    /// Absolute in the image, normalised.
    abs: String,
    /// The sources go inside it rather than becoming it.
    is_dir: bool,
    owner: Option<(u32, u32)>,
    chmod: Option<String>,
    /// `--exclude` patterns.
    excludes: Ignore,
}

/// Where a source's files come from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Context,
    Stage,
    /// A download or a heredoc body, in a scratch dir.
    Inline,
}

/// A source's files: (host path, path relative to the source).
type Found = Vec<(PathBuf, String)>;

/// A COPY/ADD being put together: what it will copy and what its key hashes.
#[derive(Default)]
struct Plan {
    ops: Vec<CopyOp>,
    hasher: Sha256,
    scratch: Scratch,
    /// The scratch dir for downloads and heredoc bodies, made on first use.
    inline_dir: Option<PathBuf>,
    unmatched_globs: usize,
}

impl Plan {
    fn inline_dir(&mut self, store: &Store) -> Result<PathBuf> {
        if let Some(d) = &self.inline_dir {
            return Ok(d.clone());
        }
        let d = self.scratch.make(store)?;
        self.inline_dir = Some(d.clone());
        Ok(d)
    }
}

/// The scratch dirs a COPY/ADD fills (downloads, heredocs, unpacked
/// archives): removed when dropped, so a source that fails halfway (a
/// refused or failed download, a bad heredoc name) leaves none in the store.
#[derive(Default)]
struct Scratch(Vec<PathBuf>);

impl Scratch {
    fn make(&mut self, store: &Store) -> Result<PathBuf> {
        let d = scratch_dir(store)?;
        self.0.push(d.clone());
        Ok(d)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for d in &self.0 {
            let _ = remove_tree(d);
        }
    }
}

impl Builder<'_> {
    pub(super) fn copy_step(&mut self, st: &mut State, i: &Instr, c: &CopyArgs) -> Result<()> {
        let scope = Scope::of(st);
        let words = c
            .files
            .args
            .iter()
            .map(|w| scope.expand(i, w))
            .collect::<Result<Vec<_>>>()?;
        if words.len() < 2 {
            bail!("{} requires at least two arguments", c.keyword);
        }
        let (srcs, dest) = words.split_at(words.len() - 1);
        let dest = &dest[0];
        let from = c.from.map(|f| scope.expand(i, f)).transpose()?;
        let target = self.target_of(st, c, &scope, i, dest, srcs.len())?;
        if !c.is_add() && srcs.iter().any(|s| s.contains("://")) {
            bail!("COPY cannot fetch URLs: use ADD");
        }
        let mut plan = Plan::default();
        for src in srcs {
            let Some((origin, found)) =
                self.sources(c, &scope, src, from.as_deref(), srcs.len(), &mut plan)?
            else {
                continue;
            };
            for (host, rel) in found {
                self.plan_op(c, &target, origin, host, rel, &mut plan)?;
            }
        }
        if plan.ops.is_empty() && plan.unmatched_globs > 0 {
            bail!("{} failed: no source files were specified", c.keyword);
        }
        let content = hex::encode(std::mem::take(&mut plan.hasher).finalize());
        let key = super::cache::key_of(&[&st.key, &i.original, &content]);
        let created_by = format!(
            "/bin/sh -c #(nop) {} {}:{content} in {dest}",
            c.keyword,
            if from.is_some() { "dir" } else { "file" }
        );
        self.copy_layer(st, plan, key, created_by, c.keyword)
    }

    /// The destination, resolved against the WORKDIR and the image.
    fn target_of(
        &self,
        st: &State,
        c: &CopyArgs,
        scope: &Scope,
        i: &Instr,
        dest: &str,
        sources: usize,
    ) -> Result<Target> {
        let workdir = st
            .config
            .config
            .working_dir
            .clone()
            .unwrap_or_else(|| "/".into());
        let abs = if dest.starts_with('/') {
            dest.to_string()
        } else {
            format!("{}/{dest}", workdir.trim_end_matches('/'))
        };
        let abs = normalize(&abs);
        // A directory already in the image at the destination takes the sources
        // inside it. Looked up without following the layers' symlinks: on the
        // host they would lead out of the layer.
        let in_image = abs == "/"
            || st.layers.iter().any(|(l, _)| {
                crate::layer::lstat_beneath(&self.store.layer_dir(&l.chain), Path::new(&abs))
                    .is_ok_and(|m| m.st_mode & libc::S_IFMT == libc::S_IFDIR)
            });
        // The WORKDIR is a directory even before anything is in it.
        let in_image = in_image
            || st
                .config
                .config
                .working_dir
                .as_deref()
                .map(normalize)
                .as_deref()
                == Some(abs.as_str());
        let is_dir =
            dest.ends_with('/') || dest.ends_with("/.") || dest == "." || sources > 1 || in_image;
        let owner = match &c.files.chown {
            Some(spec) => {
                let layer_dirs: Vec<PathBuf> = st
                    .layers
                    .iter()
                    .rev()
                    .map(|(l, _)| self.store.layer_dir(&l.chain))
                    .collect();
                let u = users::resolve_in_layers(&scope.expand(i, &spec.0)?, &[], &layer_dirs)?;
                Some((u.uid, u.gid))
            }
            None => None,
        };
        let chmod = match &c.files.chmod {
            Some(m) if crate::layer::chmod_mode(&m.0, 0o644, false).is_some() => Some(m.0.clone()),
            Some(m) => bail!("invalid --chmod `{}`: use an octal or symbolic mode", m.0),
            None => None,
        };
        Ok(Target {
            abs,
            is_dir,
            owner,
            chmod,
            excludes: Ignore::parse(&c.files.exclude.join("\n")),
        })
    }

    /// One source's files as (host path, path relative to the source), or
    /// None for a wildcard that matched nothing beside other sources.
    fn sources(
        &mut self,
        c: &CopyArgs,
        scope: &Scope,
        src: &str,
        from: Option<&str>,
        count: usize,
        plan: &mut Plan,
    ) -> Result<Option<(Origin, Found)>> {
        let heredoc = src
            .strip_prefix("<<")
            .map(|n| n.trim_start_matches('-').trim_matches(['"', '\'']))
            .and_then(|n| c.files.heredocs.iter().find(|h| h.name == n));
        let is_url = c.is_add() && (src.starts_with("http://") || src.starts_with("https://"));
        let found = if is_url {
            // `ADD URL`: downloaded, checked against --checksum, copied as a file.
            let dir = plan.inline_dir(self.store)?;
            let (file, name, digest) =
                download(src, &dir, c.checksum, self.opts.allow_network_host)
                    .map_err(|e| anyhow!("ADD {src}: {e:#}"))?;
            plan.hasher.update(digest.as_bytes());
            (Origin::Inline, vec![(file, name)])
        } else if let Some(h) = heredoc {
            (Origin::Inline, vec![self.heredoc_file(h, scope, plan)?])
        } else if let Some(stage) = from {
            (Origin::Stage, self.stage_sources(c, src, stage, plan)?)
        } else {
            let is_glob = src.contains(['*', '?', '[']);
            let paths = match context::expand_source(&self.opts.context, src, &self.ignore) {
                Ok(p) => p,
                // A wildcard that matches nothing is fine while another source matches.
                Err(_) if is_glob && count > 1 => {
                    plan.unmatched_globs += 1;
                    return Ok(None);
                }
                Err(e) => bail!("{} failed: {e}", c.keyword),
            };
            for p in &paths {
                context::hash_tree(&mut plan.hasher, &self.opts.context, p, &self.ignore)?;
            }
            let found = paths
                .into_iter()
                .map(|p| (self.opts.context.join(&p), p))
                .collect();
            (Origin::Context, found)
        };
        Ok(Some(found))
    }

    /// `COPY <<EOF /dst`: the body becomes a file named after the
    /// delimiter; with an unquoted delimiter its variables are expanded
    /// first (BuildKit's rule; RUN heredocs are left to the shell).
    fn heredoc_file(
        &self,
        h: &Heredoc,
        scope: &Scope,
        plan: &mut Plan,
    ) -> Result<(PathBuf, String)> {
        if h.name.is_empty() || h.name.contains('/') || h.name == "." || h.name == ".." {
            bail!("invalid heredoc name `{}`", h.name);
        }
        let content = if h.expand {
            expand_body(&h.content, &|k| scope.get(k))
                .map_err(|e| anyhow!("heredoc `{}`: {e:#}", h.name))?
        } else {
            h.content.clone()
        };
        let file = plan.inline_dir(self.store)?.join(&h.name);
        std::fs::write(&file, &content)?;
        plan.hasher.update(h.name.as_bytes());
        plan.hasher.update(content.as_bytes());
        Ok((file, h.name.clone()))
    }

    /// `--from=STAGE`: wildcards match in every layer; each match is copied
    /// from each layer that has it, bottom first (later layers win).
    fn stage_sources(
        &mut self,
        c: &CopyArgs,
        src: &str,
        stage: &str,
        plan: &mut Plan,
    ) -> Result<Found> {
        let other = self.stage_state(stage)?;
        plan.hasher.update(other.key.as_bytes());
        plan.hasher.update(src.as_bytes());
        let no_ignore = Ignore::parse("");
        let mut rels: Vec<String> = Vec::new();
        for (l, _) in &other.layers {
            if let Ok(found) =
                context::expand_source(&self.store.layer_dir(&l.chain), src, &no_ignore)
            {
                rels.extend(found);
            }
        }
        rels.sort();
        rels.dedup();
        let mut hits: Vec<(PathBuf, String)> = Vec::new();
        for rel in &rels {
            for (l, _) in &other.layers {
                if let Some(p) = context::within(&self.store.layer_dir(&l.chain), rel) {
                    hits.push((p, rel.clone()));
                }
            }
        }
        if hits.is_empty() {
            bail!(
                "{} failed: {src}: no such file or directory in `{stage}`",
                c.keyword
            );
        }
        Ok(hits)
    }

    /// The copy of one source file or directory, after ADD unpacks a local
    /// archive and minus what `.dockerignore` and `--exclude` leave out.
    fn plan_op(
        &self,
        c: &CopyArgs,
        t: &Target,
        origin: Origin,
        host: PathBuf,
        rel: String,
        plan: &mut Plan,
    ) -> Result<()> {
        // ADD unpacks a local tar archive (plain, gzip, zstd, bzip2 or xz) into the destination.
        let host = match (c.is_add() && origin == Origin::Context)
            .then(|| unpackable(&host))
            .flatten()
        {
            Some(tar) => self.unpack(tar, &rel, plan)?,
            None => host,
        };
        let is_dir = host.symlink_metadata().map(|m| m.is_dir()).unwrap_or(false);
        let base = Path::new(&rel)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dst = if c.parents && !rel.is_empty() {
            format!("{}/{}", t.abs.trim_end_matches('/'), rel)
        } else if is_dir {
            t.abs.clone()
        } else if t.is_dir {
            format!("{}/{base}", t.abs.trim_end_matches('/'))
        } else {
            t.abs.clone()
        };
        if !rel.is_empty() && t.excludes.excluded(&rel) {
            return Ok(());
        }
        let mut skip =
            if is_dir && origin == Origin::Context && host.starts_with(&self.opts.context) {
                context::excluded_under(&self.opts.context, &rel, &self.ignore)?
            } else {
                Vec::new()
            };
        // --exclude patterns match paths relative to the copied directory.
        if is_dir && !c.files.exclude.is_empty() {
            skip.extend(context::excluded_under(&host, "", &t.excludes)?);
        }
        plan.ops.push(CopyOp {
            skip,
            keep_owner: false,
            src: host,
            dst: PathBuf::from(dst.trim_start_matches('/')),
            contents: is_dir,
            owner: t.owner,
            chmod: t.chmod.clone(),
        });
        Ok(())
    }

    /// An archive ADD found, unpacked into a scratch dir.
    fn unpack(&self, tar: Box<dyn std::io::Read>, rel: &str, plan: &mut Plan) -> Result<PathBuf> {
        let dir = plan.scratch.make(self.store)?;
        let own = if nix::unistd::geteuid().is_root() {
            crate::layer::Ownership::Preserve
        } else {
            crate::layer::Ownership::Xattr
        };
        let unpacked =
            crate::layer::apply(tar, &dir, &crate::layer::ApplyOptions { ownership: own });
        if let Err(e) = unpacked {
            return Err(e.context(format!("ADD failed: unpacking `{rel}`")));
        }
        Ok(dir)
    }

    /// The layer: a cached one for `key`, or the plan copied into a fresh
    /// upper dir and committed.
    fn copy_layer(
        &self,
        st: &mut State,
        plan: Plan,
        key: String,
        created_by: String,
        keyword: &str,
    ) -> Result<()> {
        if let Some(l) = self.cached(&key) {
            drop(plan);
            if !self.opts.quiet {
                eprintln!("--> Using cache {}", l.chain.short());
            }
            self.add_layer(st, key, l, created_by);
            return Ok(());
        }
        let upper = scratch_dir(self.store)?;
        let copied = self.access.copy(&upper, &plan.ops);
        drop(plan);
        if let Err(e) = copied {
            let _ = remove_tree(&upper);
            return Err(e.context(format!("{keyword} failed")));
        }
        self.commit_step(st, &upper, key, created_by)
    }
}

/// A local source ADD unpacks: a regular file (a symlink would be followed
/// out of the context) that is a tar archive.
fn unpackable(host: &Path) -> Option<Box<dyn std::io::Read>> {
    host.symlink_metadata()
        .is_ok_and(|m| m.is_file())
        .then(|| open_archive(host))
        .flatten()
}

/// `p` as a tar stream if it is a tar archive: plain, gzip, zstd, bzip2 or
/// xz (what ADD unpacks), recognised by magic bytes and the `ustar` header.
fn open_archive(p: &Path) -> Option<Box<dyn std::io::Read>> {
    use std::io::{BufRead, BufReader, Read};
    let open = || std::fs::File::open(p).ok().map(BufReader::new);
    let mut probe = open()?;
    let head = probe.fill_buf().ok()?.to_vec();
    let mut reader: Box<dyn Read> = if head.starts_with(b"BZh") {
        Box::new(bzip2::bufread::MultiBzDecoder::new(open()?))
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Box::new(lzma_rust2::XzReader::new(open()?, true))
    } else {
        crate::layer::decompress(open()?).ok()?
    };
    let mut block = [0u8; 512];
    reader.read_exact(&mut block).ok()?;
    if !crate::layer::is_tar_header(&block) {
        return None;
    }
    // The block we read goes back in front of the stream.
    Some(Box::new(std::io::Cursor::new(block).chain(reader)))
}

/// `/a/./b/` → `/a/b`
fn normalize(p: &str) -> String {
    // `..` resolves lexically and stops at `/`, as in Docker: a destination
    // never leaves the image root.
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}
