//! Matching: each package against the records naming it in its
//! ecosystem, through that ecosystem's version ordering; then the user's
//! filters (severity, unfixed, ignored ids). Findings come out sorted, so
//! every output format is stable.

use super::db::Db;
use super::{Severity, Subject};
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One vulnerability in one package.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    pub aliases: Vec<String>,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The installed package (a binary package's own name).
    pub package: String,
    pub version: String,
    pub ecosystem: String,
    /// The name the record uses (a deb's source package), when it differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub purl: String,
    /// The first version that fixes it, when the record names one.
    pub fixed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// Every finding for `subjects` in `db`, sorted by package, version, id.
pub fn scan(db: &mut Db, subjects: &[Subject]) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    for s in subjects {
        let Some(scheme) = super::scheme(&s.ecosystem) else {
            continue;
        };
        for rec in db.lookup(&s.ecosystem, &s.name)? {
            let mut hit = None;
            let mut which = None;
            for a in &rec.affected {
                let Some(p) = &a.package else { continue };
                if p.ecosystem != s.ecosystem
                    || super::normalise_name(&p.ecosystem, &p.name) != s.name
                {
                    continue;
                }
                if let Some(h) = a.check(scheme, &s.version)
                    && hit
                        .as_ref()
                        .is_none_or(|h: &super::osv::Hit| h.fixed.is_none())
                {
                    hit = Some(h);
                    which = Some(a);
                }
            }
            let Some(hit) = hit else { continue };
            let (severity, score) = rec.severity(which);
            out.push(Finding {
                id: rec.id.clone(),
                aliases: rec.aliases.clone(),
                severity,
                score,
                package: s.package.clone(),
                version: s.version.clone(),
                ecosystem: s.ecosystem.clone(),
                source: (s.name != s.package).then(|| s.name.clone()),
                purl: s.purl.clone(),
                fixed: hit.fixed,
                summary: rec.summary.clone(),
            });
        }
    }
    out.sort_by(|a, b| {
        (&a.package, &a.version, &a.purl, &a.id).cmp(&(&b.package, &b.version, &b.purl, &b.id))
    });
    out.dedup_by(|a, b| a.purl == b.purl && a.id == b.id);
    Ok(out)
}

/// What the user asked to leave out.
#[derive(Debug, Default)]
pub struct Filter {
    /// Keep findings at or above this.
    pub min: Option<Severity>,
    /// Drop findings no version fixes yet.
    pub ignore_unfixed: bool,
    /// Ids or aliases to drop.
    pub ignore: BTreeSet<String>,
}

impl Filter {
    pub fn keeps(&self, f: &Finding) -> bool {
        let below = self.min.is_some_and(|m| f.severity < m);
        let unfixed = self.ignore_unfixed && f.fixed.is_none();
        let ignored =
            self.ignore.contains(&f.id) || f.aliases.iter().any(|a| self.ignore.contains(a));
        !(below || unfixed || ignored)
    }
}

/// Ids from an ignore file: one per line, `#` comments and blank lines
/// skipped, anything after the id on its line ignored (trivy's
/// `.trivyignore` shape, where an `exp:` date may follow).
pub fn parse_ignore_file(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_files_take_the_first_word_of_each_line() {
        let got =
            parse_ignore_file("# why\nCVE-2024-1\n\n  GHSA-x  exp:2025-01-01\nCVE-2 # comment\n");
        assert_eq!(
            got.into_iter().collect::<Vec<_>>(),
            ["CVE-2", "CVE-2024-1", "GHSA-x"]
        );
    }

    #[test]
    fn filters_by_severity_fix_and_id_or_alias() {
        let f = Finding {
            id: "DSA-1".into(),
            aliases: vec!["CVE-1".into()],
            severity: Severity::High,
            score: None,
            package: "p".into(),
            version: "1".into(),
            ecosystem: "Debian:12".into(),
            source: None,
            purl: "pkg:deb/debian/p@1".into(),
            fixed: None,
            summary: None,
        };
        assert!(Filter::default().keeps(&f));
        let at = |s| Filter {
            min: Some(s),
            ..Default::default()
        };
        assert!(at(Severity::High).keeps(&f));
        assert!(!at(Severity::Critical).keeps(&f));
        assert!(
            !Filter {
                ignore_unfixed: true,
                ..Default::default()
            }
            .keeps(&f)
        );
        assert!(
            !Filter {
                ignore: ["CVE-1".to_string()].into(),
                ..Default::default()
            }
            .keeps(&f)
        );
    }
}
