//! Layer compression: recognise gzip and zstd by their magic bytes, whatever
//! the media type claims (registries and old Docker images mislabel often).

use std::io::{self, BufRead, Read};

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

/// Detect the compression and wrap `r` in the matching decoder (or none).
/// Concatenated gzip members and zstd frames are decoded as one stream.
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
    Ok(match kind {
        Compression::None => Box::new(stream),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(stream)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(stream)?),
    })
}
