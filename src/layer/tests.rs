//! Layer apply tests. Hostile tars are forged byte by byte (tar-rs's
//! `set_path` refuses `..`), as tar-rs's own `extracting_malicious_tarball`.
//! Every test extracts into `tmp/dest` next to an `tmp/outside` that must
//! stay empty.

use std::ffi::CStr;
use std::fs;
use std::io::{BufReader, Cursor, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tar::{EntryType, Header};

use super::*;
use crate::sys::fs as sysfs;

const MTIME: u64 = 1_600_000_000;

struct Fixture {
    _tmp: tempfile::TempDir,
    dest: PathBuf,
    outside: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("dest");
        let outside = tmp.path().join("outside");
        fs::create_dir(&dest).unwrap();
        fs::create_dir(&outside).unwrap();
        Fixture {
            _tmp: tmp,
            dest,
            outside,
        }
    }

    fn apply(&self, tar: &[u8]) -> anyhow::Result<ApplyReport> {
        self.apply_with(tar, ownership())
    }

    fn apply_with(&self, tar: &[u8], ownership: Ownership) -> anyhow::Result<ApplyReport> {
        let r = apply(Cursor::new(tar), &self.dest, &ApplyOptions { ownership });
        self.assert_outside_empty();
        r
    }

    fn assert_outside_empty(&self) {
        let left: Vec<_> = fs::read_dir(&self.outside)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert!(left.is_empty(), "written outside dest: {left:?}");
    }

    /// Apply, expect an error whose chain contains `want`.
    fn reject(&self, tar: &[u8], want: &str) -> String {
        let err = format!(
            "{:#}",
            self.apply(tar).expect_err("hostile tar was accepted")
        );
        assert!(
            err.contains(want),
            "error `{err}` does not contain `{want}`"
        );
        err
    }

    fn p(&self, rel: &str) -> PathBuf {
        self.dest.join(rel)
    }
}

/// Preserve when we can chown (root), else what an unprivileged user gets:
/// the tests also run as a plain user (see preserve_mode_chowns for root-only).
fn ownership() -> Ownership {
    if nix::unistd::geteuid().is_root() {
        Ownership::Preserve
    } else {
        Ownership::Xattr
    }
}

/// A tar stream written header by header, names copied in raw.
#[derive(Default)]
struct Tar(Vec<u8>);

fn header(name: &[u8], etype: EntryType, size: u64) -> Header {
    let mut h = Header::new_gnu();
    h.set_entry_type(etype);
    h.set_size(size);
    h.set_mode(if etype.is_dir() { 0o755 } else { 0o644 });
    h.set_mtime(MTIME);
    h.set_uid(0);
    h.set_gid(0);
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h
}

impl Tar {
    fn raw(&mut self, mut h: Header, data: &[u8]) -> &mut Self {
        h.set_cksum();
        self.0.extend_from_slice(h.as_bytes());
        self.0.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.0.extend(std::iter::repeat_n(0, pad));
        self
    }
    fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.raw(
            header(name.as_bytes(), EntryType::Regular, data.len() as u64),
            data,
        )
    }
    fn dir(&mut self, name: &str) -> &mut Self {
        self.raw(header(name.as_bytes(), EntryType::Directory, 0), b"")
    }
    fn link(&mut self, etype: EntryType, name: &str, target: &str) -> &mut Self {
        let mut h = header(name.as_bytes(), etype, 0);
        h.as_old_mut().linkname[..target.len()].copy_from_slice(target.as_bytes());
        self.raw(h, b"")
    }
    fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.link(EntryType::Symlink, name, target)
    }
    fn hardlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.link(EntryType::Link, name, target)
    }
    /// A PAX extended header applying to the next entry.
    fn pax(&mut self, records: &[(&str, &[u8])]) -> &mut Self {
        let mut data = Vec::new();
        for (k, v) in records {
            // "LEN key=value\n", LEN counting itself.
            let body = k.len() + v.len() + 3;
            let mut len = body + body.to_string().len();
            if len.to_string().len() != body.to_string().len() {
                len += 1;
            }
            data.extend_from_slice(format!("{len} {k}=").as_bytes());
            data.extend_from_slice(v);
            data.push(b'\n');
        }
        self.raw(
            header(b"PaxHeaders/x", EntryType::XHeader, data.len() as u64),
            &data,
        )
    }
    /// A GNU long-name header applying to the next entry.
    fn gnu_long_name(&mut self, name: &str) -> &mut Self {
        let mut data = name.as_bytes().to_vec();
        data.push(0);
        self.raw(
            header(b"././@LongLink", EntryType::GNULongName, data.len() as u64),
            &data,
        )
    }
    fn finish(&mut self) -> Vec<u8> {
        let mut v = std::mem::take(&mut self.0);
        v.extend_from_slice(&[0; 1024]);
        v
    }
}

