//! Tar headers that are small compressed and huge once read: a GNU long
//! name (`L`) or a PAX header (`x`) claiming a gigabyte of zeros, which
//! tar-rs reads whole into memory before berth sees the entry it describes.
//! berth must stay within a memory bound the test sets, refuse with one line
//! and exit 125, and leave the store as it was; real PAX headers still work.

use std::path::{Path, PathBuf};

use crate::util::forge::{self, RawTar};
use crate::util::{self, Cmd, TestEnv, assert_fails_125, assert_ok};

/// The address space berth gets here (`ulimit -v`): its working set fits
/// in it several times; a 1 GiB header read into memory does not.
const MEM_LIMIT_KIB: u64 = 512 * 1024;

/// What the bomb's extension header claims, and holds: 1 GiB of zeros.
const BOMB: u64 = 1 << 30;

/// The zeros are compressed once in chunks of this size and the chunk
/// repeated (concatenated gzip members, zstd frames): ~1 MB per GiB.
const CHUNK: usize = 16 << 20;

const ERROR: &str = "tar header extension (GNU long name or PAX) larger than 1 MiB";

#[derive(Clone, Copy)]
enum Codec {
    Gzip,
    Zstd,
}

impl Codec {
    /// `None` (after a skip) when the zstd tool is missing.
    fn compress(self, data: &[u8]) -> Option<Vec<u8>> {
        match self {
            Codec::Gzip => Some(util::gzip(data)),
            Codec::Zstd => util::zstd(data),
        }
    }
}

/// A compressed tar: an extension entry of `kind` claiming and holding
/// [`BOMB`] zero bytes, then an ordinary file. Never held uncompressed.
fn bomb(kind: u8, codec: Codec) -> Option<Vec<u8>> {
    let head = RawTar::new().extension_header(kind, BOMB).unfinished();
    let tail = RawTar::new().file("hello", b"hi\n").finish();
    let chunk = codec.compress(&vec![0; CHUNK])?;
    let mut out = codec.compress(&head)?;
    for _ in 0..BOMB / CHUNK as u64 {
        out.extend_from_slice(&chunk);
    }
    out.extend(codec.compress(&tail)?);
    Some(out)
}

/// `berth --root <root> ARGS…` under `ulimit -v MEM_LIMIT_KIB`.
fn berth_limited(env: &TestEnv, args: &[&str]) -> Cmd {
    env.berth_under_ulimit(&format!("-v {MEM_LIMIT_KIB}"), args)
}

/// `berth import` of the bomb fails as it should, the store untouched.
fn import_refused(env: &TestEnv, kind: u8, codec: Codec, file: &str) {
    let Some(bomb) = bomb(kind, codec) else {
        return;
    };
    env.import_busybox();
    let before = env.snapshot();
    let path = env.write(file, &bomb);
    let out = berth_limited(env, &["import", path.to_str().unwrap(), "x/bomb:1"]).run();
    let line = assert_fails_125(&out, ERROR);
    assert!(line.contains(file), "the error names the file: {line}");
    eqnice!(before, env.snapshot(), "the store changed");
}

/// `berth load -i` of `archive` fails as it should, the store untouched.
fn load_refused(env: &TestEnv, archive: &[u8], context: &str) {
    env.import_busybox();
    let before = env.snapshot();
    let path = env.write("bomb-archive.tar", archive);
    let out = berth_limited(env, &["load", "-i", path.to_str().unwrap()]).run();
    let line = assert_fails_125(&out, ERROR);
    assert!(line.contains(context), "the error says `{context}`: {line}");
    eqnice!(before, env.snapshot(), "the store changed");
}

berthtest!(import_refuses_gzip_long_name_bomb, |env| {
    import_refused(&env, b'L', Codec::Gzip, "long-name.tar.gz");
});

berthtest!(import_refuses_zstd_long_name_bomb, |env| {
    import_refused(&env, b'L', Codec::Zstd, "long-name.tar.zst");
});

berthtest!(import_refuses_gzip_pax_bomb, |env| {
    import_refused(&env, b'x', Codec::Gzip, "pax.tar.gz");
});

berthtest!(import_refuses_zstd_pax_bomb, |env| {
    import_refused(&env, b'x', Codec::Zstd, "pax.tar.zst");
});

berthtest!(load_refuses_layer_that_is_a_long_name_bomb, |env| {
    let layer = bomb(b'L', Codec::Gzip).unwrap();
    let (archive, _) = forge::docker_archive(&layer, "x/bomb:1", false);
    load_refused(&env, &archive, "reading layer tar");
});

berthtest!(load_refuses_layer_that_is_a_pax_bomb, |env| {
    let Some(layer) = bomb(b'x', Codec::Zstd) else {
        return;
    };
    let (archive, _) = forge::docker_archive(&layer, "x/bomb:1", false);
    load_refused(&env, &archive, "reading layer tar");
});

berthtest!(load_refuses_archive_that_is_a_long_name_bomb, |env| {
    load_refused(
        &env,
        &bomb(b'L', Codec::Gzip).unwrap(),
        "reading the archive",
    );
});

berthtest!(load_refuses_archive_that_is_a_pax_bomb, |env| {
    let Some(archive) = bomb(b'x', Codec::Zstd) else {
        return;
    };
    load_refused(&env, &archive, "reading the archive");
});

berthtest!(import_keeps_long_pax_names_and_xattrs, |env| {
    // What real images carry: a name past ustar's 100 bytes, an xattr, and
    // a 64 KiB record nobody reads (far beyond real PAX headers, far below
    // the bound).
    let dir = "d".repeat(150);
    let long = format!("{dir}/{}", "f".repeat(120));
    let comment = vec![b'c'; 64 << 10];
    let layer = RawTar::new()
        .pax_records_file(
            &[
                ("path", long.as_bytes()),
                ("SCHILY.xattr.user.berth-test", b"kept"),
                ("comment", &comment),
            ],
            "short-name",
            b"hi\n",
        )
        .finish();
    let path = env.write("pax.tar.gz", util::gzip(&layer));
    let out = berth_limited(&env, &["import", path.to_str().unwrap(), "x/pax:1"]).run();
    assert_ok(&out);
    // The layer unpacked under its PAX name, not the header's.
    let found = find(&env.root.join("layers"), &long)
        .unwrap_or_else(|| panic!("`{long}` is not in the unpacked layer"));
    assert_eq!(std::fs::read(found).unwrap(), b"hi\n");
});

/// The path under `dir` that ends with `suffix`.
fn find(dir: &Path, suffix: &str) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        if p.to_string_lossy().ends_with(suffix) {
            return Some(p);
        }
        if e.file_type().is_ok_and(|t| t.is_dir())
            && let Some(found) = find(&p, suffix)
        {
            return Some(found);
        }
    }
    None
}

berthtest!(import_refuses_a_sparse_file_that_is_all_hole, |env| {
    // 1 TiB of made-up zeros from one 512-byte header: past the bound on a
    // layer's files, refused before anything is written. `ulimit -f` keeps
    // a berth without the bound from filling the disk (it then fails
    // otherwise, and this test with it).
    env.import_busybox();
    let before = env.snapshot();
    let tar = RawTar::new()
        .sparse_hole("hole", 1 << 40)
        .file("hello", b"hi\n")
        .finish();
    let path = env.write("hole.tar.gz", util::gzip(&tar));
    let out = env
        .berth_under_ulimit(
            "-f 1048576",
            &["import", path.to_str().unwrap(), "x/hole:1"],
        )
        .run();
    assert_fails_125(&out, "the layer's files would add up to more than 256 GiB");
    eqnice!(before, env.snapshot(), "the store changed");
});
