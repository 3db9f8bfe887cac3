//! The build context: `.dockerignore` patterns, source globbing, and the
//! content hash a COPY step's cache key includes (names, modes and bytes,
//! never mtimes).

use super::dockerfile::pattern_step as step;
use anyhow::{Context, Result, bail};
use sha2::{Digest as _, Sha256};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

pub struct Ignore {
    /// (pattern, negated)
    rules: Vec<(Vec<String>, bool)>,
}

impl Ignore {
    pub fn load(context: &Path, dockerfile: Option<&Path>) -> Result<Ignore> {
        // `Dockerfile.dockerignore` beside a named Dockerfile wins.
        let beside = dockerfile.map(|d| PathBuf::from(format!("{}.dockerignore", d.display())));
        let text = match beside.filter(|p| p.exists()) {
            Some(p) => fs::read_to_string(p)?,
            None => fs::read_to_string(context.join(".dockerignore")).unwrap_or_default(),
        };
        Ok(Ignore::parse(&text))
    }

    pub fn parse(text: &str) -> Ignore {
        let rules = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (neg, pat) = match l.strip_prefix('!') {
                    Some(p) => (true, p.trim()),
                    None => (false, l),
                };
                let parts = clean_pattern(pat);
                (parts, neg)
            })
            .collect();
        Ignore { rules }
    }

    /// Whether `path` is excluded and nothing under it can come back: a
    /// walk may skip it whole.
    pub fn prunes(&self, path: &str, is_dir: bool) -> bool {
        self.excluded(path) && !(is_dir && self.may_reinclude_under(path))
    }

    /// Whether some `!` rule could match a path below directory `dir`.
    fn may_reinclude_under(&self, dir: &str) -> bool {
        let comps: Vec<&str> = dir.split('/').filter(|c| !c.is_empty()).collect();
        self.rules.iter().filter(|(_, neg)| *neg).any(|(pat, _)| {
            pat.iter().any(|p| p == "**")
                || (pat.len() > comps.len()
                    && pat
                        .iter()
                        .zip(&comps)
                        .all(|(p, c)| glob(p.as_bytes(), c.as_bytes())))
        })
    }

    /// Whether the context-relative `path` is excluded (the last matching rule wins;
    /// a pattern matching a directory excludes what is under it).
    pub fn excluded(&self, path: &str) -> bool {
        let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        let mut out = false;
        for (pat, neg) in &self.rules {
            if matches_a_prefix(pat, &comps) {
                out = !neg;
            }
        }
        out
    }
}

/// A pattern's components as BuildKit's ignore-file reader cleans it (Go's
/// `filepath.Clean`, then no leading `/`): `a/./b` is `a/b`, `a/../b` is
/// `b`, `/../x` is `x`. Uncleaned, `sub/./.env` excluded nothing.
fn clean_pattern(p: &str) -> Vec<String> {
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => match out.last() {
                Some(&last) if last != ".." => {
                    out.pop();
                }
                _ if rooted => {}
                _ => out.push(".."),
            },
            c => out.push(c),
        }
    }
    out.into_iter().map(String::from).collect()
}

fn clean(p: &str) -> String {
    p.trim_start_matches("./")
        .trim_start_matches('/')
        .to_string()
}

/// Whether `pat` (components, `**` for any number of them) matches some
/// leading part of `path` of one component or more: a pattern matching a
/// directory excludes what is under it.
///
/// A set of positions in the pattern is stepped over the path's components
/// (the classic NFA walk): each component is tried against each pattern
/// component once, so the work is bounded by |pattern| * |path| whatever
/// the number of `**` (the backtracking it replaced was exponential in it).
fn matches_a_prefix(pat: &[String], path: &[&str]) -> bool {
    let deep = |i: usize| pat.get(i).is_some_and(|p| p == "**");
    // `**` matches zero components too: a position at one reaches the next.
    let close = |at: &mut Vec<bool>| {
        for i in 0..pat.len() {
            if at[i] && deep(i) {
                at[i + 1] = true;
            }
        }
    };
    let mut at = vec![false; pat.len() + 1];
    at[0] = true;
    close(&mut at);
    for comp in path {
        let mut next = vec![false; pat.len() + 1];
        for (i, p) in pat.iter().enumerate().filter(|&(i, _)| at[i]) {
            step();
            if deep(i) {
                next[i] = true;
            } else if glob(p.as_bytes(), comp.as_bytes()) {
                next[i + 1] = true;
            }
        }
        close(&mut next);
        if next[pat.len()] {
            return true;
        }
        if !next.contains(&true) {
            return false;
        }
        at = next;
    }
    false
}

