//! The systemd journal's native protocol (systemd's JOURNAL_NATIVE_PROTOCOL):
//! an entry is one datagram of fields sent to journald's socket. Values
//! that may hold a newline use the length-prefixed form; the rest are
//! `KEY=value` lines.

use anyhow::{Context, Result};
use std::os::unix::net::UnixDatagram;
use std::path::Path;

/// Where journald listens for native-protocol datagrams.
pub const SOCKET: &str = "/run/systemd/journal/socket";

/// Whether a journal listens here (the socket exists).
pub fn available() -> bool {
    Path::new(SOCKET).exists()
}

/// One journal entry being built: fields in the order they are added.
#[derive(Default)]
pub struct Entry(Vec<u8>);

impl Entry {
    /// Adds `key` (upper case, digits, `_`; not starting with `_`, which
    /// journald reserves for its own trusted fields) with `value`.
    pub fn field(&mut self, key: &str, value: &[u8]) -> &mut Entry {
        self.0.extend_from_slice(key.as_bytes());
        if value.contains(&b'\n') {
            self.0.push(b'\n');
            self.0
                .extend_from_slice(&(value.len() as u64).to_le_bytes());
        } else {
            self.0.push(b'=');
        }
        self.0.extend_from_slice(value);
        self.0.push(b'\n');
        self
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// A socket connected to the journal.
pub struct Journal(UnixDatagram);

impl Journal {
    /// Connects to journald; the error names the socket when there is none.
    pub fn connect() -> Result<Journal> {
        if !available() {
            anyhow::bail!("no journal here ({SOCKET} does not exist)");
        }
        let sock = UnixDatagram::unbound().context("creating a socket for the journal")?;
        sock.connect(SOCKET)
            .with_context(|| format!("connecting to the journal at {SOCKET}"))?;
        Ok(Journal(sock))
    }

    pub fn send(&self, e: &Entry) -> Result<()> {
        self.0.send(e.bytes()).context("writing to the journal")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_with_a_newline_is_sent_length_prefixed() {
        let mut e = Entry::default();
        e.field("MESSAGE", b"a\nb").field("PRIORITY", b"6");
        let mut want = b"MESSAGE\n".to_vec();
        want.extend_from_slice(&3u64.to_le_bytes());
        want.extend_from_slice(b"a\nb\nPRIORITY=6\n");
        assert_eq!(e.bytes(), want);
    }
}
