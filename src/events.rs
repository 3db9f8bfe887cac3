//! The event log: what commands did (create, start, died, pull, tag, …) as
//! JSON lines appended to `<root>/events/events.log`, in podman's event
//! shape. Each event is one write(2) on an O_APPEND fd, at most PIPE_BUF
//! bytes, so concurrent writers never interleave; nothing is fsynced (a
//! power cut may lose the last events, never corrupt earlier ones). A line
//! cut short by a crash is skipped by readers. The log is bounded: past
//! [`MAX_SIZE`] it is renamed to `events.log.1` (replacing the older one), so
//! at most twice that is kept, as podman's `events_logfile_max_size`.
//! Recording never fails the command that records: a write error is logged
//! once per process.
//!
//! With `--events-backend journald` (or containers.conf's `events_logger`)
//! events go to the systemd journal instead, as podman's do, with berth's
//! own fields (`BERTH_EVENT`, `BERTH_TYPE`, …; see [`journal_entry`]) under
//! `SYSLOG_IDENTIFIER=berth`, and are read back with `journalctl`.

use crate::layout::Layout;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, Seek, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// The size at which the log is rotated.
pub const MAX_SIZE: u64 = 1 << 20;

/// One event line: the longest a single atomic append may be.
const LINE_MAX: usize = libc::PIPE_BUF;

/// One event, serialized as podman's `events --format json` prints it.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct Event {
    /// The container's or image's id.
    #[serde(rename = "ID", default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(rename = "Image", default, skip_serializing_if = "String::is_empty")]
    pub image: String,
    #[serde(rename = "Name", default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// What happened: create, start, died, health_status, pull, tag, …
    #[serde(rename = "Status")]
    pub status: String,
    /// Nanoseconds since the epoch.
    #[serde(rename = "Time")]
    pub time: i64,
    /// `container` or `image`.
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(
        rename = "ContainerExitCode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub exit_code: Option<i32>,
    #[serde(
        rename = "health_status",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub health_status: Option<String>,
    /// The container's labels (podman shows them as attributes).
    #[serde(
        rename = "Attributes",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub attributes: BTreeMap<String, String>,
}

impl Event {
    /// A container event, timed now.
    pub fn container(status: &str, id: &str, name: &str, image: &str) -> Event {
        Event {
            id: id.into(),
            name: name.into(),
            image: image.into(),
            status: status.into(),
            time: now_nanos(),
            kind: "container".into(),
            ..Default::default()
        }
    }

    /// An image event, timed now: `name` is the reference it concerns.
    pub fn image(status: &str, id: &str, name: &str) -> Event {
        Event {
            id: id.into(),
            name: name.into(),
            status: status.into(),
            time: now_nanos(),
            kind: "image".into(),
            ..Default::default()
        }
    }

    /// podman's default line: `TIME TYPE STATUS ID (image=…, name=…, …)` for
    /// a container, `TIME image STATUS ID NAME` for an image.
    pub fn human(&self) -> String {
        let e = self;
        let secs = e.time.div_euclid(1_000_000_000);
        let nanos = e.time.rem_euclid(1_000_000_000);
        let date = crate::time::rfc3339(secs);
        let time = format!(
            "{}.{nanos:09} +0000 UTC",
            date.trim_end_matches('Z').replace('T', " ")
        );
        if e.kind != "container" {
            return format!("{time} {} {} {} {}", e.kind, e.status, e.id, e.name);
        }
        let mut s = format!(
            "{time} {} {} {} (image={}, name={}",
            e.kind, e.status, e.id, e.image, e.name
        );
        if let Some(h) = &e.health_status {
            s += &format!(", health_status={h}");
        }
        if let Some(c) = e.exit_code {
            s += &format!(", containerExitCode={c}");
        }
        for (k, v) in &e.attributes {
            s += &format!(", {k}={v}");
        }
        s + ")"
    }

    /// The line written for it: JSON, at most [`LINE_MAX`] bytes with its
    /// newline (attributes, then long names are dropped to fit).
    fn line(&self) -> Vec<u8> {
        let mut e = self.clone();
        for _ in 0..3 {
            let mut line = serde_json::to_vec(&e).unwrap_or_default();
            line.push(b'\n');
            if line.len() <= LINE_MAX {
                return line;
            }
            if !e.attributes.is_empty() {
                e.attributes.clear();
            } else {
                e.name.truncate(256);
                e.image.truncate(256);
            }
        }
        Vec::new()
    }
}

