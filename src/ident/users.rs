//! `-u USER[:GROUP]` and `--group-add`: names resolved in the image's
//! /etc/passwd and /etc/group, read from the unpacked layers before the
//! container starts (so the id mapping can be chosen to fit).

use anyhow::{Result, bail};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
    pub home: Option<String>,
}

/// The first `etc/<name>` found in the layers, top layer first. Looked up
/// inside each layer as its root (an image symlink cannot point at a host
/// file), regular files only, at most 1 MiB.
pub fn find_in_layers(layers: &[PathBuf], name: &str) -> Option<String> {
    layers.iter().find_map(|l| read_in_layer(l, name))
}

fn read_in_layer(layer: &std::path::Path, name: &str) -> Option<String> {
    use crate::sys::fs::{RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, openat2};
    use std::io::Read;
    use std::os::fd::AsFd;
    let dir = std::fs::File::open(layer).ok()?;
    let path = std::ffi::CString::new(format!("etc/{name}")).ok()?;
    // O_PATH first: an image's etc/passwd may be a device node (root's
    // unpacks keep them), and opening one can have effects (a watchdog
    // armed, a tape rewound). Only a regular file is then opened for reading.
    let fd = openat2(
        dir.as_fd(),
        &path,
        libc::O_PATH,
        0,
        RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    )
    .ok()?;
    if nix::sys::stat::fstat(&fd).ok()?.st_mode & libc::S_IFMT != libc::S_IFREG {
        return None;
    }
    let raw = std::os::fd::AsRawFd::as_raw_fd(&fd);
    let file = std::fs::File::open(format!("/proc/self/fd/{raw}")).ok()?;
    let mut text = String::new();
    file.take(1 << 20).read_to_string(&mut text).ok()?;
    Some(text)
}

/// [`resolve`] against the image's /etc/passwd and /etc/group, looked up
/// in `layers` (top first).
pub fn resolve_in_layers(spec: &str, group_add: &[String], layers: &[PathBuf]) -> Result<User> {
    let passwd = find_in_layers(layers, "passwd");
    let group = find_in_layers(layers, "group");
    resolve(spec, group_add, passwd.as_deref(), group.as_deref())
}

pub fn resolve(
    spec: &str,
    group_add: &[String],
    passwd: Option<&str>,
    group: Option<&str>,
) -> Result<User> {
    let passwd = passwd.unwrap_or("");
    let group = group.unwrap_or("");
    let spec = if spec.is_empty() { "0" } else { spec };
    let (u, g) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let entry = passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() >= 4 && (f[0] == u || (u.parse::<u32>().is_ok() && f[2] == u)));
    let (uid, mut gid, name, home) = match (&entry, u.parse::<u32>()) {
        (Some(f), _) => {
            let uid = f[2]
                .parse()
                .map_err(|_| anyhow::anyhow!("bad uid for `{u}` in /etc/passwd"))?;
            let gid = f[3]
                .parse()
                .map_err(|_| anyhow::anyhow!("bad gid for `{u}` in /etc/passwd"))?;
            (uid, gid, Some(f[0]), f.get(5).map(|h| h.to_string()))
        }
        (None, Ok(n)) => (n, 0, None, None),
        (None, Err(_)) => bail!("unable to find user `{u}`: no matching entries in passwd file"),
    };
    if let Some(g) = g {
        gid = group_id(g, group)?;
    }
    let mut groups: Vec<u32> = Vec::new();
    if let Some(name) = name {
        for l in group.lines() {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() >= 4
                && f[3].split(',').any(|m| m == name)
                && let Ok(id) = f[2].parse::<u32>()
            {
                groups.push(id);
            }
        }
    }
    for g in group_add {
        groups.push(group_id(g, group)?);
    }
    groups.sort_unstable();
    groups.dedup();
    Ok(User {
        uid,
        gid,
        groups,
        home,
    })
}

fn group_id(g: &str, group: &str) -> Result<u32> {
    if let Ok(n) = g.parse() {
        return Ok(n);
    }
    group
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() >= 3 && f[0] == g)
        .and_then(|f| f[2].parse().ok())
        .ok_or_else(|| {
            anyhow::anyhow!("unable to find group `{g}`: no matching entries in group file")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nbob:x:1000:1000::/home/bob:/bin/sh\n";
    const GROUP: &str = "root:x:0:\nnogroup:x:65534:\nstaff:x:50:bob\nbob:x:1000:\n";

    #[test]
    fn names_and_numbers_resolve() {
        let u = resolve("nobody", &[], Some(PASSWD), Some(GROUP)).unwrap();
        assert_eq!((u.uid, u.gid), (65534, 65534));
        let u = resolve("bob", &[], Some(PASSWD), Some(GROUP)).unwrap();
        assert_eq!((u.uid, u.gid, u.groups.clone()), (1000, 1000, vec![50]));
        assert_eq!(u.home.as_deref(), Some("/home/bob"));
        let u = resolve("1000:1000", &[], None, None).unwrap();
        assert_eq!((u.uid, u.gid), (1000, 1000));
        let u = resolve("4242", &["staff".into()], Some(PASSWD), Some(GROUP)).unwrap();
        assert_eq!((u.uid, u.gid, u.groups), (4242, 0, vec![50]));
    }

    #[test]
    fn unknown_names_are_errors() {
        let e = resolve("alice", &[], Some(PASSWD), Some(GROUP)).unwrap_err();
        assert!(e.to_string().contains("unable to find user `alice`"), "{e}");
        assert!(resolve("bob:nogrp", &[], Some(PASSWD), Some(GROUP)).is_err());
    }
}
