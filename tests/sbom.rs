//! `berth sbom` (issue 13): packages read from an image's layers without
//! running it, on a real Debian made by mmdebstrap and on crafted apk, rpm,
//! language and Go images; whiteouts and opaque directories honoured; the
//! SPDX and CycloneDX output checked by validators nobody on the project
//! wrote (spdx-tools, cyclonedx-python-lib).

use crate::util::{self, TestEnv, assert_ok, sha256_hex};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

/// One entry of a crafted layer.
enum E<'a> {
    File(&'a str, &'a [u8]),
    Exec(&'a str, &'a [u8]),
    Link(&'a str, &'a str),
}

fn layer(entries: &[E]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_ustar();
        h.set_mtime(util::FIXED_MTIME);
        h.set_uid(0);
        h.set_gid(0);
        match e {
            E::File(name, data) | E::Exec(name, data) => {
                h.set_mode(if matches!(e, E::Exec(..)) {
                    0o755
                } else {
                    0o644
                });
                h.set_size(data.len() as u64);
                h.set_entry_type(tar::EntryType::Regular);
                b.append_data(&mut h, name, *data).unwrap();
            }
            E::Link(name, target) => {
                h.set_mode(0o777);
                h.set_size(0);
                h.set_entry_type(tar::EntryType::Symlink);
                b.append_link(&mut h, name, target).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

/// Loads a docker-archive of an image made of `layers` (bottom first) as
/// `reference`; returns the layers' diffIDs.
fn load_layers(env: &TestEnv, reference: &str, layers: &[Vec<u8>]) -> Vec<String> {
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| format!("sha256:{}", sha256_hex(l)))
        .collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap();
    let config_name = format!("{}.json", sha256_hex(&config));
    let names: Vec<String> = diff_ids
        .iter()
        .map(|d| format!("{}/layer.tar", d.trim_start_matches("sha256:")))
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!([{
        "Config": config_name, "RepoTags": [reference], "Layers": names,
    }]))
    .unwrap();
    let mut files: Vec<(String, &[u8])> = vec![
        ("manifest.json".into(), &manifest),
        (config_name.clone(), &config),
    ];
    for (n, l) in names.iter().zip(layers) {
        files.push((n.clone(), l));
    }
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in &files {
        let mut h = tar::Header::new_ustar();
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        h.set_mtime(util::FIXED_MTIME);
        h.set_uid(0);
        h.set_gid(0);
        b.append_data(&mut h, name, *data).unwrap();
    }
    let archive = env.write("image.tar", b.into_inner().unwrap());
    assert_ok(
        &env.berth(&["load".as_ref(), "-i".as_ref(), archive.as_os_str()])
            .run(),
    );
    diff_ids
}

fn sbom_json(env: &TestEnv, image: &str) -> Value {
    let out = env.berth(&["sbom", image, "--format", "json"]).run();
    assert_ok(&out);
    out.json()
}

/// (name, version, layer index) of every package of `kind`, sorted.
fn packages(sbom: &Value, kind: &str, diff_ids: &[String]) -> Vec<(String, String, usize)> {
    let mut v: Vec<_> = sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == kind)
        .map(|p| {
            let layer = diff_ids
                .iter()
                .position(|d| p["layer"] == d.as_str())
                .unwrap_or(usize::MAX);
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
                layer,
            )
        })
        .collect();
    v.sort();
    v
}

fn purls(sbom: &Value) -> BTreeSet<String> {
    sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["purl"].as_str().unwrap().to_string())
        .collect()
}

/// `$name` when set, else `default` under the working directory (CI runs
/// the tests from its stage, where `.ci/run` puts the fixtures).
fn fixture(var: &str, default: &str) -> Option<PathBuf> {
    let p = std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    p.exists().then_some(p)
}

/// The venv `.ci/run` installs spdx-tools and cyclonedx-python-lib into.
fn validators() -> Option<PathBuf> {
    let venv = fixture("BERTH_SBOM_VENV", "venv");
    if venv.is_none() {
        util::skip("no validator venv (BERTH_SBOM_VENV; .ci/run makes it)");
    }
    venv
}

