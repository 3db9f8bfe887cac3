//! Healthchecks. One check is an exec into the running container (the
//! container's confinement, its environment), its stdout and stderr
//! captured in a memfd and its timeout enforced by a pidfd poll; the result
//! is recorded under the container's lock (`health.json`, see
//! `container::health`), and a change of status is an event.
//!
//! The container's monitor schedules them (a [`Scheduler`] in the wait
//! loop of `runtime::monitor::supervise`, whose poll timeout is the next
//! due time): when one is due it starts `berth healthcheck run ID` as its
//! child, and when that is reaped it reads the new state and acts on
//! `--health-on-failure`. Between two checks nothing runs and nothing
//! sleeps but the monitor's one poll.

use crate::container::health::{
    HEALTHY, HealthConfig, HealthResult, HealthState, OUTPUT_MAX, OnFailure, UNHEALTHY,
};
use crate::container::{Containers, State};
use crate::events::{self, Event};
use crate::runtime::exec::{Options, TIMED_OUT};
use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::{Read, Seek};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// `berth healthcheck run`: runs the container's check once now, records
/// the result, and returns the status it leaves (starting, healthy,
/// unhealthy).
pub fn check(containers: &Containers, spec: &str) -> Result<String> {
    let meta = containers.find(spec)?;
    let Some(cfg) = meta.healthcheck.clone() else {
        bail!("container {} has no healthcheck", meta.name);
    };
    // Bounded: a check that prints without end (`yes`) must not fill memory
    // until its timeout; past OUTPUT_MAX its writes fail.
    let mut out = crate::sys::fs::bounded_anon_file(c"berth-healthcheck", OUTPUT_MAX as u64)
        .context("creating the healthcheck's output file")?;
    let timeout = Duration::from_nanos(cfg.timeout);
    let o = Options {
        args: cfg.argv(),
        capture: Some(out.as_raw_fd()),
        timeout: Some(timeout),
        ..Default::default()
    };
    let start = crate::time::now_rfc3339_nanos();
    let ran = super::exec::exec(containers, &meta.id, &[], o)?;
    let end = crate::time::now_rfc3339_nanos();
    let (exit_code, output) = match ran {
        Ok(TIMED_OUT) => (
            TIMED_OUT,
            format!("healthcheck timed out after {}", go_duration(timeout)),
        ),
        Ok(code) => (code, captured(&mut out)?),
        Err(f) => (f.code, f.message),
    };
    let result = HealthResult {
        start,
        end,
        exit_code,
        output,
    };
    let _lock = containers.lock(&meta.id)?;
    let now = containers.reload(&meta.id)?;
    if now.state != State::Running || now.pid != meta.pid {
        bail!("container {} is not running", meta.name);
    }
    let mut health = containers.health(&meta.id).unwrap_or_default();
    let in_start_period = now
        .started_at
        .as_deref()
        .and_then(crate::time::parse_rfc3339)
        .is_some_and(|s| {
            let since = (crate::time::now_wall() - s).max(0) as u64;
            Duration::from_secs(since) < Duration::from_nanos(cfg.start_period)
        });
    let before = health.status.clone();
    health.add(result, cfg.retries, in_start_period);
    containers.save_health(&meta.id, &health)?;
    if health.status != before {
        let mut e = Event::container("health_status", &meta.id, &meta.name, &meta.image);
        e.health_status = Some(health.status.clone());
        events::record(containers.layout(), e);
    }
    Ok(health.status)
}

/// The first [`OUTPUT_MAX`] bytes the check wrote, as text.
fn captured(f: &mut std::fs::File) -> Result<String> {
    // The check wrote through the same open file: its offset is the length.
    let written = f.stream_position()?.min(OUTPUT_MAX as u64);
    f.rewind()?;
    let mut buf = Vec::new();
    f.take(written).read_to_end(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// `30s`, `1.5s`, `500ms`, as Go prints a duration.
fn go_duration(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}s", d.as_secs_f64())
    }
}

/// The healthcheck side of a container's monitor (detached or the
/// foreground `berth run`), for one run of the container.
pub struct Scheduler<'a> {
    containers: &'a Containers,
    id: String,
    cfg: HealthConfig,
    /// The next check; None while one runs.
    due: Option<Instant>,
    /// The check process running now.
    running: Option<Pid>,
    /// `--health-on-failure=stop`: when the stop signal turns into SIGKILL.
    kill_at: Option<Instant>,
    /// on-failure has acted: it acts once per run.
    acted: bool,
    /// `--health-on-failure=restart` ended this run: run it again.
    pub restart: bool,
    healthy_once: bool,
    /// Called the first time the container turns healthy in this run (the
    /// hook for `--sdnotify=healthy`).
    pub on_first_healthy: Option<&'a mut dyn FnMut()>,
}