/// One element of a component pattern: a star, or what matches one byte.
enum Tok<'a> {
    Star,
    Byte(u8),
    Any,
    /// The bytes between `[` and `]`, `^`/`!` and ranges included.
    Class(&'a [u8]),
}

impl Tok<'_> {
    fn matches(&self, c: u8) -> bool {
        match *self {
            Tok::Star => true,
            Tok::Byte(b) => b == c,
            Tok::Any => true,
            Tok::Class(set) => {
                let (neg, set) = match set.first() {
                    Some(b'^') | Some(b'!') => (true, &set[1..]),
                    _ => (false, set),
                };
                let mut hit = false;
                let mut i = 0;
                while i < set.len() {
                    if i + 2 < set.len() && set[i + 1] == b'-' {
                        hit |= (set[i]..=set[i + 2]).contains(&c);
                        i += 3;
                    } else {
                        hit |= set[i] == c;
                        i += 1;
                    }
                }
                hit != neg
            }
        }
    }
}

/// The pattern's elements; `None` when a `[` has no `]`, which matches
/// nothing.
fn tokens(p: &[u8]) -> Option<Vec<Tok<'_>>> {
    let mut toks = Vec::with_capacity(p.len());
    let mut i = 0;
    while i < p.len() {
        let (tok, len) = match p[i] {
            b'*' => (Tok::Star, 1),
            b'?' => (Tok::Any, 1),
            b'[' => {
                let end = p[i..].iter().position(|&b| b == b']')?;
                (Tok::Class(&p[i + 1..i + end]), end + 1)
            }
            b'\\' if i + 1 < p.len() => (Tok::Byte(p[i + 1]), 2),
            b => (Tok::Byte(b), 1),
        };
        toks.push(tok);
        i += len;
    }
    Some(toks)
}

/// `*`, `?` and `[...]` within one path component.
///
/// Two pointers, and on a mismatch back to the last star only, which then
/// takes one byte more: every other element matches exactly one byte, so an
/// earlier star never needs to be retried. At most |p| * |s| steps.
pub fn glob(p: &[u8], s: &[u8]) -> bool {
    let Some(toks) = tokens(p) else {
        return false;
    };
    let (mut ti, mut si) = (0, 0);
    // The token after the last star, and where in `s` that star's match ends.
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        step();
        match toks.get(ti) {
            Some(Tok::Star) => {
                ti += 1;
                star = Some((ti, si));
                continue;
            }
            Some(t) if t.matches(s[si]) => {
                ti += 1;
                si += 1;
                continue;
            }
            _ => {}
        }
        let Some((after, end)) = star else {
            return false;
        };
        ti = after;
        si = end + 1;
        star = Some((after, end + 1));
    }
    toks[ti..].iter().all(|t| matches!(t, Tok::Star))
}

