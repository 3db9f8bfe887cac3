//! Content-addressed blobs: written to a temporary name beside their final
//! place, hashed on the way, verified, fsynced, renamed. Their writeback
//! starts while they are written, so the fsync at the end waits for the
//! last few MiB rather than for the whole blob.

use super::Store;
use super::digest::{Digest, HashingWriter};
use crate::layout::{Layout, TMP_PREFIX, set_readable, sync_dir};
use anyhow::{Context, Result, bail};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use tempfile::NamedTempFile;

/// A blob being written. Dropped without [`BlobWriter::commit`], its
/// temporary file is removed.
pub struct BlobWriter {
    out: HashingWriter<BufWriter<Writeback>>,
    layout: Layout,
}

/// Writeback started for every this many bytes written: a pulled layer of
/// 100 MB otherwise waited ~250 ms on its fsync after the download ended
/// (the disk idle meanwhile); started as it goes, it waits for one step.
const WRITEBACK_STEP: u64 = 8 << 20;

/// The temporary file, starting the writeback of each [`WRITEBACK_STEP`]
/// written (sync_file_range: asynchronous, best effort).
struct Writeback {
    tmp: NamedTempFile,
    written: u64,
    started: u64,
}

impl Write for Writeback {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.tmp.write(buf)?;
        self.written += n as u64;
        if self.written - self.started >= WRITEBACK_STEP {
            use std::os::fd::AsFd;
            let len = self.written - self.started;
            // Only a head start for the fsync, which still decides.
            if let Err(e) =
                crate::sys::fs::start_writeback(self.tmp.as_file().as_fd(), self.started, len)
            {
                log::debug!("starting the writeback of a blob: {e}");
            }
            self.started = self.written;
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.tmp.flush()
    }
}

/// A blob whose bytes are complete and hashed but not yet in the store.
pub struct PendingBlob {
    pub digest: Digest,
    pub size: u64,
    tmp: NamedTempFile,
    layout: Layout,
}

impl Store {
    pub fn blob_path(&self, d: &Digest) -> PathBuf {
        self.layout().blob(d.hex())
    }

    pub fn has_blob(&self, d: &Digest) -> bool {
        self.blob_path(d).exists()
    }

    pub fn blob_writer(&self) -> Result<BlobWriter> {
        let dir = self.blobs_dir();
        let tmp = tempfile::Builder::new()
            .prefix(TMP_PREFIX)
            .tempfile_in(&dir)
            .with_context(|| format!("creating a temporary blob in `{}`", dir.display()))?;
        Ok(BlobWriter {
            out: HashingWriter::new(BufWriter::with_capacity(
                1 << 20,
                Writeback {
                    tmp,
                    written: 0,
                    started: 0,
                },
            )),
            layout: self.layout().clone(),
        })
    }

    /// Reads a (small) blob and checks it against its digest.
    pub fn read_blob(&self, d: &Digest) -> Result<Vec<u8>> {
        let path = self.blob_path(d);
        let bytes = fs::read(&path).with_context(|| format!("reading blob {d}"))?;
        if Digest::of(&bytes) != *d {
            bail!("blob {d} is corrupt: its content does not match its digest");
        }
        Ok(bytes)
    }

    pub fn open_blob(&self, d: &Digest) -> Result<File> {
        File::open(self.blob_path(d)).with_context(|| format!("opening blob {d}"))
    }

    /// Writes a small blob (a config or manifest) and returns its digest.
    pub fn put_blob(&self, bytes: &[u8]) -> Result<Digest> {
        let d = Digest::of(bytes);
        if !self.has_blob(&d) {
            let mut w = self.blob_writer()?;
            w.write_all(bytes)?;
            w.finish()?.commit(Some(&d))?;
        }
        Ok(d)
    }
}

impl BlobWriter {
    /// Ends writing: flushes and fsyncs; the blob is not in the store yet.
    pub fn finish(self) -> Result<PendingBlob> {
        let (buf, digest, size) = self.out.finish();
        let tmp = buf
            .into_inner()
            .map_err(|e| e.into_error())
            .context("writing blob")?
            .tmp;
        tmp.as_file().sync_all().context("syncing blob")?;
        Ok(PendingBlob {
            digest,
            size,
            tmp,
            layout: self.layout,
        })
    }
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl PendingBlob {
    /// Checks the digest the caller expects (if any), then renames the blob
    /// into place. An existing blob with the same digest wins.
    pub fn commit(self, expected: Option<&Digest>) -> Result<Digest> {
        if let Some(e) = expected
            && *e != self.digest
        {
            bail!("digest mismatch: expected {e}, got {}", self.digest);
        }
        let dest = self.layout.blob(self.digest.hex());
        if !dest.exists() {
            set_readable(self.tmp.path())?;
            self.tmp
                .persist(&dest)
                .with_context(|| format!("renaming blob {}", self.digest))?;
            sync_dir(&self.layout.blobs())?;
        }
        Ok(self.digest)
    }

    pub fn path(&self) -> &std::path::Path {
        self.tmp.path()
    }
}
