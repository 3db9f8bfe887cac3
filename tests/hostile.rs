//! Hostile input: forged layers that try to write outside the layer dir,
//! broken tars and archives, unknown references. Each must fail with exit 125
//! and one line naming the problem, write nothing outside, and leave the
//! store exactly as it was (issue 3, "Bad input").

use std::path::PathBuf;

use crate::util::forge::{self, LayerBlob, RawTar};
use crate::util::{self, TestEnv, assert_fails_125, assert_fails_125_any, busybox_tar, list_dir};

/// A store with busybox in it, a dir outside the root that hostile layers
/// aim at, and the state to compare with afterwards.
struct Scene {
    outside: PathBuf,
    snapshot: String,
    root_entries: Vec<String>,
}

fn scene(env: &TestEnv) -> Scene {
    env.import_busybox();
    let outside = env.path("outside");
    std::fs::create_dir_all(&outside).unwrap();
    Scene {
        outside,
        snapshot: env.snapshot(),
        root_entries: list_dir(&env.root),
    }
}

impl Scene {
    /// Nothing changed: the store, the root's top level, the outside dir.
    #[track_caller]
    fn assert_untouched(&self, env: &TestEnv) {
        eqnice!(self.snapshot, env.snapshot(), "the store is unchanged");
        assert_eq!(
            self.root_entries,
            list_dir(&env.root),
            "nothing new at the top of the root"
        );
        assert_eq!(
            list_dir(&self.outside),
            Vec::<String>::new(),
            "nothing written outside the layer"
        );
        for stray in ["x", "etc", "passwd", "pax-escape", "gnu-escape"] {
            assert!(!env.root.join(stray).exists(), "root/{stray} exists");
            assert!(
                !env.root.join("layers").join(stray).exists(),
                "layers/{stray} exists"
            );
            assert!(!env.dir().join(stray).exists(), "{stray} next to the root");
        }
        env.check_store();
    }

    /// The outside dir as a path from `/` made of `..`s, for relative links.
    fn outside_via_dotdots(&self) -> String {
        format!("{}{}", "../".repeat(40), self.outside.display())
    }
}

/// `berth import` of `bytes` (written as `name`) fails 125 with an error
/// containing `needle` and at least one of `any`, and changes nothing.
fn import_rejected(
    env: &TestEnv,
    scene: &Scene,
    name: &str,
    bytes: &[u8],
    needle: &str,
    any: &[&str],
) {
    let file = env.write(name, bytes);
    let out = env
        .berth(&["import", file.to_str().unwrap(), "localhost/evil"])
        .run();
    if any.is_empty() {
        assert_fails_125(&out, needle);
    } else {
        assert_fails_125_any(&out, needle, any);
    }
    scene.assert_untouched(env);
    // And stdin is no different from a file.
    let out = env
        .berth(&["import", "-", "localhost/evil"])
        .stdin(bytes.to_vec())
        .run();
    assert_eq!(
        out.code(),
        Some(125),
        "stdin import of {name}: {}",
        out.stderr()
    );
    scene.assert_untouched(env);
}

/// A layer that would be harmless without its last entries.
fn layer() -> RawTar {
    let mut t = RawTar::new();
    t.dir("etc/").file("etc/hostname", b"evil\n");
    t
}

berthtest!(layer_with_dotdot_path_is_rejected, |env| {
    let s = scene(&env);
    let tar = layer().file("../etc/passwd", b"pwned\n").finish();
    import_rejected(&env, &s, "dotdot.tar", &tar, "../etc/passwd", &[]);
});

berthtest!(layer_with_absolute_path_is_rejected, |env| {
    let s = scene(&env);
    let target = s.outside.join("abs-pwned");
    let tar = layer()
        .file(target.to_str().unwrap(), b"pwned\n")
        .file("/etc/passwd", b"pwned\n")
        .finish();
    import_rejected(&env, &s, "absolute.tar", &tar, "abs-pwned", &[]);
});

berthtest!(layer_with_inner_dotdot_is_rejected, |env| {
    let s = scene(&env);
    let tar = layer().dir("a/").file("a/../../x", b"pwned\n").finish();
    import_rejected(&env, &s, "inner-dotdot.tar", &tar, "a/../../x", &[]);
});

berthtest!(write_through_absolute_symlink_is_rejected, |env| {
    let s = scene(&env);
    let tar = layer()
        .symlink("escape", s.outside.to_str().unwrap())
        .file("escape/pwned", b"pwned\n")
        .finish();
    import_rejected(&env, &s, "symlink-abs.tar", &tar, "escape/pwned", &[]);
});

berthtest!(write_through_relative_symlink_is_rejected, |env| {
    let s = scene(&env);
    let tar = layer()
        .dir("d/")
        .symlink("d/up", &s.outside_via_dotdots())
        .file("d/up/pwned", b"pwned\n")
        .finish();
    import_rejected(&env, &s, "symlink-rel.tar", &tar, "d/up/pwned", &[]);
});

