//! A layer's bytes handed from one thread to another in chunks over a
//! channel, read back as one stream: a pull's fetcher to its unpacker, an
//! unpack to the SBOM cataloguer.

use std::io::{self, Read};
use std::sync::mpsc::Receiver;

/// One chunk, or the error that ended the sender's stream.
pub type Chunk = io::Result<Vec<u8>>;

/// The receiving end as a reader: the chunks in order, a sent error as the
/// read's error, and the end of the stream once the sender is gone.
pub struct ChunkReader {
    rx: Receiver<Chunk>,
    chunk: Vec<u8>,
    at: usize,
}

impl ChunkReader {
    pub fn new(rx: Receiver<Chunk>) -> ChunkReader {
        ChunkReader {
            rx,
            chunk: Vec::new(),
            at: 0,
        }
    }
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.chunk.len() {
            match self.rx.recv() {
                Ok(c) => {
                    self.chunk = c?;
                    self.at = 0;
                }
                // The sender finished (or failed, after saying so).
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