/// The wall clock in nanoseconds since the epoch.
pub fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Where events are recorded and read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `<root>/events/events.log` (the default).
    File,
    /// The systemd journal.
    Journald,
    /// Not recorded at all.
    None,
}

impl Backend {
    pub fn parse(s: &str) -> Option<Backend> {
        match s {
            "file" => Some(Backend::File),
            "journald" => Some(Backend::Journald),
            "none" => Some(Backend::None),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::File => "file",
            Backend::Journald => "journald",
            Backend::None => "none",
        }
    }
}

/// The backend berth passes to the processes it re-executes (a detached
/// container's monitor records its start, died and health events): they
/// have no command line of the user's to read it from.
pub const BACKEND_ENV: &str = "BERTH_EVENTS_BACKEND";

static BACKEND: OnceLock<Backend> = OnceLock::new();

/// Settles the backend for this process: `flag` (`--events-backend`), else
/// containers.conf's `[engine] events_logger`, else the file. journald
/// must be listening: asking for it on the command line without its socket
/// is an error, never a silent fallback to the file. containers.conf is
/// podman's too, and often names journald on hosts where a user has none
/// (a container, a session without systemd): there the file is used, as
/// podman falls back, rather than every berth command failing.
pub fn configure(flag: Option<&str>) -> anyhow::Result<Backend> {
    let (b, from) = match flag {
        Some(f) => (
            Backend::parse(f).ok_or_else(|| {
                anyhow::anyhow!("--events-backend `{f}`: use file, journald or none")
            })?,
            "--events-backend journald".to_string(),
        ),
        None => match conf_events_logger() {
            Some((v, path)) => (
                Backend::parse(&v).ok_or_else(|| {
                    anyhow::anyhow!(
                        "events_logger `{v}` in `{}`: use file, journald or none",
                        path.display()
                    )
                })?,
                format!("events_logger = \"journald\" in `{}`", path.display()),
            ),
            None => (Backend::File, String::new()),
        },
    };
    if b == Backend::Journald && !crate::systemd::journal::available() {
        if flag.is_none() {
            log::debug!("{from}, but no journal here: events go to the file");
            let _ = BACKEND.set(Backend::File);
            return Ok(Backend::File);
        }
        anyhow::bail!(
            "{from}: no journal here ({} does not exist); use --events-backend file",
            crate::systemd::journal::SOCKET
        );
    }
    let _ = BACKEND.set(b);
    Ok(b)
}

/// This process's backend: as [`configure`]d, else as the berth that
/// started it passed it on ([`BACKEND_ENV`]), else the file.
pub fn backend() -> Backend {
    *BACKEND.get_or_init(|| {
        std::env::var(BACKEND_ENV)
            .ok()
            .and_then(|v| Backend::parse(&v))
            .unwrap_or(Backend::File)
    })
}

/// The last `events_logger` set in podman's containers.conf files, with the
/// file that set it: `$CONTAINERS_CONF` alone when set, else the system
/// files then the user's (later ones override), as containers/common
/// reads them. A file that does not parse is warned about and skipped.
fn conf_events_logger() -> Option<(String, PathBuf)> {
    let files: Vec<PathBuf> = match std::env::var_os("CONTAINERS_CONF") {
        Some(p) => vec![PathBuf::from(p)],
        None => {
            let mut v = vec![
                PathBuf::from("/usr/share/containers/containers.conf"),
                PathBuf::from("/etc/containers/containers.conf"),
            ];
            let config = std::env::var_os("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
            if let Some(c) = config {
                v.push(c.join("containers/containers.conf"));
            }
            v
        }
    };
    #[derive(Deserialize, Default)]
    struct Conf {
        #[serde(default)]
        engine: Engine,
    }
    #[derive(Deserialize, Default)]
    struct Engine {
        events_logger: Option<String>,
    }
    let mut found = None;
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        // The packaged file is 30 kB of comments, read by every berth
        // command: parsed only when a line sets the key (a third of a
        // millisecond of each `run` otherwise).
        if !sets_key(&text, "events_logger") {
            continue;
        }
        match toml::from_str::<Conf>(&text) {
            Ok(c) => {
                if let Some(v) = c.engine.events_logger {
                    found = Some((v, f));
                }
            }
            Err(e) => log::warn!("ignoring `{}`: {e}", f.display()),
        }
    }
    found
}