/// The context paths a COPY source names (globs in any component), sorted.
pub fn expand_source(context: &Path, src: &str, ignore: &Ignore) -> Result<Vec<String>> {
    let cleaned = clean(src);
    let comps: Vec<&str> = cleaned
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    if comps.contains(&"..") {
        bail!("`{src}` is outside the build context");
    }
    let mut found = vec![String::new()];
    for c in &comps {
        let mut next = Vec::new();
        for base in &found {
            let dir = context.join(base);
            // Never through a symlink: the host kernel would follow it out of
            // the context (or out of a layer) to any file the user can read.
            if !base.is_empty() && !fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) {
                if fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink()) {
                    bail!(
                        "`{src}`: `{base}` is a symlink; berth does not follow symlinks inside a source path"
                    );
                }
                continue;
            }
            if c.bytes().any(|b| b"*?[".contains(&b)) {
                let Ok(rd) = fs::read_dir(&dir) else { continue };
                for e in rd {
                    let name = e?.file_name().to_string_lossy().into_owned();
                    if glob(c.as_bytes(), name.as_bytes()) {
                        next.push(join(base, &name));
                    }
                }
            } else if fs::symlink_metadata(dir.join(c)).is_ok() {
                next.push(join(base, c));
            }
        }
        found = next;
    }
    // An excluded directory stays only for what is re-included below it.
    found.retain(|p| {
        let is_dir = context.join(p).is_dir();
        p.is_empty()
            || !ignore.excluded(p)
            || (is_dir && !ignore.prunes(p, true) && includes_below(context, p, ignore))
    });
    found.sort();
    if found.is_empty() {
        bail!("{src}: no such file or directory");
    }
    Ok(found)
}

/// `base/rel` if it exists and every directory on the way is a real
/// directory (no symlink to follow out of `base`); the last component may
/// be anything, a symlink included (it is copied as a link).
pub fn within(base: &Path, rel: &str) -> Option<PathBuf> {
    let comps: Vec<&str> = rel
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    if comps.contains(&"..") {
        return None;
    }
    let mut p = base.to_path_buf();
    for (i, c) in comps.iter().enumerate() {
        p.push(c);
        let meta = fs::symlink_metadata(&p).ok()?;
        if i + 1 < comps.len() && !meta.is_dir() {
            return None;
        }
    }
    Some(p)
}

/// Whether the context-relative `rel` is in the context a build sees: not
/// excluded, or a real directory (not a symlink) something re-included lies
/// under. What a `RUN --mount=type=bind` may name.
pub fn visible(context: &Path, rel: &str, ignore: &Ignore) -> bool {
    let is_dir = fs::symlink_metadata(context.join(rel)).is_ok_and(|m| m.is_dir());
    rel.is_empty()
        || !ignore.excluded(rel)
        || (is_dir && !ignore.prunes(rel, true) && includes_below(context, rel, ignore))
}

/// Whether anything under directory `rel` survives `.dockerignore`.
fn includes_below(context: &Path, rel: &str, ignore: &Ignore) -> bool {
    let Ok(rd) = fs::read_dir(context.join(rel)) else {
        return false;
    };
    rd.flatten().any(|e| {
        let child = join(rel, &e.file_name().to_string_lossy());
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        !ignore.excluded(&child)
            || (is_dir && !ignore.prunes(&child, true) && includes_below(context, &child, ignore))
    })
}

fn join(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_string()
    } else {
        format!("{base}/{name}")
    }
}

/// The paths under context-relative `rel` that `.dockerignore` excludes.
pub fn excluded_under(context: &Path, rel: &str, ignore: &Ignore) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![(rel.to_string(), context.join(rel))];
    while let Some((r, dir)) = stack.pop() {
        for e in fs::read_dir(&dir)? {
            let e = e?;
            // Patterns match the name as text; what is skipped is the entry
            // itself. A name that is not UTF-8 has no path spelled from its
            // text, and an excluded one must still be left out.
            let child = join(&r, &e.file_name().to_string_lossy());
            let is_dir = e.file_type()?.is_dir();
            if ignore.prunes(&child, is_dir) {
                out.push(e.path());
            } else if is_dir {
                stack.push((child, e.path()));
            }
        }
    }
    Ok(out)
}