/// Both documents of `image`, each checked by its validator.
fn validate(env: &TestEnv, image: &str, venv: &std::path::Path) {
    let spdx = env.path("sbom.spdx.json");
    let cdx = env.path("sbom.cdx.json");
    for (format, file) in [("spdx-json", &spdx), ("cyclonedx-json", &cdx)] {
        let out = env
            .berth(&[
                "sbom".as_ref(),
                image.as_ref(),
                "--format".as_ref(),
                format.as_ref(),
                "-o".as_ref(),
                file.as_os_str(),
            ])
            .run();
        assert_ok(&out);
        assert_eq!(out.stdout(), "", "-o writes the file, not stdout");
    }
    let out = Command::new(venv.join("bin/pyspdxtools"))
        .arg("-i")
        .arg(&spdx)
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "pyspdxtools: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let script = "import sys\n\
        from cyclonedx.validation.json import JsonStrictValidator\n\
        from cyclonedx.schema import SchemaVersion\n\
        err = JsonStrictValidator(SchemaVersion.V1_5).validate_str(open(sys.argv[1]).read())\n\
        print(err or '', end='')\n\
        sys.exit(1 if err else 0)\n";
    let out = Command::new(venv.join("bin/python"))
        .args(["-c", script])
        .arg(&cdx)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cyclonedx: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

berthtest!(debian_from_mmdebstrap_lists_what_dpkg_query_lists, |env| {
    let Some(tar) = fixture("BERTH_DEBIAN_TAR", "fixtures/debian-bookworm.tar") else {
        util::skip("no Debian fixture (BERTH_DEBIAN_TAR; .ci/run builds it with mmdebstrap)");
        return;
    };
    if !util::tool_or_skip("dpkg-query") {
        return;
    }
    env.import(&tar, "debian:bookworm", &[]);
    let sbom = sbom_json(&env, "debian:bookworm");
    assert_eq!(sbom["os"]["id"], "debian");
    assert_eq!(sbom["os"]["version_id"], "12");
    assert_eq!(sbom["os"]["version_codename"], "bookworm");

    // dpkg's own reading of the image's database is the reference.
    let admin = env.path("admindir");
    std::fs::create_dir_all(admin.join("updates")).unwrap();
    let status = Command::new("tar")
        .arg("-xOf")
        .arg(&tar)
        .arg("./var/lib/dpkg/status")
        .output()
        .unwrap();
    assert!(status.status.success());
    std::fs::write(admin.join("status"), &status.stdout).unwrap();
    let out = Command::new("dpkg-query")
        .arg(format!("--admindir={}", admin.display()))
        .args([
            "-W",
            "-f",
            "${db:Status-Status} ${Package} ${Version} ${Architecture}\\n",
        ])
        .output()
        .unwrap();
    let want: BTreeSet<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("installed "))
        .map(str::to_string)
        .collect();
    let got: BTreeSet<String> = sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {} {}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap(),
                p["arch"].as_str().unwrap()
            )
        })
        .collect();
    assert!(want.len() > 50, "dpkg-query listed {}", want.len());
    assert_eq!(got, want);

    // glibc's binary package, with its source and Debian's purl.
    let libc = sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "libc6")
        .unwrap();
    assert_eq!(libc["source"], "glibc");
    let purl = libc["purl"].as_str().unwrap();
    assert!(purl.starts_with("pkg:deb/debian/libc6@2.36-"), "{purl}");
    assert!(purl.ends_with("&distro=debian-12"), "{purl}");
    // Licenses from the machine-readable copyright files.
    let bash = sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "bash")
        .unwrap();
    assert!(
        bash["licenses"]
            .as_array()
            .unwrap()
            .contains(&"GPL-3+".into()),
        "{bash}"
    );

    let table = env.berth(&["sbom", "debian:bookworm"]).ok();
    assert!(
        table.starts_with("OS: Debian GNU/Linux 12 (bookworm)\nNAME "),
        "{table}"
    );
    if let Some(venv) = validators() {
        validate(&env, "debian:bookworm", &venv);
    }
});