/// Whether some line of a TOML text may set `key`: a line that is not a
/// comment names it. A false answer is sure; a true one is for the parser.
fn sets_key(text: &str, key: &str) -> bool {
    text.lines()
        .any(|l| !l.trim_start().starts_with('#') && l.contains(key))
}

static WARNED: AtomicBool = AtomicBool::new(false);

/// Records `e` with this process's [`backend`]; never fails (a failure is
/// logged once per process).
pub fn record(layout: &Layout, e: Event) {
    let result = match backend() {
        Backend::File => append(layout, &e),
        Backend::Journald => send_to_journal(layout, &e),
        Backend::None => Ok(()),
    };
    if let Err(err) = result
        && !WARNED.swap(true, Ordering::Relaxed)
    {
        log::warn!("recording the {} event: {err:#}", e.status);
    }
}

/// The journal's name for berth's entries.
const IDENTIFIER: &str = "berth";

/// `e` as a journal entry: the human line as MESSAGE, podman's fields under
/// berth's names (`PODMAN_EVENT` → `BERTH_EVENT`, …: podman reads only
/// `SYSLOG_IDENTIFIER=podman`, so neither tool takes the other's events
/// for its own), the time in nanoseconds, and the store's root, so two
/// stores of one user keep their events apart as their files do.
fn journal_entry(layout: &Layout, e: &Event) -> crate::systemd::journal::Entry {
    let mut j = crate::systemd::journal::Entry::default();
    j.field("MESSAGE", e.human().as_bytes())
        .field("PRIORITY", b"6")
        .field("SYSLOG_IDENTIFIER", IDENTIFIER.as_bytes())
        .field("BERTH_EVENT", e.status.as_bytes())
        .field("BERTH_TYPE", e.kind.as_bytes())
        .field("BERTH_TIME", e.time.to_string().as_bytes())
        .field("BERTH_ROOT", layout.root().as_os_str().as_encoded_bytes());
    for (k, v) in [
        ("BERTH_ID", &e.id),
        ("BERTH_NAME", &e.name),
        ("BERTH_IMAGE", &e.image),
    ] {
        if !v.is_empty() {
            j.field(k, v.as_bytes());
        }
    }
    if let Some(c) = e.exit_code {
        j.field("BERTH_EXIT_CODE", c.to_string().as_bytes());
    }
    if let Some(h) = &e.health_status {
        j.field("BERTH_HEALTH_STATUS", h.as_bytes());
    }
    if !e.attributes.is_empty() {
        let labels = serde_json::to_vec(&e.attributes).unwrap_or_default();
        j.field("BERTH_LABELS", &labels);
    }
    j
}

fn send_to_journal(layout: &Layout, e: &Event) -> anyhow::Result<()> {
    crate::systemd::journal::Journal::connect()?.send(&journal_entry(layout, e))
}

/// An event from one of `journalctl --output=json`'s lines (None for an
/// entry that is not one of berth's events).
fn from_journal_json(line: &[u8]) -> Option<Event> {
    let v: serde_json::Value = serde_json::from_slice(line).ok()?;
    // A field journalctl could not print as text is an array of bytes (or
    // of values, when repeated): berth writes text once, so those are not
    // berth's.
    let get = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    Some(Event {
        status: get("BERTH_EVENT")?,
        kind: get("BERTH_TYPE")?,
        time: get("BERTH_TIME")?.parse().ok()?,
        id: get("BERTH_ID").unwrap_or_default(),
        name: get("BERTH_NAME").unwrap_or_default(),
        image: get("BERTH_IMAGE").unwrap_or_default(),
        exit_code: get("BERTH_EXIT_CODE").and_then(|c| c.parse().ok()),
        health_status: get("BERTH_HEALTH_STATUS"),
        attributes: get("BERTH_LABELS")
            .and_then(|l| serde_json::from_str(&l).ok())
            .unwrap_or_default(),
    })
}