/// Hashes names, modes, link targets and contents under `path` (sorted; no
/// mtimes), skipping what `.dockerignore` excludes.
pub fn hash_tree(hasher: &mut Sha256, context: &Path, rel: &str, ignore: &Ignore) -> Result<()> {
    let path = context.join(rel);
    let meta =
        fs::symlink_metadata(&path).with_context(|| format!("{rel}: no such file or directory"))?;
    hasher.update(format!("{rel}\0{:o}\0", meta.mode()).as_bytes());
    if meta.is_dir() {
        let mut names: Vec<String> = fs::read_dir(&path)?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<std::io::Result<_>>()?;
        names.sort();
        for n in names {
            let child = join(rel, &n);
            if !ignore.prunes(&child, context.join(&child).is_dir()) {
                hash_tree(hasher, context, &child, ignore)?;
            }
        }
    } else if meta.file_type().is_symlink() {
        hasher.update(fs::read_link(&path)?.as_os_str().as_encoded_bytes());
    } else if meta.is_file() {
        let mut f = fs::File::open(&path)?;
        std::io::copy(&mut f, &mut HashWrite(hasher))?;
    }
    Ok(())
}

struct HashWrite<'a>(&'a mut Sha256);

impl std::io::Write for HashWrite<'_> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.update(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerignore_rules_follow_docker() {
        let i = Ignore::parse("# c\n*.log\nbuild/\n!build/keep\n**/secret\n");
        assert!(i.excluded("a.log"));
        assert!(!i.excluded("dir/a.log"));
        assert!(i.excluded("build/x"));
        assert!(!i.excluded("build/keep"));
        assert!(i.excluded("deep/er/secret"));
        assert!(!i.excluded("src/main.rs"));
        // An excluded dir with a re-included file inside is walked, not pruned.
        let j = Ignore::parse("stuff/*\n!stuff/keep/x\n");
        assert!(j.excluded("stuff/keep"));
        assert!(!j.prunes("stuff/keep", true));
        assert!(!j.excluded("stuff/keep/x"));
        assert!(j.prunes("stuff/other", false));
        // Patterns are cleaned first, as filepath.Clean does.
        let k = Ignore::parse("sub/./.env\na/../b\n/../c\n./d/\n");
        assert!(k.excluded("sub/.env"));
        assert!(k.excluded("b"));
        assert!(!k.excluded("a"));
        assert!(k.excluded("c"));
        assert!(k.excluded("d/x"));
    }

    #[test]
    fn visible_is_what_survives_dockerignore() {
        let ctx = tempfile::tempdir().unwrap();
        for f in [".env", "app/a", "conf/public", "conf/private", "old/x"] {
            let p = ctx.path().join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, "").unwrap();
        }
        let i = Ignore::parse(".env\nconf\n!conf/public\nold\n");
        let v = |rel: &str| visible(ctx.path(), rel, &i);
        assert!(v("") && v("app") && v("app/a"));
        assert!(!v(".env") && !v("old") && !v("old/x"));
        // An excluded dir stays for what an exception brings back.
        assert!(v("conf") && v("conf/public") && !v("conf/private"));
        let skip = excluded_under(ctx.path(), "conf", &i).unwrap();
        assert_eq!(skip, vec![ctx.path().join("conf/private")]);
    }

    #[test]
    fn globs() {
        assert!(glob(b"*.rs", b"main.rs"));
        assert!(glob(b"f?o", b"foo"));
        assert!(glob(b"[a-c]x", b"bx"));
        assert!(!glob(b"[!a-c]x", b"bx"));
        assert!(!glob(b"*.rs", b"main.rc"));
    }
}

