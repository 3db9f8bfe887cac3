//! Container logs: the writer the monitor feeds (k8s-file lines as podman's
//! conmon writes them, or the systemd journal), and the reader behind
//! `berth logs` (entries, partial lines rejoined, `--since/--until/--tail`).
//!
//! A k8s-file line is `TIMESTAMP STREAM FLAG TEXT\n`: the timestamp is
//! RFC 3339 with nanoseconds and the local offset (`+00:00`, never `Z`),
//! STREAM is `stdout` or `stderr`, FLAG is `F` when TEXT ends a line and `P`
//! when it does not (the container's write stopped mid-line, or the line was
//! longer than one read); a `P` entry gets a newline of its own in the file.
//! podman, CRI-O and kubectl read the same files.

use crate::sys::watch::{self, Inotify};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// One read of a container's output, as conmon's STDIO_BUF_SIZE: a longer
/// line is logged as `P` entries of this size.
pub const BUF: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// `--log-driver`.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Driver {
    /// The container writes to the caller's stdio; nothing is kept. What a
    /// record written before logs existed used.
    #[default]
    Passthrough,
    K8sFile,
    Journald,
    None,
}

impl Driver {
    pub fn name(self) -> &'static str {
        match self {
            Driver::Passthrough => "passthrough",
            Driver::K8sFile => "k8s-file",
            Driver::Journald => "journald",
            Driver::None => "none",
        }
    }
}

/// How a container's output is kept: `--log-driver` and `--log-opt`.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct LogConfig {
    pub driver: Driver,
    /// `--log-opt path=`: the k8s-file log elsewhere than the container's
    /// `ctr.log`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// `--log-opt max-size=`: the file is started afresh before it would
    /// grow past this many bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<u64>,
}

impl LogConfig {
    /// From the flags; `default` when no driver is named. Checked here, at
    /// create time: journald must be listening.
    pub fn parse(driver: Option<&str>, opts: &[String], default: Driver) -> Result<LogConfig> {
        let driver = match driver {
            None => default,
            Some("k8s-file") => Driver::K8sFile,
            Some("journald") => Driver::Journald,
            Some("passthrough") => Driver::Passthrough,
            Some("none") => Driver::None,
            Some(d) => bail!(
                "--log-driver `{d}`: unknown log driver (k8s-file, journald, passthrough or none)"
            ),
        };
        let mut c = LogConfig {
            driver,
            path: None,
            max_size: None,
        };
        for o in opts {
            match o.split_once('=') {
                Some(("max-size", v)) => {
                    c.max_size = Some(
                        parse_size(v)
                            .with_context(|| format!("--log-opt `{o}`"))?
                            .filter(|n| *n > 0)
                            .ok_or_else(|| anyhow::anyhow!("--log-opt `{o}`: must be above 0"))?,
                    )
                }
                Some(("path", v)) if !v.is_empty() => {
                    c.path =
                        Some(std::path::absolute(v).with_context(|| format!("--log-opt `{o}`"))?)
                }
                _ => bail!("--log-opt `{o}`: expected max-size=SIZE or path=FILE"),
            }
        }
        if c.driver == Driver::Journald && !crate::systemd::journal::available() {
            bail!(
                "--log-driver journald: no journal here ({} does not exist); use k8s-file",
                crate::systemd::journal::SOCKET
            );
        }
        Ok(c)
    }

    /// The k8s-file log: `path=`, else `default` (the container's `ctr.log`).
    pub fn file(&self, default: PathBuf) -> PathBuf {
        self.path.clone().unwrap_or(default)
    }

    /// The writer for this config, or `None` when nothing is kept
    /// (passthrough, none). `file` as [`LogConfig::file`] gives it.
    pub fn open(&self, file: &Path, id: &str, name: &str) -> Result<Option<LogWriter>> {
        match self.driver {
            Driver::K8sFile => LogWriter::open(file, self.max_size).map(Some),
            Driver::Journald => LogWriter::journald(id, name).map(Some),
            Driver::Passthrough | Driver::None => Ok(None),
        }
    }
}

/// A size as podman reads `max-size` (go-units' FromHumanSize): a number,
/// then k, m, g, t or p (powers of 1000), any case, an optional `i` and `b`.
fn parse_size(s: &str) -> Result<Option<u64>> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .with_context(|| format!("`{s}` is not a size"))?;
    let unit = unit.trim_start().to_ascii_lowercase();
    let unit = unit.strip_suffix('b').unwrap_or(&unit);
    let unit = unit.strip_suffix('i').unwrap_or(unit);
    let mult: f64 = match unit {
        "" => 1.0,
        "k" => 1e3,
        "m" => 1e6,
        "g" => 1e9,
        "t" => 1e12,
        "p" => 1e15,
        _ => bail!("`{s}` is not a size"),
    };
    Ok(Some((n * mult) as u64))
}

