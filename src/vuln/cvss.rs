//! CVSS v3.x base scores from a vector string, per the CVSS 3.1
//! specification (section 7: the base metric equations, and Appendix A's
//! `Roundup`), and the qualitative rating scale (section 5).
//! v3.0 vectors score with the same equations (3.1 changed only `Roundup`'s
//! floating-point care and the wording). v4.0 has no equations: a score is
//! the specification's lookup table of macro vectors, interpolated by the
//! severity distance within one. That is RustSec's `cvss` crate (checked by
//! its authors against Red Hat's implementation on every base vector),
//! rather than a second copy of the table here.

use super::Severity;

/// The base score of a `CVSS:3.x/AV:…` vector, or `None` when the vector
/// is not a complete, well-formed v3 base vector.
pub fn base_score(vector: &str) -> Option<f64> {
    let mut parts = vector.split('/');
    let head = parts.next()?;
    if head != "CVSS:3.1" && head != "CVSS:3.0" {
        return None;
    }
    let (mut av, mut ac, mut pr, mut ui, mut s, mut c, mut i, mut a) =
        (None, None, None, None, None, None, None, None);
    for p in parts {
        let (k, v) = p.split_once(':')?;
        let slot = match k {
            "AV" => &mut av,
            "AC" => &mut ac,
            "PR" => &mut pr,
            "UI" => &mut ui,
            "S" => &mut s,
            "C" => &mut c,
            "I" => &mut i,
            "A" => &mut a,
            // Temporal and environmental metrics do not change the base score.
            _ => continue,
        };
        if slot.replace(v).is_some() {
            return None;
        }
    }
    let changed = match s? {
        "U" => false,
        "C" => true,
        _ => return None,
    };
    let av = match av? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let ac = match ac? {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let pr = match (pr?, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let ui = match ui? {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let cia = |m: Option<&str>| match m? {
        "H" => Some(0.56),
        "L" => Some(0.22),
        "N" => Some(0.0),
        _ => None,
    };
    let (c, i, a) = (cia(c)?, cia(i)?, cia(a)?);
    let iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02f64).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Some(0.0);
    }
    let sum = if changed {
        1.08 * (impact + exploitability)
    } else {
        impact + exploitability
    };
    Some(roundup(sum.min(10.0)))
}

/// The score of a `CVSS:4.0/…` vector (CVSS-B; CVSS-BT, -BE or -BTE
/// when it carries threat or environmental metrics, as the specification
/// scores it), or `None` when it is not a well-formed v4.0 vector.
pub fn score_v4(vector: &str) -> Option<f64> {
    if !vector.starts_with("CVSS:4.0/") {
        return None;
    }
    let v: cvss::v4::Vector = vector.parse().ok()?;
    let score = v.score().value();
    (0.0..=10.0).contains(&score).then_some(score)
}

/// The smallest number with one decimal that is at least `x`, computed as
/// CVSS 3.1 Appendix A does to avoid floating-point surprises.
fn roundup(x: f64) -> f64 {
    let n = (x * 100_000.0).round() as i64;
    if n % 10_000 == 0 {
        n as f64 / 100_000.0
    } else {
        ((n / 10_000) + 1) as f64 / 10.0
    }
}

/// The qualitative rating of a score (CVSS 3.1 section 5).
pub fn rating(score: f64) -> Severity {
    match score {
        s if s <= 0.0 => Severity::None,
        s if s < 4.0 => Severity::Low,
        s if s < 7.0 => Severity::Medium,
        s if s < 9.0 => Severity::High,
        _ => Severity::Critical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_match_the_specification_examples() {
        // Scores as NVD's calculator gives them for these vectors.
        for (v, want) in [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1),
            ("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
            ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N/E:U", 1.6),
        ] {
            assert_eq!(base_score(v), Some(want), "{v}");
        }
        assert_eq!(rating(9.8), Severity::Critical);
        assert_eq!(rating(7.0), Severity::High);
        assert_eq!(rating(6.9), Severity::Medium);
        assert_eq!(rating(3.9), Severity::Low);
        assert_eq!(rating(0.0), Severity::None);
    }

    #[test]
    fn malformed_vectors_have_no_score() {
        for v in [
            "",
            "CVSS:2.0/AV:N",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
            "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "AV:N/AC:L/Au:N/C:P/I:P/A:P",
        ] {
            assert_eq!(base_score(v), None, "{v}");
        }
    }

    #[test]
    fn v4_vectors_score_as_the_specification_calculator_does() {
        // Scores as FIRST's CVSS v4.0 calculator gives them.
        for (v, want) in [
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
                10.0,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                9.3,
            ),
            (
                "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                8.5,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
                0.0,
            ),
        ] {
            assert_eq!(score_v4(v), Some(want), "{v}");
        }
        assert_eq!(rating(9.3), Severity::Critical);
    }

    #[test]
    fn malformed_v4_vectors_have_no_score_and_do_not_panic() {
        for v in [
            "CVSS:4.0/AV:N",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
            "CVSS:4.0/AV:X/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "CVSS:4.0/AV:N/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:Q",
            "CVSS:4.0//::/",
            "CVSS:4.0/\u{0}:\u{0}",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        ] {
            assert_eq!(score_v4(v), None, "{v}");
        }
    }
}