/// Arbitrary patterns and names: the matchers agree with the backtracking
/// definition they replaced, and their work is bounded by the input's
/// length (counted in steps, not measured in time).
#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    /// The recursive matcher this file had before issue 9: the definition
    /// of what matches, exponential in the number of stars.
    fn glob_by_backtracking(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => {
                glob_by_backtracking(&p[1..], s)
                    || (!s.is_empty() && glob_by_backtracking(p, &s[1..]))
            }
            (Some(b'?'), Some(_)) => glob_by_backtracking(&p[1..], &s[1..]),
            (Some(b'['), Some(c)) => match p.iter().position(|&b| b == b']') {
                Some(end) => {
                    Tok::Class(&p[1..end]).matches(*c)
                        && glob_by_backtracking(&p[end + 1..], &s[1..])
                }
                None => false,
            },
            (Some(b'\\'), Some(c)) if p.len() > 1 => {
                p[1] == *c && glob_by_backtracking(&p[2..], &s[1..])
            }
            (Some(a), Some(b)) => a == b && glob_by_backtracking(&p[1..], &s[1..]),
            _ => false,
        }
    }

    fn parts_by_backtracking(pat: &[String], path: &[&str]) -> bool {
        match (pat.first(), path.first()) {
            (None, None) => true,
            (Some(p), _) if p == "**" => {
                (0..=path.len()).any(|i| parts_by_backtracking(&pat[1..], &path[i..]))
            }
            (Some(p), Some(c)) => {
                glob_by_backtracking(p.as_bytes(), c.as_bytes())
                    && parts_by_backtracking(&pat[1..], &path[1..])
            }
            _ => false,
        }
    }

    use crate::builder::dockerfile::count_pattern_steps as steps;

    #[test]
    fn pathological_patterns_take_bounded_steps() {
        // 21 bytes against 40: the backtracking matcher took 16 s on this.
        let p = b"*a*a*a*a*a*a*a*a*a*a*b";
        let s = [b'a'; 40];
        let (hit, n) = steps(|| glob(p, &s));
        assert!(!hit);
        assert!(n <= 2 * 22 * 41, "{n} steps");
        let i = Ignore::parse("**/**/**/**/**/**/**/**/**/**/b\n");
        let path = ["a"; 40].join("/");
        let (hit, n) = steps(|| i.excluded(&path));
        assert!(!hit);
        assert!(n <= 4 * 32 * 80, "{n} steps");
    }

    fn config() -> ProptestConfig {
        crate::proptest_config(256)
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn glob_agrees_and_is_bounded(
            p in "[ab*?\\[\\]!^\\\\-]{0,10}",
            s in "[ab\\]!*-]{0,16}",
        ) {
            let (hit, n) = steps(|| glob(p.as_bytes(), s.as_bytes()));
            prop_assert_eq!(hit, glob_by_backtracking(p.as_bytes(), s.as_bytes()));
            prop_assert!(n <= 2 * (p.len() as u64 + 1) * (s.len() as u64 + 1), "{} steps", n);
        }

        #[test]
        fn glob_never_panics_on_any_bytes(
            p in proptest::collection::vec(any::<u8>(), 0..64),
            s in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let (_, n) = steps(|| glob(&p, &s));
            prop_assert!(n <= 2 * (p.len() as u64 + 1) * (s.len() as u64 + 1), "{} steps", n);
        }

        #[test]
        fn dockerignore_agrees_and_is_bounded(
            rules in proptest::collection::vec("!?(\\*\\*|[ab*?]{1,3})(/(\\*\\*|[ab*?]{1,3})){0,4}/?", 1..4),
            path in "[ab]{1,2}(/[ab]{1,2}){0,6}",
        ) {
            let text = rules.join("\n");
            let i = Ignore::parse(&text);
            let comps: Vec<&str> = path.split('/').collect();
            let want = i.rules.iter().fold(false, |out, (pat, neg)| {
                let hit = (1..=comps.len()).any(|n| parts_by_backtracking(pat, &comps[..n]));
                if hit { !neg } else { out }
            });
            let (got, n) = steps(|| i.excluded(&path));
            prop_assert_eq!(got, want, "rules {:?} path {}", text, path);
            let bound = 4 * (text.len() as u64 + 1) * (path.len() as u64 + 1);
            prop_assert!(n <= bound, "{} steps > {}", n, bound);
            // Whatever the answer, asking never panics.
            let _ = i.prunes(&path, true);
        }

        #[test]
        fn dockerignore_never_panics(text in any::<String>(), path in any::<String>()) {
            let i = Ignore::parse(&text);
            let (_, n) = steps(|| i.excluded(&path));
            let bound = 4 * (text.len() as u64 + 1) * (path.len() as u64 + 1);
            prop_assert!(n <= bound, "{} steps > {}", n, bound);
            let _ = i.prunes(&path, true);
            let _ = i.prunes(&path, false);
        }
    }
}
