//! Package URLs, as the purl specification spells them: `pkg:TYPE/
//! NAMESPACE/NAME@VERSION?QUALIFIERS`, each component percent-encoded
//! but for alphanumerics, `.-_~` and `:`, qualifiers sorted by key.

use super::{Kind, Os, Package};
use std::fmt::Write as _;

/// A purl component percent-encoded as the spec says.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~' | b':') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// PEP 503's normalised name: lowercase, runs of `-_.` as one `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Assembles a purl; `namespace` may hold `/`-separated segments.
fn build(
    ty: &str,
    namespace: &str,
    name: &str,
    version: &str,
    qualifiers: &[(&str, &str)],
) -> String {
    let mut out = format!("pkg:{ty}/");
    for seg in namespace.split('/').filter(|s| !s.is_empty()) {
        out.push_str(&encode(seg));
        out.push('/');
    }
    out.push_str(&encode(name));
    if !version.is_empty() {
        out.push('@');
        out.push_str(&encode(version));
    }
    let mut q: Vec<&(&str, &str)> = qualifiers.iter().filter(|(_, v)| !v.is_empty()).collect();
    q.sort();
    for (i, (k, v)) in q.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(k);
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

/// The purl of `p`, an OS package qualified by `os`.
pub fn of(p: &Package, os: Option<&Os>) -> String {
    let arch = p.arch.as_deref().unwrap_or("");
    let os_id = os.map(|o| o.id.as_str()).unwrap_or("");
    let os_version = os.and_then(|o| o.version_id.as_deref()).unwrap_or("");
    match p.kind {
        Kind::Deb => {
            let vendor = if os_id.is_empty() { "debian" } else { os_id };
            let distro = match (os_id, os_version) {
                ("", _) | (_, "") => String::new(),
                (id, v) => format!("{id}-{v}"),
            };
            build(
                "deb",
                vendor,
                &p.name,
                &p.version,
                &[("arch", arch), ("distro", &distro)],
            )
        }
        Kind::Apk => {
            let vendor = if os_id.is_empty() { "alpine" } else { os_id };
            build(
                "apk",
                vendor,
                &p.name,
                &p.version,
                &[("arch", arch), ("distro", os_version)],
            )
        }
        Kind::Rpm => {
            // The version is VERSION-RELEASE; an epoch is a qualifier.
            let (epoch, version) = match p.version.split_once(':') {
                Some((e, v)) if e.bytes().all(|b| b.is_ascii_digit()) => (e, v),
                _ => ("", p.version.as_str()),
            };
            let distro = match (os_id, os_version) {
                ("", _) | (_, "") => String::new(),
                (id, v) => format!("{id}-{v}"),
            };
            let vendor = if os_id.is_empty() { "redhat" } else { os_id };
            build(
                "rpm",
                vendor,
                &p.name,
                version,
                &[("arch", arch), ("distro", &distro), ("epoch", epoch)],
            )
        }
        Kind::Cargo => build("cargo", "", &p.name, &p.version, &[]),
        Kind::Python => build("pypi", "", &pep503(&p.name), &p.version, &[]),
        Kind::Npm => match p.name.strip_prefix('@').and_then(|n| n.split_once('/')) {
            Some((scope, name)) => build("npm", &format!("@{scope}"), name, &p.version, &[]),
            None => build("npm", "", &p.name, &p.version, &[]),
        },
        Kind::Go => match p.name.rsplit_once('/') {
            Some((ns, name)) => build("golang", ns, name, &p.version, &[]),
            None => build("golang", "", &p.name, &p.version, &[]),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(kind: Kind, name: &str, version: &str, arch: Option<&str>) -> Package {
        let mut p = Package::found(kind, name, version, "x");
        p.arch = arch.map(str::to_string);
        p
    }

    fn os(id: &str, v: &str) -> Os {
        Os {
            id: id.into(),
            version_id: Some(v.into()),
            ..Os::default()
        }
    }

    #[test]
    fn os_packages() {
        let deb = pkg(Kind::Deb, "libc6", "2.36-9+deb12u4", Some("amd64"));
        assert_eq!(
            of(&deb, Some(&os("debian", "12"))),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"
        );
        let epoch = pkg(Kind::Deb, "perl", "1:5.36.0-7", Some("amd64"));
        assert_eq!(
            of(&epoch, Some(&os("debian", "12"))),
            "pkg:deb/debian/perl@1:5.36.0-7?arch=amd64&distro=debian-12"
        );
        let apk = pkg(Kind::Apk, "musl", "1.2.4-r2", Some("x86_64"));
        assert_eq!(
            of(&apk, Some(&os("alpine", "3.18.4"))),
            "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=3.18.4"
        );
        let rpm = pkg(Kind::Rpm, "bash", "1:5.2.15-3.fc39", Some("x86_64"));
        assert_eq!(
            of(&rpm, Some(&os("fedora", "39"))),
            "pkg:rpm/fedora/bash@5.2.15-3.fc39?arch=x86_64&distro=fedora-39&epoch=1"
        );
    }

    #[test]
    fn language_packages() {
        assert_eq!(
            of(&pkg(Kind::Python, "Zope.Interface", "5.0", None), None),
            "pkg:pypi/zope-interface@5.0"
        );
        assert_eq!(
            of(&pkg(Kind::Npm, "@babel/core", "7.1.0", None), None),
            "pkg:npm/%40babel/core@7.1.0"
        );
        assert_eq!(
            of(&pkg(Kind::Cargo, "serde", "1.0.0", None), None),
            "pkg:cargo/serde@1.0.0"
        );
        assert_eq!(
            of(
                &pkg(Kind::Go, "github.com/pkg/errors", "v0.9.1", None),
                None
            ),
            "pkg:golang/github.com/pkg/errors@v0.9.1"
        );
    }
}
