//! Unpacking layers into `<root>/layers/<chainid>`, once, with the ownership
//! the containers will see.
//!
//! With a subordinate id range the tar is fed to a helper child of berth in a
//! user namespace with the container mapping, so files are chowned to their
//! mapped ids as they are written (no chown pass later). Without one, files
//! are the user's own and the image's ids and modes go to `user.berth.*`
//! xattrs. Real root unpacks directly and chowns.

use crate::ident::idmap::IdMapping;
use crate::ident::userns;
use crate::layer::{self, ApplyOptions, Ownership};
use crate::layout::Layout;
use crate::store::Store;
use crate::store::digest::Digest;
use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// How this user unpacks layers.
pub enum Unpacker {
    Direct(Ownership, String),
    Helper(IdMapping),
}

/// `<root>/layers/<chainid>.json`
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct LayerMeta {
    pub diff_id: Digest,
    /// Bytes of the uncompressed tar.
    pub size: u64,
    /// The id mapping the files were written with (`IdMapping::describe`).
    pub idmap: String,
}

/// A layer unpacked into a temporary directory, not yet in the store.
/// Dropped without [`PendingLayer::commit`], the directory is removed.
pub struct PendingLayer {
    dir: Option<PathBuf>,
    pub diff_id: Digest,
    pub size: u64,
}

impl Unpacker {
    pub fn for_current_user() -> Result<Unpacker> {
        if nix::unistd::geteuid().is_root() {
            return Ok(Unpacker::Direct(Ownership::Preserve, "host".into()));
        }
        let mapping = IdMapping::for_current_user()?;
        if mapping.has_range() {
            Ok(Unpacker::Helper(mapping))
        } else {
            Ok(Unpacker::Direct(Ownership::Xattr, mapping.describe()))
        }
    }

    pub fn idmap(&self) -> String {
        match self {
            Unpacker::Direct(_, d) => d.clone(),
            Unpacker::Helper(m) => m.describe(),
        }
    }

    /// Unpacks the uncompressed tar `tar` into a new temporary directory under
    /// `<root>/layers`, hashing it (the diffID) and copying every byte to
    /// `tee` on the way (the caller's blob, when it keeps one).
    pub fn unpack<'a>(
        &self,
        store: &Store,
        tar: &'a mut dyn Read,
        tee: Option<&'a mut dyn Write>,
    ) -> Result<PendingLayer> {
        let dir = store
            .layout()
            .scratch_dir()
            .context("creating a temporary layer directory")?;
        let mut pending = PendingLayer {
            dir: Some(dir.clone()),
            diff_id: Digest::of(b""),
            size: 0,
        };
        let mut reader = TeeReader {
            inner: tar,
            hasher: Sha256::new(),
            len: 0,
            tee,
        };
        match self {
            Unpacker::Direct(ownership, _) => {
                layer::apply(
                    &mut reader,
                    &dir,
                    &ApplyOptions {
                        ownership: *ownership,
                    },
                )?;
                io::copy(&mut reader, &mut io::sink()).context("reading layer tar")?;
            }
            Unpacker::Helper(mapping) => run_helper(mapping, "unpack", &dir, Some(&mut reader))?,
        }
        pending.diff_id = Digest::from_hex(&hex::encode(reader.hasher.finalize()))?;
        pending.size = reader.len;
        Ok(pending)
    }
}

impl PendingLayer {
    /// Renames the directory to `<root>/layers/<chain>` and records its meta.
    /// The caller holds the store lock. An existing layer wins.
    pub fn commit(mut self, store: &Store, chain: &Digest, idmap: &str) -> Result<()> {
        let dir = self.dir.take().expect("pending layer has its dir");
        let dest = store.layer_dir(chain);
        if dest.exists() && store.layer_meta_path(chain).exists() {
            remove_layer_tree(&dir)?;
            return Ok(());
        }
        if dest.exists() {
            remove_layer_tree(&dest)?;
        }
        std::fs::rename(&dir, &dest)
            .with_context(|| format!("renaming layer into `{}`", dest.display()))?;
        let meta = LayerMeta {
            diff_id: self.diff_id.clone(),
            size: self.size,
            idmap: idmap.to_string(),
        };
        crate::layout::write_atomic(&store.layer_meta_path(chain), &serde_json::to_vec(&meta)?)
    }
}

impl Drop for PendingLayer {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take()
            && let Err(e) = remove_layer_tree(&dir)
        {
            log::warn!("removing `{}`: {e:#}", dir.display());
        }
    }
}

pub fn read_layer_meta(store: &Store, chain: &Digest) -> Option<LayerMeta> {
    serde_json::from_slice(&std::fs::read(store.layer_meta_path(chain)).ok()?).ok()
}

/// Removes an unpacked layer (or any tree under the root). Files owned by
/// subordinate ids are removed by the helper inside the user namespace.
pub fn remove_layer_tree(path: &Path) -> Result<()> {
    match layer::remove_tree(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            let mapping = IdMapping::for_current_user()?;
            if !mapping.has_range() {
                return Err(e).with_context(|| format!("removing `{}`", path.display()));
            }
            run_helper(&mapping, "remove", path, None)
        }
        Err(e) => Err(e).with_context(|| format!("removing `{}`", path.display())),
    }
}

/// Runs `berth __helper VERB PATH` in a user namespace with `mapping`,
/// feeding it `input` on stdin. Its one-line error becomes ours.
pub fn run_helper(
    mapping: &IdMapping,
    verb: &str,
    path: &Path,
    input: Option<&mut dyn Read>,
) -> Result<()> {
    run_helper_io(mapping, verb, path, input, None)
}

