//! `berth scan`: an SBOM matched against OSV records written here in the
//! exact OSV schema, one ecosystem after another; filters and exit codes;
//! a zip database, `--db-update` from a local HTTP server, malformed and
//! hostile records.

use crate::util::{TestEnv, assert_fails_125, assert_ok};
use serde_json::{Value, json};
use std::io::{BufRead, Write};

/// A record in the OSV schema: `affected` as given, the rest filled in.
fn osv(id: &str, affected: Value, extra: Value) -> Value {
    let mut r = json!({
        "schema_version": "1.6.0",
        "id": id,
        "modified": "2024-06-01T00:00:00Z",
        "published": "2024-05-01T00:00:00Z",
        "affected": affected,
    });
    for (k, v) in extra.as_object().unwrap() {
        r[k] = v.clone();
    }
    r
}

fn pkg(ecosystem: &str, name: &str, kind: &str, events: Value) -> Value {
    json!({"package": {"ecosystem": ecosystem, "name": name},
           "ranges": [{"type": kind, "events": events}]})
}

const CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
const HIGH_7_5: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H";
const LOW_3_1: &str = "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N";

/// Every case the matcher must get right, each record named for what it pins.
fn records() -> Vec<Value> {
    vec![
        // Debian records name the *source* package; libc6 comes from glibc.
        osv(
            "DSA-0001-1",
            json!([pkg(
                "Debian:12",
                "glibc",
                "ECOSYSTEM",
                json!([{"introduced": "0"}, {"fixed": "2.36-9+deb12u4"}])
            )]),
            json!({"aliases": ["CVE-2024-0001"],
                   "severity": [{"type": "CVSS_V3", "score": CRITICAL}]}),
        ),
        // Another release's record, and one naming the binary package: no match.
        osv(
            "DSA-0002-1",
            json!([pkg(
                "Debian:11",
                "glibc",
                "ECOSYSTEM",
                json!([{"introduced": "0"}])
            )]),
            json!({}),
        ),
        osv(
            "DSA-0003-1",
            json!([pkg(
                "Debian:12",
                "libc6",
                "ECOSYSTEM",
                json!([{"introduced": "0"}])
            )]),
            json!({}),
        ),
        // dpkg order: ~deb12u2 is after ~deb12u1 (fixed), before 3.0.13-1~deb12u1.
        osv(
            "DSA-0004-1",
            json!([pkg(
                "Debian:12",
                "openssl",
                "ECOSYSTEM",
                json!([{"introduced": "0"}, {"fixed": "3.0.11-1~deb12u1"}])
            )]),
            json!({}),
        ),
        osv(
            "DSA-0005-1",
            json!([pkg(
                "Debian:12",
                "openssl",
                "ECOSYSTEM",
                json!([{"introduced": "0"}, {"fixed": "3.0.13-1~deb12u1"}])
            )]),
            json!({"aliases": ["CVE-2024-0005"],
                   "severity": [{"type": "CVSS_V3", "score": HIGH_7_5}]}),
        ),
        // Alpine records name the origin package; severity unknown.
        osv(
            "ALPINE-CVE-2024-0006",
            json!([pkg(
                "Alpine:v3.18",
                "openssl",
                "ECOSYSTEM",
                json!([{"introduced": "0"}, {"fixed": "3.1.4-r1"}])
            )]),
            json!({}),
        ),
        // crates.io with a SEMVER range; the withdrawn record says nothing.
        osv(
            "RUSTSEC-2024-0007",
            json!([pkg(
                "crates.io",
                "smallvec",
                "SEMVER",
                json!([{"introduced": "1.0.0"}, {"fixed": "1.6.1"}])
            )]),
            json!({"severity": [{"type": "CVSS_V3", "score": LOW_3_1}]}),
        ),
        osv(
            "RUSTSEC-2024-0008",
            json!([pkg(
                "crates.io",
                "smallvec",
                "SEMVER",
                json!([{"introduced": "0"}])
            )]),
            json!({"withdrawn": "2024-06-02T00:00:00Z"}),
        ),
        // PyPI: names normalised, last_affected inclusive, PEP 440 order
        // (3.0 is after 3.0rc1, which string order gets wrong).
        osv(
            "PYSEC-2024-0009",
            json!([pkg(
                "PyPI",
                "django-rest",
                "ECOSYSTEM",
                json!([{"introduced": "0"}, {"last_affected": "3.0"}])
            )]),
            json!({"database_specific": {"severity": "MODERATE"}}),
        ),
        osv(
            "PYSEC-2024-0010",
            json!([pkg(
                "PyPI",
                "Django.Rest",
                "ECOSYSTEM",
                json!([{"introduced": "0"}, {"last_affected": "2.9"}])
            )]),
            json!({}),
        ),
        osv(
            "PYSEC-2024-0011",
            json!([pkg(
                "PyPI",
                "django_rest",
                "ECOSYSTEM",
                json!([{"introduced": "0"}, {"fixed": "3.0rc1"}])
            )]),
            json!({}),
        ),
        // npm, scoped: a SEMVER range, and a record that only lists versions.
        osv(
            "GHSA-aaaa-bbbb-cccc",
            json!([pkg(
                "npm",
                "@babel/traverse",
                "SEMVER",
                json!([{"introduced": "0"}, {"fixed": "7.23.2"}])
            )]),
            json!({"aliases": ["CVE-2023-45133"], "database_specific": {"severity": "CRITICAL"}}),
        ),
        osv(
            "GHSA-dddd-eeee-ffff",
            json!([{"package": {"ecosystem": "npm", "name": "@babel/traverse"},
                    "ranges": [{"type": "GIT", "repo": "https://example.org/babel",
                                "events": [{"introduced": "0"}, {"fixed": "abcdef0"}]}],
                    "versions": ["7.21.0", "7.22.0"]}]),
            json!({}),
        ),
        // Go: introduced only, so no fix; Go's `v` prefix on the installed version.
        osv(
            "GO-2024-0012",
            json!([{"package": {"ecosystem": "Go", "name": "github.com/foo/bar"},
                    "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.2.0"}]}],
                    "ecosystem_specific": {"severity": "HIGH"}}]),
            json!({}),
        ),
    ]
}