const APK_DB_1: &str = "P:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\no:musl\n\n\
    P:busybox\nV:1.36.1-r5\nA:x86_64\nL:GPL-2.0-only\no:busybox\n\n";
const APK_DB_2: &str = "P:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\no:musl\n\n\
    P:libcrypto3\nV:3.1.4-r1\nA:x86_64\nL:Apache-2.0\no:openssl\n\n";

berthtest!(later_layers_remove_and_hide_packages, |env| {
    let base = layer(&[
        E::File("etc/alpine-release", b"3.18.4\n"),
        E::File(
            "usr/lib/os-release",
            b"ID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME=\"Alpine Linux v3.18\"\n",
        ),
        E::Link("etc/os-release", "../usr/lib/os-release"),
        E::File("lib/apk/db/installed", APK_DB_1.as_bytes()),
        E::File(
            "usr/lib/python3.11/site-packages/six-1.16.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\nLicense: MIT\n",
        ),
        E::File(
            "usr/lib/python3.11/site-packages/Zope.Interface-6.0.dist-info/METADATA",
            b"Name: Zope.Interface\nVersion: 6.0\nLicense-Expression: ZPL-2.1\n",
        ),
        E::File(
            "srv/node_modules/left-pad/package.json",
            br#"{"name":"left-pad","version":"1.3.0","license":"WTFPL"}"#,
        ),
        E::File(
            "srv/node_modules/@babel/core/package.json",
            br#"{"name":"@babel/core","version":"7.23.0","license":"MIT"}"#,
        ),
    ]);
    // Layer 2: apk's database rewritten (busybox gone, libcrypto3 added),
    // six's dist-info whited out, node_modules made opaque.
    let second = layer(&[
        E::File("lib/apk/db/installed", APK_DB_2.as_bytes()),
        E::File("usr/lib/python3.11/site-packages/.wh.six-1.16.0.dist-info", b""),
        E::File("srv/node_modules/.wh..wh..opq", b""),
        E::File("srv/node_modules/right-pad/package.json", br#"{"name":"right-pad","version":"0.1.0"}"#),
        E::File("app/Cargo.lock", b"version = 3\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.190\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"),
        E::File("srv/package-lock.json", br#"{"lockfileVersion":3,"packages":{"":{"name":"srv"},"node_modules/right-pad":{"version":"0.1.0","license":"MIT"}}}"#),
    ]);
    // Layer 3: the whole apk database deleted.
    let third = layer(&[E::File("lib/apk/db/.wh.installed", b"")]);

    let ids = load_layers(&env, "localhost/layered:1", &[base.clone(), second.clone()]);
    let sbom = sbom_json(&env, "localhost/layered:1");
    assert_eq!(sbom["os"]["id"], "alpine");
    assert_eq!(sbom["os"]["version_id"], "3.18.4");
    let s = |v: &[(&str, &str, usize)]| -> Vec<(String, String, usize)> {
        v.iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), *c))
            .collect()
    };
    // musl was there from the first layer; libcrypto3 came with the second.
    assert_eq!(
        packages(&sbom, "apk", &ids),
        s(&[("libcrypto3", "3.1.4-r1", 1), ("musl", "1.2.4-r2", 0)])
    );
    assert_eq!(
        packages(&sbom, "python", &ids),
        s(&[("Zope.Interface", "6.0", 0)])
    );
    assert_eq!(
        packages(&sbom, "npm", &ids),
        s(&[("right-pad", "0.1.0", 1), ("right-pad", "0.1.0", 1)])
    );
    assert_eq!(
        packages(&sbom, "cargo", &ids),
        s(&[("serde", "1.0.190", 1)])
    );
    let p = purls(&sbom);
    for want in [
        "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=3.18.4",
        "pkg:pypi/zope-interface@6.0",
        "pkg:cargo/serde@1.0.190",
        "pkg:npm/right-pad@0.1.0",
    ] {
        assert!(p.contains(want), "{want} not in {p:?}");
    }
    let crypto = sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "libcrypto3")
        .unwrap();
    assert_eq!(crypto["source"], "openssl");
    assert_eq!(crypto["licenses"], serde_json::json!(["Apache-2.0"]));
    if let Some(venv) = validators() {
        validate(&env, "localhost/layered:1", &venv);
    }

    // Before the opaque directory, both node packages are there.
    let ids = load_layers(&env, "localhost/layered:0", std::slice::from_ref(&base));
    let sbom = sbom_json(&env, "localhost/layered:0");
    assert_eq!(
        packages(&sbom, "npm", &ids),
        s(&[("@babel/core", "7.23.0", 0), ("left-pad", "1.3.0", 0)])
    );
    assert!(purls(&sbom).contains("pkg:npm/%40babel/core@7.23.0"));

    // The database whited out: no apk packages at all.
    let ids = load_layers(&env, "localhost/layered:2", &[base, second, third]);
    let sbom = sbom_json(&env, "localhost/layered:2");
    assert_eq!(packages(&sbom, "apk", &ids), []);
});

