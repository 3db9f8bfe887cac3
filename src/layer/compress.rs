//! Layer compression: recognise gzip and zstd by their magic bytes, whatever
//! the media type claims (registries and old Docker images mislabel often);
//! and compress a layer for a push on every core ([`compress`]).

use std::collections::BTreeMap;
use std::io::{self, BufRead, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Mutex, OnceLock};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// The compression a stream starting with `head` is in, by its magic bytes.
pub fn classify(head: &[u8]) -> Compression {
    if head.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else if head.starts_with(&ZSTD_MAGIC) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// Whether `block` (a stream's first 512 bytes, decompressed) is a tar
/// header: POSIX and GNU tars both carry `ustar` at offset 257.
pub fn is_tar_header(block: &[u8]) -> bool {
    block.get(257..262) == Some(b"ustar")
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

/// What one compressing thread takes at a time. pgzip (podman's gzip) uses
/// 1 MB blocks: large enough that a block boundary costs no ratio to speak
/// of, small enough that two cores share even a small layer.
const CHUNK: usize = 1 << 20;

/// The gzip level berth pushes with: 3, where zlib-rs (a port of
/// zlib-ng) first matches the size of podman's gzip. On the registry
/// bench's 106 MB text tar, in 1 MiB chunks on one core: level 1 took
/// 229 ms for 28.0 MB (26.5%), 2 took 412 ms for 22.0 MB, 3 took 558 ms
/// for 20.0 MB (18.9%), 6 took 1194 ms for 18.6 MB; podman sent 20 MB.
/// Level 1 made the first push fastest (compression is spread over every
/// core, behind the upload) but every later push and pull of the blob
/// moved 40% more bytes than podman's, and those, bound by the registry,
/// are what an image is moved by most. Random segments are stored
/// whatever the level (see [`RANDOM_ENTROPY`]).
const GZIP_LEVEL: u32 = 3;

/// zstd's default level: already faster than gzip -1 and smaller.
const ZSTD_LEVEL: i32 = 3;

/// Within a chunk, each segment of this size is deflated or, when it looks
/// random (already compressed files, random data), stored as it is:
/// deflating it would cost as much time as text and save nothing.
const SEGMENT: usize = 64 << 10;

/// Bits per byte above which a segment is taken for incompressible: gzip,
/// zstd, xz and JPEG data measure 7.97–8.0, text 4–6, binaries 5–7.
const RANDOM_ENTROPY: f64 = 7.9;

/// Compresses `input` into `out` as one gzip member or a run of zstd
/// frames, on `threads` threads (scoped: all joined before it returns).
///
/// The input is cut into [`CHUNK`]s compressed independently, the way
/// pgzip does: for gzip each chunk is raw deflate ending in a sync flush
/// (byte-aligned, no back-references across chunks), so their
/// concatenation is one valid deflate stream closed by an empty final
/// block, with the CRC of the whole input in the trailer; for zstd each
/// chunk is a frame, and concatenated frames are one zstd stream. Every
/// decoder reads either as a plain single stream.
pub fn compress(
    input: &mut (dyn Read + Send),
    out: &mut dyn Write,
    kind: Compression,
    threads: usize,
) -> io::Result<()> {
    let threads = threads.max(1);
    let mut crc = flate2::Crc::new();
    if kind == Compression::Gzip {
        // Magic, deflate, no flags, no mtime (reproducible), no extra
        // flags, OS unknown: what Go's gzip writes.
        out.write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff])?;
    }
    // Chunks in flight are bounded by tokens the writer hands back, so a
    // slow chunk does not let the reader run ahead without limit.
    let in_flight = 2 * threads;
    let (work_tx, work_rx) = sync_channel::<(usize, Vec<u8>)>(in_flight);
    let work_rx = Mutex::new(work_rx);
    let crc_ref = &mut crc;
    let chunks = std::thread::scope(|scope| -> io::Result<usize> {
        let (done_tx, done_rx) = sync_channel::<(usize, io::Result<Vec<u8>>)>(in_flight);
        let (token_tx, token_rx) = sync_channel::<()>(in_flight);
        for _ in 0..in_flight {
            token_tx.send(()).ok();
        }
        for _ in 0..threads {
            let (work_rx, done_tx) = (&work_rx, done_tx.clone());
            scope.spawn(move || worker(work_rx, &done_tx, kind));
        }
        drop(done_tx);
        let reader = scope.spawn(move || read_chunks(input, &work_tx, &token_rx, crc_ref));
        let mut pending = BTreeMap::new();
        let mut next = 0;
        let mut result = Ok(());
        for (i, chunk) in done_rx.iter() {
            pending.insert(i, chunk);
            while let Some(chunk) = pending.remove(&next) {
                result = chunk.and_then(|c| out.write_all(&c));
                if result.is_err() {
                    break;
                }
                next += 1;
                token_tx.send(()).ok();
            }
            if result.is_err() {
                break;
            }
        }
        // Dropping the receivers ends the reader and the workers.
        drop(done_rx);
        drop(token_tx);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the layer reader panicked")));
        result.and(read.map(|_| next))
    })?;
    if kind == Compression::Zstd && chunks == 0 {
        // No input, no frame; but an empty file is not a zstd stream.
        out.write_all(&zstd::bulk::compress(&[], ZSTD_LEVEL)?)?;
    }
    if kind == Compression::Gzip {
        // An empty final block with fixed codes, then CRC-32 and size mod 2^32.
        out.write_all(&[0x03, 0x00])?;
        out.write_all(&crc.sum().to_le_bytes())?;
        out.write_all(&crc.amount().to_le_bytes())?;
    }
    Ok(())
}

