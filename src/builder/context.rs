//! The build context: `.dockerignore` patterns, source globbing, and the
//! content hash a COPY step's cache key includes (names, modes and bytes,
//! never mtimes).

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
                let parts = clean(pat)
                    .split('/')
                    .filter(|c| !c.is_empty())
                    .map(String::from)
                    .collect();
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
            let hit = (1..=comps.len()).any(|n| match_parts(pat, &comps[..n]));
            if hit {
                out = !neg;
            }
        }
        out
    }
}

fn clean(p: &str) -> String {
    p.trim_start_matches("./")
        .trim_start_matches('/')
        .to_string()
}

fn match_parts(pat: &[String], path: &[&str]) -> bool {
    match (pat.first(), path.first()) {
        (None, None) => true,
        (Some(p), _) if p == "**" => (0..=path.len()).any(|i| match_parts(&pat[1..], &path[i..])),
        (Some(p), Some(c)) => {
            glob(p.as_bytes(), c.as_bytes()) && match_parts(&pat[1..], &path[1..])
        }
        _ => false,
    }
}

/// `*`, `?` and `[...]` within one path component.
pub fn glob(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&p[1..], s) || (!s.is_empty() && glob(p, &s[1..])),
        (Some(b'?'), Some(_)) => glob(&p[1..], &s[1..]),
        (Some(b'['), Some(c)) => match p.iter().position(|&b| b == b']') {
            Some(end) => {
                let set = &p[1..end];
                let (neg, set) = match set.first() {
                    Some(b'^') | Some(b'!') => (true, &set[1..]),
                    _ => (false, set),
                };
                let mut hit = false;
                let mut i = 0;
                while i < set.len() {
                    if i + 2 < set.len() && set[i + 1] == b'-' {
                        hit |= (set[i]..=set[i + 2]).contains(c);
                        i += 3;
                    } else {
                        hit |= set[i] == *c;
                        i += 1;
                    }
                }
                hit != neg && glob(&p[end + 1..], &s[1..])
            }
            None => false,
        },
        (Some(b'\\'), Some(c)) if p.len() > 1 => p[1] == *c && glob(&p[2..], &s[1..]),
        (Some(a), Some(b)) => a == b && glob(&p[1..], &s[1..]),
        _ => false,
    }
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
    let mut stack = vec![rel.to_string()];
    while let Some(r) = stack.pop() {
        for e in fs::read_dir(context.join(&r))? {
            let e = e?;
            let child = join(&r, &e.file_name().to_string_lossy());
            let is_dir = e.file_type()?.is_dir();
            if ignore.prunes(&child, is_dir) {
                out.push(context.join(&child));
            } else if is_dir {
                stack.push(child);
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
