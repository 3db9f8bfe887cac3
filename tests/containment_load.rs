//! Archives that are small on disk and huge once read (issue 8, "`berth
//! load` amplification"): links that alias one entry many times, configs
//! listed many times, gzip and zstd bombs in layers, in archives and in
//! imported tarballs. berth must stay within a memory bound the test sets,
//! refuse a bomb with one line and exit 125, and leave the store as it was.

use crate::util::forge::{self, RawTar};
use crate::util::{self, Cmd, TestEnv, assert_fails_125, assert_ok, gzip};

/// The address space berth gets here (`ulimit -v`). Its working set (the
/// binary, 1 MiB buffers, a layer in flight, the user namespace helper) fits
/// in it several times; an archive that makes berth copy an entry per alias
/// needs far more.
const MEM_LIMIT_KIB: u64 = 512 * 1024;

/// Lowers berth's cap on decompressed bytes for the tests (the real one is
/// far larger than a test should inflate); see `layer::compress`.
const TEST_CAP_ENV: &str = "BERTH_TEST_MAX_DECOMPRESSED";
const TEST_CAP: u64 = 8 << 20;

/// `berth --root <root> ARGS…` under `ulimit -v MEM_LIMIT_KIB`.
fn berth_limited(env: &TestEnv, args: &[&str]) -> Cmd {
    env.berth_under_ulimit(&format!("-v {MEM_LIMIT_KIB}"), args)
}

/// A layer tar with one small file.
fn small_layer() -> Vec<u8> {
    RawTar::new().file("hello", b"hi\n").finish()
}

/// A layer tar with one file of `size` zero bytes: compresses to almost nothing.
fn zeros_layer(size: usize) -> Vec<u8> {
    RawTar::new().file("zeros", &vec![0; size]).finish()
}

/// A docker-archive of one image tagged `x/alias:1` whose layer is the
/// archive's `layers/l.tar`, itself a symlink to `l.tar`, with `extra`
/// entries added after.
fn docker_archive_with(layer: &[u8], extra: impl FnOnce(&mut RawTar)) -> Vec<u8> {
    let img = forge::one_layer_image(layer);
    let manifest = serde_json::to_vec(&serde_json::json!([{
        "Config": "c.json",
        "RepoTags": ["x/alias:1"],
        "Layers": ["layers/l.tar"]
    }]))
    .unwrap();
    let mut tar = RawTar::new();
    tar.file("manifest.json", &manifest)
        .file("c.json", &img.config)
        .file("l.tar", layer)
        .symlink("layers/l.tar", "../l.tar");
    extra(&mut tar);
    tar.finish()
}

/// The store with busybox in it, and its snapshot to compare with later.
fn store_with_busybox(env: &TestEnv) -> String {
    env.import_busybox();
    env.snapshot()
}

berthtest!(load_keeps_links_to_one_entry_as_aliases, |env| {
    // 1 MiB (the largest entry kept in memory) of zeros, then 2000 names
    // for it: 5 KB gzip-compressed. Copied per alias, 2 GB.
    let archive = gzip(&docker_archive_with(&small_layer(), |tar| {
        tar.file("big", &vec![0; 1 << 20]);
        for i in 0..1000 {
            tar.symlink(&format!("s{i}"), "big")
                .hardlink(&format!("h{i}"), "big");
        }
    }));
    let path = env.write("aliases.tar.gz", &archive);
    let out = berth_limited(&env, &["load", "-i", path.to_str().unwrap()]).run();
    assert_ok(&out);
    eqnice!("Loaded image: docker.io/x/alias:1\n", out.stdout());
    eqnice!("store is valid\n", env.check_store());
});

berthtest!(load_follows_links_to_a_layer_kept_on_disk, |env| {
    // A layer too large for memory, named through a symlink and hardlinks:
    // they resolve to its blob (each used to copy the blob again, which
    // costs time and disk but nothing a test can bound without timing).
    let layer = zeros_layer(4 << 20);
    let archive = gzip(&docker_archive_with(&layer, |tar| {
        for i in 0..20 {
            tar.hardlink(&format!("h{i}"), "l.tar");
        }
    }));
    let path = env.write("aliases.tar.gz", &archive);
    let out = berth_limited(&env, &["load", "-i", path.to_str().unwrap()]).run();
    assert_ok(&out);
    eqnice!("store is valid\n", env.check_store());
});

berthtest!(load_refuses_a_link_cycle, |env| {
    let before = store_with_busybox(&env);
    let mut tar = RawTar::new();
    let manifest = br#"[{"Config":"c.json","RepoTags":["x/cycle:1"],"Layers":["a"]}]"#;
    tar.file("manifest.json", manifest)
        .file("c.json", &forge::one_layer_image(&small_layer()).config)
        .symlink("a", "b")
        .symlink("b", "a");
    let path = env.write("cycle.tar", tar.finish());
    let out = env.berth(&["load", "-i", path.to_str().unwrap()]).run();
    assert_fails_125(&out, "layer `a` is missing from the archive");
    eqnice!(before, env.snapshot(), "the store is unchanged");
});

