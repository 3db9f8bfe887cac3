//! BuildKit's own parser test cases (`shared/corpus/dockerfile-parser`,
//! see its README), run against our parser: every `testfiles/<case>` must
//! parse and dump exactly as its `result`, every `testfiles-negative/<case>`
//! must fail, and `testfile-line` must report BuildKit's line spans.
//!
//! A unit test rather than a `tests/` one: the corpus sits beside the
//! repository, which CI's unprivileged integration-test users cannot read,
//! while `cargo test --bins` runs in the checkout. No case is left out.

use std::path::{Path, PathBuf};

use super::parser::parse;

/// `$BERTH_CORPUS` when set (and then only it), else `shared/corpus` beside
/// the repository (nothing of one machine's paths).
fn corpus() -> Option<PathBuf> {
    let candidates = match std::env::var_os("BERTH_CORPUS") {
        Some(c) => vec![PathBuf::from(c)],
        None => vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")],
    };
    candidates
        .into_iter()
        .map(|c| c.join("dockerfile-parser"))
        .find(|c| c.join("testfiles").is_dir())
}

/// The parser corpus, or None after saying why; a missing corpus fails
/// under `BERTH_TEST_STRICT=1` and in CI (`CI=true`), where it must exist.
fn corpus_or_skip() -> Option<PathBuf> {
    let dir = corpus();
    if dir.is_none() {
        crate::skip::skip(
            "no dockerfile-parser corpus (set BERTH_CORPUS, or put shared/corpus beside the repository)",
        );
    }
    dir
}

fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

#[test]
fn corpus_positive_cases_dump_as_buildkit() {
    let Some(dir) = corpus_or_skip() else { return };
    let cases = cases(&dir.join("testfiles"));
    // The README promises 33; fewer means a broken copy, not a pass.
    assert!(
        cases.len() >= 33,
        "only {} cases in {}",
        cases.len(),
        dir.display()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy();
        let want = read(&case.join("result"));
        match parse(&read(&case.join("Dockerfile"))) {
            Ok(df) => {
                let got = df.dump() + "\n";
                if got != want {
                    failures.push(format!(
                        "{name}: dump differs\n--- want\n{want}--- got\n{got}"
                    ));
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    eprintln!(
        "dockerfile-parser corpus: {}/{} positive cases pass",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} failing:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_negative_cases_fail() {
    let Some(dir) = corpus_or_skip() else { return };
    let cases = cases(&dir.join("testfiles-negative"));
    assert!(cases.len() >= 4, "only {} negative cases", cases.len());
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy();
        match parse(&read(&case.join("Dockerfile"))) {
            Ok(df) => panic!("{name}: parsed, want an error:\n{}", df.dump()),
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.starts_with("Dockerfile:"), "{name}: {msg}");
            }
        }
    }
}

#[test]
fn corpus_line_spans() {
    let Some(dir) = corpus_or_skip() else { return };
    let dir = dir.join("testfile-line");
    let want: serde_json::Value =
        serde_json::from_str(&read(&dir.join("expected-lines.json"))).unwrap();
    let span = |v: &serde_json::Value| {
        (
            v[0].as_u64().unwrap() as usize,
            v[1].as_u64().unwrap() as usize,
        )
    };
    let df = parse(&read(&dir.join("Dockerfile"))).unwrap();
    assert_eq!(df.lines(), span(&want["root"]));
    let got: Vec<(usize, usize)> = df
        .instructions
        .iter()
        .map(|i| (i.line, i.end_line))
        .collect();
    let want: Vec<(usize, usize)> = want["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(span)
        .collect();
    assert_eq!(got, want);
}
