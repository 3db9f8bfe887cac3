//! Go module information embedded in binaries: the `\xff Go buildinf:`
//! blob `go version -m` reads. Go ≥ 1.18 writes it with the strings inline
//! (flag bit 2): after the 32-byte header, the Go version and the module
//! info, each as a uvarint length and bytes; the module info has 16-byte
//! sentinels at both ends. Its lines: `path`, `mod` (the main module),
//! `dep`, and `=>` (a replacement for the line before).
//!
//! The binary is scanned as it streams past in the tar, never kept whole:
//! only the blob, at most [`MAX_INFO`] bytes from the magic, is.

use super::{Kind, Package};
use std::io::{self, Read};

const MAGIC: &[u8] = b"\xff Go buildinf:";
/// The most of a binary read after the magic (the module info of a large
/// program with hundreds of dependencies is tens of KiB).
const MAX_INFO: usize = 1 << 20;

/// The blob of buildinfo in the stream `r` (an ELF file's bytes), if any.
pub fn find(r: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let finder = memchr::memmem::Finder::new(MAGIC);
    let mut buf = vec![0u8; 1 << 20];
    // Bytes kept from the previous chunk, so a magic across chunks is seen.
    let mut keep = 0;
    loop {
        let n = read_some(r, &mut buf[keep..])?;
        if n == 0 {
            return Ok(None);
        }
        let filled = keep + n;
        if let Some(at) = finder.find(&buf[..filled]) {
            let mut blob = buf[at..filled].to_vec();
            if blob.len() < MAX_INFO {
                r.take((MAX_INFO - blob.len()) as u64)
                    .read_to_end(&mut blob)?;
            }
            blob.truncate(MAX_INFO);
            return Ok(Some(blob));
        }
        keep = (MAGIC.len() - 1).min(filled);
        buf.copy_within(filled - keep..filled, 0);
    }
}

fn read_some(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

fn uvarint(b: &[u8]) -> Option<(usize, usize)> {
    let mut v: u64 = 0;
    for (i, &byte) in b.iter().enumerate().take(10) {
        v |= ((byte & 0x7f) as u64) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((usize::try_from(v).ok()?, i + 1));
        }
    }
    None
}

/// The Go version and module info of a buildinfo blob.
fn strings(blob: &[u8]) -> Option<(String, String)> {
    let flags = *blob.get(15)?;
    if flags & 2 == 0 {
        // Before Go 1.18 the strings are pointers into the binary's data:
        // not read.
        return None;
    }
    let mut rest = blob.get(32..)?;
    let mut next = || -> Option<String> {
        let (len, n) = uvarint(rest)?;
        let s = rest.get(n..n.checked_add(len)?)?;
        rest = &rest[n + len..];
        Some(String::from_utf8_lossy(s).into_owned())
    };
    let version = next()?;
    let mut info = next()?;
    if info.len() >= 33 && info.as_bytes()[info.len() - 17] == b'\n' {
        info = String::from_utf8_lossy(&info.as_bytes()[16..info.len() - 16]).into_owned();
    }
    Some((version, info))
}

/// The main module, its dependencies (replacements applied) and the
/// standard library (`stdlib` at the Go version, `v`-prefixed like the
/// modules), as `location`'s packages.
pub fn packages(blob: &[u8], location: &str) -> Vec<Package> {
    let Some((go, info)) = strings(blob) else {
        return Vec::new();
    };
    let mut out: Vec<Package> = Vec::new();
    for line in info.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["mod" | "dep", path, version, ..] => {
                out.push(Package::found(Kind::Go, path, version, location))
            }
            ["=>", path, version, ..] => {
                if let Some(last) = out.last_mut() {
                    *last = Package::found(Kind::Go, path, version, location);
                }
            }
            _ => {}
        }
    }
    // A main module built from a checkout has no version to look up.
    out.retain(|p| p.version != "(devel)");
    if let Some(v) = go.strip_prefix("go") {
        // `go1.21.5 X:boringcrypto` → v1.21.5
        let v = v.split_whitespace().next().unwrap_or(v);
        out.push(Package::found(
            Kind::Go,
            "stdlib",
            &format!("v{v}"),
            location,
        ));
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A Go ≥ 1.18 buildinfo blob as the linker writes it.
    pub fn blob(go: &str, info: &str) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        b.push(8); // pointer size
        b.push(2); // strings inline
        b.resize(32, 0);
        let mut info_s = vec![b'x'; 16];
        info_s.extend(info.as_bytes());
        info_s.extend([b'y'; 16]);
        for s in [go.as_bytes(), &info_s[..]] {
            let mut n = s.len();
            loop {
                let byte = (n & 0x7f) as u8;
                n >>= 7;
                if n == 0 {
                    b.push(byte);
                    break;
                }
                b.push(byte | 0x80);
            }
            b.extend(s);
        }
        b
    }

    #[test]
    fn modules_from_a_binary() {
        let info = "path\texample.com/app\nmod\texample.com/app\t(devel)\t\n\
                    dep\tgithub.com/pkg/errors\tv0.9.1\th1:x=\n\
                    dep\tgolang.org/x/net\tv0.1.0\th1:y=\n=>\tgolang.org/x/net\tv0.17.0\th1:z=\n\
                    build\t-compiler=gc\n";
        // Surrounded by other bytes, split across the scanner's chunks.
        let mut file = b"\x7fELF".to_vec();
        file.extend(vec![0u8; (1 << 20) - 7]);
        file.extend(blob("go1.21.5", info));
        file.extend(vec![0u8; 4096]);
        let found = find(&mut &file[..]).unwrap().unwrap();
        let ps = packages(&found, "usr/bin/app");
        let got: Vec<_> = ps
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("github.com/pkg/errors", "v0.9.1"),
                ("golang.org/x/net", "v0.17.0"),
                ("stdlib", "v1.21.5")
            ]
        );
    }

    #[test]
    fn truncated_blob_gives_nothing() {
        let b = blob("go1.22.0", "dep\ta\tv1\n");
        for cut in 0..b.len() {
            let _ = packages(&b[..cut], "x");
        }
        assert!(find(&mut &b"no magic here"[..]).unwrap().is_none());
    }
}
