//! A container's output as the journald log driver sent it, read back for
//! `berth logs` with `journalctl` (podman reads it through sd-journal;
//! berth links no libsystemd, and its events backend reads the journal the
//! same way). The entries are those of one container (`CONTAINER_ID_FULL`)
//! sent by the caller's own uid (`_UID`, a field journald sets itself:
//! another user cannot pass lines off as the container's).
//!
//! journald stores what it receives a moment after it is sent, so once the
//! container's monitor is gone `-f` reads on to the entry that ends the
//! run's output (`log::JOURNAL_END`, sent by the monitor before it exits),
//! for at most [`END_WAIT`] (a journal that lost it, a monitor killed).

use super::log::{Entry, Filter, JOURNAL_END, Stamp, Stream};
use crate::sys::pidfd::PidFd;
use anyhow::{Context, Result};
use std::io::Read;
use std::os::fd::AsFd;
use std::process::{Child, Command, Stdio};

/// How long `-f` waits for the end entry of a run once its monitor is gone.
const END_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// The entries of container `id` that `filter` keeps, oldest first, to
/// `f`; returns the cursor of the last entry journald holds for it (to
/// follow from), if any.
pub fn read_all(
    id: &str,
    filter: &Filter,
    f: &mut dyn FnMut(Entry) -> Result<()>,
) -> Result<Option<String>> {
    Ok(read_after(id, None, filter, f)?.cursor)
}

/// Where a read of the journal stopped.
struct Stopped {
    /// The cursor of the last entry read (or the one it started after).
    cursor: Option<String>,
    /// The last entry read ends a run (the monitor sent no line after it).
    ended: bool,
}

/// Prints what journald holds of container `id` (as [`read_all`]), then
/// what comes, until `writer` (the container's monitor) has exited.
pub fn follow(
    id: &str,
    filter: &Filter,
    writer: Option<PidFd>,
    f: &mut dyn FnMut(Entry) -> Result<()>,
) -> Result<()> {
    let Stopped {
        mut cursor,
        mut ended,
    } = read_after(id, None, filter, f)?;
    let Some(writer) = writer else {
        return Ok(());
    };
    let later = Filter {
        tail: None,
        ..*filter
    };
    let mut cmd = journalctl(id);
    cmd.arg("--follow");
    match &cursor {
        Some(c) => cmd.arg(format!("--after-cursor={c}")),
        // Nothing yet: all of it, not journalctl's last ten.
        None => cmd.arg("--no-tail"),
    };
    let mut child = Journalctl::spawn(cmd)?;
    let result = (|| -> Result<()> {
        let mut pending = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        // Once the monitor is gone: until when the end entry may come.
        let mut gone_by: Option<std::time::Instant> = None;
        loop {
            let (out, pid) = (child.out.as_fd(), writer.as_fd());
            let ready = match gone_by {
                None => crate::sys::watch::wait_readable(&[out, pid]),
                Some(by) => {
                    let left = by.saturating_duration_since(std::time::Instant::now());
                    crate::sys::watch::wait_readable_for(&[out], Some(left))
                }
            }
            .context("waiting for journalctl")?;
            if ready[0] {
                let n = child.out.read(&mut buf).context("reading journalctl")?;
                if n == 0 {
                    return Ok(());
                }
                pending.extend_from_slice(&buf[..n]);
                while let Some(nl) = pending.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = pending.drain(..=nl).collect();
                    let (c, e) = parse(&line);
                    cursor = c.or(cursor.take());
                    ended = is_end(&line) || (ended && e.is_none());
                    if gone_by.is_some() && ended {
                        return Ok(());
                    }
                    if let Some(e) = e.filter(|e| later.keeps(e)) {
                        f(e)?;
                    }
                }
            } else if gone_by.is_some() {
                // No end entry in time: what journald has is all there is.
                return Ok(());
            } else if ready.get(1) == Some(&true) {
                if ended {
                    return Ok(());
                }
                gone_by = Some(std::time::Instant::now() + END_WAIT);
            }
        }
    })();
    child.stop();
    result
}

/// Whether a line of journalctl's JSON is the entry that ends a run.
fn is_end(line: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(line)
        .is_ok_and(|v| v[JOURNAL_END].as_str() == Some("1"))
}