fn xattr(path: &Path, name: &CStr) -> Option<Vec<u8>> {
    let f = fs::File::open(path).unwrap();
    sysfs::fgetxattr(f.as_fd(), name).unwrap()
}

// ---- hostile layers -------------------------------------------------------

#[test]
fn rejects_dotdot_name() {
    let fx = Fixture::new();
    let err = fx.reject(
        &Tar::default().file("../x", b"evil").finish(),
        "path escapes the layer",
    );
    assert_eq!(err, "layer entry `../x`: path escapes the layer");
}

#[test]
fn rejects_absolute_name() {
    let fx = Fixture::new();
    let name = format!("{}/abs", fx.outside.display());
    fx.reject(
        &Tar::default().file(&name, b"evil").finish(),
        "path escapes the layer",
    );
}

#[test]
fn rejects_dotdot_in_the_middle() {
    let fx = Fixture::new();
    fx.reject(
        &Tar::default().dir("a/").file("a/../../x", b"evil").finish(),
        "path escapes the layer",
    );
}

#[test]
fn rejects_write_through_absolute_symlink() {
    let fx = Fixture::new();
    let tar = Tar::default()
        .symlink("evil", fx.outside.to_str().unwrap())
        .file("evil/file", b"evil")
        .finish();
    let err = fx.reject(&tar, "through a symlink");
    assert_eq!(
        err,
        "layer entry `evil/file`: path escapes the layer through a symlink"
    );
}

#[test]
fn rejects_write_through_relative_symlink() {
    let fx = Fixture::new();
    let tar = Tar::default()
        .symlink("evil", "../outside")
        .file("evil/file", b"evil")
        .finish();
    fx.reject(&tar, "through a symlink");
}

#[test]
fn rejects_directory_through_symlink() {
    let fx = Fixture::new();
    let tar = Tar::default()
        .symlink("evil", "../outside")
        .dir("evil/sub/")
        .file("evil/sub/file", b"evil")
        .finish();
    fx.reject(
        &tar,
        "layer entry `evil/sub/`: path escapes the layer through a symlink",
    );
}

#[test]
fn rejects_deep_symlink_chain_escape() {
    let fx = Fixture::new();
    let tar = Tar::default()
        .dir("a/b/")
        .symlink("a/b/up", "../../..")
        .file("a/b/up/outside/file", b"evil")
        .finish();
    fx.reject(&tar, "through a symlink");
}

#[test]
fn file_over_symlink_replaces_the_symlink() {
    let fx = Fixture::new();
    let tar = Tar::default()
        .symlink("evil", "../outside/f")
        .file("evil", b"inside")
        .finish();
    fx.apply(&tar).unwrap();
    let meta = fs::symlink_metadata(fx.p("evil")).unwrap();
    assert!(meta.is_file());
    assert_eq!(fs::read(fx.p("evil")).unwrap(), b"inside");
}

#[test]
fn rejects_hardlink_to_parent() {
    let fx = Fixture::new();
    let victim = fx.dest.parent().unwrap().join("victim");
    fs::create_dir(&victim).unwrap();
    fs::write(victim.join("f"), b"secret").unwrap();
    fx.reject(
        &Tar::default().hardlink("l", "../victim/f").finish(),
        "hardlink target `../victim/f`: path escapes the layer",
    );
    assert!(!fx.p("l").exists());
    assert_eq!(fs::metadata(victim.join("f")).unwrap().nlink(), 1);
}