/// A log entry's time: nanoseconds since the epoch, and the offset (seconds
/// east of UTC) it was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub nanos: i64,
    pub offset: i32,
}

impl Stamp {
    pub fn now() -> Stamp {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Stamp::at(d.as_secs() as i64 * 1_000_000_000 + i64::from(d.subsec_nanos()))
    }

    /// `nanos` since the epoch, in the local zone.
    pub fn at(nanos: i64) -> Stamp {
        Stamp {
            nanos,
            // Without a readable zone, UTC: a log line in UTC is still right.
            offset: crate::sys::clock::local_offset(nanos.div_euclid(1_000_000_000)).unwrap_or(0),
        }
    }

    /// As conmon writes it: `2026-12-01T12:00:00.123456789+00:00`.
    pub fn k8s(self) -> String {
        let (date, nanos) = self.local();
        let o = self.offset.unsigned_abs();
        let sign = if self.offset < 0 { '-' } else { '+' };
        format!(
            "{date}.{nanos:09}{sign}{:02}:{:02}",
            o / 3600,
            o % 3600 / 60
        )
    }

    /// As `podman logs -t` prints it (Go's `2006-01-02T15:04:05.000000000Z07:00`):
    /// `Z` for a zero offset.
    pub fn display(self) -> String {
        if self.offset == 0 {
            let (date, nanos) = self.local();
            format!("{date}.{nanos:09}Z")
        } else {
            self.k8s()
        }
    }

    /// The local date and time to the second, and the nanoseconds.
    fn local(self) -> (String, i64) {
        let local = self.nanos.div_euclid(1_000_000_000) + i64::from(self.offset);
        let nanos = self.nanos.rem_euclid(1_000_000_000);
        let (y, m, d) = crate::time::civil_from_days(local.div_euclid(86_400));
        let s = local.rem_euclid(86_400);
        (
            format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
                s / 3600,
                s / 60 % 60,
                s % 60
            ),
            nanos,
        )
    }

    /// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; with `zone_optional`, a time
    /// without a zone is UTC.
    fn parse(s: &str, zone_optional: bool) -> Option<Stamp> {
        let b = s.as_bytes();
        if !s.is_ascii() || b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let t = s.get(r)?;
            t.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| t.parse().ok())?
        };
        let days = date_days(&s[..10])?;
        let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if h > 23 || mi > 59 || se > 60 {
            return None;
        }
        let mut rest = &s[19..];
        let mut frac = 0i64;
        if let Some(r) = rest.strip_prefix('.') {
            let digits = r.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || digits > 9 {
                return None;
            }
            frac = r[..digits].parse::<i64>().ok()? * 10i64.pow(9 - digits as u32);
            rest = &r[digits..];
        }
        let offset = match rest {
            "" if zone_optional => 0,
            _ => parse_zone(rest)?,
        };
        let secs = days * 86_400 + h * 3600 + mi * 60 + se - i64::from(offset);
        Some(Stamp {
            // Past 2262 nanoseconds overflow: such a time is "forever".
            nanos: secs.saturating_mul(1_000_000_000).saturating_add(frac),
            offset,
        })
    }
}

/// `YYYY-MM-DD` → days since the epoch.
fn date_days(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(crate::time::days_from_civil(y, m, d))
}

/// `Z` or `±HH:MM` → seconds east of UTC.
fn parse_zone(s: &str) -> Option<i32> {
    if s == "Z" {
        return Some(0);
    }
    let b = s.as_bytes();
    if !s.is_ascii()
        || b.len() != 6
        || b[3] != b':'
        || !s[1..3]
            .bytes()
            .chain(s[4..].bytes())
            .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    Some(sign * (s[1..3].parse::<i32>().ok()? * 3600 + s[4..6].parse::<i32>().ok()? * 60))
}

/// `--since`/`--until` as podman reads them (ParseInputTime): RFC 3339
/// (nanoseconds allowed), `2006-01-02T15:04:05[.frac]` and `2006-01-02` in
/// UTC, `2006-01-02Z07:00`, Unix seconds (fractions allowed), or a Go
/// duration (`10m`, `1h30m`) before now for `--since`, and — as podman
/// does — after now for `--until`. Nanoseconds since the epoch.
pub fn parse_time_arg(s: &str, since: bool, now_nanos: i64) -> Result<i64> {
    if let Some(t) = Stamp::parse(s, true) {
        return Ok(t.nanos);
    }
    if let (Some(date), Some(zone)) = (s.get(..10), s.get(10..))
        && let (Some(days), Some(off)) = (date_days(date), parse_zone(zone))
    {
        return Ok((days * 86_400 - i64::from(off)).saturating_mul(1_000_000_000));
    }
    if let Some(days) = date_days(s) {
        return Ok((days * 86_400).saturating_mul(1_000_000_000));
    }
    if let Some(t) = unix_nanos(s) {
        return Ok(t);
    }
    match parse_duration(s) {
        Some(d) if since => Ok(now_nanos - d),
        Some(d) => Ok(now_nanos + d),
        None => bail!(
            "`{s}`: not a time (RFC 3339, 2006-01-02, Unix seconds or a duration such as 10m)"
        ),
    }
}

