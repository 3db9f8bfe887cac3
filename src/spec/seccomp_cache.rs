//! The default seccomp profile compiled once per berth binary, kernel and
//! capability set, and kept under the root (`<root>/seccomp/<key>`):
//! compiling Docker's profile (parsing its JSON, planning ~350 rules) took
//! ~0.35 ms of every `run`; reading the ~2 KB it makes takes a few µs.
//!
//! The key is everything the program depends on: the binary itself (its
//! device, inode, size and mtime: a rebuilt or upgraded berth compiles
//! again, whatever its version says), the running kernel's release (rules
//! have a `minKernel`) and the capabilities. The file is the user's own,
//! in the 0700 root, as each container's `berth.json` already keeps its
//! compiled filters; one that does not read back whole is compiled again.

use anyhow::{Context, Result};
use seccompiler::{BpfProgram, sock_filter};
use sha2::{Digest, Sha256};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The most instructions the kernel takes in one filter.
const MAX_INSNS: usize = 4096;

/// The default profile's programs for `caps`, from `dir` or compiled (and
/// then kept there: a failure to keep them is only logged).
pub fn default_programs(dir: &Path, caps: &::caps::CapsHashSet) -> Result<Vec<BpfProgram>> {
    let Some((binary, key)) = key(caps) else {
        return crate::runtime::seccomp::default_programs(caps);
    };
    let file = dir.join(format!("{binary}-{key}"));
    if let Some(progs) = std::fs::read(&file).ok().and_then(|b| decode(&b)) {
        return Ok(progs);
    }
    let progs = crate::runtime::seccomp::default_programs(caps)?;
    if let Err(e) = keep(dir, &file, &binary, &progs) {
        log::debug!("keeping the compiled seccomp profile: {e:#}");
    }
    Ok(progs)
}

/// The running binary's part of the key and the rest, as hex; None when
/// the binary cannot be told apart from another (then nothing is kept).
fn key(caps: &::caps::CapsHashSet) -> Option<(String, String)> {
    let exe = std::fs::metadata("/proc/self/exe").ok()?;
    let binary = Sha256::digest(
        format!(
            "{} {} {} {}.{}",
            exe.dev(),
            exe.ino(),
            exe.size(),
            exe.mtime(),
            exe.mtime_nsec()
        )
        .as_bytes(),
    );
    let release = nix::sys::utsname::uname().ok()?.release().to_owned();
    let mut names: Vec<String> = caps.iter().map(|c| c.to_string()).collect();
    names.sort();
    let mut h = Sha256::new();
    h.update(release.as_encoded_bytes());
    h.update([0]);
    h.update(names.join(",").as_bytes());
    Some((hex::encode(&binary[..8]), hex::encode(&h.finalize()[..16])))
}

/// Writes the programs, and drops what older binaries kept.
fn keep(dir: &Path, file: &Path, binary: &str, progs: &[BpfProgram]) -> Result<()> {
    crate::layout::private_dir(dir)?;
    crate::layout::replace_file(file, &encode(progs))?;
    let stale: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("listing `{}`", dir.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with(binary))
        .map(|e| e.path())
        .collect();
    for p in stale {
        let _ = std::fs::remove_file(p);
    }
    Ok(())
}

/// What a kept file starts with, then the SHA-256 of the rest: a file cut
/// short (a power cut: it is not synced) or cut between two programs never
/// reads back as fewer filters.
const MAGIC: &[u8; 8] = b"berthbpf";

/// `MAGIC`, the SHA-256 of the body, then the body: each program's
/// instruction count (u32), then its instructions (code u16, jt u8, jf u8,
/// k u32), little-endian.
fn encode(progs: &[BpfProgram]) -> Vec<u8> {
    let mut body = Vec::new();
    for p in progs {
        body.extend_from_slice(&(p.len() as u32).to_le_bytes());
        for f in p {
            body.extend_from_slice(&f.code.to_le_bytes());
            body.extend([f.jt, f.jf]);
            body.extend_from_slice(&f.k.to_le_bytes());
        }
    }
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&Sha256::digest(&body));
    out.extend(body);
    out
}

/// The programs `encode` wrote, or None for anything else.
fn decode(bytes: &[u8]) -> Option<Vec<BpfProgram>> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let (sum, mut bytes) = rest.split_first_chunk::<32>()?;
    if Sha256::digest(bytes).as_slice() != sum {
        return None;
    }
    let mut progs = Vec::new();
    while !bytes.is_empty() {
        let (count, rest) = bytes.split_first_chunk::<4>()?;
        let count = u32::from_le_bytes(*count) as usize;
        if count == 0 || count > MAX_INSNS || rest.len() < count * 8 {
            return None;
        }
        let (insns, rest) = rest.split_at(count * 8);
        progs.push(
            insns
                .chunks_exact(8)
                .map(|c| sock_filter {
                    code: u16::from_le_bytes([c[0], c[1]]),
                    jt: c[2],
                    jf: c[3],
                    k: u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
                })
                .collect(),
        );
        bytes = rest;
    }
    (!progs.is_empty()).then_some(progs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps() -> ::caps::CapsHashSet {
        crate::runtime::caps::resolve(&[], &[], false).unwrap()
    }

    #[test]
    fn the_kept_programs_are_the_compiled_ones() {
        let d = tempfile::tempdir().unwrap();
        let compiled = crate::runtime::seccomp::default_programs(&caps()).unwrap();
        let first = default_programs(d.path(), &caps()).unwrap();
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
        let again = default_programs(d.path(), &caps()).unwrap();
        for progs in [first, again] {
            assert_eq!(progs.len(), compiled.len());
            for (a, b) in progs.iter().zip(&compiled) {
                let rows = |p: &BpfProgram| -> Vec<_> {
                    p.iter().map(|f| (f.code, f.jt, f.jf, f.k)).collect()
                };
                assert_eq!(rows(a), rows(b));
            }
        }
    }

    #[test]
    fn a_damaged_file_is_compiled_again() {
        let d = tempfile::tempdir().unwrap();
        default_programs(d.path(), &caps()).unwrap();
        let file = std::fs::read_dir(d.path())
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let whole = std::fs::read(&file).unwrap();
        // Cut anywhere, between two programs too (the first program's
        // count and instructions end at 44 + 8n), or altered: refused.
        let first = u32::from_le_bytes(whole[40..44].try_into().unwrap()) as usize;
        for cut in [whole.len() - 1, 44 + 8 * first, 40, 8, 3, 0] {
            assert!(decode(&whole[..cut]).is_none(), "cut at {cut}");
        }
        let mut altered = whole.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(decode(&altered).is_none());
        std::fs::write(&file, &whole[..whole.len() - 8]).unwrap();
        let progs = default_programs(d.path(), &caps()).unwrap();
        assert_eq!(encode(&progs), whole);
        assert_eq!(std::fs::read(&file).unwrap(), whole);
    }

    #[test]
    fn another_capability_set_is_another_entry_and_an_old_binarys_go() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("0123456789abcdef-old"), b"x").unwrap();
        default_programs(d.path(), &caps()).unwrap();
        let more = crate::runtime::caps::resolve(&["SYS_ADMIN".into()], &[], false).unwrap();
        default_programs(d.path(), &more).unwrap();
        let names: Vec<String> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(!names.iter().any(|n| n.ends_with("-old")));
    }
}
