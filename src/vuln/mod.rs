//! Vulnerabilities: an SBOM's packages matched against an OSV database,
//! offline. `version` orders versions as each ecosystem does, `osv` reads
//! records and evaluates their ranges, `cvss` scores vectors, `db` loads a
//! database (a directory of records or per-ecosystem `all.zip`s) through an
//! index, `purl` turns package URLs into what a record names, and `scan`
//! matches and filters, `gate` caches an image's findings per database
//! version and refuses an image for `--scan-gate`.

pub mod cvss;
pub mod db;
pub mod gate;
pub mod osv;
pub mod purl;
pub mod scan;
pub mod version;

use serde::{Deserialize, Serialize};
use version::Scheme;

/// How bad: CVSS's qualitative scale, with `Unknown` for a record that says
/// nothing berth can rate (it sorts lowest, so a `--severity` filter drops
/// it; with no filter it is reported as UNKNOWN).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Unknown,
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// A rating's name as databases spell it (`MODERATE` is GitHub's MEDIUM).
    pub fn from_name(s: &str) -> Option<Severity> {
        Some(match s.trim().to_ascii_uppercase().as_str() {
            "CRITICAL" => Severity::Critical,
            "HIGH" | "IMPORTANT" => Severity::High,
            "MEDIUM" | "MODERATE" => Severity::Medium,
            "LOW" | "NEGLIGIBLE" => Severity::Low,
            "NONE" => Severity::None,
            "UNKNOWN" => Severity::Unknown,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::None => "NONE",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The OSV ecosystems berth matches, as their exports are named (the
/// directory of `<base>/<ECOSYSTEM>/all.zip`).
pub const ECOSYSTEMS: [&str; 6] = ["Debian", "Alpine", "crates.io", "PyPI", "npm", "Go"];

/// The version ordering of an OSV ecosystem (`Debian:12` → dpkg), or `None`
/// for one berth does not match.
pub fn scheme(ecosystem: &str) -> Option<Scheme> {
    let base = ecosystem.split(':').next().unwrap_or(ecosystem);
    Some(match base {
        "Debian" | "Ubuntu" => Scheme::Dpkg,
        "Alpine" => Scheme::Apk,
        "PyPI" => Scheme::Pep440,
        "crates.io" | "npm" | "Go" => Scheme::Semver,
        _ => return None,
    })
}

/// A package name as an ecosystem compares names: PyPI's are case- and
/// separator-insensitive (PEP 503: runs of `-_.` are one `-`); the others
/// compare exactly.
pub fn normalise_name(ecosystem: &str, name: &str) -> String {
    if ecosystem != "PyPI" {
        return name.to_string();
    }
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// One installed package, as a database names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Subject {
    /// The OSV ecosystem: `Debian:12`, `Alpine:v3.18`, `PyPI`, …
    pub ecosystem: String,
    /// The name records use: a deb's source package, an apk's origin, a
    /// normalised PyPI name.
    pub name: String,
    /// The version records' ranges are compared with.
    pub version: String,
    /// The package as installed (a binary package's own name).
    pub package: String,
    pub purl: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pypi_names_are_normalised_as_pep_503_says() {
        assert_eq!(normalise_name("PyPI", "Foo__Bar.baz"), "foo-bar-baz");
        assert_eq!(normalise_name("PyPI", "requests"), "requests");
        assert_eq!(normalise_name("npm", "Foo_Bar"), "Foo_Bar");
    }

    #[test]
    fn severity_names_and_order() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Low > Severity::Unknown);
        assert_eq!(Severity::from_name("moderate"), Some(Severity::Medium));
        assert_eq!(Severity::from_name("urgent"), None);
    }
}