#[test]
fn rejects_hardlink_to_absolute_path() {
    let fx = Fixture::new();
    let before = fs::metadata("/etc/passwd").unwrap().nlink();
    fx.reject(
        &Tar::default().hardlink("l", "/etc/passwd").finish(),
        "path escapes the layer",
    );
    assert!(!fx.p("l").exists());
    assert_eq!(fs::metadata("/etc/passwd").unwrap().nlink(), before);
}

#[test]
fn rejects_hardlink_through_symlink() {
    let fx = Fixture::new();
    fs::write(fx.outside.parent().unwrap().join("victim"), b"secret").unwrap();
    let tar = Tar::default()
        .symlink("evil", "..")
        .hardlink("l", "evil/victim")
        .finish();
    fx.reject(&tar, "through a symlink");
    assert!(!fx.p("l").exists());
}

#[test]
fn hardlink_to_symlink_links_the_symlink_itself() {
    let fx = Fixture::new();
    let tar = Tar::default()
        .symlink("s", "../outside/f")
        .hardlink("l", "s")
        .finish();
    fx.apply(&tar).unwrap();
    let m = fs::symlink_metadata(fx.p("l")).unwrap();
    assert!(m.file_type().is_symlink());
    assert_eq!(m.nlink(), 2);
}

#[test]
fn rejects_pax_path_with_dotdot() {
    let fx = Fixture::new();
    let tar = Tar::default()
        .pax(&[("path", b"../../x")])
        .file("innocent", b"evil")
        .finish();
    fx.reject(&tar, "layer entry `../../x`: path escapes the layer");
}

#[test]
fn rejects_pax_linkpath_with_dotdot() {
    let fx = Fixture::new();
    let tar = Tar::default()
        .pax(&[("linkpath", b"../outside/../../etc/passwd")])
        .hardlink("l", "innocent")
        .finish();
    fx.reject(&tar, "path escapes the layer");
}

#[test]
fn rejects_gnu_long_name_with_dotdot() {
    let fx = Fixture::new();
    let long = format!("{}{}x", "a/".repeat(60), "../".repeat(61));
    let tar = Tar::default()
        .gnu_long_name(&long)
        .file("innocent", b"evil")
        .finish();
    fx.reject(&tar, "path escapes the layer");
}

#[test]
fn rejects_whiteout_of_dotdot() {
    let fx = Fixture::new();
    fx.reject(
        &Tar::default().file(".wh...", b"").finish(),
        "path escapes the layer",
    );
    fx.reject(
        &Tar::default().dir("d/").file("d/.wh...", b"").finish(),
        "path escapes the layer",
    );
    fx.reject(
        &Tar::default().file("d/.wh.", b"").finish(),
        "invalid whiteout",
    );
}

#[test]
fn rejects_truncated_tar() {
    let fx = Fixture::new();
    let full = Tar::default().file("big", &[7u8; 2000]).finish();
    // In the middle of the data.
    let err = fx.reject(&full[..512 + 1000], "reading layer tar");
    assert!(err.starts_with("layer entry `big`"), "{err}");
    // In the middle of a header.
    let full = Tar::default().file("a", b"x").file("b", b"y").finish();
    fx.reject(&full[..1024 + 100], "reading layer tar");
}

#[test]
fn rejects_garbage() {
    let fx = Fixture::new();
    let junk = b"this is not a tar archive, not even close. ".repeat(40);
    fx.reject(&junk, "reading layer tar");
    assert_eq!(fs::read_dir(&fx.dest).unwrap().count(), 0);
}

#[test]
fn rejects_nul_in_pax_name() {
    let fx = Fixture::new();
    let tar = Tar::default()
        .pax(&[("path", b"a\0b")])
        .file("innocent", b"x")
        .finish();
    fx.reject(&tar, "NUL");
}

// ---- what a layer may do --------------------------------------------------

