//! sha256 digests: parsed once, always valid; the hasher; and a writer that
//! hashes what passes through it.
//!
//! Hashing is on every byte berth stores, pulls and pushes (a pulled layer
//! is hashed twice: compressed, and as the tar it unpacks to), so the hasher
//! is ring's, whose assembly uses the CPU's vector or SHA extensions; the
//! portable sha2 crate spent 80 % of a pull's CPU time on a machine without
//! SHA-NI.
use std::fmt;
use std::io::{self, Write};

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

impl Digest {
    /// Parses `sha256:<64 lowercase hex>`.
    pub fn parse(s: &str) -> anyhow::Result<Digest> {
        match s.split_once(':') {
            Some(("sha256", hex)) => Digest::from_hex(hex),
            _ => anyhow::bail!("invalid digest `{s}`: only sha256 is supported"),
        }
    }

    pub fn from_hex(hex: &str) -> anyhow::Result<Digest> {
        if hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Digest(hex.to_string()))
        } else {
            anyhow::bail!("invalid sha256 digest `{hex}`")
        }
    }

    pub fn of(bytes: &[u8]) -> Digest {
        let mut h = Hasher::new();
        h.update(bytes);
        h.finish()
    }

    pub fn hex(&self) -> &str {
        &self.0
    }

    /// The 12-character form shown in listings.
    pub fn short(&self) -> &str {
        &self.0[..12]
    }

    /// OCI chain id: chain(L0) = diffID0, chain(Ln) = sha256(chain(Ln-1) + " " + diffIDn).
    pub fn chain(diff_ids: &[Digest]) -> Vec<Digest> {
        let mut out: Vec<Digest> = Vec::with_capacity(diff_ids.len());
        for d in diff_ids {
            let next = match out.last() {
                None => d.clone(),
                Some(prev) => Digest::of(format!("{prev} {d}").as_bytes()),
            };
            out.push(next);
        }
        out
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.0)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Digest::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An incremental sha256.
#[derive(Clone)]
pub struct Hasher(ring::digest::Context);

impl Default for Hasher {
    fn default() -> Self {
        Hasher::new()
    }
}

impl Hasher {
    pub fn new() -> Hasher {
        Hasher(ring::digest::Context::new(&ring::digest::SHA256))
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub fn finish(self) -> Digest {
        Digest(hex::encode(self.0.finish().as_ref()))
    }
}

/// Passes writes through to `inner` while hashing them and counting bytes.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Hasher,
    len: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Hasher::new(),
            len: 0,
        }
    }

    pub fn finish(self) -> (W, Digest, u64) {
        (self.inner, self.hasher.finish(), self.len)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_ids_follow_the_oci_formula() {
        let a = Digest::of(b"a");
        let b = Digest::of(b"b");
        let chain = Digest::chain(&[a.clone(), b.clone()]);
        assert_eq!(chain[0], a);
        assert_eq!(chain[1], Digest::of(format!("{a} {b}").as_bytes()));
    }

    #[test]
    fn hashing_writer_matches_one_shot_digest() {
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(b"hello ").unwrap();
        w.write_all(b"world").unwrap();
        let (buf, d, n) = w.finish();
        assert_eq!(d, Digest::of(b"hello world"));
        assert_eq!(n, 11);
        assert_eq!(buf, b"hello world");
    }

    #[test]
    fn only_sha256_is_accepted() {
        assert!(Digest::parse("sha512:00").is_err());
        assert!(Digest::parse(&format!("sha256:{}", "A".repeat(64))).is_err());
        assert!(Digest::parse(&format!("sha256:{}", "a".repeat(64))).is_ok());
    }
}
