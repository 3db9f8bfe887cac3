//! A layer catalogued as it enters the store: `import`, `load` and `pull`
//! stream every byte of a layer's tar once while unpacking and hashing it
//! (`image::unpack`); a [`Tap`] on that stream hands copies of the bytes
//! to a thread that reduces them to the layer's facts, as `berth sbom`
//! would from the blob later, and the facts go to the per-layer cache
//! when the layer is committed. `sbom` and `scan` of the image then read a
//! few KB instead of the blob. The tap never fails the unpack: a tar the
//! cataloguer cannot read, or a thread that ends early, only leaves the
//! layer to be catalogued from its blob on first use, as before.

use super::layers::{self, LayerFacts};
use std::sync::mpsc::{SyncSender, sync_channel};

/// Bytes handed over at a time: large enough that the channel costs
/// nothing per tar header, small enough that little waits in memory.
const CHUNK: usize = 256 << 10;
/// Chunks in flight: bounds the memory when the cataloguer is slower.
const IN_FLIGHT: usize = 16;

/// The feeding end. The thread starts on the first bytes, so it is not
/// running yet when the unpacker spawns its helper process.
#[derive(Default)]
pub struct Tap {
    buf: Vec<u8>,
    tx: Option<SyncSender<crate::layer::Chunk>>,
    thread: Option<std::thread::JoinHandle<anyhow::Result<LayerFacts>>>,
    /// The cataloguer stopped reading (an error): the rest is not sent.
    closed: bool,
}

impl Tap {
    pub fn new() -> Tap {
        Tap::default()
    }

    /// The next bytes of the layer's uncompressed tar.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.closed {
            return;
        }
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= CHUNK {
            self.send();
        }
    }

    fn send(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        if self.tx.is_none() {
            let (tx, rx) = sync_channel(IN_FLIGHT);
            let spawned = std::thread::Builder::new()
                .name("sbom-tap".into())
                .spawn(move || layers::read_tar(crate::layer::ChunkReader::new(rx)));
            match spawned {
                Ok(t) => {
                    self.tx = Some(tx);
                    self.thread = Some(t);
                }
                Err(e) => {
                    log::debug!("sbom tap: {e}");
                    self.closed = true;
                    return;
                }
            }
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK + (64 << 10)));
        if let Some(tx) = &self.tx
            && tx.send(Ok(chunk)).is_err()
        {
            self.closed = true;
        }
    }

    /// The layer's facts, once the whole tar went past; `None` when the
    /// cataloguer could not read it (the reason is logged at debug level).
    pub fn finish(mut self) -> Option<LayerFacts> {
        if !self.closed {
            self.send();
        }
        self.tx = None;
        // The cataloguer returns once it has read the tar's end: what came
        // after (padding) was not needed.
        match self.thread.take()?.join() {
            Ok(Ok(f)) => Some(f),
            Ok(Err(e)) => {
                log::debug!("sbom tap: {e:#}");
                None
            }
            Err(_) => None,
        }
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        // An unpack that failed: the thread sees the end and is joined.
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sbom::layers::tests::tar_of;

    #[test]
    fn a_tar_fed_in_any_pieces_gives_the_facts_of_reading_it_whole() {
        let filler = vec![b'x'; 3 * CHUNK + 17];
        let tar = tar_of(&[
            ("etc/os-release", b"ID=alpine\n"),
            ("usr/share/big", &filler),
            ("lib/apk/db/installed", b"P:musl\nV:1.2.4-r2\n\n"),
            ("var/.wh.cache", b""),
        ]);
        let whole = layers::read_tar(&tar[..]).unwrap();
        for piece in [1, 511, 4096, CHUNK + 1] {
            let mut tap = Tap::new();
            for p in tar.chunks(piece) {
                tap.feed(p);
            }
            let got = tap.finish().expect("facts");
            assert_eq!(
                serde_json::to_string(&got).unwrap(),
                serde_json::to_string(&whole).unwrap(),
                "pieces of {piece}"
            );
        }
    }

    #[test]
    fn what_is_not_a_tar_gives_no_facts_and_never_blocks_the_feeder() {
        let mut tap = Tap::new();
        for _ in 0..(IN_FLIGHT * 4) {
            tap.feed(&[0xff; CHUNK]);
        }
        assert!(tap.finish().is_none());
        // Nothing fed: nothing started, nothing to say.
        assert!(Tap::new().finish().is_none());
    }
}
