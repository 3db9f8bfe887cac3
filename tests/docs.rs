//! The committed man pages and shell completions match what the binary
//! generates (`berth __gen-docs DIR` writes `DIR/man/*.1` and
//! `DIR/completions/berth.{bash,zsh,fish}`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::util::{self, TestEnv};

/// Relative path → content of every file under `dir`.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn committed_docs_are_fresh() {
    let env = TestEnv::new("docs");
    let generated = env.path("generated");
    std::fs::create_dir_all(&generated).unwrap();
    env.berth(&["__gen-docs".as_ref(), generated.as_os_str()])
        .ok();
    let repo = util::repo_dir();
    let mut stale = Vec::new();
    for sub in ["man", "completions"] {
        let want = files(&generated.join(sub));
        assert!(
            !want.is_empty(),
            "`berth __gen-docs` wrote nothing under {sub}/"
        );
        let have = files(&repo.join(sub));
        for (name, content) in &want {
            match have.get(name) {
                None => stale.push(format!("{sub}/{name} is missing")),
                Some(c) if c != content => stale.push(format!("{sub}/{name} differs")),
                Some(_) => {}
            }
        }
        for name in have.keys() {
            if !want.contains_key(name) {
                stale.push(format!("{sub}/{name} is no longer generated"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "man pages or completions in {} are stale:\n  {}\nrun `berth __gen-docs .` and commit",
        repo.display(),
        stale.join("\n  ")
    );
}

#[test]
fn man_pages_cover_every_verb() {
    let env = TestEnv::new("docs-verbs");
    let generated = env.path("generated");
    std::fs::create_dir_all(&generated).unwrap();
    env.berth(&["__gen-docs".as_ref(), generated.as_os_str()])
        .ok();
    let pages = util::list_dir(&generated.join("man"));
    for verb in [
        "berth.1",
        "berth-import.1",
        "berth-images.1",
        "berth-tag.1",
        "berth-untag.1",
        "berth-rmi.1",
        "berth-inspect.1",
        "berth-history.1",
        "berth-save.1",
        "berth-load.1",
        "berth-version.1",
    ] {
        assert!(pages.iter().any(|p| p == verb), "{verb} in {pages:?}");
    }
    let completions = generated.join("completions");
    assert!(completions.join("berth.bash").is_file(), "berth.bash");
    assert!(completions.join("berth.fish").is_file(), "berth.fish");
    assert!(
        completions.join("berth.zsh").is_file() || completions.join("_berth").is_file(),
        "berth.zsh or _berth"
    );
}
