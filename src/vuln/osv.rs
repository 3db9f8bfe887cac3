//! OSV records (the schema at ossf.github.io/osv-schema, 1.6): what berth
//! reads of them, and whether a package version is affected.
//!
//! Unknown fields are ignored and missing ones default, as the schema asks
//! of consumers; a record that is not a JSON object with an `id` is
//! malformed and skipped by the database (with a warning), never a panic.

use super::Severity;
use super::version::Scheme;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
pub struct Record {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<SeverityEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affected: Vec<Affected>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SeverityEntry {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
pub struct Affected {
    #[serde(default)]
    pub package: Option<Package>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<SeverityEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_specific: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
pub struct Package {
    #[serde(default)]
    pub ecosystem: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub events: Vec<Event>,
}

/// One event: the schema allows exactly one of these keys per object.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
pub struct Event {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

/// Whether `version` is affected by one `affected[]` entry, and the version
/// that fixes it when a range says.
#[derive(Debug, PartialEq, Eq)]
pub struct Hit {
    pub fixed: Option<String>,
}

impl Affected {
    /// `version` (of a package this entry names) against `versions[]` and
    /// the ECOSYSTEM and SEMVER ranges; GIT ranges (commits) say nothing
    /// about a packaged version and are skipped.
    pub fn check(&self, scheme: Scheme, version: &str) -> Option<Hit> {
        let mut hit = None;
        for r in &self.ranges {
            let s = match r.kind.as_str() {
                "ECOSYSTEM" => scheme,
                "SEMVER" => Scheme::Semver,
                _ => continue,
            };
            if let Some(h) = range_check(s, &r.events, version) {
                // A fixed version, when any range names one, is what to report.
                if hit.as_ref().is_none_or(|h: &Hit| h.fixed.is_none()) {
                    hit = Some(h);
                }
            }
        }
        if hit.is_none() && self.versions.iter().any(|v| v == version) {
            hit = Some(Hit { fixed: None });
        }
        hit
    }
}

/// The schema's evaluation: events sorted by version (`introduced: "0"`
/// first); walking up to `version`, an `introduced` at or below it opens
/// the range, a `fixed` or `limit` at or below it closes it, a
/// `last_affected` below it closes it. An event version the ordering
/// cannot parse makes the whole range unknown (no hit) rather than guessed.
fn range_check(s: Scheme, events: &[Event], version: &str) -> Option<Hit> {
    s.compare(version, version)?;
    #[derive(Clone, Copy, PartialEq)]
    enum K {
        Introduced,
        Fixed,
        LastAffected,
        Limit,
    }
    let mut evs: Vec<(K, &str)> = Vec::new();
    for e in events {
        for (k, v) in [
            (K::Introduced, &e.introduced),
            (K::Fixed, &e.fixed),
            (K::LastAffected, &e.last_affected),
            (K::Limit, &e.limit),
        ] {
            // `limit: "*"` is the schema's "no limit".
            if let Some(v) = v
                && !(k == K::Limit && v == "*")
            {
                evs.push((k, v));
            }
        }
    }
    let cmp = |a: &str, b: &str| -> Option<Ordering> {
        match (a, b) {
            ("0", "0") => Some(Ordering::Equal),
            ("0", _) => Some(Ordering::Less),
            (_, "0") => Some(Ordering::Greater),
            _ => s.compare(a, b),
        }
    };
    for (_, v) in &evs {
        cmp(v, version)?;
    }
    let mut bad = false;
    evs.sort_by(|a, b| {
        cmp(a.1, b.1).unwrap_or_else(|| {
            bad = true;
            Ordering::Equal
        })
    });
    if bad {
        return None;
    }
    let mut affected = false;
    let mut fixed = None;
    for (k, v) in &evs {
        let o = cmp(v, version)?;
        match k {
            K::Introduced if o != Ordering::Greater => {
                affected = true;
                fixed = None;
            }
            K::Fixed | K::Limit if o != Ordering::Greater => affected = false,
            K::LastAffected if o == Ordering::Less => affected = false,
            K::Fixed if affected && fixed.is_none() => fixed = Some(v.to_string()),
            _ => {}
        }
    }
    affected.then_some(Hit { fixed })
}

impl Record {
    /// The record's severity: the highest CVSS v3 or v4 score among its
    /// vectors (the record's, then the affected entry's), else a
    /// database-specific rating (GitHub's `MODERATE` is MEDIUM), else
    /// unknown. The score comes along when there is one.
    pub fn severity(&self, affected: Option<&Affected>) -> (Severity, Option<f64>) {
        let vectors = self
            .severity
            .iter()
            .chain(affected.into_iter().flat_map(|a| a.severity.iter()));
        let best = vectors
            .filter_map(|e| match e.kind.as_str() {
                "CVSS_V3" => super::cvss::base_score(&e.score),
                "CVSS_V4" => super::cvss::score_v4(&e.score),
                _ => None,
            })
            .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))));
        if let Some(s) = best {
            return (super::cvss::rating(s), Some(s));
        }
        let named = [
            self.database_specific.as_ref(),
            affected.and_then(|a| a.database_specific.as_ref()),
            affected.and_then(|a| a.ecosystem_specific.as_ref()),
        ];
        for v in named.into_iter().flatten() {
            if let Some(s) = v.get("severity").and_then(|s| s.as_str())
                && let Some(sev) = Severity::from_name(s)
            {
                return (sev, None);
            }
        }
        (Severity::Unknown, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aff(kind: &str, events: serde_json::Value) -> Affected {
        serde_json::from_value(serde_json::json!({
            "package": {"ecosystem": "Debian:12", "name": "x"},
            "ranges": [{"type": kind, "events": events}],
        }))
        .unwrap()
    }

    #[test]
    fn introduced_fixed_last_affected_and_limit_bound_a_range() {
        let a = aff(
            "ECOSYSTEM",
            serde_json::json!([{"introduced": "0"}, {"fixed": "1.0-2"}]),
        );
        assert_eq!(
            a.check(Scheme::Dpkg, "1.0-1"),
            Some(Hit {
                fixed: Some("1.0-2".into())
            })
        );
        assert_eq!(a.check(Scheme::Dpkg, "1.0-2"), None);
        assert!(a.check(Scheme::Dpkg, "1.0~rc1-1").is_some());
        let a = aff(
            "ECOSYSTEM",
            serde_json::json!([{"introduced": "1.2"}, {"last_affected": "1.4"}]),
        );
        assert!(a.check(Scheme::Dpkg, "1.1").is_none());
        assert!(a.check(Scheme::Dpkg, "1.4").is_some());
        assert!(a.check(Scheme::Dpkg, "1.4+b1").is_none());
        // Introduced only: every later version is affected, no fix.
        let a = aff("ECOSYSTEM", serde_json::json!([{"introduced": "2.0"}]));
        assert_eq!(a.check(Scheme::Dpkg, "9.9"), Some(Hit { fixed: None }));
        assert!(a.check(Scheme::Dpkg, "1.9").is_none());
        // Two ranges in one events list, the second reopened.
        let a = aff(
            "SEMVER",
            serde_json::json!([{"introduced": "1.0.0"}, {"fixed": "1.2.0"},
                               {"introduced": "2.0.0"}, {"fixed": "2.0.3"}]),
        );
        assert!(a.check(Scheme::Pep440, "1.1.0").is_some());
        assert!(a.check(Scheme::Pep440, "1.5.0").is_none());
        assert_eq!(
            a.check(Scheme::Pep440, "2.0.2"),
            Some(Hit {
                fixed: Some("2.0.3".into())
            })
        );
        let a = aff(
            "ECOSYSTEM",
            serde_json::json!([{"introduced": "0"}, {"limit": "3.0"}]),
        );
        assert!(a.check(Scheme::Semver, "2.9.9").is_some());
        assert!(a.check(Scheme::Semver, "3.0.0").is_none());
    }

    #[test]
    fn git_ranges_are_skipped_and_versions_lists_match_exactly() {
        let mut a = aff(
            "GIT",
            serde_json::json!([{"introduced": "0"}, {"fixed": "abc123"}]),
        );
        assert!(a.check(Scheme::Semver, "1.0.0").is_none());
        a.versions = vec!["1.0.0".into()];
        assert_eq!(a.check(Scheme::Semver, "1.0.0"), Some(Hit { fixed: None }));
        assert!(a.check(Scheme::Semver, "1.0.1").is_none());
    }

    #[test]
    fn unparseable_versions_match_no_range() {
        let a = aff(
            "ECOSYSTEM",
            serde_json::json!([{"introduced": "0"}, {"fixed": "not-a-version"}]),
        );
        assert!(a.check(Scheme::Pep440, "1.0").is_none());
        let a = aff(
            "ECOSYSTEM",
            serde_json::json!([{"introduced": "0"}, {"fixed": "2.0"}]),
        );
        assert!(a.check(Scheme::Pep440, "garbage!").is_none());
    }

    #[test]
    fn severity_from_cvss_then_database_specific() {
        let r: Record = serde_json::from_value(serde_json::json!({
            "id": "X", "severity": [{"type": "CVSS_V3",
                "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
            "database_specific": {"severity": "LOW"},
        }))
        .unwrap();
        assert_eq!(r.severity(None), (Severity::Critical, Some(9.8)));
        let r: Record = serde_json::from_value(serde_json::json!({
            "id": "X", "database_specific": {"severity": "MODERATE"},
        }))
        .unwrap();
        assert_eq!(r.severity(None), (Severity::Medium, None));
        let r: Record = serde_json::from_value(serde_json::json!({
            "id": "X", "severity": [{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N"}],
        }))
        .unwrap();
        assert_eq!(r.severity(None), (Severity::Unknown, None));
        // A v4 vector is scored; with a v3 one too, the higher counts.
        let r: Record = serde_json::from_value(serde_json::json!({
            "id": "X", "severity": [
                {"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"},
                {"type": "CVSS_V3", "score": "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"}],
            "database_specific": {"severity": "LOW"},
        }))
        .unwrap();
        assert_eq!(r.severity(None), (Severity::Critical, Some(9.3)));
    }
}
