//! Arbitrary tar headers through [`apply`] into a temp dir: names and link
//! targets made of `..`, `/`, `.`, whiteouts and long or multibyte parts,
//! every entry type, odd sizes, modes and ids, PAX records that rename.
//! Whatever the layers say: no panic, and nothing beside the target dir
//! changes (a file and a dir beside it are the bait), even when a second
//! layer writes through the links the first one left.

use super::{ApplyOptions, Ownership, apply};
use proptest::prelude::*;
use std::fs;
use std::io::Cursor;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use tar::{EntryType, Header};

/// One header's worth: type, name, link target, size, mode, ids, data,
/// and PAX records to put before it.
#[derive(Debug, Clone)]
struct Entry {
    kind: u8,
    name: Vec<u8>,
    link: Vec<u8>,
    size: u64,
    mode: u32,
    uid: u64,
    pax: Vec<(String, Vec<u8>)>,
}

fn path() -> impl Strategy<Value = Vec<u8>> {
    let part = prop_oneof![
        Just(b"..".to_vec()),
        Just(b".".to_vec()),
        Just(b"".to_vec()),
        Just(b"a".to_vec()),
        Just(b"b".to_vec()),
        Just(b"outside".to_vec()),
        Just(b"bait".to_vec()),
        Just(b".wh.a".to_vec()),
        Just(b".wh..wh..opq".to_vec()),
        Just("é".as_bytes().to_vec()),
        Just(vec![b'x'; 120]),
        proptest::collection::vec(any::<u8>(), 1..4),
    ];
    (
        any::<bool>(),
        proptest::collection::vec(part, 1..5),
        any::<bool>(),
    )
        .prop_map(|(abs, parts, slash)| {
            let mut p = if abs { b"/".to_vec() } else { Vec::new() };
            p.extend(parts.join(&b'/'));
            if slash {
                p.push(b'/');
            }
            p
        })
}

fn entry() -> impl Strategy<Value = Entry> {
    let kind = prop_oneof![
        Just(b'0'),
        Just(b'\0'),
        Just(b'1'),
        Just(b'2'),
        Just(b'3'),
        Just(b'4'),
        Just(b'5'),
        Just(b'6'),
        Just(b'7'),
        Just(b'S'),
        Just(b'V'),
        any::<u8>(),
    ];
    let size = prop_oneof![
        Just(0u64),
        Just(1),
        Just(511),
        Just(512),
        Just(513),
        0..2048u64
    ];
    let pax_key = prop_oneof![
        Just("path".to_string()),
        Just("linkpath".to_string()),
        Just("size".to_string()),
        Just("uid".to_string()),
        Just("mtime".to_string()),
        Just("SCHILY.xattr.user.x".to_string()),
        Just("SCHILY.xattr.trusted.x".to_string()),
        Just("GNU.sparse.size".to_string()),
    ];
    (
        kind,
        path(),
        path(),
        size,
        any::<u32>(),
        prop_oneof![
            Just(0u64),
            Just(1000),
            Just(65_534),
            any::<u32>().prop_map(u64::from)
        ],
        proptest::collection::vec(
            (
                pax_key,
                prop_oneof![path(), "[0-9-]{0,21}".prop_map(String::into_bytes)],
            ),
            0..2,
        ),
    )
        .prop_map(|(kind, name, link, size, mode, uid, pax)| Entry {
            kind,
            name,
            link,
            size,
            mode,
            uid,
            pax,
        })
}

fn raw(out: &mut Vec<u8>, kind: u8, name: &[u8], link: &[u8], size: u64, data_len: u64, e: &Entry) {
    let mut h = Header::new_gnu();
    h.set_entry_type(EntryType::new(kind));
    h.set_size(size);
    h.set_mode(e.mode);
    h.set_uid(e.uid);
    h.set_gid(e.uid);
    h.set_mtime(1_600_000_000);
    let old = h.as_old_mut();
    let n = name.len().min(old.name.len());
    old.name[..n].copy_from_slice(&name[..n]);
    let n = link.len().min(old.linkname.len());
    old.linkname[..n].copy_from_slice(&link[..n]);
    h.set_cksum();
    out.extend_from_slice(h.as_bytes());
    let padded = data_len.div_ceil(512) * 512;
    out.extend(std::iter::repeat_n(b'd', data_len as usize));
    out.extend(std::iter::repeat_n(0, (padded - data_len) as usize));
}

fn tar_of(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        if !e.pax.is_empty() {
            let mut records = Vec::new();
            for (k, v) in &e.pax {
                // "LEN key=value\n", LEN counting itself.
                let body = [format!(" {k}=").as_bytes(), v, b"\n"].concat();
                let mut len = body.len() + 1;
                while len.to_string().len() + body.len() != len {
                    len = len.to_string().len() + body.len();
                }
                records.extend(len.to_string().as_bytes());
                records.extend(body);
            }
            let n = records.len() as u64;
            raw(&mut out, b'x', b"pax", b"", n, 0, e);
            let at = out.len();
            out.extend(&records);
            out.extend(std::iter::repeat_n(0, (n.div_ceil(512) * 512 - n) as usize));
            debug_assert!(out.len() >= at);
        }
        // Data only where tar carries it; a lying size desynchronises the
        // stream, which is input too.
        let data = if matches!(e.kind, b'0' | b'\0' | b'7') {
            e.size
        } else {
            0
        };
        raw(&mut out, e.kind, &e.name, &e.link, e.size, data, e);
    }
    out.extend([0u8; 1024]);
    out
}

/// Names, types, sizes and modes of everything under `dir`, `skip` left out.
fn snapshot(dir: &Path, skip: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p == skip {
            continue;
        }
        let m = fs::symlink_metadata(&p).unwrap();
        out.push(format!(
            "{} {:o} {} {}",
            p.display(),
            m.mode(),
            m.len(),
            m.nlink()
        ));
        if m.is_dir() {
            snapshot(&p, skip, out);
        }
    }
}

fn ownership() -> Ownership {
    if nix::unistd::geteuid().is_root() {
        Ownership::Preserve
    } else {
        Ownership::Xattr
    }
}

proptest! {
    #![proptest_config(crate::proptest_config(256))]

    #[test]
    fn arbitrary_layers_write_only_inside(
        first in proptest::collection::vec(entry(), 0..6),
        second in proptest::collection::vec(entry(), 0..6),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("dest");
        fs::create_dir(&dest).unwrap();
        fs::create_dir(tmp.path().join("outside")).unwrap();
        fs::write(tmp.path().join("outside/bait"), b"bait").unwrap();
        fs::write(tmp.path().join("bait"), b"bait").unwrap();
        let mut before = Vec::new();
        snapshot(tmp.path(), &dest, &mut before);
        let opts = ApplyOptions { ownership: ownership() };
        for layer in [&first, &second] {
            let _ = apply(Cursor::new(tar_of(layer)), &dest, &opts);
            let mut after = Vec::new();
            snapshot(tmp.path(), &dest, &mut after);
            prop_assert_eq!(&before, &after, "written beside the target");
            prop_assert_eq!(fs::read(tmp.path().join("outside/bait")).unwrap(), b"bait");
        }
        // Whatever was made inside can be removed by its owner.
        crate::layer::remove_tree(&dest).ok();
    }
}