/// The SBOM: CycloneDX, one package per ecosystem; the OS component gives
/// the release for the purl that lacks `distro`, trivy's SrcName property
/// its source package.
fn sbom() -> Value {
    json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "metadata": {"component": {"type": "container", "name": "test"}},
        "components": [
            {"type": "operating-system", "name": "debian", "version": "12.5"},
            {"type": "library", "name": "libc6", "version": "2.36-9+deb12u3",
             "purl": "pkg:deb/debian/libc6@2.36-9+deb12u3?arch=amd64&upstream=glibc&distro=debian-12"},
            {"type": "library", "name": "libssl3", "version": "3.0.11-1~deb12u2",
             "purl": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64",
             "properties": [{"name": "aquasecurity:trivy:SrcName", "value": "openssl"}]},
            {"type": "library", "name": "libcrypto3", "version": "3.1.4-r0",
             "purl": "pkg:apk/alpine/libcrypto3@3.1.4-r0?arch=x86_64&upstream=openssl&distro=alpine-3.18.4"},
            {"type": "library", "name": "smallvec", "version": "1.6.0",
             "purl": "pkg:cargo/smallvec@1.6.0"},
            {"type": "library", "name": "Django_Rest", "version": "3.0",
             "purl": "pkg:pypi/Django_Rest@3.0"},
            {"type": "library", "name": "traverse", "version": "7.22.0",
             "purl": "pkg:npm/%40babel/traverse@7.22.0"},
            {"type": "library", "name": "bar", "version": "v1.2.3",
             "purl": "pkg:golang/github.com/foo/bar@v1.2.3"},
            {"type": "library", "name": "bash", "version": "5.2",
             "purl": "pkg:rpm/fedora/bash@5.2"},
        ],
    })
}