#[test]
fn regular_files_dirs_and_metadata() {
    let fx = Fixture::new();
    let mut h = header(b"./usr/bin/tool", EntryType::Regular, 5);
    h.set_mode(0o4755);
    let report = fx
        .apply(
            &Tar::default()
                .dir("./")
                .dir("./usr/")
                .raw(h, b"hello")
                .finish(),
        )
        .unwrap();
    assert_eq!(report.entries, 3);
    assert_eq!(report.bytes, 5);
    let m = fs::metadata(fx.p("usr/bin/tool")).unwrap();
    assert_eq!(m.mode() & 0o7777, 0o4755, "chown must come before chmod");
    assert_eq!(m.mtime(), MTIME as i64);
    assert_eq!(fs::read(fx.p("usr/bin/tool")).unwrap(), b"hello");
    // Implicit parent: 0755 whatever the umask.
    assert_eq!(
        fs::metadata(fx.p("usr/bin")).unwrap().mode() & 0o7777,
        0o755
    );
    assert_eq!(fs::metadata(fx.p("usr")).unwrap().mtime(), MTIME as i64);
}

#[test]
fn whiteout_becomes_char_device_0_0() {
    let fx = Fixture::new();
    let tar = Tar::default()
        .file(".wh.gone", b"")
        .dir("d/")
        .file("d/.wh.also", b"")
        .finish();
    fx.apply(&tar).unwrap();
    for p in ["gone", "d/also"] {
        let m = fs::symlink_metadata(fx.p(p)).unwrap();
        assert!(m.file_type().is_char_device(), "{p}");
        assert_eq!(m.rdev(), 0, "{p}");
    }
    assert!(!fx.p(".wh.gone").exists());
}

#[test]
fn opaque_marker_becomes_xattr() {
    let fx = Fixture::new();
    let tar = Tar::default()
        .dir("d/")
        .file("d/.wh..wh..opq", b"")
        .file("d/kept", b"k")
        .finish();
    fx.apply(&tar).unwrap();
    assert_eq!(
        xattr(&fx.p("d"), c"user.overlay.opaque").as_deref(),
        Some(&b"y"[..])
    );
    assert!(!fx.p("d/.wh..wh..opq").exists());
    assert!(fx.p("d/kept").exists());
}

#[test]
fn hardlink_shares_the_inode() {
    let fx = Fixture::new();
    let tar = Tar::default()
        .file("a", b"data")
        .hardlink("dir/b", "./a")
        .finish();
    fx.apply(&tar).unwrap();
    let (a, b) = (
        fs::metadata(fx.p("a")).unwrap(),
        fs::metadata(fx.p("dir/b")).unwrap(),
    );
    assert_eq!(a.ino(), b.ino());
    assert_eq!(a.nlink(), 2);
}

#[test]
fn hardlink_to_missing_target_fails() {
    let fx = Fixture::new();
    fx.reject(
        &Tar::default().hardlink("b", "nope").finish(),
        "creating hardlink",
    );
}

#[test]
fn symlinks_are_kept_verbatim() {
    let fx = Fixture::new();
    let tar = Tar::default()
        .symlink("abs", "/etc/passwd")
        .symlink("rel", "../../../x")
        .finish();
    fx.apply(&tar).unwrap();
    assert_eq!(
        fs::read_link(fx.p("abs")).unwrap(),
        Path::new("/etc/passwd")
    );
    assert_eq!(fs::read_link(fx.p("rel")).unwrap(), Path::new("../../../x"));
    assert_eq!(
        fs::symlink_metadata(fx.p("abs")).unwrap().mtime(),
        MTIME as i64
    );
}

#[test]
fn symlinks_inside_the_layer_are_followed_for_parents() {
    let fx = Fixture::new();
    let tar = Tar::default()
        .dir("usr/lib/")
        .symlink("lib", "usr/lib")
        .file("lib/libc.so", b"elf")
        .finish();
    fx.apply(&tar).unwrap();
    assert_eq!(fs::read(fx.p("usr/lib/libc.so")).unwrap(), b"elf");
}