/// One `journalctl` run over container `id`'s entries after `cursor`.
fn read_after(
    id: &str,
    cursor: Option<&str>,
    filter: &Filter,
    f: &mut dyn FnMut(Entry) -> Result<()>,
) -> Result<Stopped> {
    let mut cmd = journalctl(id);
    if let Some(c) = cursor {
        cmd.arg(format!("--after-cursor={c}"));
    }
    let mut child = Journalctl::spawn(cmd)?;
    let mut text = Vec::new();
    let read = child.out.read_to_end(&mut text);
    let status = child.child.wait();
    read.context("reading journalctl")?;
    let status = status.context("waiting for journalctl")?;
    if !status.success() {
        anyhow::bail!("journalctl failed ({status}) reading the journal");
    }
    let mut last = None;
    let mut ended = false;
    super::log::keep(
        filter,
        &mut |each| {
            for line in text.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let (c, e) = parse(line);
                last = c.or(last.take());
                ended = is_end(line) || (ended && e.is_none());
                if let Some(e) = e {
                    each(e)?;
                }
            }
            Ok(())
        },
        f,
    )?;
    Ok(Stopped {
        cursor: last.or(cursor.map(str::to_string)),
        ended,
    })
}

/// `journalctl` over container `id`'s entries, as JSON, every field whole
/// (`--all`: not cut at 4 KiB, nor shown as null).
fn journalctl(id: &str) -> Command {
    let mut cmd = Command::new("journalctl");
    cmd.args(["--output=json", "--all", "--no-pager", "--quiet"])
        .arg(format!("CONTAINER_ID_FULL={id}"))
        .arg(format!("_UID={}", nix::unistd::getuid()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    // A follower must not outlive the berth it reports to.
    crate::sys::process::die_with_parent(&mut cmd);
    cmd
}

/// A running journalctl and its output.
struct Journalctl {
    child: Child,
    out: std::process::ChildStdout,
}

impl Journalctl {
    fn spawn(mut cmd: Command) -> Result<Journalctl> {
        let mut child = cmd
            .spawn()
            .context("running journalctl to read the container's journald log")?;
        let out = child.stdout.take().context("journalctl's output")?;
        Ok(Journalctl { child, out })
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One line of journalctl's JSON: the entry's cursor, and the entry as a
/// log entry when it is one the journald log driver sent.
fn parse(line: &[u8]) -> (Option<String>, Option<Entry>) {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(line) else {
        return (None, None);
    };
    let cursor = v["__CURSOR"].as_str().map(str::to_string);
    (cursor, entry(&v))
}

fn entry(v: &serde_json::Value) -> Option<Entry> {
    let micros: i64 = v["__REALTIME_TIMESTAMP"].as_str()?.parse().ok()?;
    let text = match &v["MESSAGE"] {
        serde_json::Value::String(s) => s.as_bytes().to_vec(),
        // Not UTF-8: journalctl gives the bytes as an array of numbers.
        serde_json::Value::Array(a) => a
            .iter()
            .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
            .collect::<Option<Vec<u8>>>()?,
        _ => return None,
    };
    Some(Entry {
        time: Stamp::at(micros.checked_mul(1000)?),
        // conmon's priorities: 3 for stderr, 6 for stdout.
        stream: match v["PRIORITY"].as_str() {
            Some("3") => Stream::Stderr,
            _ => Stream::Stdout,
        },
        partial: v["CONTAINER_PARTIAL_MESSAGE"].as_str() == Some("true"),
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_line_becomes_a_log_entry_with_its_stream_and_time() {
        let (cursor, e) = parse(
            br#"{"__CURSOR":"s=1;i=2","__REALTIME_TIMESTAMP":"1700000000123456","MESSAGE":"hi","PRIORITY":"3","CONTAINER_PARTIAL_MESSAGE":"true"}"#,
        );
        assert_eq!(cursor.as_deref(), Some("s=1;i=2"));
        let e = e.unwrap();
        assert_eq!(e.time.nanos, 1_700_000_000_123_456_000);
        assert_eq!(e.stream, Stream::Stderr);
        assert!(e.partial);
        assert_eq!(e.text, b"hi");
    }

    #[test]
    fn bytes_that_are_not_utf8_come_as_an_array() {
        let (_, e) = parse(br#"{"__REALTIME_TIMESTAMP":"1","MESSAGE":[104,255],"PRIORITY":"6"}"#);
        let e = e.unwrap();
        assert_eq!(e.text, [104, 255]);
        assert_eq!(e.stream, Stream::Stdout);
        assert!(!e.partial);
    }

    #[test]
    fn the_end_of_a_run_is_no_line_but_ends_a_follow() {
        let end =
            br#"{"__CURSOR":"e","__REALTIME_TIMESTAMP":"1","BERTH_LOG_END":"1","PRIORITY":"7"}"#;
        assert!(is_end(end));
        assert!(parse(end).1.is_none());
        assert!(!is_end(br#"{"MESSAGE":"BERTH_LOG_END=1"}"#));
    }

    #[test]
    fn what_is_not_an_entry_keeps_only_its_cursor() {
        assert_eq!(parse(b"not json").0, None);
        let (c, e) = parse(br#"{"__CURSOR":"x","__REALTIME_TIMESTAMP":"1"}"#);
        assert_eq!(c.as_deref(), Some("x"));
        assert!(e.is_none());
    }
}