/// Reads `input` in [`CHUNK`]s (each taken when a token is free), numbering
/// them for the writer and adding them to the gzip CRC.
fn read_chunks(
    input: &mut (dyn Read + Send),
    work: &SyncSender<(usize, Vec<u8>)>,
    tokens: &Receiver<()>,
    crc: &mut flate2::Crc,
) -> io::Result<u64> {
    let mut total = 0u64;
    for i in 0.. {
        if tokens.recv().is_err() {
            break;
        }
        let mut chunk = Vec::with_capacity(CHUNK);
        input.take(CHUNK as u64).read_to_end(&mut chunk)?;
        if chunk.is_empty() {
            break;
        }
        crc.update(&chunk);
        total += chunk.len() as u64;
        if work.send((i, chunk)).is_err() {
            break;
        }
    }
    Ok(total)
}

fn worker(
    work: &Mutex<Receiver<(usize, Vec<u8>)>>,
    done: &SyncSender<(usize, io::Result<Vec<u8>>)>,
    kind: Compression,
) {
    loop {
        let next = work
            .lock()
            .map_err(|_| ())
            .and_then(|rx| rx.recv().map_err(|_| ()));
        let Ok((i, chunk)) = next else {
            return;
        };
        let compressed = match kind {
            Compression::Gzip => deflate_chunk(&chunk),
            Compression::Zstd => zstd::bulk::compress(&chunk, ZSTD_LEVEL),
            Compression::None => Ok(chunk),
        };
        if done.send((i, compressed)).is_err() {
            return;
        }
    }
}

/// Raw deflate of one chunk, ending in a sync flush (byte-aligned, not
/// final). Random-looking segments are stored; the compressor after one is
/// a fresh one, since its window must be the output right before it.
fn deflate_chunk(chunk: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(chunk.len() + chunk.len() / 64 + 1024);
    let mut c: Option<flate2::Compress> = None;
    for segment in chunk.chunks(SEGMENT) {
        if looks_random(segment) {
            if let Some(mut c) = c.take() {
                deflate_into(&mut c, &[], &mut out, flate2::FlushCompress::Sync)?;
            }
            stored_blocks(segment, &mut out);
        } else {
            let c = c.get_or_insert_with(|| {
                flate2::Compress::new(flate2::Compression::new(GZIP_LEVEL), false)
            });
            deflate_into(c, segment, &mut out, flate2::FlushCompress::None)?;
        }
    }
    if let Some(mut c) = c {
        deflate_into(&mut c, &[], &mut out, flate2::FlushCompress::Sync)?;
    }
    Ok(out)
}