/// Unix seconds with an optional fraction (`1796126400.25`), read exactly
/// (podman splits the float into its whole and fractional parts).
fn unix_nanos(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |t: &str| t.bytes().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(frac) {
        return None;
    }
    let mut nanos: i64 = 0;
    for (i, c) in frac.bytes().take(9).enumerate() {
        nanos += i64::from(c - b'0') * 10i64.pow(8 - i as u32);
    }
    let t = whole
        .parse::<i64>()
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(nanos)?;
    Some(if neg { -t } else { t })
}

/// A Go duration (`time.ParseDuration`): `[-+]` then one or more
/// `NUMBER[.FRACTION]UNIT` with units ns, us, µs, ms, s, m, h; `0` alone.
/// Nanoseconds.
fn parse_duration(s: &str) -> Option<i64> {
    let (neg, mut rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|n| *n > 0)?;
        let value: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[u..];
        total += value * unit;
    }
    if total > i64::MAX as f64 {
        return None;
    }
    Some(if neg { -(total as i64) } else { total as i64 })
}

/// Where a [`LogWriter`] puts entries.
enum Sink {
    File(K8sFile),
    Journal(Journal),
}

/// Keeps a container's output: k8s-file or journald.
pub struct LogWriter(Sink);

impl LogWriter {
    /// Appends to the k8s-file log at `path` (created 0600).
    pub fn open(path: &Path, max_size: Option<u64>) -> Result<LogWriter> {
        let file = open_append(path, false)?;
        // conmon counts from 0 in each conmon, whatever the file holds; the
        // file's own size keeps the bound across restarts too.
        let written = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(LogWriter(Sink::File(K8sFile {
            path: path.to_path_buf(),
            file,
            written,
            max_size,
        })))
    }

    /// Sends to the systemd journal, with the fields conmon gives.
    pub fn journald(id: &str, name: &str) -> Result<LogWriter> {
        Ok(LogWriter(Sink::Journal(Journal {
            journal: crate::systemd::journal::Journal::connect()?,
            id: id.to_string(),
            name: name.to_string(),
        })))
    }

    /// Logs one read of the container's `stream`: an `F` entry per line, a
    /// `P` entry for what follows the last newline.
    pub fn write(&mut self, stream: Stream, bytes: &[u8]) -> Result<()> {
        match &mut self.0 {
            Sink::File(f) => f.write(stream, bytes, Stamp::now()),
            Sink::Journal(j) => j.write(stream, bytes),
        }
    }
}

fn open_append(path: &Path, truncate: bool) -> Result<File> {
    let mut o = std::fs::OpenOptions::new();
    if truncate {
        o.write(true).truncate(true);
    } else {
        o.append(true);
    }
    o.create(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("opening the log `{}`", path.display()))
}

struct K8sFile {
    path: PathBuf,
    file: File,
    written: u64,
    max_size: Option<u64>,
}

impl K8sFile {
    /// conmon's write_k8s_log: one timestamp for the whole read; each entry
    /// that would take the file past max-size first starts a new file.
    fn write(&mut self, stream: Stream, bytes: &[u8], now: Stamp) -> Result<()> {
        let head = format!("{} {} ", now.k8s(), stream.name());
        let mut out = Vec::with_capacity(bytes.len() + 64);
        for line in bytes.split_inclusive(|b| *b == b'\n') {
            let partial = !line.ends_with(b"\n");
            let len = (head.len() + 2 + line.len() + usize::from(partial)) as u64;
            if self.max_size.is_some_and(|max| self.written + len > max) {
                self.file.write_all(&out).context("writing the log")?;
                out.clear();
                self.rotate()?;
            }
            out.extend_from_slice(head.as_bytes());
            out.extend_from_slice(if partial { b"P " } else { b"F " });
            out.extend_from_slice(line);
            if partial {
                out.push(b'\n');
            }
            self.written += len;
        }
        self.file.write_all(&out).context("writing the log")
    }

    /// What conmon's reopen_k8s_file does at max-size: a new empty file
    /// renamed over the log. The old entries are dropped, not kept beside
    /// it (podman keeps no rotated copies); a reader following the log sees
    /// the name point at a new file and starts reading that.
    fn rotate(&mut self) -> Result<()> {
        let _ = self.file.sync_data();
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let file = open_append(&tmp, true)?;
        std::fs::rename(&tmp, &self.path)
            .with_context(|| format!("replacing the log `{}`", self.path.display()))?;
        // Appending from here on, as the first open did.
        drop(file);
        self.file = open_append(&self.path, false)?;
        self.written = 0;
        Ok(())
    }
}

