//! The layering check: imports point down the rank table in ARCHITECTURE.md.
//!
//! A test, not a lint script, so that it sees what a grep cannot: grouped
//! imports (`use crate::{a, b::{c, d}}`), paths in code (`crate::a::f()`),
//! and every top-level module under `src/`, ranked or not. `.ci/run` runs it
//! by name before the long tests; `cargo test` runs it with the rest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The rank table: the fenced block tagged `layers` in ARCHITECTURE.md, one
/// row of module names per line, top row first. Higher rank = higher row.
fn ranks(architecture: &str) -> Result<BTreeMap<String, usize>, String> {
    let mut lines = architecture.lines().skip_while(|l| l.trim() != "```layers");
    if lines.next().is_none() {
        return Err("ARCHITECTURE.md has no ```layers block".into());
    }
    let rows: Vec<&str> = lines.take_while(|l| l.trim() != "```").collect();
    let mut rank = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        for m in row.split_whitespace() {
            if rank.insert(m.to_string(), rows.len() - i).is_some() {
                return Err(format!("ARCHITECTURE.md ranks `{m}` twice"));
            }
        }
    }
    Ok(rank)
}

/// Source text without comments: `//` to the end of the line, outside
/// string literals (a URL in a string is not a comment).
fn code_of(line: &str) -> &str {
    let mut in_str = false;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '"' if prev != '\\' => in_str = !in_str,
            '/' if !in_str && prev == '/' => return &line[..i - 1],
            _ => {}
        }
        prev = if prev == '\\' && c == '\\' { ' ' } else { c };
    }
    line
}

/// The top-level modules `text` names after `crate::`, with grouped imports
/// opened (`crate::{a::x, b}` names `a` and `b`, across lines too), each with
/// the byte offset of its `crate::`.
fn uses(text: &str) -> Vec<(usize, String)> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = text[at..].find("crate::") {
        let here = at + i;
        at = here + "crate::".len();
        let rest = &text[at..];
        let Some(group) = rest.strip_prefix('{') else {
            out.push((here, ident(rest)));
            continue;
        };
        // Split the group at its top-level commas; each item's first
        // segment is a module.
        let (mut depth, mut item) = (0usize, 0usize);
        for (j, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    out.push((here, ident(&group[item..j])));
                    break;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    out.push((here, ident(&group[item..j])));
                    item = j + 1;
                }
                _ => {}
            }
        }
    }
    out.retain(|(_, m)| !m.is_empty() && m != "self");
    out
}

/// The modules only, for tests.
#[cfg(test)]
fn used_modules(text: &str) -> Vec<String> {
    uses(text).into_iter().map(|(_, m)| m).collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every top-level module under `src/` and its files.
fn modules(src: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    let mut mods = BTreeMap::new();
    for e in std::fs::read_dir(src).expect("reading src/").flatten() {
        let p = e.path();
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        // main.rs sits above every module; this check is test code of its own.
        if name == "main" || name == "layering" {
            continue;
        }
        let mut files = Vec::new();
        if p.is_dir() {
            rust_files(&p, &mut files);
        } else if p.extension().is_some_and(|x| x == "rs") {
            files.push(p.clone());
        } else {
            continue;
        }
        mods.entry(name).or_insert_with(Vec::new).extend(files);
    }
    mods
}

/// The violations in the tree at `repo`: one line each, `file:line: …`.
fn violations(repo: &Path) -> Vec<String> {
    let arch =
        std::fs::read_to_string(repo.join("ARCHITECTURE.md")).expect("reading ARCHITECTURE.md");
    let rank = match ranks(&arch) {
        Ok(r) => r,
        Err(e) => return vec![e],
    };
    let mut bad = Vec::new();
    for (m, files) in modules(&repo.join("src")) {
        let Some(&mine) = rank.get(&m) else {
            bad.push(format!(
                "src/{m}: not in ARCHITECTURE.md's layers table: give it a row"
            ));
            continue;
        };
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            let code: Vec<&str> = text.lines().map(code_of).collect();
            let code = code.join("\n");
            for (at, used) in uses(&code) {
                let Some(&theirs) = rank.get(&used) else {
                    continue;
                };
                if used != m && theirs >= mine {
                    let how = if theirs == mine { "sideways" } else { "upward" };
                    bad.push(format!(
                        "{}:{}: {m} uses crate::{used} ({how})",
                        f.strip_prefix(repo).unwrap_or(&f).display(),
                        code[..at].matches('\n').count() + 1
                    ));
                }
            }
        }
    }
    bad
}

#[test]
fn imports_point_down_the_rank_table() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bad = violations(repo);
    assert!(
        bad.is_empty(),
        "layering (ARCHITECTURE.md): {} violation(s):\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn grouped_imports_and_paths_in_code_are_seen() {
    assert_eq!(used_modules("use crate::store::Store;"), ["store"]);
    assert_eq!(
        used_modules("use crate::{layer::{self, Ownership}, store, ident::idmap};"),
        ["layer", "store", "ident"]
    );
    assert_eq!(
        used_modules("let x = crate::layer::f(crate::sys::g());"),
        ["layer", "sys"]
    );
    assert_eq!(
        used_modules("use crate::{\n    image::Image,\n    store::{self, Store},\n};"),
        ["image", "store"]
    );
    assert_eq!(
        code_of("let u = \"http://x\"; // crate::cli"),
        "let u = \"http://x\"; "
    );
    assert!(used_modules(code_of("//! see crate::cli")).is_empty());
}

#[test]
fn the_rank_table_is_read_top_down() {
    let r = ranks("x\n```layers\na b\nc\n```\n").unwrap();
    assert_eq!((r["a"], r["b"], r["c"]), (2, 2, 1));
}