fn write_db(env: &TestEnv, dir: &str, records: &[Value]) -> std::path::PathBuf {
    for r in records {
        let id = r["id"].as_str().unwrap();
        // Per-ecosystem subdirectories, as `gsutil cp -r` leaves an export.
        let eco = r["affected"][0]["package"]["ecosystem"].as_str().unwrap();
        let eco = eco.split(':').next().unwrap();
        env.write(&format!("{dir}/{eco}/{id}.json"), r.to_string());
    }
    env.path(dir)
}

fn zip_of(path: &std::path::Path, records: &[Value]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for r in records {
        z.start_file(format!("{}.json", r["id"].as_str().unwrap()), opts)
            .unwrap();
        z.write_all(r.to_string().as_bytes()).unwrap();
    }
    z.finish().unwrap();
}

/// One line a finding: package version id severity fixed aliases.
fn lines(out: &Value) -> String {
    let mut s = String::new();
    for f in out["findings"].as_array().unwrap() {
        let aliases: Vec<&str> = (f["aliases"].as_array().unwrap().iter())
            .map(|a| a.as_str().unwrap())
            .collect();
        s += &format!(
            "{} {} {} {} {} {}\n",
            f["package"].as_str().unwrap(),
            f["version"].as_str().unwrap(),
            f["id"].as_str().unwrap(),
            f["severity"].as_str().unwrap(),
            f["fixed"].as_str().unwrap_or("-"),
            aliases.join(",")
        );
    }
    s
}

const ALL: &str = "\
@babel/traverse 7.22.0 GHSA-aaaa-bbbb-cccc CRITICAL 7.23.2 CVE-2023-45133
@babel/traverse 7.22.0 GHSA-dddd-eeee-ffff UNKNOWN - 
Django_Rest 3.0 PYSEC-2024-0009 MEDIUM - 
github.com/foo/bar v1.2.3 GO-2024-0012 HIGH - 
libc6 2.36-9+deb12u3 DSA-0001-1 CRITICAL 2.36-9+deb12u4 CVE-2024-0001
libcrypto3 3.1.4-r0 ALPINE-CVE-2024-0006 UNKNOWN 3.1.4-r1 
libssl3 3.0.11-1~deb12u2 DSA-0005-1 HIGH 3.0.13-1~deb12u1 CVE-2024-0005
smallvec 1.6.0 RUSTSEC-2024-0007 LOW 1.6.1 
";

berthtest!(scan_matches_each_ecosystem_as_osv_defines_it, |env| {
    let db = write_db(&env, "db", &records());
    let sbom = env.write("sbom.cdx.json", sbom().to_string());
    let out = env
        .berth(&["scan", "--format", "json", "--db"])
        .arg(&db)
        .arg("--sbom")
        .arg(&sbom)
        .run();
    assert_ok(&out);
    eqnice!(ALL, lines(&out.json()));
    assert_eq!(out.json()["packages"], 7, "the rpm is not matchable");
    // The same database as one all.zip gives the same findings.
    zip_of(&env.path("all.zip"), &records());
    let out = env
        .berth(&["scan", "--format", "json", "--db", "all.zip", "--sbom"])
        .arg(&sbom)
        .run();
    assert_ok(&out);
    eqnice!(ALL, lines(&out.json()));
});

