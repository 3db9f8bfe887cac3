//! `berth search` against a real registry: its catalog filtered by the
//! term, tags, JSON, and each mode's guard (Basic credentials, TLS with a
//! certificate directory, Bearer tokens) passed or refused as it should be.

use crate::util::peer::Peer;
use crate::util::registry::{Mode, Registry};
use crate::util::{TestEnv, assert_fails_125, tool_or_skip};

const BUSYBOX: &str = "docker.io/library/busybox:latest";

/// A registry in `mode` holding busybox under each of `repos` (`NAME:TAG`,
/// pushed by skopeo), or None (after a skip) when the tools are missing.
fn registry_with(env: &TestEnv, mode: Mode, repos: &[&str]) -> Option<Registry> {
    if !Registry::available() || !tool_or_skip("skopeo") {
        return None;
    }
    let reg = Registry::start(mode);
    let peer = Peer::new(env);
    env.import_busybox();
    let src = format!("oci:{}:{BUSYBOX}", env.root.join("store").display());
    for r in repos {
        reg.skopeo_push(&peer, &src, r);
    }
    Some(reg)
}

/// The first column of a table, header included.
fn names(table: &str) -> Vec<String> {
    table
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

fn search(env: &TestEnv, reg: &Registry, args: &[&str]) -> crate::util::Run {
    let mut v = vec!["search".to_string()];
    v.extend(reg.client_flags(""));
    v.extend(args.iter().map(|a| a.to_string()));
    env.berth(&v).run()
}

berthtest!(search_filters_the_catalog_by_the_term, |env| {
    let Some(reg) = registry_with(&env, Mode::Plain, &["app/web:1", "app/db:1", "tools:2"]) else {
        return;
    };
    let h = reg.host();
    let out = search(&env, &reg, &[&format!("{h}/")]);
    crate::util::assert_ok(&out);
    assert_eq!(
        names(out.stdout()),
        [
            "NAME",
            &format!("{h}/app/db"),
            &format!("{h}/app/web"),
            &format!("{h}/tools")
        ]
    );
    let out = search(&env, &reg, &[&format!("{h}/app")]);
    assert_eq!(
        names(out.stdout()),
        ["NAME", &format!("{h}/app/db"), &format!("{h}/app/web")]
    );
    let out = search(&env, &reg, &["--limit", "1", &format!("{h}/app")]);
    assert_eq!(names(out.stdout()), ["NAME", &format!("{h}/app/db")]);
    let out = search(&env, &reg, &["--format", "json", &format!("{h}/tools")]);
    let v = out.json();
    assert_eq!(v[0]["Name"], format!("{h}/tools"));
    assert_eq!(v[0]["Index"], h);
    assert_eq!(v.as_array().unwrap().len(), 1);
    let out = search(
        &env,
        &reg,
        &["--format", "{{.Name}} in {{.Index}}", &format!("{h}/app")],
    );
    assert_eq!(
        out.stdout(),
        format!("{h}/app/db in {h}\n{h}/app/web in {h}\n")
    );
    let out = search(&env, &reg, &["--format", "{{.Nope", &format!("{h}/app")]);
    assert_fails_125(&out, "--format `{{.Nope`");
});

berthtest!(search_lists_tags_of_a_repository, |env| {
    let Some(reg) = registry_with(&env, Mode::Plain, &["tools:2", "tools:1"]) else {
        return;
    };
    let h = reg.host();
    let out = search(&env, &reg, &["--list-tags", &format!("{h}/tools")]);
    crate::util::assert_ok(&out);
    let mut lines: Vec<&str> = out.stdout().lines().collect();
    assert_eq!(
        lines.remove(0).split_whitespace().collect::<Vec<_>>(),
        ["NAME", "TAG"]
    );
    lines.sort();
    let rows: Vec<Vec<&str>> = lines
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let name = format!("{h}/tools");
    assert_eq!(rows, [[name.as_str(), "1"], [name.as_str(), "2"]]);
    let out = search(
        &env,
        &reg,
        &["--list-tags", "--format", "{{.Tag}}", &format!("{h}/tools")],
    );
    let mut tags: Vec<&str> = out.stdout().lines().collect();
    tags.sort();
    assert_eq!(tags, ["1", "2"]);
    let out = search(&env, &reg, &["--list-tags", &format!("{h}/tools:2")]);
    assert_fails_125(&out, "without a tag");
});

berthtest!(search_needs_the_credentials_of_a_basic_registry, |env| {
    let Some(reg) = registry_with(&env, Mode::basic("berthuser", "s3cret-basic"), &["x:1"]) else {
        return;
    };
    let h = reg.host();
    let out = env
        .berth(&["search", "--tls-verify=false", &format!("{h}/")])
        .run();
    let line = assert_fails_125(&out, &format!("berth login {h}"));
    assert!(!line.contains("s3cret"), "{line}");
    let out = env
        .berth(&[
            "search",
            "--tls-verify=false",
            "--creds",
            "berthuser:wrong",
            &format!("{h}/"),
        ])
        .run();
    let line = assert_fails_125(&out, "authentication failed");
    assert!(!line.contains("wrong"), "the password stays out: {line}");
    let out = search(&env, &reg, &[&format!("{h}/")]);
    assert_eq!(names(out.stdout()), ["NAME", &format!("{h}/x")]);
});

berthtest!(search_over_tls_trusts_the_cert_dir_only, |env| {
    let Some(reg) = registry_with(&env, Mode::Tls, &["x:1"]) else {
        return;
    };
    let h = reg.host();
    let out = env.berth(&["search", &format!("{h}/")]).run();
    assert_fails_125(&out, "TLS handshake failed");
    let out = search(&env, &reg, &[&format!("{h}/")]);
    crate::util::assert_ok(&out);
    assert_eq!(names(out.stdout()), ["NAME", &format!("{h}/x")]);
});

berthtest!(search_gets_a_catalog_token_from_the_issuer, |env| {
    let Some(reg) = registry_with(&env, Mode::token("berthuser", "s3cret-token"), &["x:1"]) else {
        return;
    };
    let h = reg.host();
    let out = search(&env, &reg, &[&format!("{h}/")]);
    crate::util::assert_ok(&out);
    assert_eq!(names(out.stdout()), ["NAME", &format!("{h}/x")]);
    assert!(
        reg.grants()
            .iter()
            .any(|g| g.user.as_deref() == Some("berthuser")
                && g.access.iter().any(|a| a.starts_with("registry:catalog:"))),
        "a catalog token was asked for and granted: {:?}",
        reg.grants()
    );
});