impl<'a> Scheduler<'a> {
    /// For a run of container `id` that is starting: its state is reset
    /// to `starting`, the first check due one interval from now. None when
    /// it has no healthcheck.
    pub fn new(containers: &'a Containers, id: &str) -> Result<Option<Scheduler<'a>>> {
        let meta = containers.reload(id)?;
        let Some(cfg) = meta.healthcheck else {
            return Ok(None);
        };
        // The monitor's own progress, as its record's: temp + rename.
        containers.save_health(id, &HealthState::default())?;
        Ok(Some(Scheduler {
            containers,
            id: id.to_string(),
            due: Some(Instant::now() + cfg.interval()),
            cfg,
            running: None,
            kill_at: None,
            acted: false,
            restart: false,
            healthy_once: false,
            on_first_healthy: None,
        }))
    }

    fn spawn_check(&mut self) -> Result<Pid> {
        let root = self.containers.layout().root().as_os_str();
        let mut cmd = crate::ident::userns::helper_command(&[
            std::ffi::OsStr::new("--root"),
            root,
            std::ffi::OsStr::new("healthcheck"),
            std::ffi::OsStr::new("run"),
            std::ffi::OsStr::new(&self.id),
        ]);
        cmd.stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        crate::sys::process::inherit_nothing_from(&mut cmd, 3);
        crate::sys::process::die_with_parent(&mut cmd);
        // Reaped by the monitor's loop (SIGCHLD), not through this handle.
        let child = cmd.spawn().context("starting the healthcheck")?;
        Ok(Pid::from_raw(child.id() as i32))
    }

    /// What the finished check left: acts on it.
    fn checked(&mut self, container: Pid) {
        let Some(h) = self.containers.health(&self.id) else {
            return;
        };
        if h.status == HEALTHY && !self.healthy_once {
            self.healthy_once = true;
            if let Some(f) = self.on_first_healthy.as_deref_mut() {
                f();
            }
        }
        if h.status != UNHEALTHY || self.acted || self.cfg.on_failure == OnFailure::None {
            return;
        }
        self.acted = true;
        if let Err(e) = self.act(container) {
            log::error!("acting on the unhealthy container: {e:#}");
        }
    }

    fn act(&mut self, container: Pid) -> Result<()> {
        match self.cfg.on_failure {
            OnFailure::None => {}
            OnFailure::Restart => {
                self.restart = true;
                kill(container, Signal::SIGKILL)?;
            }
            OnFailure::Kill | OnFailure::Stop => {
                // As a user's stop: the restart policy leaves it stopped.
                let meta = {
                    let _lock = self.containers.lock(&self.id)?;
                    self.containers.mark_stopped(&self.id)?;
                    self.containers.reload(&self.id)?
                };
                if self.cfg.on_failure == OnFailure::Kill {
                    kill(container, Signal::SIGKILL)?;
                    return Ok(());
                }
                let sig =
                    super::stop::parse_signal(meta.stop_signal.as_deref().unwrap_or("SIGTERM"))?;
                let secs = meta
                    .stop_timeout
                    .unwrap_or(super::stop::DEFAULT_STOP_TIMEOUT);
                kill(container, Signal::try_from(sig)?)?;
                self.kill_at = Some(Instant::now() + Duration::from_secs(secs.into()));
            }
        }
        Ok(())
    }
}

impl crate::runtime::monitor::Ticker for Scheduler<'_> {
    fn next(&self) -> Option<Instant> {
        match (self.due, self.kill_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn tick(&mut self, container: Pid) {
        let now = Instant::now();
        if self.kill_at.is_some_and(|k| k <= now) {
            self.kill_at = None;
            let _ = kill(container, Signal::SIGKILL);
        }
        if self.due.is_some_and(|d| d <= now) && self.running.is_none() {
            match self.spawn_check() {
                Ok(pid) => {
                    self.running = Some(pid);
                    self.due = None;
                }
                Err(e) => {
                    log::error!("{e:#}");
                    self.due = Some(now + self.cfg.interval());
                }
            }
        }
    }

    fn reaped(&mut self, pid: Pid, container: Pid) {
        if self.running != Some(pid) {
            return;
        }
        self.running = None;
        self.due = Some(Instant::now() + self.cfg.interval());
        self.checked(container);
    }
}
