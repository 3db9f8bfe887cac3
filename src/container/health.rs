//! A container's healthcheck: its configuration (the image's HEALTHCHECK
//! under the `--health-*` flags, kept in the record) and its state
//! (`health.json` beside the record: status, failing streak, the last
//! results), in podman's inspect shape. The checks themselves are run by
//! the container's monitor (`lifecycle::health`).

use super::Containers;
use crate::layout::replace_file;
use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Results kept, as podman and Docker keep.
pub const LOG_MAX: usize = 5;
/// Output kept of one check, as Docker's `maxOutputLen`.
pub const OUTPUT_MAX: usize = 4096;

pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_RETRIES: u32 = 3;

/// `--health-on-failure`: what the monitor does once the container turns
/// unhealthy.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OnFailure {
    #[default]
    None,
    Kill,
    Restart,
    Stop,
}

impl OnFailure {
    pub fn parse(s: &str) -> Result<OnFailure> {
        Ok(match s {
            "none" => OnFailure::None,
            "kill" => OnFailure::Kill,
            "restart" => OnFailure::Restart,
            "stop" => OnFailure::Stop,
            _ => bail!("invalid --health-on-failure `{s}`: use none, kill, restart or stop"),
        })
    }
}

/// The check as the container runs it. Durations in nanoseconds, as the
/// image config has them.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct HealthConfig {
    /// `["CMD", arg…]` or `["CMD-SHELL", command]`.
    pub test: Vec<String>,
    pub interval: u64,
    pub timeout: u64,
    pub start_period: u64,
    pub retries: u32,
    #[serde(default)]
    pub on_failure: OnFailure,
}

/// The `--health-*` flags as given (None: not given).
#[derive(Debug, Clone, Default)]
pub struct HealthFlags {
    pub cmd: Option<String>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub start_period: Option<String>,
    pub retries: Option<u32>,
    pub on_failure: Option<String>,
    pub disabled: bool,
}

impl HealthFlags {
    /// The container's check: the image's `Healthcheck` (Docker's config
    /// field) with the flags over it; None when neither has one, or it is
    /// disabled (`--no-healthcheck`, `--health-cmd none`, HEALTHCHECK NONE).
    pub fn resolve(&self, image: Option<&serde_json::Value>) -> Result<Option<HealthConfig>> {
        let on_failure = match &self.on_failure {
            Some(s) => OnFailure::parse(s)?,
            None => OnFailure::None,
        };
        let dur = |flag: &str, v: &Option<String>| -> Result<Option<u64>> {
            v.as_deref()
                .map(|s| {
                    parse_duration(s)
                        .map(|d| d.as_nanos() as u64)
                        .ok_or_else(|| anyhow::anyhow!("invalid --health-{flag} `{s}`: use a duration such as 30s, 1m30s or 500ms"))
                })
                .transpose()
        };
        let interval = dur("interval", &self.interval)?;
        let timeout = dur("timeout", &self.timeout)?;
        let start_period = dur("start-period", &self.start_period)?;
        if interval == Some(0) {
            bail!("invalid --health-interval: it must be above 0");
        }
        if self.disabled
            || self
                .cmd
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case("none"))
        {
            return Ok(None);
        }
        let field = |name: &str| image.and_then(|v| v.get(name));
        let num = |name: &str| field(name).and_then(|v| v.as_u64()).filter(|n| *n > 0);
        let test = match &self.cmd {
            Some(c) => command_test(c)?,
            None => match field("Test").and_then(|t| t.as_array()) {
                Some(t) => t
                    .iter()
                    .map(|v| v.as_str().unwrap_or_default().to_string())
                    .collect(),
                None => return Ok(None),
            },
        };
        if test.is_empty() || test[0] == "NONE" {
            return Ok(None);
        }
        if !matches!(test[0].as_str(), "CMD" | "CMD-SHELL") || test.len() < 2 {
            bail!("invalid healthcheck test {test:?}: it must be CMD … or CMD-SHELL …");
        }
        Ok(Some(HealthConfig {
            test,
            interval: interval
                .or(num("Interval"))
                .unwrap_or(DEFAULT_INTERVAL.as_nanos() as u64),
            timeout: timeout
                .or(num("Timeout"))
                .unwrap_or(DEFAULT_TIMEOUT.as_nanos() as u64),
            start_period: start_period.or(num("StartPeriod")).unwrap_or(0),
            retries: self
                .retries
                .or(num("Retries").map(|n| n as u32))
                .unwrap_or(DEFAULT_RETRIES),
            on_failure,
        }))
    }
}

/// `--health-cmd`: a JSON array is the exec form (`["CMD", …]` or bare
/// arguments), anything else a shell command (CMD-SHELL), as podman.
fn command_test(c: &str) -> Result<Vec<String>> {
    if c.trim_start().starts_with('[') {
        let v: Vec<String> = serde_json::from_str(c)
            .map_err(|e| anyhow::anyhow!("invalid --health-cmd `{c}`: {e}"))?;
        if v.is_empty() {
            bail!("invalid --health-cmd `{c}`: no command");
        }
        return Ok(match v[0].as_str() {
            "CMD" | "CMD-SHELL" | "NONE" => v,
            _ => std::iter::once("CMD".to_string()).chain(v).collect(),
        });
    }
    Ok(vec!["CMD-SHELL".into(), c.into()])
}