/// An rpm header blob (index count, data length, index, data) with these
/// string and int32 tags, as rpm writes them into rpmdb.sqlite.
fn rpm_header(strings: &[(u32, &str)], epoch: Option<u32>) -> Vec<u8> {
    let mut index = Vec::new();
    let mut data = Vec::new();
    let mut n = 0u32;
    if let Some(e) = epoch {
        for v in [1003u32, 4, 0, 1] {
            index.extend(v.to_be_bytes());
        }
        data.extend(e.to_be_bytes());
        n += 1;
    }
    for (tag, s) in strings {
        for v in [*tag, 6, data.len() as u32, 1] {
            index.extend(v.to_be_bytes());
        }
        data.extend(s.as_bytes());
        data.push(0);
        n += 1;
    }
    let mut out = Vec::new();
    out.extend(n.to_be_bytes());
    out.extend((data.len() as u32).to_be_bytes());
    out.extend(index);
    out.extend(data);
    out
}

berthtest!(rpm_sqlite_database_is_read, |env| {
    if !util::tool_or_skip("python3") {
        return;
    }
    // A license long enough to spill the row onto overflow pages.
    let long_license = format!(
        "GPL-3.0-or-later AND {}",
        vec!["LicenseRef-X"; 600].join(" AND ")
    );
    let blobs = [
        rpm_header(
            &[
                (1000, "bash"),
                (1001, "5.2.15"),
                (1002, "3.fc39"),
                (1022, "x86_64"),
                (1014, "GPL-3.0-or-later"),
                (1044, "bash-5.2.15-3.fc39.src.rpm"),
            ],
            None,
        ),
        rpm_header(
            &[
                (1000, "openssl-libs"),
                (1001, "3.1.1"),
                (1002, "4.fc39"),
                (1022, "x86_64"),
                (1014, &long_license),
                (1044, "openssl-3.1.1-4.fc39.src.rpm"),
            ],
            Some(1),
        ),
        rpm_header(
            &[(1000, "gpg-pubkey"), (1001, "18b8e74c"), (1002, "62f2920f")],
            None,
        ),
    ];
    for (n, b) in blobs.iter().enumerate() {
        env.write(&format!("h{n}"), b);
    }
    let db = env.path("rpmdb.sqlite");
    let script = "import sqlite3, sys\n\
        db = sqlite3.connect(sys.argv[1])\n\
        db.execute('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)')\n\
        db.execute('CREATE TABLE Name (key TEXT NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL)')\n\
        for f in sys.argv[2:]:\n    db.execute('INSERT INTO Packages (blob) VALUES (?)', (open(f, 'rb').read(),))\n\
        db.commit()\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&db)
        .args((0..blobs.len()).map(|n| env.path(&format!("h{n}"))))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rpmdb = std::fs::read(&db).unwrap();
    let img = layer(&[
        E::File("etc/os-release", b"NAME=Fedora\nID=fedora\nVERSION_ID=39\n"),
        E::File("usr/lib/sysimage/rpm/rpmdb.sqlite", &rpmdb),
    ]);
    let ids = load_layers(&env, "localhost/fedora:39", &[img]);
    let sbom = sbom_json(&env, "localhost/fedora:39");
    let s = |v: &[(&str, &str, usize)]| -> Vec<(String, String, usize)> {
        v.iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), *c))
            .collect()
    };
    assert_eq!(
        packages(&sbom, "rpm", &ids),
        s(&[
            ("bash", "5.2.15-3.fc39", 0),
            ("openssl-libs", "1:3.1.1-4.fc39", 0)
        ])
    );
    let p = purls(&sbom);
    assert!(
        p.contains("pkg:rpm/fedora/openssl-libs@3.1.1-4.fc39?arch=x86_64&distro=fedora-39&epoch=1"),
        "{p:?}"
    );
    let ossl = sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "openssl-libs")
        .unwrap();
    assert_eq!(ossl["source"], "openssl");
    assert_eq!(
        ossl["licenses"][0].as_str().unwrap().len(),
        long_license.len()
    );

    // An old Berkeley DB database is said to be unsupported, not guessed at.
    let bdb = layer(&[
        E::File("etc/os-release", b"ID=centos\nVERSION_ID=7\n"),
        E::File(
            "var/lib/rpm/Packages",
            &[0x00, 0x06, 0x15, 0x61, 0, 0, 0, 0],
        ),
    ]);
    load_layers(&env, "localhost/centos:7", &[bdb]);
    let sbom = sbom_json(&env, "localhost/centos:7");
    assert_eq!(sbom["packages"], serde_json::json!([]));
    let note = sbom["notes"][0].as_str().unwrap();
    assert!(
        note.starts_with("var/lib/rpm/Packages: unsupported rpm database (Berkeley DB)"),
        "{note}"
    );
    let table = env.berth(&["sbom", "localhost/centos:7"]).ok();
    assert!(
        table.contains("note: var/lib/rpm/Packages: unsupported rpm database (Berkeley DB)"),
        "{table}"
    );
});

