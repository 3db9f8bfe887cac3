//! Reading a tar stream with the headers of each entry bounded.
//!
//! tar-rs reads a GNU long name or long link (`L`/`K`) and a PAX extension
//! (`x`) whole into memory inside `Entries::next()`, before we see the entry
//! they describe: a 100 KB zstd archive whose first entry is an `L` header
//! claiming 3 GiB made berth allocate 2 GB (the tar was 3 GiB of zeros).
//! Our own budgets (names, decompressed size) only apply after that read.
//!
//! So [`TarArchive`] hands tar-rs a reader that, while `next()` runs, lets
//! through at most [`MAX_HEADERS`] bytes: headers, extensions, sparse maps.
//! The rest of the previous entry's data, which `next()` skips, does not
//! count: tar-rs skips it with a forward seek (`entries_with_seek`), which
//! this reader turns into an uncounted read. The stream is still read once,
//! and an entry the caller does not read costs no more than before (a sparse
//! file's holes are never expanded to be skipped).

use std::cell::Cell;
use std::io::{self, Read, Seek, SeekFrom};
use std::rc::Rc;

/// The most one entry's headers may take. Real ones are small: a long name
/// is at most PATH_MAX (4096), the PAX header of a file with many xattrs a
/// few KiB. The count includes the 512-byte header blocks themselves.
pub const MAX_HEADERS: u64 = 1 << 20;

/// A tar archive read with each entry's headers bounded by [`MAX_HEADERS`].
pub struct TarArchive<R: Read> {
    tar: tar::Archive<Guarded<R>>,
    /// Bytes `next()` may still read; `None` outside `next()`.
    budget: Rc<Cell<Option<u64>>>,
}

impl<R: Read> TarArchive<R> {
    pub fn new(r: R) -> TarArchive<R> {
        let budget = Rc::new(Cell::new(None));
        let guarded = Guarded {
            inner: r,
            pos: 0,
            budget: Rc::clone(&budget),
        };
        TarArchive {
            tar: tar::Archive::new(guarded),
            budget,
        }
    }

    /// The entries, in order. Each must be done with before the next is
    /// asked for (as with tar-rs: they share one stream).
    pub fn entries(&mut self) -> io::Result<Entries<'_, R>> {
        Ok(Entries {
            inner: self.tar.entries_with_seek()?,
            budget: Rc::clone(&self.budget),
        })
    }
}

/// What [`TarArchive::entries`] iterates.
pub struct Entries<'a, R: Read> {
    inner: tar::Entries<'a, Guarded<R>>,
    budget: Rc<Cell<Option<u64>>>,
}

/// An entry of a [`TarArchive`].
pub type Entry<'a, R> = tar::Entry<'a, Guarded<R>>;

impl<'a, R: Read> Iterator for Entries<'a, R> {
    type Item = io::Result<Entry<'a, R>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.budget.set(Some(MAX_HEADERS));
        let next = self.inner.next();
        self.budget.set(None);
        next
    }
}

/// The stream under the archive: counts what `next()` reads, and skips
/// forward (tar-rs's seeks) without counting.
pub struct Guarded<R> {
    inner: R,
    /// Bytes read so far: where tar-rs thinks it is.
    pos: u64,
    budget: Rc<Cell<Option<u64>>>,
}

fn too_large() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "tar header extension (GNU long name or PAX) larger than {} MiB",
            MAX_HEADERS >> 20
        ),
    )
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self.budget.get() {
            None => self.inner.read(buf)?,
            Some(_) if buf.is_empty() => 0,
            Some(0) => return Err(too_large()),
            Some(left) => {
                let max = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                let n = self.inner.read(&mut buf[..max])?;
                self.budget.set(Some(left - n as u64));
                n
            }
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read> Seek for Guarded<R> {
    /// Only what tar-rs's skip needs: forward from here, by reading.
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let SeekFrom::Current(delta) = to else {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "tar stream: only relative seeks",
            ));
        };
        let want = u64::try_from(delta)
            .map_err(|_| io::Error::new(io::ErrorKind::Unsupported, "tar stream: backward seek"))?;
        let got = io::copy(&mut (&mut self.inner).take(want), &mut io::sink())?;
        self.pos += got;
        if got != want {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "unexpected EOF during skip",
            ));
        }
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One 512-byte header block (GNU magic, as around `L`/`K`).
    fn header(name: &[u8], kind: u8, size: u64) -> Vec<u8> {
        let mut h = tar::Header::new_gnu();
        h.as_mut_bytes()[..name.len()].copy_from_slice(name);
        h.set_mode(0o644);
        h.set_size(size);
        h.set_entry_type(tar::EntryType::new(kind));
        h.set_cksum();
        h.as_bytes().to_vec()
    }

    fn padded(data: &[u8]) -> Vec<u8> {
        let mut v = data.to_vec();
        v.resize(data.len().div_ceil(512) * 512, 0);
        v
    }

    /// An extension entry of `kind` with `size` bytes of `fill`, then a file.
    fn bomb(kind: u8, size: usize, fill: u8) -> Vec<u8> {
        let mut t = header(b"././@LongLink", kind, size as u64);
        t.extend(padded(&vec![fill; size]));
        t.extend(header(b"hello", b'0', 3));
        t.extend(padded(b"hi\n"));
        t.extend([0; 1024]);
        t
    }

    fn names(tar: &[u8]) -> io::Result<Vec<usize>> {
        let mut a = TarArchive::new(tar);
        let mut out = Vec::new();
        for e in a.entries()? {
            out.push(e?.path_bytes().len());
        }
        Ok(out)
    }

    #[test]
    fn long_name_up_to_the_bound_is_read() {
        // The bound counts the `L` header and the file's header too.
        let fits = MAX_HEADERS as usize - 3 * 512;
        assert_eq!(names(&bomb(b'L', fits, b'a')).unwrap(), vec![fits]);
    }

    #[test]
    fn long_name_beyond_the_bound_is_refused() {
        for kind in [b'L', b'K', b'x'] {
            let err = names(&bomb(kind, MAX_HEADERS as usize + 1, b'a')).unwrap_err();
            assert_eq!(
                err.to_string(),
                "tar header extension (GNU long name or PAX) larger than 1 MiB"
            );
        }
    }

    #[test]
    fn unread_entry_data_does_not_count() {
        // 4 MiB of file data nobody reads, skipped by next().
        let mut t = header(b"big", b'0', 4 << 20);
        t.extend(vec![7; 4 << 20]);
        t.extend(header(b"small", b'0', 1));
        t.extend(padded(b"x"));
        t.extend([0; 1024]);
        assert_eq!(names(&t).unwrap(), vec![3, 5]);
    }

    #[test]
    fn a_truncated_entry_is_an_error() {
        let mut t = header(b"big", b'0', 4096);
        t.extend([7; 100]);
        let mut a = TarArchive::new(&t[..]);
        let mut it = a.entries().unwrap();
        it.next().unwrap().unwrap();
        let Some(Err(err)) = it.next() else {
            panic!("a truncated entry was skipped silently");
        };
        assert_eq!(err.to_string(), "unexpected EOF during skip");
    }
}