/// Calls `each` with every recorded event, oldest first, then — when
/// `follow` — with each new one as it is recorded (inotify on the file,
/// `journalctl --follow` on the journal; never a timer), until `each`
/// returns false or an event is at or after `until` (nanoseconds since the
/// epoch), which also ends the wait.
pub fn replay(
    layout: &Layout,
    follow: bool,
    since: Option<i64>,
    until: Option<i64>,
    each: &mut dyn FnMut(&Event) -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    match backend() {
        Backend::None => {
            anyhow::bail!("events are not recorded with the events backend `none`")
        }
        Backend::File => {
            let (past, current) = read_all(layout)?;
            for e in &past {
                if until.is_some_and(|u| e.time >= u) {
                    return Ok(());
                }
                if !each(e)? {
                    return Ok(());
                }
            }
            if follow {
                follow_file(layout, current, until, each)?;
            }
            Ok(())
        }
        Backend::Journald => journal_replay(layout, follow, since, until, each),
    }
}

/// [`replay`] from the journal: `journalctl` matching berth's identifier,
/// this store's root and the caller's uid (a trusted field journald sets
/// itself: another user cannot pass events off as ours).
fn journal_replay(
    layout: &Layout,
    follow: bool,
    since: Option<i64>,
    until: Option<i64>,
    each: &mut dyn FnMut(&Event) -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Read;
    let mut cmd = std::process::Command::new("journalctl");
    cmd.args(["--output=json", "--no-pager", "--quiet"]);
    if follow {
        // Everything stored, then what comes.
        cmd.args(["--follow", "--no-tail"]);
    }
    if let Some(s) = since {
        // The journal's own time is the receipt, a little after ours:
        // asking from a second before loses nothing; the exact bound is
        // applied to each event's own time by the caller.
        cmd.arg(format!("--since=@{}", s.div_euclid(1_000_000_000) - 1));
    }
    let mut root_match = std::ffi::OsString::from("BERTH_ROOT=");
    root_match.push(layout.root());
    cmd.arg(format!("SYSLOG_IDENTIFIER={IDENTIFIER}"))
        .arg(root_match)
        .arg(format!("_UID={}", nix::unistd::getuid()))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped());
    // A follower must not outlive the berth it reports to.
    crate::sys::process::die_with_parent(&mut cmd);
    let mut child = cmd
        .spawn()
        .context("running journalctl to read the journal's events")?;
    let mut out = child.stdout.take().context("journalctl's output")?;
    // Ok(true): journalctl's output ended; Ok(false): stopped before.
    let result = (|| -> anyhow::Result<bool> {
        let mut pending = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            while let Some(nl) = pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = pending.drain(..=nl).collect();
                let Some(e) = from_journal_json(&line) else {
                    continue;
                };
                if until.is_some_and(|u| e.time >= u) || !each(&e)? {
                    return Ok(false);
                }
            }
            let timeout = match until {
                Some(u) if follow => {
                    let left = u - now_nanos();
                    if left <= 0 {
                        return Ok(false);
                    }
                    Some(std::time::Duration::from_nanos(left as u64))
                }
                _ => None,
            };
            let ready =
                crate::sys::watch::wait_readable_for(&[std::os::fd::AsFd::as_fd(&out)], timeout)
                    .context("waiting for journalctl")?;
            if !ready[0] {
                continue;
            }
            let n = out.read(&mut buf).context("reading journalctl's output")?;
            if n == 0 {
                return Ok(true);
            }
            pending.extend_from_slice(&buf[..n]);
        }
    })();
    if let Ok(true) = result {
        let status = child.wait().context("waiting for journalctl")?;
        if !status.success() {
            anyhow::bail!("journalctl failed ({status}) reading the journal's events");
        }
        return Ok(());
    }
    let _ = child.kill();
    let _ = child.wait();
    result.map(|_| ())
}