berthtest!(write_through_symlink_chain_is_rejected, |env| {
    let s = scene(&env);
    let tar = layer()
        .symlink("one", "two")
        .symlink("two", "three/..")
        .dir("three/")
        .symlink("three/four", "../../../../../../../../../../..")
        .symlink("hop", "three/four")
        // PAX: the name holds the temp dir's path, longer than a ustar
        // header's 100 bytes when TMPDIR is deep.
        .pax_file(
            &format!("hop{}/chain-pwned", s.outside.display()),
            "chain-pwned",
            b"pwned\n",
        )
        .finish();
    import_rejected(&env, &s, "symlink-chain.tar", &tar, "chain-pwned", &[]);
});

berthtest!(hardlink_to_parent_is_rejected, |env| {
    let s = scene(&env);
    let tar = layer().hardlink("evil-hardlink", "../x").finish();
    import_rejected(
        &env,
        &s,
        "hardlink-dotdot.tar",
        &tar,
        "",
        &["evil-hardlink", "../x"],
    );
});

berthtest!(hardlink_to_absolute_path_is_rejected, |env| {
    let s = scene(&env);
    let tar = layer().hardlink("evil-hardlink", "/etc/passwd").finish();
    import_rejected(
        &env,
        &s,
        "hardlink-abs.tar",
        &tar,
        "",
        &["evil-hardlink", "/etc/passwd"],
    );
});

berthtest!(hardlink_through_symlink_is_rejected, |env| {
    let s = scene(&env);
    std::fs::write(s.outside.join("secret"), b"secret\n").unwrap();
    let tar = layer()
        .symlink("out", s.outside.to_str().unwrap())
        .hardlink("stolen", "out/secret")
        .finish();
    let file = env.write("hardlink-via-symlink.tar", &tar);
    let out = env
        .berth(&["import", file.to_str().unwrap(), "localhost/evil"])
        .run();
    assert_fails_125_any(&out, "", &["stolen", "out/secret"]);
    std::fs::remove_file(s.outside.join("secret")).unwrap();
    s.assert_untouched(&env);
});

berthtest!(pax_path_with_dotdot_is_rejected, |env| {
    let s = scene(&env);
    let tar = layer()
        .pax_file("../pax-escape", "innocent", b"pwned\n")
        .finish();
    import_rejected(&env, &s, "pax.tar", &tar, "../pax-escape", &[]);
});

berthtest!(gnu_long_name_with_dotdot_is_rejected, |env| {
    let s = scene(&env);
    let long = format!("deep/{}/../../../gnu-escape", "a".repeat(120));
    let tar = layer()
        .dir("deep/")
        .gnu_long_file(&long, b"pwned\n")
        .finish();
    import_rejected(&env, &s, "gnu-long.tar", &tar, "gnu-escape", &[]);
});

berthtest!(gzip_layer_with_dotdot_is_rejected, |env| {
    let s = scene(&env);
    let tar = util::gzip(&layer().file("../etc/passwd", b"pwned\n").finish());
    import_rejected(&env, &s, "dotdot.tar.gz", &tar, "../etc/passwd", &[]);
});

const TRUNCATED: &[&str] = &[
    "truncated",
    "unexpected end",
    "unexpected eof",
    "end of file",
    "fill whole buffer",
];

berthtest!(truncated_tar_is_rejected, |env| {
    let s = scene(&env);
    let whole = std::fs::read(busybox_tar()).unwrap();
    // Cut in the middle of /bin/busybox's data.
    let cut = &whole[..whole.len() / 2];
    import_rejected(&env, &s, "truncated.tar", cut, "truncated.tar", TRUNCATED);
});

berthtest!(truncated_header_is_rejected, |env| {
    let s = scene(&env);
    let mut bytes = layer().file("etc/motd", b"hello\n").unfinished();
    bytes.extend_from_slice(&layer().finish()[..300]);
    import_rejected(
        &env,
        &s,
        "half-header.tar",
        &bytes,
        "half-header.tar",
        TRUNCATED,
    );
});

berthtest!(truncated_gzip_is_rejected, |env| {
    let s = scene(&env);
    let gz = util::gzip(&std::fs::read(busybox_tar()).unwrap());
    let cut = &gz[..gz.len() / 2];
    import_rejected(
        &env,
        &s,
        "truncated.tar.gz",
        cut,
        "truncated.tar.gz",
        TRUNCATED,
    );
});

berthtest!(not_a_tar_is_rejected, |env| {
    let s = scene(&env);
    let junk = "this is not a tar archive, just some text\n".repeat(100);
    import_rejected(
        &env,
        &s,
        "garbage.bin",
        junk.as_bytes(),
        "garbage.bin",
        &[
            "not a tar",
            "unrecognized",
            "unknown",
            "invalid",
            "format",
            "archive",
            "header",
            "checksum",
        ],
    );
});

berthtest!(import_missing_file_fails, |env| {
    let s = scene(&env);
    let out = env
        .berth(&["import", "/nonexistent/berth-test.tar", "localhost/evil"])
        .run();
    assert_fails_125(&out, "/nonexistent/berth-test.tar");
    s.assert_untouched(&env);
});