berthtest!(scan_spdx_documents_match_by_purl, |env| {
    let db = write_db(&env, "db", &records());
    let spdx = json!({
        "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
        "name": "t", "documentNamespace": "https://example.org/t",
        "creationInfo": {"created": "2024-01-01T00:00:00Z", "creators": ["Tool: test"]},
        "packages": [
            {"SPDXID": "SPDXRef-os", "name": "debian", "versionInfo": "12",
             "primaryPackagePurpose": "OPERATING-SYSTEM", "downloadLocation": "NOASSERTION"},
            {"SPDXID": "SPDXRef-1", "name": "libssl3", "versionInfo": "3.0.11-1~deb12u2",
             "downloadLocation": "NOASSERTION",
             "sourceInfo": "built package from: openssl 3.0.11-1~deb12u2",
             "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                               "referenceLocator": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2"}]},
            {"SPDXID": "SPDXRef-2", "name": "smallvec", "versionInfo": "1.6.1",
             "downloadLocation": "NOASSERTION",
             "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                               "referenceLocator": "pkg:cargo/smallvec@1.6.1"}]},
        ],
    });
    let sbom = env.write("sbom.spdx.json", spdx.to_string());
    let out = env
        .berth(&["scan", "--format", "json", "--db"])
        .arg(&db)
        .arg("--sbom")
        .arg(&sbom)
        .run();
    assert_ok(&out);
    eqnice!(
        "libssl3 3.0.11-1~deb12u2 DSA-0005-1 HIGH 3.0.13-1~deb12u1 CVE-2024-0005\n",
        lines(&out.json())
    );
});

berthtest!(scan_filters_and_exit_code_gate_ci, |env| {
    let db = write_db(&env, "db", &records());
    let sbom = env.write("sbom.json", sbom().to_string());
    let scan = |extra: &[&str]| {
        env.berth(&["scan", "--format", "json", "--exit-code", "4", "--db"])
            .arg(&db)
            .arg("--sbom")
            .arg(&sbom)
            .args(extra)
            .run()
    };
    let out = scan(&["--severity", "HIGH"]);
    assert_eq!(out.code(), Some(4), "{}", out.describe());
    eqnice!(
        "\
@babel/traverse 7.22.0 GHSA-aaaa-bbbb-cccc CRITICAL 7.23.2 CVE-2023-45133
github.com/foo/bar v1.2.3 GO-2024-0012 HIGH - 
libc6 2.36-9+deb12u3 DSA-0001-1 CRITICAL 2.36-9+deb12u4 CVE-2024-0001
libssl3 3.0.11-1~deb12u2 DSA-0005-1 HIGH 3.0.13-1~deb12u1 CVE-2024-0005
",
        lines(&out.json())
    );
    // Ignored by alias (a CVE id) from a .trivyignore-shaped file, or by id;
    // unfixed ones left out: nothing remains, so exit 0 despite --exit-code.
    let ignore = env.write(
        ".trivyignore",
        "# accepted until the rebuild\nCVE-2024-0001\nCVE-2024-0005 exp:2030-01-01\n",
    );
    let out = scan(&[
        "--severity",
        "critical",
        "--ignore-unfixed",
        "--ignore",
        "GHSA-aaaa-bbbb-cccc",
        "--ignore-file",
        ignore.to_str().unwrap(),
    ]);
    assert_ok(&out);
    eqnice!("", lines(&out.json()));
    // clap's own message: the first line names the problem, its help follows.
    let out = scan(&["--severity", "urgent"]);
    assert_eq!(out.code(), Some(125));
    assert!(
        (out.stderr().lines().next().unwrap_or_default())
            .contains("`urgent` is not LOW, MEDIUM, HIGH or CRITICAL"),
        "{}",
        out.describe()
    );
    let out = scan(&["--ignore-file", "/nonexistent/ignore"]);
    assert_fails_125(&out, "reading the ignore file `/nonexistent/ignore`");
});