/// A Go ≥ 1.18 buildinfo blob as the linker writes it.
fn go_buildinfo(go: &str, info: &str) -> Vec<u8> {
    let mut b = b"\xff Go buildinf:".to_vec();
    b.extend([8, 2]);
    b.resize(32, 0);
    let mut wrapped = vec![0x30u8; 16];
    wrapped.extend(info.as_bytes());
    wrapped.extend([0xf9u8; 16]);
    for s in [go.as_bytes(), &wrapped[..]] {
        let mut n = s.len();
        while n >= 0x80 {
            b.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        b.push(n as u8);
        b.extend(s);
    }
    b
}

berthtest!(go_modules_from_binaries_and_go_mod, |env| {
    let info = "path\texample.com/tool\nmod\texample.com/tool\tv1.4.0\th1:a=\n\
                dep\tgithub.com/pkg/errors\tv0.9.1\th1:b=\nbuild\tGOOS=linux\n";
    let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
    elf.extend(vec![0u8; 300_000]);
    elf.extend(go_buildinfo("go1.21.5", info));
    elf.extend(vec![0u8; 5000]);
    let img = layer(&[
        E::Exec("usr/local/bin/tool", &elf),
        // Not executable: not scanned.
        E::File("usr/share/tool.data", &elf),
        E::File("src/go.mod", b"module example.com/src\n\ngo 1.21\n\nrequire (\n\tgolang.org/x/sys v0.15.0 // indirect\n)\n"),
    ]);
    let ids = load_layers(&env, "localhost/gotool:1", &[img]);
    let sbom = sbom_json(&env, "localhost/gotool:1");
    let got: Vec<(String, String, String)> = sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "go")
        .map(|p| {
            (
                p["name"].as_str().unwrap().into(),
                p["version"].as_str().unwrap().into(),
                p["location"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want: Vec<(String, String, String)> = [
        ("example.com/tool", "v1.4.0", "usr/local/bin/tool"),
        ("github.com/pkg/errors", "v0.9.1", "usr/local/bin/tool"),
        ("golang.org/x/sys", "v0.15.0", "src/go.mod"),
        ("stdlib", "v1.21.5", "usr/local/bin/tool"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(got, want);
    assert!(purls(&sbom).contains("pkg:golang/github.com/pkg/errors@v0.9.1"));
    assert_eq!(ids.len(), 1);
});

berthtest!(hostile_names_are_escaped_and_huge_databases_noted, |env| {
    // A name with a terminal escape, and a status database claiming 80 MiB.
    let status = b"Package: evil\x1b[2Jname\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n";
    let mut big = status.to_vec();
    big.resize(80 << 20, b'\n');
    load_layers(
        &env,
        "localhost/evil:1",
        &[layer(&[E::File("var/lib/dpkg/status.d/evil", status)])],
    );
    let table = env.berth(&["sbom", "localhost/evil:1"]).ok();
    assert!(!table.contains('\x1b'), "{table:?}");
    assert!(table.contains("evil\\x1b[2Jname"), "{table}");
    let json = env
        .berth(&["sbom", "localhost/evil:1", "--format", "json"])
        .ok();
    assert!(!json.contains('\x1b'));

    load_layers(
        &env,
        "localhost/big:1",
        &[layer(&[E::File("var/lib/dpkg/status", &big)])],
    );
    let sbom = sbom_json(&env, "localhost/big:1");
    assert_eq!(sbom["packages"], serde_json::json!([]));
    assert_eq!(
        sbom["notes"],
        serde_json::json!([
            "var/lib/dpkg/status: 80 MiB, over the 64 MiB read for a package database: not catalogued"
        ])
    );
});

berthtest!(an_unknown_image_is_one_error_line, |env| {
    let out = env.berth(&["sbom", "nosuch:1"]).run();
    util::assert_fails_125(&out, "sbom of `nosuch:1`");
});

berthtest!(
    the_per_layer_cache_is_reused_survives_garbage_and_is_swept,
    |env| {
        let apk = layer(&[
            E::File("etc/os-release", b"ID=alpine\nVERSION_ID=3.18.4\n"),
            E::File("lib/apk/db/installed", APK_DB_1.as_bytes()),
        ]);
        let ids = load_layers(&env, "localhost/cached:1", &[apk]);
        let hex = ids[0].trim_start_matches("sha256:");
        let entry = env.root.join("sbom").join(format!("{hex}.json"));
        // `load` catalogued the layer as it streamed into the store, so
        // `sbom` reads the entry and never the blob.
        assert!(entry.is_file(), "load left no entry {}", entry.display());
        let blob = env.root.join("store/blobs/sha256").join(hex);
        let mode = |m| {
            std::fs::set_permissions(&blob, std::os::unix::fs::PermissionsExt::from_mode(m))
                .unwrap()
        };
        mode(0o000);
        let out = env
            .berth(&["sbom", "localhost/cached:1", "--format", "json"])
            .run();
        mode(0o644);
        assert_ok(&out);
        let first = out.stdout();
        assert!(first.contains("pkg:apk/alpine/musl@"), "{first}");
        assert_eq!(
            env.berth(&["sbom", "localhost/cached:1", "--format", "json"])
                .ok(),
            first
        );

        // A damaged entry is read again from the layer, and rewritten.
        std::fs::write(&entry, b"{\"format\": 1, \"facts\": [garbage").unwrap();
        assert_eq!(
            env.berth(&["sbom", "localhost/cached:1", "--format", "json"])
                .ok(),
            first
        );
        assert!(std::fs::read(&entry).unwrap().starts_with(b"{\"format\":1"));

        // Once no image has the layer, `rmi` drops its entry.
        assert_ok(&env.berth(&["rmi", "localhost/cached:1"]).run());
        assert!(!entry.exists(), "{} outlived its image", entry.display());
    }
);