struct Journal {
    journal: crate::systemd::journal::Journal,
    id: String,
    name: String,
}

impl Journal {
    /// One entry per line, with PRIORITY 6 for stdout and 3 for stderr and
    /// CONTAINER_PARTIAL_MESSAGE for a line without its end, as conmon
    /// sends them.
    fn write(&mut self, stream: Stream, bytes: &[u8]) -> Result<()> {
        let short = &self.id[..self.id.len().min(12)];
        for line in bytes.split_inclusive(|b| *b == b'\n') {
            let (text, partial) = match line.strip_suffix(b"\n") {
                Some(t) => (t, false),
                None => (line, true),
            };
            let mut e = crate::systemd::journal::Entry::default();
            e.field("MESSAGE", text)
                .field(
                    "PRIORITY",
                    match stream {
                        Stream::Stdout => b"6",
                        Stream::Stderr => b"3",
                    },
                )
                .field("CONTAINER_ID", short.as_bytes())
                .field("CONTAINER_ID_FULL", self.id.as_bytes())
                .field("CONTAINER_NAME", self.name.as_bytes())
                .field("SYSLOG_IDENTIFIER", self.name.as_bytes());
            if partial {
                e.field("CONTAINER_PARTIAL_MESSAGE", b"true");
            }
            self.journal.send(&e)?;
        }
        Ok(())
    }
}

/// The field of the entry that ends a run's output in the journal.
pub const JOURNAL_END: &str = "BERTH_LOG_END";

impl Drop for Journal {
    /// Ends the run's output with an entry of its own, without MESSAGE
    /// (`journalctl`'s text output skips it): a reader following the
    /// journal (`logs -f`) reads on to it once the monitor is gone. The
    /// journal's socket is one queue, so every line sent before is stored
    /// before it.
    fn drop(&mut self) {
        let mut e = crate::systemd::journal::Entry::default();
        e.field("CONTAINER_ID_FULL", self.id.as_bytes())
            .field("CONTAINER_NAME", self.name.as_bytes())
            .field("PRIORITY", b"7")
            .field(JOURNAL_END, b"1");
        let _ = self.journal.send(&e);
    }
}

/// Reads every source (pipes, a pty master) until each has ended, one
/// [`BUF`]-sized read at a time as it becomes readable, logging each read
/// and handing it to `tee` (a foreground run shows what it logs; a
/// detached monitor passes `&mut |_, _| {}`). One thread serves both
/// streams, so entries keep the order the reads came in. A pty master's EIO
/// after its last slave closes counts as the end.
///
/// `idle` (a detached container's monitor, which lives as long as its
/// container): once the output has paused that long, the code and
/// constants the logging touched are given back (`sys::memory`), as the
/// monitor's start was; the next output brings back what it needs. One
/// timeout per pause, none while nothing comes.
pub fn pump(
    sources: Vec<(OwnedFd, Stream)>,
    log: &mut LogWriter,
    tee: &mut dyn FnMut(Stream, &[u8]),
    idle: Option<std::time::Duration>,
) -> Result<()> {
    let mut open: Vec<(File, Stream)> = sources
        .into_iter()
        .map(|(fd, s)| (File::from(fd), s))
        .collect();
    let mut buf = vec![0u8; BUF];
    // Output came since the last give-back (or the start's).
    let mut touched = false;
    while !open.is_empty() {
        let fds: Vec<_> = open.iter().map(|(f, _)| f.as_fd()).collect();
        let limit = idle.filter(|_| touched);
        let ready =
            watch::wait_readable_for(&fds, limit).context("waiting for the container's output")?;
        if limit.is_some() && !ready.contains(&true) {
            touched = false;
            match crate::sys::memory::release() {
                Ok(d) => log::debug!("log pump: unmapped {} kB after a pause", d.kb),
                Err(e) => log::debug!("log pump: keeping its memory: {e}"),
            }
            continue;
        }
        touched = true;
        let mut ended = Vec::new();
        for (i, ready) in ready.into_iter().enumerate() {
            if !ready {
                continue;
            }
            let (file, stream) = &mut open[i];
            match file.read(&mut buf) {
                Ok(0) => ended.push(i),
                Err(e) if e.raw_os_error() == Some(libc::EIO) => ended.push(i),
                Ok(n) => {
                    // Logged first: what the caller has seen is in the log.
                    log.write(*stream, &buf[..n])?;
                    tee(*stream, &buf[..n]);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock
                    ) => {}
                Err(e) => return Err(e).context("reading the container's output"),
            }
        }
        for i in ended.into_iter().rev() {
            open.remove(i);
        }
    }
    Ok(())
}