berthtest!(load_refuses_a_config_listed_too_many_times, |env| {
    // One 1 MiB config named by 100 images: held once per image, 100 MiB.
    let before = store_with_busybox(&env);
    let layer = small_layer();
    let mut config: serde_json::Value =
        serde_json::from_slice(&forge::one_layer_image(&layer).config).unwrap();
    config["comment"] = " ".repeat(1000 << 10).into();
    let entry = serde_json::json!({ "Config": "c.json", "Layers": ["l.tar"] });
    let manifest = serde_json::to_vec(&vec![entry; 100]).unwrap();
    let archive = RawTar::new()
        .file("manifest.json", &manifest)
        .file("c.json", &serde_json::to_vec(&config).unwrap())
        .file("l.tar", &layer)
        .finish();
    let path = env.write("configs.tar.gz", gzip(&archive));
    let out = berth_limited(&env, &["load", "-i", path.to_str().unwrap()]).run();
    assert_fails_125(&out, "more than 64 MiB of configs and manifests");
    eqnice!(before, env.snapshot(), "the store is unchanged");
});

berthtest!(load_refuses_a_gzip_bomb_layer, |env| {
    let before = store_with_busybox(&env);
    let layer = zeros_layer(4 * TEST_CAP as usize);
    let img = forge::one_layer_image(&layer);
    let manifest =
        serde_json::to_vec(&serde_json::json!([{ "Config": "c.json", "Layers": ["l.tar.gz"] }]))
            .unwrap();
    let archive = RawTar::new()
        .file("manifest.json", &manifest)
        .file("c.json", &img.config)
        .file("l.tar.gz", &gzip(&layer))
        .finish();
    let path = env.write("bomb.tar", archive);
    let out = env
        .berth(&["load", "-i", path.to_str().unwrap()])
        .env(TEST_CAP_ENV, TEST_CAP.to_string())
        .run();
    assert_fails_125(&out, "decompressed data exceeds 8 MiB");
    eqnice!(before, env.snapshot(), "the store is unchanged");
});

berthtest!(load_refuses_a_gzip_bomb_archive, |env| {
    // The archive itself inflates past the cap (a file nothing names).
    let before = store_with_busybox(&env);
    let archive = docker_archive_with(&small_layer(), |tar| {
        tar.file("junk", &vec![0; 4 * TEST_CAP as usize]);
    });
    let path = env.write("bomb.tar.gz", gzip(&archive));
    let out = env
        .berth(&["load", "-i", path.to_str().unwrap()])
        .env(TEST_CAP_ENV, TEST_CAP.to_string())
        .run();
    assert_fails_125(&out, "decompressed data exceeds 8 MiB");
    eqnice!(before, env.snapshot(), "the store is unchanged");
});

berthtest!(import_refuses_a_gzip_bomb, |env| {
    let before = store_with_busybox(&env);
    let path = env.write("bomb.tar.gz", gzip(&zeros_layer(4 * TEST_CAP as usize)));
    let out = env
        .berth(&["import", path.to_str().unwrap(), "x/bomb:1"])
        .env(TEST_CAP_ENV, TEST_CAP.to_string())
        .run();
    assert_fails_125(&out, "decompressed data exceeds 8 MiB");
    eqnice!(before, env.snapshot(), "the store is unchanged");
});

berthtest!(import_refuses_a_zstd_bomb, |env| {
    let before = store_with_busybox(&env);
    let Some(bomb) = util::zstd(&zeros_layer(4 * TEST_CAP as usize)) else {
        return;
    };
    let path = env.write("bomb.tar.zst", bomb);
    let out = env
        .berth(&["import", path.to_str().unwrap(), "x/bomb:1"])
        .env(TEST_CAP_ENV, TEST_CAP.to_string())
        .run();
    assert_fails_125(&out, "decompressed data exceeds 8 MiB");
    eqnice!(before, env.snapshot(), "the store is unchanged");
});

berthtest!(import_below_the_cap_still_works, |env| {
    // The cap counts decompressed bytes, not the ratio: a layer of zeros
    // just under it imports, however well it compresses.
    let path = env.write("zeros.tar.gz", gzip(&zeros_layer((TEST_CAP / 2) as usize)));
    let out = env
        .berth(&["import", path.to_str().unwrap(), "x/zeros:1"])
        .env(TEST_CAP_ENV, TEST_CAP.to_string())
        .run();
    assert_ok(&out);
});
