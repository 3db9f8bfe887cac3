//! berth as a systemd unit's main process: the sd_notify client and its
//! modes (`--sdnotify`), the watchdog period, and the sockets systemd passes
//! for socket activation (LISTEN_FDS). Reads berth's own environment; knows
//! nothing of containers.

pub mod journal;
pub mod notify;

use anyhow::{Result, bail};
use std::time::Duration;

/// `--sdnotify`: who tells systemd that the service is ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdNotify {
    /// berth: MAINPID (itself, or the detached monitor) and READY=1 once
    /// the container's command runs. podman's name, kept for its users.
    Conmon,
    /// The container's process: NOTIFY_SOCKET points inside the container
    /// at a socket berth relays from, with MAINPID set to berth.
    Container,
    /// berth, once the healthcheck first passes (MAINPID at the start).
    Healthy,
    /// Nothing is sent and NOTIFY_SOCKET reaches nobody.
    Ignore,
}

impl SdNotify {
    /// `conmon`, `container`, `healthy`, `ignore`.
    pub fn parse(s: &str) -> Result<SdNotify> {
        Ok(match s {
            "conmon" => SdNotify::Conmon,
            "container" => SdNotify::Container,
            "healthy" => SdNotify::Healthy,
            "ignore" => SdNotify::Ignore,
            _ => bail!("invalid --sdnotify `{s}`: expected container, conmon, healthy or ignore"),
        })
    }

    /// Its flag value.
    pub fn as_str(self) -> &'static str {
        match self {
            SdNotify::Conmon => "conmon",
            SdNotify::Container => "container",
            SdNotify::Healthy => "healthy",
            SdNotify::Ignore => "ignore",
        }
    }

    /// The mode asked for, else `conmon` when berth runs under a notify
    /// socket (as podman), else `ignore`.
    pub fn or_default(mode: Option<SdNotify>) -> SdNotify {
        mode.unwrap_or(if std::env::var_os(notify::SOCKET_ENV).is_some() {
            SdNotify::Conmon
        } else {
            SdNotify::Ignore
        })
    }

    /// A foreground berth's answer to systemd (`run`, `start -a`): `mode`
    /// or its default, and the socket to notify — none for `ignore`, where
    /// NOTIFY_SOCKET is nobody's business, the container's least.
    pub fn resolve(mode: Option<SdNotify>) -> Result<(SdNotify, Option<notify::Notifier>)> {
        let mode = SdNotify::or_default(mode);
        let notifier = match mode {
            SdNotify::Ignore => None,
            _ => notify::Notifier::from_env()?,
        };
        Ok((mode, notifier))
    }
}

/// How often berth pings the watchdog: half of WATCHDOG_USEC, when that is
/// set and WATCHDOG_PID (if set) names this process (sd_watchdog_enabled).
pub fn watchdog_period() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    if let Ok(pid) = std::env::var("WATCHDOG_PID")
        && pid.parse::<u32>().ok() != Some(std::process::id())
    {
        return None;
    }
    (usec > 0).then(|| Duration::from_micros(usec / 2))
}

/// The sockets systemd passed for activation: fds 3 to 3+count-1, when
/// LISTEN_PID names this process (sd_listen_fds); their names as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenFds {
    pub count: u32,
    pub names: Option<String>,
}

impl ListenFds {
    pub fn from_env() -> Option<ListenFds> {
        let var = |k: &str| std::env::var(k).ok();
        Self::from_vars(
            var("LISTEN_PID").as_deref(),
            var("LISTEN_FDS").as_deref(),
            var("LISTEN_FDNAMES"),
            std::process::id(),
        )
    }

    fn from_vars(
        pid: Option<&str>,
        fds: Option<&str>,
        names: Option<String>,
        me: u32,
    ) -> Option<ListenFds> {
        if pid?.parse::<u32>().ok()? != me {
            return None;
        }
        let count = fds?.parse::<u32>().ok().filter(|n| *n > 0)?;
        Some(ListenFds { count, names })
    }

    /// The container's environment for them: LISTEN_PID is the command's
    /// pid as the container sees it (1, or 2 under `--init`, which forks
    /// it first), as crun sets it to the container process's own pid.
    pub fn env(&self, init: bool) -> Vec<String> {
        let mut env = vec![
            format!("LISTEN_FDS={}", self.count),
            format!("LISTEN_PID={}", if init { 2 } else { 1 }),
        ];
        if let Some(n) = &self.names {
            env.push(format!("LISTEN_FDNAMES={n}"));
        }
        env
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_fds_are_ours_only_when_listen_pid_names_us() {
        let got = ListenFds::from_vars(Some("42"), Some("2"), Some("a:b".into()), 42);
        assert_eq!(
            got,
            Some(ListenFds {
                count: 2,
                names: Some("a:b".into())
            })
        );
        assert_eq!(ListenFds::from_vars(Some("41"), Some("2"), None, 42), None);
        assert_eq!(ListenFds::from_vars(None, Some("2"), None, 42), None);
        assert_eq!(ListenFds::from_vars(Some("42"), Some("0"), None, 42), None);
        let env = got.unwrap().env(true);
        assert_eq!(env, ["LISTEN_FDS=2", "LISTEN_PID=2", "LISTEN_FDNAMES=a:b"]);
    }

    #[test]
    fn sdnotify_modes_parse_by_podman_names() {
        assert_eq!(SdNotify::parse("conmon").unwrap(), SdNotify::Conmon);
        assert_eq!(SdNotify::parse("healthy").unwrap(), SdNotify::Healthy);
        assert!(SdNotify::parse("systemd").is_err());
    }
}