fn append(layout: &Layout, e: &Event) -> anyhow::Result<()> {
    let line = e.line();
    if line.is_empty() {
        return Ok(());
    }
    let dir = layout.events_dir();
    if !dir.is_dir() {
        crate::layout::private_dir(layout.root())?;
        crate::layout::private_dir(&dir)?;
    }
    let path = log_path(layout);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
        .open(&path)?;
    let meta = f.metadata()?;
    if meta.len() + line.len() as u64 > MAX_SIZE {
        // Only the writer that still sees this file there rotates it: of
        // two racing writers the second finds a new file and appends.
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.ino() == meta.ino()) {
            std::fs::rename(&path, rotated_path(layout))?;
        }
        f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
            .open(&path)?;
    }
    // One write(2): with O_APPEND and ≤ PIPE_BUF bytes it lands whole.
    let n = f.write(&line)?;
    if n != line.len() {
        anyhow::bail!("short write to `{}`", path.display());
    }
    Ok(())
}

pub fn log_path(layout: &Layout) -> PathBuf {
    layout.events_dir().join("events.log")
}

fn rotated_path(layout: &Layout) -> PathBuf {
    layout.events_dir().join("events.log.1")
}

/// Every complete event line in `r` from where it stands; stops at a line
/// with no newline yet (a writer's append is whole, so that is the end),
/// leaving `r` at its start. Lines that are not events are skipped.
fn read_lines(r: &mut std::fs::File, out: &mut Vec<Event>) -> std::io::Result<()> {
    let start = r.stream_position()?;
    let mut buf = std::io::BufReader::new(&mut *r);
    let mut consumed = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = buf.read_until(b'\n', &mut line)?;
        if n == 0 || line.last() != Some(&b'\n') {
            break;
        }
        consumed += n as u64;
        if let Ok(e) = serde_json::from_slice::<Event>(&line) {
            out.push(e);
        }
    }
    drop(buf);
    r.seek(std::io::SeekFrom::Start(start + consumed))?;
    Ok(())
}

/// The events recorded so far, oldest first (the rotated file, then the
/// current one); with the current file, opened and positioned after them,
/// for a follower.
fn read_all(layout: &Layout) -> anyhow::Result<(Vec<Event>, Option<std::fs::File>)> {
    let mut out = Vec::new();
    if let Some(mut old) = open_log(&rotated_path(layout))? {
        read_lines(&mut old, &mut out)?;
    }
    let current = open_log(&log_path(layout))?;
    let current = match current {
        Some(mut f) => {
            read_lines(&mut f, &mut out)?;
            Some(f)
        }
        None => None,
    };
    Ok((out, current))
}

fn open_log(path: &Path) -> anyhow::Result<Option<std::fs::File>> {
    match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::Error::from(e).context(format!("opening `{}`", path.display()))),
    }
}

/// Follows the log: calls `each` with every event appended after `current`
/// (as [`read_all`] left it), woken by inotify — never a timer — until
/// `each` returns false or `deadline` (nanoseconds since the epoch) passes.
fn follow_file(
    layout: &Layout,
    mut current: Option<std::fs::File>,
    deadline: Option<i64>,
    each: &mut dyn FnMut(&Event) -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    use crate::sys::watch::{self, Inotify};
    use anyhow::Context;
    let dir = layout.events_dir();
    crate::layout::private_dir(layout.root())?;
    crate::layout::private_dir(&dir)?;
    let ino = Inotify::new().context("creating an inotify instance")?;
    ino.watch(
        &dir,
        watch::IN_MODIFY | watch::IN_CREATE | watch::IN_MOVED_TO,
    )
    .with_context(|| format!("watching `{}`", dir.display()))?;
    let path = log_path(layout);
    loop {
        // Watched before this look: an append between the two still wakes us.
        let mut got = Vec::new();
        if let Some(f) = current.as_mut() {
            read_lines(f, &mut got)?;
        }
        // Rotated (or made) since: what the old file had is read above;
        // the new one is read from its start.
        let now_there = std::fs::symlink_metadata(&path).ok().map(|m| m.ino());
        let ours = current
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .map(|m| m.ino());
        if now_there.is_some() && now_there != ours {
            current = open_log(&path)?;
            if let Some(f) = current.as_mut() {
                read_lines(f, &mut got)?;
            }
        }
        for e in &got {
            if deadline.is_some_and(|d| e.time > d) {
                return Ok(());
            }
            if !each(e)? {
                return Ok(());
            }
        }
        let timeout = match deadline {
            Some(d) => {
                let left = d - now_nanos();
                if left <= 0 {
                    return Ok(());
                }
                Some(std::time::Duration::from_nanos(left as u64))
            }
            None => None,
        };
        watch::wait_readable_for(&[std::os::fd::AsFd::as_fd(&ino)], timeout)
            .context("waiting for events")?;
        ino.drain().context("reading inotify events")?;
    }
}