/// Whether `data`'s byte entropy says it will not deflate.
fn looks_random(data: &[u8]) -> bool {
    let mut counts = [0u32; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let n = data.len() as f64;
    let entropy: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum();
    entropy > RANDOM_ENTROPY
}

/// Feeds all of `data` to the compressor, appending its output to `out`;
/// with a sync flush, until the flush is complete.
fn deflate_into(
    c: &mut flate2::Compress,
    data: &[u8],
    out: &mut Vec<u8>,
    flush: flate2::FlushCompress,
) -> io::Result<()> {
    let start = c.total_in();
    loop {
        // flate2 writes only into spare capacity; keep some, without
        // reserving the whole chunk again each round.
        if out.capacity() - out.len() < 4096 {
            out.reserve(data.len() / 4 + 4096);
        }
        let done = (c.total_in() - start) as usize;
        c.compress_vec(&data[done..], out, flush)
            .map_err(io::Error::other)?;
        // All input in, and (for a flush) it left room: nothing pending.
        if (c.total_in() - start) as usize == data.len() && out.capacity() - out.len() >= 16 {
            return Ok(());
        }
    }
}

/// `data` as stored (uncompressed) deflate blocks, non-final, byte-aligned.
fn stored_blocks(data: &[u8], out: &mut Vec<u8>) {
    for block in data.chunks(u16::MAX as usize) {
        let len = block.len() as u16;
        out.push(0); // BFINAL 0, BTYPE 00, padding to the byte
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compressed(data: &[u8], kind: Compression, threads: usize) -> Vec<u8> {
        let mut out = Vec::new();
        compress(&mut &data[..], &mut out, kind, threads).unwrap();
        out
    }

    /// Text-like and random-like data across several chunks and a partial one.
    fn sample() -> Vec<u8> {
        let mut data = Vec::new();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for n in 0..(3 * CHUNK / 64 + 77) {
            if n % 700 < 300 {
                data.extend_from_slice(format!("line {n} of a text file, repeated\n").as_bytes());
            } else {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                data.extend_from_slice(&x.to_le_bytes());
            }
        }
        data
    }

    #[test]
    fn parallel_gzip_is_one_stream_any_gzip_reader_takes() {
        let data = sample();
        for threads in [1, 3] {
            let gz = compressed(&data, Compression::Gzip, threads);
            // The single-member decoder: no reliance on concatenated members.
            let mut back = Vec::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_end(&mut back)
                .unwrap();
            assert!(back == data, "gzip round trip with {threads} threads");
            assert!(gz.len() < data.len(), "the text parts compress");
        }
    }

    #[test]
    fn parallel_compression_is_deterministic() {
        let data = sample();
        for kind in [Compression::Gzip, Compression::Zstd] {
            assert_eq!(compressed(&data, kind, 1), compressed(&data, kind, 4));
        }
    }

    #[test]
    fn parallel_zstd_frames_read_back_as_one_stream() {
        let data = sample();
        let z = compressed(&data, Compression::Zstd, 2);
        assert_eq!(zstd::stream::decode_all(&z[..]).unwrap(), data);
    }

    #[test]
    fn empty_input_compresses_to_a_valid_empty_stream() {
        let gz = compressed(b"", Compression::Gzip, 2);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut back)
            .unwrap();
        assert!(back.is_empty());
        let z = compressed(b"", Compression::Zstd, 2);
        assert!(zstd::stream::decode_all(&z[..]).unwrap().is_empty());
    }

    #[test]
    fn random_segments_are_stored_and_text_is_deflated() {
        let text = b"a line of text, and another one\n".repeat(SEGMENT / 32 + 1);
        let mut random = Vec::new();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        while random.len() < 2 * SEGMENT {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            random.extend_from_slice(&x.to_le_bytes());
        }
        assert!(!looks_random(&text));
        assert!(looks_random(&random[..SEGMENT]));
        // Text, random, text again: stored blocks between two compressors.
        let data = [&text[..], &random[..], &text[..]].concat();
        let gz = compressed(&data, Compression::Gzip, 2);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut back)
            .unwrap();
        assert!(back == data);
    }

    #[test]
    fn a_read_error_fails_the_compression() {
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("disk on fire"));
                }
                let n = buf.len().min(self.0);
                self.0 -= n;
                Ok(n)
            }
        }
        let err = compress(
            &mut Failing(3 * CHUNK),
            &mut Vec::new(),
            Compression::Gzip,
            2,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "disk on fire");
    }

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