berthtest!(scan_table_and_sarif_outputs, |env| {
    let db = write_db(&env, "db", &records());
    let sbom = env.write("sbom.json", sbom().to_string());
    let out = env
        .berth(&["scan", "--severity", "HIGH", "--db"])
        .arg(&db)
        .arg("--sbom")
        .arg(&sbom)
        .run();
    assert_ok(&out);
    eqnice!(
        "\
PACKAGE             VERSION           VULNERABILITY        SEVERITY  FIXED             ALIASES
@babel/traverse     7.22.0            GHSA-aaaa-bbbb-cccc  CRITICAL  7.23.2            CVE-2023-45133
github.com/foo/bar  v1.2.3            GO-2024-0012         HIGH
libc6 (glibc)       2.36-9+deb12u3    DSA-0001-1           CRITICAL  2.36-9+deb12u4    CVE-2024-0001
libssl3 (openssl)   3.0.11-1~deb12u2  DSA-0005-1           HIGH      3.0.13-1~deb12u1  CVE-2024-0005
",
        out.stdout()
    );
    let out = env
        .berth(&["scan", "--format", "sarif", "--db"])
        .arg(&db)
        .arg("--sbom")
        .arg(&sbom)
        .run();
    assert_ok(&out);
    let s = out.json();
    assert_eq!(s["version"], "2.1.0");
    let run = &s["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 8);
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 8);
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"], "ruleIndex points at its rule");
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
    }
    assert_eq!(rules[0]["properties"]["security-severity"], Value::Null);
});

berthtest!(scan_escapes_what_the_sbom_and_database_say, |env| {
    let evil = "evil\u{1b}[2K\rberth: forged";
    let db = write_db(
        &env,
        "db",
        &[osv(
            "RUSTSEC-\u{1b}]0;x\u{7}",
            json!([pkg(
                "crates.io",
                evil,
                "SEMVER",
                json!([{"introduced": "0"}])
            )]),
            json!({}),
        )],
    );
    let sbom = json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
        {"type": "library", "name": "x",
         "purl": "pkg:cargo/evil%1B%5B2K%0Dberth:%20forged@1.0.0"}]});
    let sbom = env.write("sbom.json", sbom.to_string());
    let out = env
        .berth(&["scan", "--db"])
        .arg(&db)
        .arg("--sbom")
        .arg(&sbom)
        .run();
    assert_ok(&out);
    assert!(!out.stdout().contains('\u{1b}'), "{}", out.describe());
    assert!(
        out.stdout().contains("evil\\x1b[2K\\rberth: forged"),
        "{}",
        out.describe()
    );
});

berthtest!(scan_skips_malformed_records_with_a_warning, |env| {
    let good = osv(
        "RUSTSEC-2024-0100",
        json!([pkg(
            "crates.io",
            "smallvec",
            "SEMVER",
            json!([{"introduced": "0"}])
        )]),
        json!({}),
    );
    env.write("db/good.json", good.to_string());
    env.write("db/notjson.json", "{\"id\": ");
    env.write("db/array.json", "[1, 2, 3]");
    env.write("db/noid.json", "{\"affected\": []}");
    env.write(
        "db/badtype.json",
        "{\"id\": \"X\", \"affected\": \"all of them\"}",
    );
    env.write(
        "db/badevents.json",
        osv(
            "BAD-EVENTS",
            json!([{"package": {"ecosystem": "crates.io", "name": "smallvec"},
                    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "not.a.version"}]}]}]),
            json!({}),
        )
        .to_string(),
    );
    // A 9 MiB record is not read whole.
    let mut big = b"{\"id\": \"BIG\", \"details\": \"".to_vec();
    big.resize(9 << 20, b'a');
    big.extend_from_slice(b"\"}");
    env.write("db/big.json", big);
    // A symlink in the database is not followed.
    std::os::unix::fs::symlink("/etc/passwd", env.path("db/link.json")).unwrap();
    let sbom = json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
        {"type": "library", "name": "smallvec", "purl": "pkg:cargo/smallvec@1.0.0"}]});
    let sbom = env.write("sbom.json", sbom.to_string());
    let out = env
        .berth(&["scan", "--format", "json", "--db", "db", "--sbom"])
        .arg(&sbom)
        .run();
    assert_ok(&out);
    eqnice!(
        "smallvec 1.0.0 RUSTSEC-2024-0100 UNKNOWN - \n",
        lines(&out.json())
    );
    let warn = out.stderr();
    assert!(
        warn.starts_with("berth: warning: skipped 5 malformed OSV record(s); the first: "),
        "{}",
        out.describe()
    );
    // An SBOM that is neither format is bad input.
    let out = env
        .berth(&["scan", "--db", "db", "--sbom", "db/array.json"])
        .run();
    assert_fails_125(&out, "not an SPDX 2.x or CycloneDX JSON document");
    let out = env
        .berth(&["scan", "--db", "nonexistent", "--sbom"])
        .arg(&sbom)
        .run();
    assert_fails_125(&out, "no OSV database at `nonexistent`");
});

