//! The image's operating system, from `etc/os-release` (falling back to
//! `usr/lib/os-release`, as os-release(5) says), following symlinks only
//! within the image's own merged tree.

use super::layers::Fact;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where os-release(5) may be, in the order it is looked for.
pub const PATHS: [&str; 2] = ["etc/os-release", "usr/lib/os-release"];

/// os-release's fields the SBOM and the scanner use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Os {
    /// `ID`: `debian`, `alpine`, `fedora`, …
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_codename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
}

/// The fields of an os-release file (shell-style `KEY=value`, quoted or not).
pub fn parse(text: &str) -> Os {
    let mut os = Os::default();
    for line in text.lines() {
        let Some((k, v)) = line.trim().split_once('=') else {
            continue;
        };
        let v = unquote(v.trim());
        if v.is_empty() || v.len() > 256 {
            continue;
        }
        match k.trim() {
            "ID" => os.id = v,
            "VERSION_ID" => os.version_id = Some(v),
            "VERSION_CODENAME" => os.version_codename = Some(v),
            "PRETTY_NAME" => os.pretty_name = Some(v),
            _ => {}
        }
    }
    os
}

/// A value with its shell quotes and backslash escapes taken off.
fn unquote(v: &str) -> String {
    let inner = match v.as_bytes().first() {
        Some(q @ (b'"' | b'\'')) if v.len() >= 2 && v.as_bytes()[v.len() - 1] == *q => {
            &v[1..v.len() - 1]
        }
        _ => v,
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `target` of a symlink at `link` as a clean path from the image's root;
/// `..` stops at the root, as the kernel resolves it in a chroot.
fn join(link: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        let mut p: Vec<&str> = link.split('/').collect();
        p.pop();
        p
    };
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// The OS of the merged tree `visible`: the first os-release that exists,
/// through at most 8 symlinks, each resolved within the tree.
pub fn resolve(visible: &BTreeMap<&str, Vec<(usize, &Fact)>>) -> Option<Os> {
    for start in PATHS {
        let mut path = start.to_string();
        for _ in 0..8 {
            match visible.get(path.as_str()).and_then(|c| c.last()) {
                Some((_, Fact::Os(os))) if !os.id.is_empty() => return Some(os.clone()),
                Some((_, Fact::Symlink(t))) => path = join(&path, t),
                _ => break,
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_and_bare_values() {
        let os = parse(
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID='12'\n\
             VERSION_CODENAME=bookworm\n# comment\n",
        );
        assert_eq!(os.id, "debian");
        assert_eq!(os.version_id.as_deref(), Some("12"));
        assert_eq!(os.version_codename.as_deref(), Some("bookworm"));
        assert_eq!(
            os.pretty_name.as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
    }

    #[test]
    fn symlinks_stay_in_the_tree() {
        assert_eq!(
            join("etc/os-release", "../usr/lib/os-release"),
            "usr/lib/os-release"
        );
        assert_eq!(
            join("etc/os-release", "../../../../usr/lib/os-release"),
            "usr/lib/os-release"
        );
        assert_eq!(
            join("etc/os-release", "/usr/lib/os-release"),
            "usr/lib/os-release"
        );
    }
}