/// One entry of a k8s-file log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub time: Stamp,
    pub stream: Stream,
    /// `P`: the line goes on in a later entry of the same stream.
    pub partial: bool,
    /// Without the file's newline: a full entry's line ends here.
    pub text: Vec<u8>,
}

impl Entry {
    /// One line of the file, without its newline.
    pub fn parse(line: &[u8]) -> Option<Entry> {
        let mut parts = line.splitn(4, |b| *b == b' ');
        let time = Stamp::parse(std::str::from_utf8(parts.next()?).ok()?, false)?;
        let stream = match parts.next()? {
            b"stdout" => Stream::Stdout,
            b"stderr" => Stream::Stderr,
            _ => return None,
        };
        let partial = match parts.next()? {
            b"P" => true,
            b"F" => false,
            _ => return None,
        };
        Some(Entry {
            time,
            stream,
            partial,
            text: parts.next().unwrap_or_default().to_vec(),
        })
    }
}

/// Which entries `logs` shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter {
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// The last N lines (a line: its partial entries and the full one).
    pub tail: Option<usize>,
}

impl Filter {
    pub fn keeps(&self, e: &Entry) -> bool {
        self.since.is_none_or(|s| e.time.nanos >= s) && self.until.is_none_or(|u| e.time.nanos <= u)
    }
}

/// Keeps the entries of the last N lines while a log is read.
struct Tail {
    n: usize,
    /// Complete lines, oldest first: each its entries with their order in the log.
    lines: VecDeque<Vec<(usize, Entry)>>,
    /// Per stream, a line still waiting for its `F` entry.
    open: [Vec<(usize, Entry)>; 2],
    seq: usize,
}

impl Tail {
    fn new(n: usize) -> Tail {
        Tail {
            n,
            lines: VecDeque::new(),
            open: [Vec::new(), Vec::new()],
            seq: 0,
        }
    }

    fn push(&mut self, e: Entry) {
        let s = e.stream.index();
        let full = !e.partial;
        self.open[s].push((self.seq, e));
        self.seq += 1;
        if full {
            self.lines.push_back(std::mem::take(&mut self.open[s]));
            if self.lines.len() > self.n {
                self.lines.pop_front();
            }
        }
    }

    /// The kept entries in log order; a line the log ends in the middle of
    /// counts as a line.
    fn finish(mut self) -> Vec<Entry> {
        let mut open: Vec<_> = self.open.into_iter().filter(|l| !l.is_empty()).collect();
        open.sort_by_key(|l| l[0].0);
        for l in open {
            self.lines.push_back(l);
            if self.lines.len() > self.n {
                self.lines.pop_front();
            }
        }
        let mut all: Vec<(usize, Entry)> = self.lines.into_iter().flatten().collect();
        all.sort_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, e)| e).collect()
    }
}

/// Reads a k8s-file log as it grows, across rotations: each call gives the
/// entries written since the last (whole lines only; a line being written
/// waits for its newline).
pub struct Reader {
    path: PathBuf,
    file: Option<File>,
    /// The bytes after the last newline read.
    rest: Vec<u8>,
    warned: bool,
}

impl Reader {
    pub fn new(path: &Path) -> Reader {
        Reader {
            path: path.to_path_buf(),
            file: None,
            rest: Vec::new(),
            warned: false,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Entries written since the last call, each handed to `f`.
    pub fn read_new(&mut self, f: &mut dyn FnMut(Entry) -> Result<()>) -> Result<()> {
        loop {
            if self.file.is_none() {
                match File::open(&self.path) {
                    Ok(file) => self.file = Some(file),
                    // Not written yet: a created container, or a log that
                    // has been rotated away this instant.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                    Err(e) => {
                        return Err(e)
                            .with_context(|| format!("opening the log `{}`", self.path.display()));
                    }
                }
            }
            let file = self.file.as_mut().expect("opened above");
            let mut chunk = vec![0u8; 64 * 1024];
            loop {
                let n = file.read(&mut chunk).context("reading the log")?;
                if n == 0 {
                    break;
                }
                self.rest.extend_from_slice(&chunk[..n]);
                if let Some(end) = self.rest.iter().rposition(|b| *b == b'\n') {
                    let lines: Vec<u8> = self.rest.drain(..=end).collect();
                    for line in lines.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                        match Entry::parse(line) {
                            Some(e) => f(e)?,
                            None if !self.warned => {
                                self.warned = true;
                                log::warn!(
                                    "{}: skipping a line that is not a k8s-file log entry",
                                    self.path.display()
                                );
                            }
                            None => {}
                        }
                    }
                }
            }
            // Rotated: everything the old file held has been read (the
            // writer finishes it before the rename); go on with the new one.
            let ours = file.metadata().map(|m| (m.dev(), m.ino())).ok();
            let now = std::fs::metadata(&self.path)
                .map(|m| (m.dev(), m.ino()))
                .ok();
            if ours.is_some() && now.is_some() && ours != now {
                self.file = None;
                self.rest.clear();
                continue;
            }
            return Ok(());
        }
    }
}

