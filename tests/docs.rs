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

/// `berth __gen-docs DIR`: an internal verb, outside clap, so without the
/// harness's `--root`.
fn gen_docs(dir: &Path) {
    util::Cmd::new(util::berth_bin())
        .arg("__gen-docs")
        .arg(dir)
        .ok();
}

#[test]
fn committed_docs_are_fresh() {
    let env = TestEnv::new("docs");
    let generated = env.path("generated");
    std::fs::create_dir_all(&generated).unwrap();
    gen_docs(&generated);
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
    gen_docs(&generated);
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

/// `berth --help` says what each verb does: a verb listed with no words
/// after it is one a user has to guess (clap's `defer` did that once).
#[test]
fn help_lists_every_verb_with_what_it_does() {
    let env = TestEnv::new("docs-help");
    let out = env.berth(&["--help"]).ok();
    let verbs: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert!(verbs.len() > 30, "{out}");
    for line in verbs {
        assert!(
            line.split_whitespace().count() >= 2 || line.starts_with("        "),
            "a verb without its description: {line:?}\n{out}"
        );
    }
}

/// Every committed page renders without a warning from man (groff's
/// complaints about bad escapes, unknown macros, lines it cannot break).
#[test]
fn man_pages_render_without_warnings() {
    if !util::tool_or_skip("man") {
        return;
    }
    let man = util::repo_dir().join("man");
    let pages = util::list_dir(&man);
    assert!(pages.len() > 40, "{pages:?}");
    for page in pages {
        let out = std::process::Command::new("man")
            .args(["--warnings", "-l"])
            .arg(man.join(&page))
            .env("MANWIDTH", "80")
            .env("MANPAGER", "cat")
            .output()
            .expect("run man");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && err.is_empty(), "{page}: {err}");
        let text = String::from_utf8_lossy(&out.stdout);
        for section in ["EXIT STATUS", "ENVIRONMENT", "FILES"] {
            assert!(text.contains(section), "{page} has no {section}");
        }
    }
}

/// Drives the committed bash script the way bash does on <TAB>: sets
/// COMP_WORDS/COMP_CWORD, calls the function `complete -p berth` names, and
/// returns COMPREPLY. `berth` on PATH is the binary under test.
fn bash_complete(env: &TestEnv, words: &[&str]) -> Vec<String> {
    let script = util::repo_dir().join("completions/berth.bash");
    let bin = env.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let link = bin.join("berth");
    if !link.exists() {
        std::os::unix::fs::symlink(util::berth_bin(), &link).unwrap();
    }
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'\n\
         func=$(complete -p berth | sed -E 's/.*-F ([^ ]+).*/\\1/')\n\
         COMP_WORDS=({})\n\
         COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n\
         COMP_LINE=\"${{COMP_WORDS[*]}}\"\n\
         COMP_POINT=${{#COMP_LINE}}\n\
         \"$func\" berth \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script.display(),
        quoted.join(" ")
    );
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .env("PATH", path)
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut got: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    got.sort();
    got
}

#[test]
fn bash_completes_network_modes() {
    let env = TestEnv::new("complete-network");
    let got = bash_complete(&env, &["berth", "run", "--network", ""]);
    assert_eq!(got, ["host", "none", "private", "slirp4netns"]);
}

#[test]
fn bash_completes_image_and_container_names_from_the_store() {
    let env = TestEnv::new("complete-names");
    env.import_busybox();
    let root = env.path("root");
    let root = root.to_str().unwrap();
    let got = bash_complete(&env, &["berth", "--root", root, "rmi", "busy"]);
    assert_eq!(got, ["busybox:latest"]);
    let got = bash_complete(&env, &["berth", "--root", root, "run", "--rm", ""]);
    assert!(got.iter().any(|g| g == "busybox:latest"), "{got:?}");
    // Hidden internal verbs are never offered.
    let got = bash_complete(&env, &["berth", "__"]);
    assert!(got.is_empty(), "{got:?}");
}