#[test]
fn later_entries_replace_earlier_ones() {
    let fx = Fixture::new();
    let tar = Tar::default()
        .file("f", b"one")
        .file("f", b"two")
        .dir("d/")
        .file("d/x", b"x")
        .file("d", b"now a file")
        .file("g", b"file")
        .dir("g/")
        .dir("m/")
        .file("m/a", b"a")
        .dir("m/")
        .finish();
    fx.apply(&tar).unwrap();
    assert_eq!(fs::read(fx.p("f")).unwrap(), b"two");
    assert_eq!(fs::read(fx.p("d")).unwrap(), b"now a file");
    assert!(fs::symlink_metadata(fx.p("g")).unwrap().is_dir());
    assert!(fx.p("m/a").exists(), "a directory over a directory merges");
}

#[test]
fn read_only_directory_gets_its_children() {
    let fx = Fixture::new();
    let mut h = header(b"ro/", EntryType::Directory, 0);
    h.set_mode(0o555);
    let mut f = header(b"ro/f", EntryType::Regular, 1);
    f.set_mode(0o444);
    let tar = Tar::default()
        .raw(h, b"")
        .raw(f, b"x")
        .dir("ro/sub/")
        .finish();
    fx.apply(&tar).unwrap();
    let m = fs::metadata(fx.p("ro")).unwrap();
    assert_eq!(m.mode() & 0o7777, 0o555);
    assert_eq!(m.mtime(), MTIME as i64);
    assert!(fx.p("ro/f").exists() && fx.p("ro/sub").is_dir());
    remove_tree(&fx.dest).unwrap();
    assert!(!fx.dest.exists());
}

#[test]
fn xattr_mode_records_ids_and_mode() {
    let fx = Fixture::new();
    let mut f = header(b"d/f", EntryType::Regular, 1);
    f.set_uid(1234);
    f.set_gid(5678);
    f.set_mode(0o2444);
    let mut d = header(b"d/", EntryType::Directory, 0);
    d.set_uid(42);
    d.set_gid(43);
    d.set_mode(0o555);
    let tar = Tar::default()
        .raw(d, b"")
        .raw(f, b"x")
        .symlink("d/s", "f")
        .finish();
    fx.apply_with(&tar, Ownership::Xattr).unwrap();
    let me = nix::unistd::geteuid().as_raw();
    let m = fs::metadata(fx.p("d/f")).unwrap();
    assert_eq!(m.uid(), me);
    assert_eq!(xattr(&fx.p("d/f"), c"user.berth.uid").unwrap(), b"1234");
    assert_eq!(xattr(&fx.p("d/f"), c"user.berth.gid").unwrap(), b"5678");
    assert_eq!(
        xattr(&fx.p("d/f"), c"user.berth.mode").unwrap(),
        (0o2444u32).to_string().as_bytes()
    );
    assert_eq!(xattr(&fx.p("d"), c"user.berth.uid").unwrap(), b"42");
    assert_eq!(xattr(&fx.p("d"), c"user.berth.mode").unwrap(), b"365");
    assert_eq!(fs::metadata(fx.p("d")).unwrap().mode() & 0o7777, 0o555);
    assert!(fs::symlink_metadata(fx.p("d/s")).unwrap().is_symlink());
}

/// Whether `id` is mapped in this process's user namespace (`/proc/self/{uid,gid}_map`).
fn mapped(map: &str, id: u32) -> bool {
    let map = fs::read_to_string(format!("/proc/self/{map}")).unwrap();
    map.lines().any(|l| {
        let f: Vec<u64> = l.split_whitespace().map(|x| x.parse().unwrap()).collect();
        f[0] <= u64::from(id) && u64::from(id) < f[0] + f[2]
    })
}