/// `berth load` of `bytes` fails 125 with `needle` in the error and
/// changes nothing.
fn load_rejected(env: &TestEnv, scene: &Scene, bytes: &[u8], needle: &str, any: &[&str]) {
    let file = env.write("hostile-archive.tar", bytes);
    let out = env.berth(&["load", "-i", file.to_str().unwrap()]).run();
    assert_fails_125_any(&out, needle, any);
    assert_eq!(out.stdout(), "", "no `Loaded image` for a failed load");
    scene.assert_untouched(env);
    let out = env.berth(&["load"]).stdin(bytes.to_vec()).run();
    assert_eq!(out.code(), Some(125), "stdin load: {}", out.stderr());
    scene.assert_untouched(env);
    assert_fails_125(
        &env.berth(&["inspect", "localhost/evil:1"]).run(),
        "localhost/evil",
    );
}

berthtest!(load_oci_archive_with_digest_mismatch_fails, |env| {
    let s = scene(&env);
    let layer = layer().file("etc/motd", &[b'm'; 4096]).finish();
    let (tar, img) = forge::oci_archive(&layer, "localhost/evil:1", LayerBlob::Corrupt);
    let hex = img.layer_digest.trim_start_matches("sha256:");
    load_rejected(&env, &s, &tar, &hex[..12], &["mismatch"]);
});

berthtest!(load_oci_archive_with_missing_blob_fails, |env| {
    let s = scene(&env);
    let layer = layer().file("etc/motd", b"hello\n").finish();
    let (tar, img) = forge::oci_archive(&layer, "localhost/evil:1", LayerBlob::Missing);
    let hex = img.layer_digest.trim_start_matches("sha256:");
    load_rejected(
        &env,
        &s,
        &tar,
        &hex[..12],
        &["missing", "not found", "no such"],
    );
});

berthtest!(load_oci_archive_with_hostile_layer_fails, |env| {
    let s = scene(&env);
    let layer = layer().file("../etc/passwd", b"pwned\n").finish();
    let (tar, _) = forge::oci_archive(&layer, "localhost/evil:1", LayerBlob::Good);
    load_rejected(&env, &s, &tar, "../etc/passwd", &["../etc/passwd"]);
});

berthtest!(load_docker_archive_with_diff_id_mismatch_fails, |env| {
    let s = scene(&env);
    let layer = layer().file("etc/motd", &[b'm'; 4096]).finish();
    let (tar, _) = forge::docker_archive(&layer, "localhost/evil:1", true);
    load_rejected(&env, &s, &tar, "", &["mismatch"]);
});

berthtest!(load_garbage_fails, |env| {
    let s = scene(&env);
    let junk = "not an image archive\n".repeat(200);
    load_rejected(
        &env,
        &s,
        junk.as_bytes(),
        "",
        &[
            "not a tar",
            "unrecognized",
            "unknown",
            "invalid",
            "format",
            "archive",
            "header",
            "checksum",
        ],
    );
});

berthtest!(load_truncated_archive_fails, |env| {
    let s = scene(&env);
    // An image the store does not have, so a half-loaded one would show.
    let other = TestEnv::new("truncated-source");
    other.import(&busybox_tar(), "localhost/evil:1", &["--message", "other"]);
    let saved = other.berth(&["save", "localhost/evil:1"]).run();
    util::assert_ok(&saved);
    let cut = &saved.stdout[..saved.stdout.len() / 2];
    load_rejected(&env, &s, cut, "", TRUNCATED);
});

// Every verb that takes an image fails the same way on an unknown one.
berthtest!(unknown_reference_fails_everywhere, |env| {
    let s = scene(&env);
    let out_file = env.path("never-written.tar");
    let out_file = out_file.to_str().unwrap();
    let cases: &[&[&str]] = &[
        &["inspect", "nosuchimage"],
        &["inspect", "busybox", "nosuchimage"],
        &["history", "nosuchimage"],
        &["rmi", "nosuchimage"],
        &["rmi", "-f", "nosuchimage"],
        &["save", "-o", out_file, "nosuchimage"],
        &["save", "-o", out_file, "busybox", "nosuchimage"],
        &["tag", "nosuchimage", "localhost/x"],
        &["untag", "nosuchimage"],
        &["untag", "busybox", "localhost/nosuchimage"],
    ];
    for args in cases {
        let out = env.berth(args).run();
        assert_fails_125(&out, "nosuchimage");
        assert!(
            !std::path::Path::new(out_file).exists(),
            "`save` of an unknown image leaves no file: {args:?}"
        );
        s.assert_untouched(&env);
    }
});

berthtest!(invalid_reference_fails, |env| {
    let s = scene(&env);
    for (bad, needle) in [
        ("UPPER/Case", "UPPER/Case"),
        ("bad ref", "bad ref"),
        ("busybox:tag:too:many", "busybox:tag:too:many"),
        ("x@sha256:short", "sha256:short"),
    ] {
        let out = env.berth(&["tag", "busybox", bad]).run();
        assert_fails_125(&out, needle);
        s.assert_untouched(&env);
    }
});