impl HealthConfig {
    /// The command run in the container.
    pub fn argv(&self) -> Vec<String> {
        match self.test[0].as_str() {
            "CMD-SHELL" => vec!["/bin/sh".into(), "-c".into(), self.test[1..].join(" ")],
            _ => self.test[1..].to_vec(),
        }
    }

    pub fn interval(&self) -> Duration {
        Duration::from_nanos(self.interval)
    }
}

/// A Go duration: `1h2m3.5s`, `500ms`, `90s`, `0`; also a bare number of
/// seconds. None when it does not parse.
pub fn parse_duration(s: &str) -> Option<Duration> {
    if s == "0" {
        return Some(Duration::ZERO);
    }
    if let Ok(n) = s.parse::<u64>() {
        return Some(Duration::from_secs(n));
    }
    let mut total = 0f64;
    let mut rest = s;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += n * scale;
        rest = &rest[unit_len..];
    }
    Some(Duration::from_secs_f64(total))
}

/// One check's result.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct HealthResult {
    pub start: String,
    pub end: String,
    pub exit_code: i32,
    pub output: String,
}

/// `starting`, `healthy`, `unhealthy`.
pub const STARTING: &str = "starting";
pub const HEALTHY: &str = "healthy";
pub const UNHEALTHY: &str = "unhealthy";

/// What the checks found so far: podman's `State.Health`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct HealthState {
    pub status: String,
    pub failing_streak: u32,
    pub log: Vec<HealthResult>,
}

impl Default for HealthState {
    fn default() -> HealthState {
        HealthState {
            status: STARTING.into(),
            failing_streak: 0,
            log: Vec::new(),
        }
    }
}

impl HealthState {
    /// Adds a result. A failure inside the start period does not count
    /// (the status stays as it is); `retries` failures in a row make it
    /// unhealthy; a success makes it healthy.
    pub fn add(&mut self, r: HealthResult, retries: u32, in_start_period: bool) {
        if r.exit_code == 0 {
            self.status = HEALTHY.into();
            self.failing_streak = 0;
        } else if !in_start_period {
            self.failing_streak += 1;
            if self.failing_streak >= retries.max(1) {
                self.status = UNHEALTHY.into();
            }
        }
        self.log.push(r);
        if self.log.len() > LOG_MAX {
            let extra = self.log.len() - LOG_MAX;
            self.log.drain(..extra);
        }
    }
}

impl Containers {
    /// The container's health state, when a check has recorded one.
    pub fn health(&self, id: &str) -> Option<HealthState> {
        let bytes = std::fs::read(self.layout().container_health(id)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Replaces the health state (temp + rename: readers see old or new),
    /// under the container's lock, held by the caller.
    pub fn save_health(&self, id: &str, h: &HealthState) -> Result<()> {
        replace_file(
            &self.layout().container_health(id),
            &serde_json::to_vec_pretty(h)?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_parse() {
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn flags_override_the_images_check() {
        let image = serde_json::json!({"Test": ["CMD", "true"], "Interval": 5_000_000_000u64, "Retries": 7});
        let f = HealthFlags {
            interval: Some("1s".into()),
            ..Default::default()
        };
        let c = f.resolve(Some(&image)).unwrap().unwrap();
        assert_eq!(
            (c.interval, c.retries, c.argv()),
            (1_000_000_000, 7, vec!["true".to_string()])
        );
        let shell = HealthFlags {
            cmd: Some("test -f /x".into()),
            ..Default::default()
        };
        let c = shell.resolve(Some(&image)).unwrap().unwrap();
        assert_eq!(c.argv(), ["/bin/sh", "-c", "test -f /x"]);
        assert_eq!(c.timeout, DEFAULT_TIMEOUT.as_nanos() as u64);
        let none = HealthFlags {
            cmd: Some("none".into()),
            ..Default::default()
        };
        assert_eq!(none.resolve(Some(&image)).unwrap(), None);
        let disabled = serde_json::json!({"Test": ["NONE"]});
        assert_eq!(
            HealthFlags::default().resolve(Some(&disabled)).unwrap(),
            None
        );
    }

    #[test]
    fn failures_count_after_the_start_period_and_up_to_the_retries() {
        let r = |code| HealthResult {
            start: String::new(),
            end: String::new(),
            exit_code: code,
            output: String::new(),
        };
        let mut h = HealthState::default();
        h.add(r(1), 2, true);
        assert_eq!((h.status.as_str(), h.failing_streak), (STARTING, 0));
        h.add(r(1), 2, false);
        assert_eq!(h.status, STARTING);
        h.add(r(1), 2, false);
        assert_eq!((h.status.as_str(), h.failing_streak), (UNHEALTHY, 2));
        h.add(r(0), 2, false);
        assert_eq!((h.status.as_str(), h.failing_streak), (HEALTHY, 0));
        for _ in 0..10 {
            h.add(r(0), 2, false);
        }
        assert_eq!(h.log.len(), LOG_MAX);
    }
}
