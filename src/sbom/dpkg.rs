//! dpkg's database: `var/lib/dpkg/status`, the `status.d/` files distroless
//! images keep instead, and the machine-readable `copyright` files that say
//! a package's licenses.

use super::text::{field, stanzas};
use super::{Kind, Package};

/// Whether `path` is one of distroless's per-package status files
/// (`var/lib/dpkg/status.d/NAME`, not its `.md5sums`).
pub fn is_status_d(path: &str) -> bool {
    path.strip_prefix("var/lib/dpkg/status.d/")
        .is_some_and(|n| !n.is_empty() && !n.contains('/') && !n.ends_with(".md5sums"))
}

/// The package whose `usr/share/doc/PKG/copyright` `path` is.
pub fn copyright_package(path: &str) -> Option<&str> {
    let pkg = path
        .strip_prefix("usr/share/doc/")?
        .strip_suffix("/copyright")?;
    (!pkg.is_empty() && !pkg.contains('/')).then_some(pkg)
}

/// The installed packages a status file lists. In `status` only entries
/// dpkg calls installed (`install ok installed`, or held); `status.d/`
/// entries carry no Status and are all installed.
pub fn parse_status(text: &str, location: &str) -> Vec<Package> {
    let mut out = Vec::new();
    for s in stanzas(text) {
        let (Some(name), Some(version)) = (field(&s, "Package"), field(&s, "Version")) else {
            continue;
        };
        if let Some(status) = field(&s, "Status") {
            let words: Vec<&str> = status.split_whitespace().collect();
            if !matches!(words.as_slice(), ["install" | "hold", _, "installed"]) {
                continue;
            }
        }
        let mut p = Package::found(Kind::Deb, name, version, location);
        p.arch = field(&s, "Architecture").map(str::to_string);
        // `Source: name` or `Source: name (version)` when the source's
        // version differs from the binary's (binNMUs, multi-version sources).
        let (src, src_version) = match field(&s, "Source") {
            Some(src) => match src.split_once('(') {
                Some((n, v)) => (n.trim(), Some(v.trim_end_matches(')').trim())),
                None => (src.trim(), None),
            },
            None => (name, None),
        };
        p.source = Some(src.to_string());
        p.source_version = src_version
            .filter(|v| !v.is_empty() && *v != version)
            .map(str::to_string);
        if let Some(l) = field(&s, "License") {
            // Not a dpkg field, but some distroless generators add it.
            p.licenses = vec![l.to_string()];
        }
        out.push(p);
    }
    out
}

/// The licenses a machine-readable copyright file (DEP-5) names in its
/// `License:` fields, each once, in order; none for a free-form file.
pub fn copyright_licenses(text: &str) -> Vec<String> {
    let machine = text
        .lines()
        .next()
        .is_some_and(|l| l.starts_with("Format:") && l.contains("copyright-format"));
    if !machine {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let Some(v) = line.strip_prefix("License:") else {
            continue;
        };
        let v = v.trim();
        if !v.is_empty() && v.len() <= 200 && !out.iter().any(|o| o == v) {
            out.push(v.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "\
Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library
 multi-line description

Package: gone
Status: deinstall ok config-files
Version: 1.0
Architecture: amd64

Package: libfoo1
Status: hold ok installed
Architecture: arm64
Source: foo (1.2-3)
Version: 1.2-3+b1
";

    #[test]
    fn installed_packages_with_their_source() {
        let ps = parse_status(STATUS, "var/lib/dpkg/status");
        let got: Vec<_> = ps
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.version.as_str(),
                    p.arch.as_deref(),
                    p.source.as_deref(),
                    p.source_version.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "libc6",
                    "2.36-9+deb12u4",
                    Some("amd64"),
                    Some("glibc"),
                    None
                ),
                (
                    "libfoo1",
                    "1.2-3+b1",
                    Some("arm64"),
                    Some("foo"),
                    Some("1.2-3")
                ),
            ]
        );
    }

    #[test]
    fn machine_readable_copyright_licenses() {
        let text = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\
            \nFiles: *\nCopyright: x\nLicense: GPL-2+\n\nFiles: a\nLicense: BSD-3-clause\n\n\
            License: GPL-2+\n full text\n";
        assert_eq!(copyright_licenses(text), ["GPL-2+", "BSD-3-clause"]);
        assert!(copyright_licenses("This is free-form.\nLicense: X\n").is_empty());
    }

    #[test]
    fn status_d_and_copyright_paths() {
        assert!(is_status_d("var/lib/dpkg/status.d/base"));
        assert!(!is_status_d("var/lib/dpkg/status.d/base.md5sums"));
        assert_eq!(
            copyright_package("usr/share/doc/bash/copyright"),
            Some("bash")
        );
        assert_eq!(copyright_package("usr/share/doc/a/b/copyright"), None);
    }
}