#[test]
fn preserve_mode_chowns_or_squashes_unmapped_ids() {
    if !nix::unistd::geteuid().is_root() {
        crate::skip::skip("needs (namespace) root to chown");
        return;
    }
    // Real root: ids kept. Root of a user namespace that does not map them
    // (`unshare -r`): squashed to 0 with a warning, never an error.
    let want = |id: u32, map: &str| if mapped(map, id) { id } else { 0 };
    let fx = Fixture::new();
    let mut f = header(b"f", EntryType::Regular, 1);
    f.set_uid(1234);
    f.set_gid(5678);
    let mut d = header(b"d/", EntryType::Directory, 0);
    d.set_uid(42);
    d.set_gid(43);
    let mut s = header(b"s", EntryType::Symlink, 0);
    s.as_old_mut().linkname[..1].copy_from_slice(b"f");
    s.set_uid(7);
    s.set_gid(8);
    fx.apply_with(
        &Tar::default().raw(f, b"x").raw(d, b"").raw(s, b"").finish(),
        Ownership::Preserve,
    )
    .unwrap();
    let f = fs::metadata(fx.p("f")).unwrap();
    assert_eq!(
        (f.uid(), f.gid()),
        (want(1234, "uid_map"), want(5678, "gid_map"))
    );
    let d = fs::metadata(fx.p("d")).unwrap();
    assert_eq!(
        (d.uid(), d.gid()),
        (want(42, "uid_map"), want(43, "gid_map"))
    );
    let s = fs::symlink_metadata(fx.p("s")).unwrap();
    assert_eq!((s.uid(), s.gid()), (want(7, "uid_map"), want(8, "gid_map")));
    assert!(xattr(&fx.p("f"), c"user.berth.uid").is_none());
}

#[test]
fn pax_xattrs_user_kept_overlay_and_trusted_dropped() {
    let fx = Fixture::new();
    let tar = Tar::default()
        .pax(&[
            ("SCHILY.xattr.user.note", b"hi"),
            ("SCHILY.xattr.user.overlay.opaque", b"y"),
            ("SCHILY.xattr.user.berth.uid", b"4242"),
            ("SCHILY.xattr.trusted.overlay.opaque", b"y"),
        ])
        .dir("d/")
        .finish();
    fx.apply(&tar).unwrap();
    assert_eq!(xattr(&fx.p("d"), c"user.note").unwrap(), b"hi");
    assert!(xattr(&fx.p("d"), c"user.overlay.opaque").is_none());
    // Absent (Preserve) or ours (Xattr, from the header's uid 0); never forged.
    assert_ne!(
        xattr(&fx.p("d"), c"user.berth.uid").as_deref(),
        Some(&b"4242"[..])
    );
    assert!(xattr(&fx.p("d"), c"trusted.overlay.opaque").is_none());
}

#[test]
fn long_names_via_gnu_and_pax() {
    let fx = Fixture::new();
    let long_dir = format!("{}/", "d".repeat(150));
    let long_file = format!("{long_dir}{}", "f".repeat(120));
    let long_target = "t".repeat(230);
    let mut b = tar::Builder::new(Vec::new());
    let mut h = Header::new_gnu();
    h.set_entry_type(EntryType::Regular);
    h.set_size(3);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(MTIME);
    b.append_data(&mut h, &long_file, &b"abc"[..]).unwrap();
    let mut h = Header::new_gnu();
    h.set_entry_type(EntryType::Symlink);
    h.set_size(0);
    h.set_mode(0o777);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(MTIME);
    b.append_link(&mut h, "sym", &long_target).unwrap();
    let mut tar = b.into_inner().unwrap();
    // And a PAX one, written by hand.
    let pax_name = format!("{}/p", "p".repeat(220));
    tar.truncate(tar.len() - 1024);
    let mut t = Tar(tar);
    t.pax(&[("path", pax_name.as_bytes())])
        .file("short", b"pax");
    fx.apply(&t.finish()).unwrap();
    assert_eq!(fs::read(fx.p(&long_file)).unwrap(), b"abc");
    assert_eq!(fs::read_link(fx.p("sym")).unwrap(), Path::new(&long_target));
    assert_eq!(fs::read(fx.p(&pax_name)).unwrap(), b"pax");
    assert!(!fx.p("short").exists());
}

#[test]
fn fifo_and_devices() {
    let fx = Fixture::new();
    let mut c = header(b"null", EntryType::Char, 0);
    c.set_device_major(1).unwrap();
    c.set_device_minor(3).unwrap();
    let tar = Tar::default()
        .raw(header(b"fifo", EntryType::Fifo, 0), b"")
        .raw(c, b"")
        .finish();
    let report = fx.apply(&tar).unwrap();
    assert!(
        fs::symlink_metadata(fx.p("fifo"))
            .unwrap()
            .file_type()
            .is_fifo()
    );
    if report.skipped_devices == 0 {
        let m = fs::symlink_metadata(fx.p("null")).unwrap();
        assert!(m.file_type().is_char_device());
        assert_eq!(m.rdev(), nix::sys::stat::makedev(1, 3));
    } else {
        // Unprivileged: skipped with one warning, not an error.
        assert!(!fx.p("null").exists());
    }
}

