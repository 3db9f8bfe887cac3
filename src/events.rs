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

use crate::layout::Layout;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, Seek, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
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

static WARNED: AtomicBool = AtomicBool::new(false);

/// Appends `e` to the store's event log; never fails (a failure is logged
/// once per process).
pub fn record(layout: &Layout, e: Event) {
    if let Err(err) = append(layout, &e)
        && !WARNED.swap(true, Ordering::Relaxed)
    {
        log::warn!("recording the {} event: {err:#}", e.status);
    }
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
pub fn read_all(layout: &Layout) -> anyhow::Result<(Vec<Event>, Option<std::fs::File>)> {
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
pub fn follow(
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