/// [`run_helper`], with the helper's stdout copied to `output`.
pub fn run_helper_io(
    mapping: &IdMapping,
    verb: &str,
    path: &Path,
    input: Option<&mut dyn Read>,
    output: Option<&mut dyn Write>,
) -> Result<()> {
    let mut cmd =
        userns::helper_command(&[OsStr::new("__helper"), OsStr::new(verb), path.as_os_str()]);
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(if output.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stderr(Stdio::piped());
    let mut child = userns::spawn(cmd, mapping).context("starting the user namespace helper")?;
    // A failure to read the input (a corrupt or oversized stream) is the
    // cause; the helper then only sees its input end early.
    let mut read_error = None;
    let copied = match (input, child.stdin.take()) {
        (Some(input), Some(mut stdin)) => {
            // A 1 MiB pipe: a layer crosses it in 16× fewer wake-ups than
            // with the default 64 KiB (best effort; the limit may forbid it).
            let _ = nix::fcntl::fcntl(&stdin, nix::fcntl::FcntlArg::F_SETPIPE_SZ(1 << 20));
            let mut buf = vec![0u8; 1 << 20];
            loop {
                match input.read(&mut buf) {
                    Ok(0) => break Ok(()),
                    Ok(n) => {
                        if let Err(e) = stdin.write_all(&buf[..n]) {
                            break Err(e);
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        read_error = Some(e);
                        break Ok(());
                    }
                }
            }
        }
        _ => Ok(()),
    };
    let copied = match (copied, output, child.stdout.take()) {
        (Ok(()), Some(out), Some(mut stdout)) => io::copy(&mut stdout, out).map(|_| ()),
        (c, _, _) => c,
    };
    let out = child
        .wait_with_output()
        .context("waiting for the user namespace helper")?;
    if let Some(e) = read_error {
        return Err(e).context("reading layer tar");
    }
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stderr);
        let line = msg
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        let line = line.strip_prefix("berth: ").unwrap_or(line);
        return Err(anyhow!(
            "{}",
            if line.is_empty() {
                format!("helper failed: {}", out.status)
            } else {
                line.to_string()
            }
        ));
    }
    copied.context("feeding the layer to the user namespace helper")
}

/// The helper's side: called by `berth __helper VERB PATH` after entering
/// the user namespace.
pub fn helper_main(verb: &str, path: &Path) -> Result<()> {
    match verb {
        "unpack" => {
            // Hold the store's work lock (shared) like the berth that started
            // us: `system prune` waits for us, even if berth is gone.
            let _work = path
                .parent()
                .and_then(Path::parent)
                .map(|root| crate::layout::flock(&Layout::new(root).work_lock(), false))
                .transpose()?;
            let stdin = io::stdin();
            let mut input = stdin.lock();
            let res = layer::apply(
                &mut input,
                path,
                &ApplyOptions {
                    ownership: Ownership::Preserve,
                },
            );
            res?;
            io::copy(&mut input, &mut io::sink()).context("reading layer tar")?;
            Ok(())
        }
        "remove" => {
            layer::remove_tree(path).with_context(|| format!("removing `{}`", path.display()))
        }
        other => Err(anyhow!("unknown helper verb `{other}`")),
    }
}

struct TeeReader<'a> {
    inner: &'a mut dyn Read,
    hasher: Sha256,
    len: u64,
    tee: Option<&'a mut dyn Write>,
}

impl Read for TeeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        if let Some(t) = self.tee.as_mut() {
            t.write_all(&buf[..n])?;
        }
        Ok(n)
    }
}

/// The unpacked layers of `image`, top first, ready as overlay lowerdirs.
/// A layer unpacked under another id mapping (the user's range changed) or
/// missing is unpacked again from its blob, layer by layer.
pub fn ensure_layers(store: &Store, image: &crate::store::images::Image) -> Result<Vec<Digest>> {
    let chains = image.chain_ids();
    let mut unpacker: Option<Unpacker> = None;
    for (i, chain) in chains.iter().enumerate() {
        let meta = read_layer_meta(store, chain);
        let u = match &unpacker {
            Some(u) => u,
            None => unpacker.insert(Unpacker::for_current_user()?),
        };
        let idmap = u.idmap();
        if meta.as_ref().is_some_and(|m| m.idmap == idmap) && store.layer_dir(chain).is_dir() {
            continue;
        }
        if let Some(m) = &meta {
            log::warn!(
                "layer {chain} was unpacked for id mapping `{}`, now `{idmap}`: unpacking it again",
                m.idmap
            );
        }
        let desc = &image.manifest.layers[i];
        let _work = store.work_lock(false)?;
        let mut tar = layer::decompress(io::BufReader::new(store.open_blob(&desc.digest)?))?;
        let pending = u
            .unpack(store, &mut tar, None)
            .with_context(|| format!("unpacking layer {}", desc.digest))?;
        let want = &image.diff_ids()[i];
        if pending.diff_id != *want {
            anyhow::bail!(
                "layer {}: digest mismatch: the config says {want}, the content is {}",
                desc.digest,
                pending.diff_id
            );
        }
        let lock = store.lock()?;
        if store.layer_dir(chain).exists() {
            remove_layer_tree(&store.layer_dir(chain))?;
        }
        pending.commit(store, chain, &idmap)?;
        drop(lock);
    }
    Ok(chains.into_iter().rev().collect())
}
