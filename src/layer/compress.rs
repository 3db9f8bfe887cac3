//! Layer compression: recognise gzip and zstd by their magic bytes, whatever
//! the media type claims (registries and old Docker images mislabel often).

use std::io::{self, BufRead, Read};
use std::sync::OnceLock;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

fn classify(head: &[u8]) -> Compression {
    if head.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else if head.starts_with(&ZSTD_MAGIC) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// Peek the magic bytes (gzip `1f 8b`, zstd `28 b5 2f fd`) without consuming them.
///
/// Looks only at what one `fill_buf` returns: a reader that hands out fewer
/// than 4 bytes at a time may be misdetected as `None`. [`decompress`] does not
/// have this limit.
pub fn detect(r: &mut impl BufRead) -> io::Result<Compression> {
    Ok(classify(r.fill_buf()?))
}

/// The most a compressed stream may inflate to. A few KB of gzip (1032:1 at
/// most) or zstd (its RLE blocks reach 32768:1) can claim gigabytes, and all
/// we decompress is unpacked to disk or hashed: without a bound, a small
/// download costs disk and time without end. The bound is absolute, not a
/// ratio: real layers can compress better than 1000:1 (a preallocated file
/// of zeros, a sparse disk image), so a ratio check would refuse real
/// images. 256 GiB is ten times the largest layers we know of (CUDA and
/// model images carry 10–20 GiB ones).
const MAX_DECOMPRESSED: u64 = 256 << 30;

/// For berth's own tests only, not a user setting: lowers (never raises)
/// [`MAX_DECOMPRESSED`], so a bomb test need not inflate 256 GiB.
const TEST_MAX_ENV: &str = "BERTH_TEST_MAX_DECOMPRESSED";

pub(super) fn max_decompressed() -> u64 {
    static MAX: OnceLock<u64> = OnceLock::new();
    *MAX.get_or_init(|| {
        std::env::var(TEST_MAX_ENV)
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(MAX_DECOMPRESSED, |v: u64| v.min(MAX_DECOMPRESSED))
    })
}

/// Detect the compression and wrap `r` in the matching decoder (or none).
/// Concatenated gzip members and zstd frames are decoded as one stream,
/// which fails once it exceeds [`MAX_DECOMPRESSED`] bytes.
pub fn decompress<'a>(mut r: impl BufRead + 'a) -> io::Result<Box<dyn Read + 'a>> {
    // Read the magic ourselves rather than trusting a single fill_buf, then put
    // it back in front of the stream.
    let mut head = [0u8; 4];
    let mut n = 0;
    while n < head.len() {
        match r.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let kind = classify(&head[..n]);
    let stream = io::Cursor::new(head).take(n as u64).chain(r);
    let decoder: Box<dyn Read + 'a> = match kind {
        // As large as what it reads: nothing to bound.
        Compression::None => return Ok(Box::new(stream)),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(stream)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(stream)?),
    };
    let limit = max_decompressed();
    Ok(Box::new(Bounded {
        inner: decoder,
        left: limit,
        limit,
    }))
}

/// A reader that fails once more than `limit` bytes came through.
struct Bounded<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "decompressed data exceeds {} (a decompression bomb?)",
                    size(self.limit)
                ),
            )
        })?;
        Ok(n)
    }
}

/// `8 MiB`, `256 GiB`, `1000 bytes`.
pub(super) fn size(n: u64) -> String {
    match n {
        n if n >= 1 << 30 && n % (1 << 30) == 0 => format!("{} GiB", n >> 30),
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n => format!("{n} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_reader_passes_the_limit_exactly_and_fails_beyond() {
        let mut exact = Bounded {
            inner: &[7u8; 100][..],
            left: 100,
            limit: 100,
        };
        assert_eq!(io::copy(&mut exact, &mut io::sink()).unwrap(), 100);
        let mut over = Bounded {
            inner: &[7u8; 101][..],
            left: 100,
            limit: 100,
        };
        let err = io::copy(&mut over, &mut io::sink()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "decompressed data exceeds 100 bytes (a decompression bomb?)"
        );
    }

    #[test]
    fn sizes_read_in_round_units() {
        assert_eq!(size(256 << 30), "256 GiB");
        assert_eq!(size(8 << 20), "8 MiB");
        assert_eq!(size(1000), "1000 bytes");
    }
}
