//! RFC 3339 timestamps (UTC, what image configs carry) without a date crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the epoch, honouring `SOURCE_DATE_EPOCH` so builds and
/// imports can be reproducible.
pub fn now_epoch() -> i64 {
    if let Some(s) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return s;
    }
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `2024-05-01T12:00:00Z`
pub fn rfc3339(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Now as RFC 3339 with nanoseconds (`2024-05-01T12:00:00.123456789Z`), for
/// records that are ordered by when they were made (containers created in
/// one second). `SOURCE_DATE_EPOCH`, when set, wins, as in [`now_epoch`].
pub fn now_rfc3339_nanos() -> String {
    let epoch = now_epoch();
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    if epoch != wall.as_secs() as i64 {
        return rfc3339(epoch);
    }
    let s = rfc3339(epoch);
    format!("{}.{:09}Z", s.trim_end_matches('Z'), wall.subsec_nanos())
}

/// The nanoseconds of an RFC 3339 time's fraction (0 when it has none), to
/// order times within one second.
pub fn fraction_nanos(s: &str) -> u32 {
    let Some(frac) = s.get(19..).and_then(|r| r.strip_prefix('.')) else {
        return 0;
    };
    let digits: String = frac
        .chars()
        .take_while(char::is_ascii_digit)
        .take(9)
        .collect();
    format!("{digits:0<9}").parse().unwrap_or(0)
}

/// Parses the RFC 3339 forms found in image configs (fractions and offsets
/// allowed); `None` for anything else.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    // The fields sit at byte offsets; a multibyte character (which no
    // RFC 3339 form has) would put a slice boundary inside it and panic.
    if !s.is_ascii() {
        return None;
    }
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (rest[1..3].parse::<i64>().ok()? * 3600 + rest[4..6].parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset)
}

/// "3 minutes ago", as podman prints it.
pub fn ago(epoch: i64) -> String {
    let delta = (now_wall() - epoch).max(0);
    let (n, unit) = match delta {
        0..60 => return "Less than a minute ago".into(),
        60..3600 => (delta / 60, "minute"),
        3600..86_400 => (delta / 3600, "hour"),
        86_400..604_800 => (delta / 86_400, "day"),
        604_800..2_592_000 => (delta / 604_800, "week"),
        2_592_000..31_536_000 => (delta / 2_592_000, "month"),
        _ => (delta / 31_536_000, "year"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

/// A time as Go's `time.Time.String` prints it in UTC, which podman's
/// `.CreatedAt` template fields show: `2024-05-01 12:00:00 +0000 UTC`.
pub fn go_string(epoch: i64) -> String {
    rfc3339(epoch).replace('T', " ").replace('Z', " +0000 UTC")
}

/// A duration as podman words it (go-units `HumanDuration`): "5 seconds",
/// "About a minute", "3 hours", "2 weeks".
pub fn human_duration(secs: i64) -> String {
    let hours = (secs + 1800) / 3600;
    match secs {
        ..1 => "Less than a second".into(),
        1 => "1 second".into(),
        2..60 => format!("{secs} seconds"),
        60..120 => "About a minute".into(),
        120..3600 => format!("{} minutes", secs / 60),
        _ if hours == 1 => "About an hour".into(),
        _ if hours < 48 => format!("{hours} hours"),
        _ if hours < 24 * 7 * 2 => format!("{} days", hours / 24),
        _ if hours < 24 * 30 * 2 => format!("{} weeks", hours / 24 / 7),
        _ if hours < 24 * 365 * 2 => format!("{} months", hours / 24 / 30),
        _ => format!("{} years", secs / 3600 / 24 / 365),
    }
}

/// The wall clock now, in seconds since the epoch (never `SOURCE_DATE_EPOCH`:
/// for how long ago something happened).
pub fn now_wall() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

// Howard Hinnant's days-from-civil algorithms.
/// Days since the epoch → (year, month, day) in the proleptic Gregorian calendar.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// (year, month, day) → days since the epoch.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_are_worded_as_podman_words_them() {
        use super::human_duration as h;
        assert_eq!(h(0), "Less than a second");
        assert_eq!(h(1), "1 second");
        assert_eq!(h(59), "59 seconds");
        assert_eq!(h(90), "About a minute");
        assert_eq!(h(600), "10 minutes");
        assert_eq!(h(3600), "About an hour");
        assert_eq!(h(5 * 3600), "5 hours");
        assert_eq!(h(3 * 86_400), "3 days");
        assert_eq!(h(21 * 86_400), "3 weeks");
        assert_eq!(h(90 * 86_400), "3 months");
        assert_eq!(h(3 * 365 * 86_400), "3 years");
        assert_eq!(super::go_string(0), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(super::fraction_nanos("2026-01-01T00:00:00.5Z"), 500_000_000);
        assert_eq!(super::fraction_nanos("2026-01-01T00:00:00Z"), 0);
    }

    use super::*;

    #[test]
    fn round_trips_through_rfc3339() {
        for t in [0, 951_782_400, 1_700_000_000, 4_102_444_800] {
            assert_eq!(parse_rfc3339(&rfc3339(t)), Some(t));
        }
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn parses_fractions_and_offsets() {
        assert_eq!(
            parse_rfc3339("1970-01-01T01:00:00.123456789+01:00"),
            Some(0)
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn multibyte_characters_are_not_a_timestamp() {
        // The offset's fields would start or end inside `é`.
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20+0\u{e9}00"), None);
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20+00\u{e9}0"), None);
        assert_eq!(parse_rfc3339("2023-11-14T22:13:2\u{e9}Z"), None);
    }
}

/// Arbitrary strings as timestamps (image configs carry any string there):
/// never a panic, and what the parser accepts is the epoch it names.
#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(crate::proptest_config(256))]

        #[test]
        fn any_string_parses_or_is_none(s in any::<String>()) {
            if let Some(t) = parse_rfc3339(&s) {
                let _ = ago(t);
            }
        }

        #[test]
        fn timestamp_shaped_strings_parse_or_are_none(
            s in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9é]{2}(\\.[0-9é]{0,3})?([Zz]|[+-][0-9é]{2}:[0-9é]{2}|[+-][0-9:é]{3,4}|.{0,7})",
        ) {
            if let Some(t) = parse_rfc3339(&s) {
                let _ = ago(t);
                let _ = rfc3339(t);
            }
        }

        #[test]
        fn every_epoch_round_trips(t in -62_135_596_800i64..253_402_300_799) {
            // 0001-01-01 to 9999-12-31: what four year digits can say.
            prop_assert_eq!(parse_rfc3339(&rfc3339(t)), Some(t));
        }
    }
}