/// `python3 -m http.server` on 127.0.0.1 at a port the kernel picks,
/// serving `dir`; killed on drop.
struct HttpServer {
    child: std::process::Child,
    url: String,
}

impl HttpServer {
    fn start(dir: &std::path::Path) -> HttpServer {
        let mut child = std::process::Command::new("python3")
            .args([
                "-u",
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 -m http.server");
        // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .expect("the port http.server chose");
        HttpServer {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

berthtest!(scan_db_update_fetches_exports_and_scans_offline, |env| {
    if !crate::util::tool_or_skip("python3") {
        return;
    }
    let recs = records();
    let of = |eco: &str| -> Vec<Value> {
        (recs.iter())
            .filter(|r| {
                r["affected"][0]["package"]["ecosystem"]
                    .as_str()
                    .unwrap()
                    .starts_with(eco)
            })
            .cloned()
            .collect()
    };
    std::fs::create_dir_all(env.path("www/Debian")).unwrap();
    std::fs::create_dir_all(env.path("www/crates.io")).unwrap();
    zip_of(&env.path("www/Debian/all.zip"), &of("Debian"));
    zip_of(&env.path("www/crates.io/all.zip"), &of("crates.io"));
    let server = HttpServer::start(&env.path("www"));
    let out = env
        .berth(&[
            "scan",
            "--db-update",
            "--ecosystem",
            "Debian",
            "--ecosystem",
            "crates.io",
        ])
        .env("BERTH_OSV_URL", &server.url)
        .run();
    assert_ok(&out);
    assert!(env.root.join("osv/Debian/all.zip").is_file());
    drop(server);
    // The scan reads the default database, with the server gone.
    let sbom = env.write("sbom.json", sbom().to_string());
    let out = env
        .berth(&["scan", "--format", "json", "--sbom"])
        .arg(&sbom)
        .run();
    assert_ok(&out);
    eqnice!(
        "\
libc6 2.36-9+deb12u3 DSA-0001-1 CRITICAL 2.36-9+deb12u4 CVE-2024-0001
libssl3 3.0.11-1~deb12u2 DSA-0005-1 HIGH 3.0.13-1~deb12u1 CVE-2024-0005
smallvec 1.6.0 RUSTSEC-2024-0007 LOW 1.6.1 
",
        lines(&out.json())
    );
    // An ecosystem the server lacks fails the update, and leaves the
    // database as it was.
    let server = HttpServer::start(&env.path("www"));
    let out = env
        .berth(&[
            "scan",
            "--db-update",
            "--ecosystem",
            "PyPI",
            "--osv-url",
            &server.url,
        ])
        .run();
    assert_fails_125(&out, "/PyPI/all.zip");
    let out = env
        .berth(&["scan", "--db-update", "--ecosystem", "Maven"])
        .run();
    assert_fails_125(&out, "unknown ecosystem `Maven`");
    // Something that is not a zip is refused before it replaces the export.
    env.write("www/Debian/all.zip", "<html>captive portal</html>");
    let out = env
        .berth(&[
            "scan",
            "--db-update",
            "--ecosystem",
            "Debian",
            "--osv-url",
            &server.url,
        ])
        .run();
    assert_fails_125(&out, "is not a zip file");
    let out = env
        .berth(&["scan", "--format", "json", "--sbom"])
        .arg(&sbom)
        .run();
    assert_ok(&out);
    assert_eq!(out.json()["findings"].as_array().unwrap().len(), 3);
});

/// The busybox test image with a dpkg database and an os-release, as a
/// Debian 12 image has them: libc6 (from glibc) and libssl3 (from openssl).
fn debian_busybox_tar(env: &TestEnv) -> std::path::PathBuf {
    use std::io::Read;
    let src = std::fs::read(crate::util::busybox_tar()).unwrap();
    let mut b = tar::Builder::new(Vec::new());
    for e in tar::Archive::new(&src[..]).entries().unwrap() {
        let mut e = e.unwrap();
        let h = e.header().clone();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        b.append(&h, &data[..]).unwrap();
    }
    let status = "\
Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u3
Description: GNU C Library: Shared libraries

Package: libssl3
Status: install ok installed
Priority: optional
Section: libs
Architecture: amd64
Source: openssl
Version: 3.0.11-1~deb12u2
Description: Secure Sockets Layer toolkit - shared libraries
";
    for (path, data) in [
        (
            "etc/os-release",
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
        ),
        ("var/lib/dpkg/status", status),
    ] {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_700_000_000);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, path, data.as_bytes()).unwrap();
    }
    env.write("debian.tar", b.into_inner().unwrap())
}

/// stderr without the degraded-mode warnings a user without a subuid
/// range gets on every command.
fn without_warnings(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| !l.starts_with("berth: warning: "))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The records the gate tests use: glibc CRITICAL, openssl HIGH.
fn gate_records() -> Vec<Value> {
    records()
        .into_iter()
        .filter(|r| ["DSA-0001-1", "DSA-0005-1"].contains(&r["id"].as_str().unwrap()))
        .collect()
}

berthtest!(
    scan_gate_refuses_run_and_create_and_caches_the_scan,
    |env| {
        let tar = debian_busybox_tar(&env);
        let id = env.import(&tar, "deb", &[]);
        // No database: a gate that cannot look does not pass.
        let out = env
            .berth(&["run", "--rm", "--scan-gate", "HIGH", "deb", "true"])
            .run();
        assert_fails_125(&out, "scan gate: scanning `deb`: no OSV database at `");
        // The default database is <root>/osv, as --db-update fills it.
        write_db(&env, "root/osv", &gate_records());
        let out = env.berth(&["scan", "--format", "json", "deb"]).run();
        assert_ok(&out);
        eqnice!(
            "\
libc6 2.36-9+deb12u3 DSA-0001-1 CRITICAL 2.36-9+deb12u4 CVE-2024-0001
libssl3 3.0.11-1~deb12u2 DSA-0005-1 HIGH 3.0.13-1~deb12u1 CVE-2024-0005
",
            lines(&out.json())
        );
        let out = env
            .berth(&["run", "--rm", "--scan-gate", "HIGH", "deb", "echo", "ran"])
            .run();
        assert_eq!(out.code(), Some(125), "{}", out.describe());
        assert!(!out.stdout().contains("ran"));
        eqnice!(
            "\
berth: scan gate: `deb` has 2 known vulnerabilities at or above HIGH
  libc6 2.36-9+deb12u3 DSA-0001-1 (CVE-2024-0001) CRITICAL, fixed in 2.36-9+deb12u4
  libssl3 3.0.11-1~deb12u2 DSA-0005-1 (CVE-2024-0005) HIGH, fixed in 3.0.13-1~deb12u1
",
            without_warnings(&out.stderr())
        );
        let out = env
            .berth(&["create", "--scan-gate", "critical", "deb"])
            .run();
        assert_eq!(out.code(), Some(125), "{}", out.describe());
        assert!(
            without_warnings(&out.stderr()).starts_with(
                "berth: scan gate: `deb` has 1 known vulnerability at or above CRITICAL\n"
            ),
            "{}",
            out.describe()
        );
        assert_eq!(
            env.berth(&["ps", "-a", "-q"]).ok(),
            "",
            "no container was made"
        );
        // The findings are cached per image and database version: with the
        // index gone, the gate answers from the cache and builds none.
        let cached = crate::util::list_dir(&env.root.join("scan-cache"));
        assert_eq!(cached.len(), 1, "{cached:?}");
        assert!(cached[0].starts_with(&id), "{cached:?}");
        std::fs::remove_dir_all(env.root.join("osv-index")).unwrap();
        let out = env.berth(&["create", "--scan-gate", "HIGH", "deb"]).run();
        assert_eq!(out.code(), Some(125), "{}", out.describe());
        assert!(
            !env.root.join("osv-index").exists(),
            "the second gate did not scan"
        );
        // A passing gate runs the container; another database is --scan-db.
        let db2 = write_db(&env, "db2", &gate_records()[1..]);
        let out = env
            .berth(&["run", "--rm", "--scan-gate", "CRITICAL", "--scan-db"])
            .arg(&db2)
            .args(&["deb", "echo", "ran"])
            .run();
        assert_ok(&out);
        assert_eq!(out.stdout(), "ran\n");
        // A new database version is a new scan.
        let mut fixed = gate_records();
        fixed[1]["affected"][0]["ranges"][0]["events"][1]["fixed"] = "3.0.11-1~deb12u1".into();
        std::fs::remove_dir_all(env.root.join("osv")).unwrap();
        write_db(&env, "root/osv", &fixed[1..]);
        let out = env
            .berth(&["run", "--rm", "--scan-gate", "HIGH", "deb", "echo", "ran"])
            .run();
        assert_ok(&out);
        // The cached findings go with the image.
        assert_eq!(crate::util::list_dir(&env.root.join("scan-cache")).len(), 1);
        assert_ok(&env.berth(&["rmi", "deb"]).run());
        let left = crate::util::list_dir(&env.root.join("scan-cache"));
        assert!(left.is_empty(), "{left:?} outlived its image");
    }
);

berthtest!(scan_gate_refuses_a_push_before_anything_is_sent, |env| {
    let Some(reg) = crate::util::registry::Registry::available()
        .then(|| crate::util::registry::Registry::start(crate::util::registry::Mode::Plain))
    else {
        return;
    };
    let tar = debian_busybox_tar(&env);
    env.import(&tar, "deb", &[]);
    write_db(&env, "root/osv", &gate_records());
    let dest = format!("docker://{}", reg.reference("berth/deb:1"));
    let out = env
        .berth(&[
            "push",
            "--tls-verify=false",
            "--scan-gate",
            "HIGH",
            "deb",
            &dest,
        ])
        .run();
    assert_eq!(out.code(), Some(125), "{}", out.describe());
    assert!(
        without_warnings(&out.stderr()).starts_with(&format!(
            "berth: pushing `deb` to `{dest}`: scan gate: `deb` has 2 known vulnerabilities at or above HIGH\n"
        )),
        "{}",
        out.describe()
    );
    assert!(
        reg.blobs().is_empty(),
        "nothing was sent: {:?}",
        reg.blobs()
    );
    // The same gate against a database where both are fixed lets it through.
    let out = env
        .berth(&[
            "push",
            "--tls-verify=false",
            "--scan-gate",
            "HIGH",
            "--scan-db",
            "empty.zip",
            "deb",
            &dest,
        ])
        .run();
    assert_fails_125(&out, "no OSV database at `empty.zip`");
    let db2 = write_db(&env, "db2", &records()[1..2]);
    let out = env
        .berth(&[
            "push",
            "--tls-verify=false",
            "--scan-gate",
            "HIGH",
            "--scan-db",
        ])
        .arg(&db2)
        .args(&["deb", &dest])
        .run();
    assert_ok(&out);
    assert!(!reg.blobs().is_empty());
});