/// The whole text of a file (tests of what was written).
#[cfg(test)]
fn slurp(path: &Path) -> String {
    use std::io::Read;
    let mut s = String::new();
    std::fs::File::open(path)
        .unwrap()
        .take(1 << 24)
        .read_to_string(&mut s)
        .unwrap();
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_line_that_is_not_a_comment_can_set_a_key() {
        let packaged = "[engine]\n# events_logger = \"journald\"\n  #events_logger=\"file\"\n";
        assert!(!sets_key(packaged, "events_logger"));
        assert!(sets_key(
            "[engine]\nevents_logger = \"none\" # x\n",
            "events_logger"
        ));
        assert!(sets_key(
            "engine = { events_logger = \"none\" }\n",
            "events_logger"
        ));
    }

    #[test]
    fn events_are_appended_as_json_lines_in_podmans_shape() {
        let tmp = tempfile::tempdir().unwrap();
        let layout = Layout::new(tmp.path());
        let mut died = Event::container("died", "abc", "web", "busybox");
        died.exit_code = Some(3);
        record(&layout, Event::container("start", "abc", "web", "busybox"));
        record(&layout, died.clone());
        let text = slurp(&log_path(&layout));
        assert_eq!(text.lines().count(), 2);
        assert!(text.contains(r#""Status":"died""#), "{text}");
        assert!(text.contains(r#""ContainerExitCode":3"#), "{text}");
        let (all, _) = read_all(&layout).unwrap();
        assert_eq!(all[1], died);
    }

    #[test]
    fn a_line_never_exceeds_pipe_buf() {
        let mut e = Event::container("create", "abc", &"n".repeat(9000), "busybox");
        e.attributes.insert("k".into(), "v".repeat(9000));
        assert!(e.line().len() <= LINE_MAX);
    }

    #[test]
    fn a_full_log_is_rotated_and_both_parts_read_in_order() {
        let tmp = tempfile::tempdir().unwrap();
        let layout = Layout::new(tmp.path());
        let mut n = 0;
        while !rotated_path(&layout).exists() {
            let mut e = Event::image("pull", &n.to_string(), "busybox");
            e.attributes.insert("pad".into(), "x".repeat(2000));
            record(&layout, e);
            n += 1;
        }
        record(&layout, Event::image("tag", "last", "busybox"));
        // The first rotation loses nothing, in order.
        let (all, _) = read_all(&layout).unwrap();
        assert_eq!(all.len(), n + 1);
        assert_eq!(all[0].id, "0");
        assert_eq!(all.last().unwrap().id, "last");
        // The second drops the oldest: at most twice MAX_SIZE is kept.
        for i in 0..n {
            let mut e = Event::image("pull", &format!("again-{i}"), "busybox");
            e.attributes.insert("pad".into(), "x".repeat(2000));
            record(&layout, e);
        }
        let (all, _) = read_all(&layout).unwrap();
        assert!(all.len() < 2 * n + 1, "{} events kept", all.len());
        assert_eq!(all.last().unwrap().id, format!("again-{}", n - 1));
        assert!(std::fs::metadata(log_path(&layout)).unwrap().len() <= MAX_SIZE);
    }

    #[test]
    fn a_torn_last_line_is_left_for_later() {
        let tmp = tempfile::tempdir().unwrap();
        let layout = Layout::new(tmp.path());
        record(&layout, Event::image("pull", "1", "busybox"));
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(log_path(&layout))
            .unwrap();
        f.write_all(br#"{"Status":"pu"#).unwrap();
        let (all, _) = read_all(&layout).unwrap();
        assert_eq!(all.len(), 1);
    }
}