/// Everything the log holds now that `filter` keeps, in order; `reader`
/// is left at its end, to follow from there.
pub fn read_all(
    reader: &mut Reader,
    filter: &Filter,
    f: &mut dyn FnMut(Entry) -> Result<()>,
) -> Result<()> {
    keep(filter, &mut |each| reader.read_new(each), f)
}

/// What is handed each log entry in turn.
pub type Each<'a> = dyn FnMut(Entry) -> Result<()> + 'a;

/// The entries `source` hands over (to the callback it is given) that
/// `filter` keeps, in order, to `f`: with a tail, once all are read.
pub fn keep(
    filter: &Filter,
    source: &mut dyn FnMut(&mut Each<'_>) -> Result<()>,
    f: &mut dyn FnMut(Entry) -> Result<()>,
) -> Result<()> {
    match filter.tail {
        Some(n) => {
            let mut tail = Tail::new(n);
            source(&mut |e| {
                if filter.keeps(&e) {
                    tail.push(e);
                }
                Ok(())
            })?;
            tail.finish().into_iter().try_for_each(f)
        }
        None => source(&mut |e| if filter.keeps(&e) { f(e) } else { Ok(()) }),
    }
}

/// A log being followed: its reader, and the process whose end ends it.
pub struct Follower {
    pub reader: Reader,
    pub filter: Filter,
    /// The writer (the container's monitor); `None` once it is gone.
    pub writer: Option<crate::sys::pidfd::PidFd>,
}

/// Follows every log until its writer has exited, handing each new entry
/// to `f` with the index of its log. Woken by inotify on each log's
/// directory (a write, or the rename of a rotation) and by the writers'
/// pidfds; never by a timer.
pub fn follow(logs: &mut [Follower], f: &mut dyn FnMut(usize, Entry) -> Result<()>) -> Result<()> {
    let ino = Inotify::new().context("creating an inotify instance")?;
    for l in logs.iter() {
        let dir = l.reader.path().parent().unwrap_or(Path::new("/"));
        ino.watch(
            dir,
            watch::IN_MODIFY | watch::IN_CLOSE_WRITE | watch::IN_MOVED_TO | watch::IN_CREATE,
        )
        .with_context(|| format!("watching `{}`", dir.display()))?;
    }
    loop {
        for (i, l) in logs.iter_mut().enumerate() {
            let filter = l.filter;
            l.reader
                .read_new(&mut |e| if filter.keeps(&e) { f(i, e) } else { Ok(()) })?;
        }
        let live: Vec<usize> = (0..logs.len())
            .filter(|i| logs[*i].writer.is_some())
            .collect();
        if live.is_empty() {
            return Ok(());
        }
        let mut fds = vec![ino.as_fd()];
        fds.extend(
            live.iter()
                .map(|i| logs[*i].writer.as_ref().expect("live").as_fd()),
        );
        let ready = watch::wait_readable(&fds).context("waiting for the log")?;
        ino.drain().context("reading inotify events")?;
        for (k, i) in live.iter().enumerate() {
            if ready[k + 1] {
                // Gone: what it wrote is in the file; one more read (at the
                // top of the loop) takes the rest.
                logs[*i].writer = None;
            }
        }
    }
}

/// How `logs` prints entries: the prefix (container, `-t` timestamp) once at
/// the start of each line, partial entries joined to their line.
pub struct Render {
    pub timestamps: bool,
    /// Per stream: a line has started and not ended.
    open: [bool; 2],
}

impl Render {
    pub fn new(timestamps: bool) -> Render {
        Render {
            timestamps,
            open: [false, false],
        }
    }

    /// The prefix to print before `e`'s text (empty inside a line), and
    /// whether a newline follows the text.
    pub fn piece(&mut self, e: &Entry, name: Option<&str>) -> (String, bool) {
        let s = e.stream.index();
        let mut prefix = String::new();
        if !self.open[s] {
            if let Some(n) = name {
                prefix.push_str(n);
                prefix.push(' ');
            }
            if self.timestamps {
                prefix.push_str(&e.time.display());
                prefix.push(' ');
            }
        }
        self.open[s] = e.partial;
        (prefix, !e.partial)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp() -> Stamp {
        // 2026-12-01T12:00:00.123456789 UTC, written in UTC+01:00.
        Stamp {
            nanos: 1_796_126_400_123_456_789,
            offset: 3600,
        }
    }

    fn writer(dir: &Path, max: Option<u64>) -> K8sFile {
        let LogWriter(Sink::File(f)) = LogWriter::open(&dir.join("ctr.log"), max).unwrap() else {
            unreachable!()
        };
        f
    }

    #[test]
    fn lines_are_written_byte_for_byte_as_conmon_writes_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(dir.path(), None);
        w.write(Stream::Stdout, b"a\nb c\n", stamp()).unwrap();
        w.write(Stream::Stderr, b"no end", stamp()).unwrap();
        let utc = Stamp {
            offset: 0,
            ..stamp()
        };
        w.write(Stream::Stdout, b"\n", utc).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("ctr.log")).unwrap(),
            "2026-12-01T13:00:00.123456789+01:00 stdout F a\n\
             2026-12-01T13:00:00.123456789+01:00 stdout F b c\n\
             2026-12-01T13:00:00.123456789+01:00 stderr P no end\n\
             2026-12-01T12:00:00.123456789+00:00 stdout F \n"
        );
    }

    #[test]
    fn negative_offsets_and_minutes_are_written() {
        let t = Stamp {
            nanos: 5,
            offset: -(9 * 3600 + 30 * 60),
        };
        assert_eq!(t.k8s(), "1969-12-31T14:30:00.000000005-09:30");
        assert_eq!(Stamp::parse(&t.k8s(), false), Some(t));
        assert_eq!(
            Stamp { offset: 0, ..t }.display(),
            "1970-01-01T00:00:00.000000005Z"
        );
    }

    #[test]
    fn entries_parse_back_and_partials_rejoin() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(dir.path(), None);
        w.write(Stream::Stdout, b"one\ntw", stamp()).unwrap();
        w.write(Stream::Stderr, b"err\n", stamp()).unwrap();
        w.write(Stream::Stdout, b"o\nthree", stamp()).unwrap();
        let mut got = Vec::new();
        let mut r = Render::new(false);
        read_all(
            &mut Reader::new(&dir.path().join("ctr.log")),
            &Filter::default(),
            &mut |e| {
                let (prefix, nl) = r.piece(&e, Some("c"));
                got.push(format!(
                    "{}:{prefix}{}{}",
                    e.stream.name(),
                    String::from_utf8_lossy(&e.text),
                    if nl { "\n" } else { "" }
                ));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(
            got,
            [
                "stdout:c one\n",
                "stdout:c tw",
                "stderr:c err\n",
                "stdout:o\n",
                "stdout:c three"
            ]
        );
    }

    #[test]
    fn a_line_longer_than_a_read_is_logged_in_partial_entries() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = LogWriter::open(&dir.path().join("ctr.log"), None).unwrap();
        let (r, wr) = nix::unistd::pipe().unwrap();
        let long = vec![b'x'; BUF + 10];
        let mut writer = File::from(wr);
        let t = std::thread::spawn(move || {
            writer.write_all(&long).unwrap();
            writer.write_all(b"\n").unwrap();
        });
        pump(vec![(r, Stream::Stdout)], &mut w, &mut |_, _| {}, None).unwrap();
        t.join().unwrap();
        let mut entries = Vec::new();
        read_all(
            &mut Reader::new(&dir.path().join("ctr.log")),
            &Filter::default(),
            &mut |e| {
                entries.push(e);
                Ok(())
            },
        )
        .unwrap();
        assert!(entries.len() >= 2, "{entries:?}");
        assert!(entries.iter().rev().skip(1).all(|e| e.partial));
        assert!(!entries.last().unwrap().partial);
        let text: Vec<u8> = entries.iter().flat_map(|e| e.text.clone()).collect();
        assert_eq!(text.len(), BUF + 10);
    }

    #[test]
    fn max_size_starts_a_new_file_before_an_entry_would_pass_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctr.log");
        // Each entry here is 47 bytes: 43 of timestamp and stream, `F `, `1\n`.
        let mut w = writer(dir.path(), Some(100));
        w.write(Stream::Stdout, b"1\n2\n", stamp()).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 94);
        w.write(Stream::Stdout, b"3\n", stamp()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "2026-12-01T13:00:00.123456789+01:00 stdout F 3\n");
        assert!(!dir.path().join("ctr.log.tmp").exists());
        // Reopened, it counts what the file already holds.
        let mut again = writer(dir.path(), Some(100));
        again.write(Stream::Stdout, b"4\n5\n", stamp()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
    }

    #[test]
    fn a_reader_follows_a_log_across_a_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctr.log");
        let mut w = writer(dir.path(), Some(100));
        let mut r = Reader::new(&path);
        let mut seen = Vec::new();
        let take = |r: &mut Reader, seen: &mut Vec<String>| {
            r.read_new(&mut |e| {
                seen.push(String::from_utf8_lossy(&e.text).into_owned());
                Ok(())
            })
            .unwrap()
        };
        w.write(Stream::Stdout, b"1\n", stamp()).unwrap();
        take(&mut r, &mut seen);
        w.write(Stream::Stdout, b"2\n3\n", stamp()).unwrap();
        take(&mut r, &mut seen);
        assert_eq!(seen, ["1", "2", "3"]);
    }

    #[test]
    fn tail_counts_lines_not_entries() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(dir.path(), None);
        w.write(Stream::Stdout, b"a\nb", stamp()).unwrap();
        w.write(Stream::Stderr, b"e\n", stamp()).unwrap();
        w.write(Stream::Stdout, b"c\nd", stamp()).unwrap();
        let texts = |n| {
            let mut v = Vec::new();
            let filter = Filter {
                tail: Some(n),
                ..Filter::default()
            };
            read_all(
                &mut Reader::new(&dir.path().join("ctr.log")),
                &filter,
                &mut |e| {
                    v.push(String::from_utf8_lossy(&e.text).into_owned());
                    Ok(())
                },
            )
            .unwrap();
            v
        };
        assert_eq!(texts(1), ["d"]);
        assert_eq!(texts(2), ["b", "c", "d"]);
        assert_eq!(texts(3), ["b", "e", "c", "d"]);
        assert!(texts(0).is_empty());
    }

    #[test]
    fn since_and_until_read_podman_forms() {
        let now = 1_796_126_400_000_000_000;
        let t = |s, since| parse_time_arg(s, since, now).unwrap();
        assert_eq!(t("2026-12-01T12:00:00Z", true), now);
        assert_eq!(t("2026-12-01T13:00:00.5+01:00", true), now + 500_000_000);
        assert_eq!(t("2026-12-01T12:00:00", true), now);
        assert_eq!(t("2026-12-01", true), now - 12 * 3600 * 1_000_000_000);
        assert_eq!(t("2026-12-01+01:00", true), now - 13 * 3600 * 1_000_000_000);
        assert_eq!(t("1796126400", true), now);
        assert_eq!(t("1796126400.25", true), now + 250_000_000);
        assert_eq!(t("10m", true), now - 600_000_000_000);
        assert_eq!(t("1h30m", false), now + 5_400_000_000_000);
        assert_eq!(t("1.5s", true), now - 1_500_000_000);
        assert_eq!(t("300ms", true), now - 300_000_000);
        // Beyond what nanoseconds can count: later than any entry.
        assert_eq!(t("2999-01-01", true), i64::MAX);
        assert_eq!(t("2999-01-01T00:00:00Z", true), i64::MAX);
        for bad in [
            "",
            "yesterday",
            "10x",
            "2026-13-01",
            "h",
            "2026-12-01T25:00:00Z",
            "2026-12-01é",
        ] {
            assert!(parse_time_arg(bad, true, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn log_options_parse_as_podman_reads_them() {
        let c = LogConfig::parse(
            Some("k8s-file"),
            &["max-size=10mb".into(), "path=/tmp/x.log".into()],
            Driver::Passthrough,
        )
        .unwrap();
        assert_eq!(
            (c.driver, c.max_size, c.path.as_deref()),
            (
                Driver::K8sFile,
                Some(10_000_000),
                Some(Path::new("/tmp/x.log"))
            )
        );
        assert_eq!(parse_size("1KiB").unwrap(), Some(1000));
        assert_eq!(parse_size("512").unwrap(), Some(512));
        assert_eq!(parse_size("1.5k").unwrap(), Some(1500));
        assert!(LogConfig::parse(Some("syslog"), &[], Driver::None).is_err());
        assert!(LogConfig::parse(None, &["max-size=0".into()], Driver::None).is_err());
        assert!(LogConfig::parse(None, &["max-size=lots".into()], Driver::None).is_err());
        assert!(LogConfig::parse(None, &["tag=x".into()], Driver::None).is_err());
        let d = LogConfig::parse(None, &[], Driver::K8sFile).unwrap();
        assert_eq!(d.driver, Driver::K8sFile);
    }

    #[test]
    fn hostile_lines_never_panic() {
        for l in [
            &b""[..],
            b"x",
            b"2026-12-01T13:00:00.123456789+01:00",
            b"2026-12-01T13:00:00.123456789+01:00 stdin F x",
            b"2026-12-01T13:00:00.1234567890+01:00 stdout F x",
            b"2026-12-01T13:00:00.123456789+01:0\xc3\xa9 stdout F x",
            b"\xff\xfe stdout F x",
        ] {
            assert_eq!(Entry::parse(l), None, "{}", String::from_utf8_lossy(l));
        }
        let e = Entry::parse(b"2026-12-01T13:00:00.1+01:00 stdout F \x1b[2J two  spaces").unwrap();
        assert_eq!(e.text, b"\x1b[2J two  spaces");
        assert_eq!(e.time.nanos, 1_796_126_400_100_000_000);
    }
}