#[test]
fn stops_at_end_of_archive_marker() {
    let fx = Fixture::new();
    let mut tar = Tar::default().file("a", b"x").finish();
    tar.extend_from_slice(b"trailing bytes the caller drains");
    let report = fx.apply(&tar).unwrap();
    assert_eq!(report.entries, 1);
}

// ---- compression ----------------------------------------------------------

#[test]
fn gzip_and_zstd_via_decompress() {
    let tar = Tar::default().file("hello", b"world").finish();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    let gz = gz.finish().unwrap();
    let zst = zstd::encode_all(&tar[..], 1).unwrap();
    for (blob, kind) in [
        (&gz, Compression::Gzip),
        (&zst, Compression::Zstd),
        (&tar, Compression::None),
    ] {
        let mut r = BufReader::new(&blob[..]);
        assert_eq!(detect(&mut r).unwrap(), kind);
        let fx = Fixture::new();
        let stream = decompress(r).unwrap();
        apply(
            stream,
            &fx.dest,
            &ApplyOptions {
                ownership: ownership(),
            },
        )
        .unwrap();
        assert_eq!(fs::read(fx.p("hello")).unwrap(), b"world", "{kind:?}");
    }
}

#[test]
fn decompress_handles_one_byte_reads() {
    // A reader handing out one byte at a time must still be recognised.
    struct Trickle<'a>(&'a [u8]);
    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }
    let tar = Tar::default().file("hello", b"world").finish();
    let zst = zstd::encode_all(&tar[..], 1).unwrap();
    let mut out = Vec::new();
    let r = BufReader::with_capacity(1, Trickle(&zst));
    std::io::copy(&mut decompress(r).unwrap(), &mut out).unwrap();
    assert_eq!(out, tar);
}

// ---- trees ----------------------------------------------------------------

#[test]
fn remove_tree_handles_unwritable_and_unreadable_dirs() {
    let tmp = tempfile::tempdir().unwrap();
    let top = tmp.path().join("t");
    fs::create_dir_all(top.join("a/b")).unwrap();
    fs::write(top.join("a/b/f"), b"x").unwrap();
    fs::create_dir(top.join("c")).unwrap();
    fs::write(top.join("c/g"), b"x").unwrap();
    std::os::unix::fs::symlink("/etc", top.join("etc-link")).unwrap();
    fs::set_permissions(top.join("a/b"), fs::Permissions::from_mode(0o500)).unwrap();
    fs::set_permissions(top.join("c"), fs::Permissions::from_mode(0o000)).unwrap();
    fs::set_permissions(&top, fs::Permissions::from_mode(0o555)).unwrap();
    remove_tree(&top).unwrap();
    assert!(!top.exists());
    assert!(Path::new("/etc/passwd").exists());
    // Missing is fine (retry after a crash).
    remove_tree(&top).unwrap();
}

#[test]
fn disk_usage_counts_blocks_and_hardlinks_once() {
    let fx = Fixture::new();
    let tar = Tar::default()
        .file("big", &[1u8; 100_000])
        .hardlink("big2", "big")
        .symlink("s", "big")
        .finish();
    fx.apply(&tar).unwrap();
    let used = disk_usage(&fx.dest).unwrap();
    let big = fs::metadata(fx.p("big")).unwrap().blocks() * 512;
    assert!(big >= 100_000);
    assert!(used >= big && used < 2 * big, "used {used}, big {big}");
}

#[test]
fn rejects_an_xattr_value_the_kernel_would_not_take() {
    let fx = Fixture::new();
    let big = vec![b'A'; 64 * 1024 + 1];
    let tar = Tar::default()
        .pax(&[("SCHILY.xattr.user.big", &big)])
        .dir("d")
        .finish();
    fx.reject(&tar, "xattr `user.big` is larger than 64 KiB");
}
