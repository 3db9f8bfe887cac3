//! Container records under `<root>/containers/<id>/`: ids, names, meta.json,
//! state. No kernel calls here; what /proc says of a recorded process comes
//! from sys::pidfd.
//!
//! A record is written by the berth that runs the container (its monitor).
//! When that berth is killed (kill -9, OOM), nobody writes the end: the record
//! names the monitor and the container's pid 1, each with its start time so a
//! reused pid is not mistaken for them, and [`Containers::settle`] works out
//! what became of them from /proc.

pub mod health;
pub mod journal_log;
pub mod list;
pub mod log;
pub mod names;
pub mod procs;
pub mod volume;

use crate::layout::{Layout, Lock, flock, private_dir, replace_file, swap_file};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::PathBuf;

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum State {
    #[default]
    Created,
    Running,
    /// Its berth was killed, but its pid 1 cleared the parent-death signal and
    /// runs on: `rm -f` ends its pid namespace.
    Orphaned,
    Exited,
}

/// One process, told apart from later ones that reuse its pid.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Process {
    pub pid: i32,
    /// Clock ticks after boot when it started (field 22 of /proc/PID/stat).
    pub start: u64,
}

impl Process {
    /// This berth process.
    pub fn current() -> Result<Process> {
        Process::of(std::process::id() as i32)
    }

    pub fn of(pid: i32) -> Result<Process> {
        let stat =
            crate::sys::pidfd::stat(pid).with_context(|| format!("reading /proc/{pid}/stat"))?;
        Ok(Process {
            pid,
            start: stat.start,
        })
    }

    /// Still running user code: same pid and start time, and neither a
    /// zombie nor on its way out (a SIGKILLed container whose output pipe has
    /// closed is exiting, not orphaned).
    pub fn alive(&self) -> bool {
        crate::sys::pidfd::stat(self.pid).is_ok_and(|s| {
            s.start == self.start
                && !matches!(s.state, b'Z' | b'X' | b'x')
                && s.flags & crate::sys::pidfd::PF_EXITING == 0
        })
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub struct Meta {
    pub id: String,
    pub name: String,
    /// The image as the user named it, and its id.
    pub image: String,
    pub image_id: String,
    pub command: Vec<String>,
    /// The part of `command` that is the entrypoint (the image's, or
    /// `--entrypoint`).
    #[serde(default)]
    pub entrypoint: Vec<String>,
    pub created: String,
    pub state: State,
    /// The container's pid 1 as the host sees it.
    #[serde(default)]
    pub pid: Option<i32>,
    /// `pid`'s start time (see [`Process`]).
    #[serde(default)]
    pub pid_start: Option<u64>,
    /// The berth process that runs the container and writes its end.
    #[serde(default)]
    pub monitor: Option<Process>,
    /// `--rm`: removed when it exits, by its berth or, when that was killed,
    /// by the next berth that lists containers.
    #[serde(default)]
    pub auto_remove: bool,
    /// `--cidfile`, absolute: removed with the container (as podman 4.4 and
    /// later), while it still holds this container's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidfile: Option<std::path::PathBuf>,
    #[serde(default)]
    pub exit_code: Option<i32>,
    /// The signal that stops it (`--stop-signal`, else the image's, else SIGTERM).
    #[serde(default)]
    pub stop_signal: Option<String>,
    /// Seconds `stop` waits after the stop signal before SIGKILL (`--stop-timeout`).
    #[serde(default)]
    pub stop_timeout: Option<u32>,
    /// `--label`s, with the image's labels under them.
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub restart: RestartPolicy,
    /// How often its monitor started it again.
    #[serde(default)]
    pub restart_count: u32,
    /// Set by `stop` (and `kill`, `rm -f`) before signalling: the monitor
    /// restarts no container a user stopped. Cleared by `start`. Those
    /// commands record it as a mark beside the record (see
    /// [`Containers::mark_stopped`]), which reading a record folds in here.
    #[serde(default)]
    pub stopped_by_user: bool,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub finished_at: Option<String>,
    /// `--log-driver` and `--log-opt`: where its output is kept.
    #[serde(default)]
    pub log: log::LogConfig,
    /// Its healthcheck (the image's under the `--health-*` flags).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<health::HealthConfig>,
    /// What its checks found (`health.json`), read with the record.
    #[serde(skip)]
    pub health: Option<health::HealthState>,
    /// The command line that created it (podman's CreateCommand): what a
    /// `generate systemd --new` unit runs again.
    #[serde(default)]
    pub create_command: Vec<String>,
}

/// `--restart`: what the monitor does when the container's process ends.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", tag = "name")]
pub enum RestartPolicy {
    #[default]
    No,
    /// Again while it exits non-zero, at most `max_retries` times (0: no limit).
    OnFailure {
        max_retries: u32,
    },
    Always,
    UnlessStopped,
}

impl RestartPolicy {
    /// `no`, `on-failure[:N]`, `always`, `unless-stopped`.
    pub fn parse(s: &str) -> Result<RestartPolicy> {
        let (name, count) = match s.split_once(':') {
            Some((n, c)) => (n, Some(c)),
            None => (s, None),
        };
        Ok(match (name, count) {
            ("no", None) => RestartPolicy::No,
            ("always", None) => RestartPolicy::Always,
            ("unless-stopped", None) => RestartPolicy::UnlessStopped,
            ("on-failure", c) => RestartPolicy::OnFailure {
                max_retries: match c {
                    Some(n) => n.parse().with_context(|| {
                        format!("invalid --restart `{s}`: the retry count must be a number")
                    })?,
                    None => 0,
                },
            },
            _ => bail!("invalid --restart `{s}`: use no, on-failure[:N], always or unless-stopped"),
        })
    }

    /// Whether a container that exited with `code` (None: unknown) after
    /// `restarts` restarts is started again.
    pub fn restarts(&self, code: Option<i32>, restarts: u32, stopped_by_user: bool) -> bool {
        if stopped_by_user {
            return false;
        }
        match *self {
            RestartPolicy::No => false,
            RestartPolicy::OnFailure { max_retries } => {
                code != Some(0) && (max_retries == 0 || restarts < max_retries)
            }
            RestartPolicy::Always | RestartPolicy::UnlessStopped => true,
        }
    }
}

/// An empty file in the directory of an `--rm` container (see
/// [`Containers::save`]).
pub const AUTO_REMOVE_MARK: &str = "auto-remove";

pub struct Containers {
    layout: Layout,
}

/// A container directory taken out of the records for its removal, locked
/// while this lives; remove `path`, then drop it.
pub struct Retired {
    pub path: PathBuf,
    _lock: Lock,
}

impl Containers {
    pub fn new(layout: &Layout) -> Containers {
        Containers {
            layout: layout.clone(),
        }
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn dir_of(&self, id: &str) -> PathBuf {
        self.layout.container(id)
    }

    /// Makes the record of a new container: a fresh random id, a unique name
    /// (checked and taken under the names lock, so concurrent creates never
    /// share one), or a generated adjective_noun one.
    pub fn create(&self, name: Option<&str>, mut meta: Meta) -> Result<Meta> {
        private_dir(&self.layout.containers())?;
        let id = random_id()?;
        if let Some(n) = name {
            check_name(n)?;
        }
        let _names = self.names_lock()?;
        let taken: std::collections::HashSet<String> =
            self.list()?.into_iter().map(|m| m.name).collect();
        let name = match name {
            Some(n) if taken.contains(n) => {
                bail!(
                    "the container name `{n}` is already in use: remove that container or choose another name"
                )
            }
            Some(n) => n.to_string(),
            None => (0..)
                .map(|i| names::candidate(&id, i))
                .find(|n| !taken.contains(n))
                .expect("candidates never run out"),
        };
        meta.id = id.clone();
        meta.name = name;
        let dir = self.dir_of(&id);
        fs::create_dir(&dir).with_context(|| format!("creating `{}`", dir.display()))?;
        self.save(&meta)?;
        if meta.auto_remove {
            // Empty, so it has no blocks to lose: it outlives a power cut
            // that empties the (swapped-in, unsynced) record.
            fs::File::create(dir.join(AUTO_REMOVE_MARK))
                .with_context(|| format!("creating `{}`", dir.display()))?;
        }
        Ok(meta)
    }

    /// `berth rename`: under the names lock, as `create` takes one.
    pub fn rename(&self, spec: &str, new: &str) -> Result<Meta> {
        check_name(new)?;
        let _names = self.names_lock()?;
        let mut meta = self.find(spec)?;
        let _lock = self.lock(&meta.id)?;
        if self
            .list()?
            .iter()
            .any(|m| m.name == new && m.id != meta.id)
        {
            bail!("the container name `{new}` is already in use");
        }
        meta = self.find(&meta.id)?;
        meta.name = new.to_string();
        self.save(&meta)?;
        Ok(meta)
    }

    /// Held while names are checked and taken.
    fn names_lock(&self) -> Result<Lock> {
        flock(&self.layout.containers_lock(), true)
    }

    /// The container's own lock, held for every change of its state by
    /// another command than its monitor's plain progress (start, stop, rm,
    /// commit): one of two racing commands waits, then sees what the other did.
    pub fn lock(&self, id: &str) -> Result<Lock> {
        let dir = self.dir_of(id);
        if !dir.is_dir() {
            // Removed by a racing `rm`.
            bail!("no such container `{id}`");
        }
        flock(&dir.join("lock"), true)
            .with_context(|| format!("no such container `{id}` (locking it failed)"))
    }

    /// Takes container `id` out of the records for its removal: its
    /// directory is renamed to `.removing-<id>` (hidden from `list`), and
    /// that path is returned for the caller to remove (None: nothing left).
    /// After the rename no late process that goes by the container's path
    /// (a racing command's `lock`, which creates the lock file; a dying
    /// monitor's health check) can put a file back in the directory while
    /// it is emptied, and a crash mid-removal leaves no half record that
    /// `ps` would list; `list_and_leftovers` finds what such a crash left.
    ///
    /// The directory is locked (its own flock) before it is renamed and for
    /// as long as the returned [`Retired`] lives, so another command's sweep
    /// of interrupted removals never empties it at the same time.
    pub fn retire(&self, id: &str) -> Result<Option<Retired>> {
        let dir = self.dir_of(id);
        let gone = self.retired_dir(id);
        // Waits for a racing removal of the same container, then finds it gone.
        let lock = match crate::layout::lock_dir(&dir, true) {
            Ok(Some(l)) => l,
            Err(_) if !dir.exists() => {
                // Retired already: what a crash left, unless its removal runs.
                return match gone.symlink_metadata() {
                    Ok(_) => Self::claim_retired(gone),
                    Err(_) => Ok(None),
                };
            }
            // (A waiting lock is never refused.)
            Ok(None) => return Ok(None),
            Err(e) => return Err(e),
        };
        match fs::rename(&dir, &gone) {
            Ok(()) => Ok(Some(Retired {
                path: gone,
                _lock: lock,
            })),
            // Retired and removed by the racing removal waited for above.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("moving `{}` aside", dir.display())),
        }
    }

    /// A retired directory (a leftover of [`Self::list_and_leftovers`]) to
    /// remove, unless another process is removing it (None).
    pub fn claim_retired(path: PathBuf) -> Result<Option<Retired>> {
        Ok(crate::layout::lock_dir(&path, false)?.map(|lock| Retired { path, _lock: lock }))
    }

    fn retired_dir(&self, id: &str) -> PathBuf {
        self.layout.containers().join(format!(".removing-{id}"))
    }

    /// Re-reads a record (after taking its lock).
    pub fn reload(&self, id: &str) -> Result<Meta> {
        let path = self.layout.container_meta(id);
        let bytes = fs::read(&path).with_context(|| format!("no such container `{id}`"))?;
        let mut m: Meta = serde_json::from_slice(&bytes)
            .with_context(|| format!("reading `{}`", path.display()))?;
        self.read_health(&mut m);
        Ok(m)
    }

    /// Marks the container stopped by the user, without rewriting its
    /// record: its monitor, between two runs, replaces the record without
    /// the lock (it is the container's parent and may not wait for the
    /// `stop` or `rm -f` that holds it), so a record saved here could undo
    /// the monitor's (say, the pid of the run it just started, which then
    /// nobody would stop), and one saved there could undo this mark.
    pub fn mark_stopped(&self, id: &str) -> Result<()> {
        let path = self.stopped_mark(id);
        fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("creating `{}`", path.display()))?;
        Ok(())
    }

    /// Clears [`Self::mark_stopped`]'s mark (a start, under the lock).
    pub fn clear_stopped(&self, id: &str) -> Result<()> {
        let path = self.stopped_mark(id);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("removing `{}`", path.display()))
            }
            _ => Ok(()),
        }
    }

    fn stopped_mark(&self, id: &str) -> PathBuf {
        self.dir_of(id).join("stopped-by-user")
    }

    /// What is kept beside the record: its health and the stop mark.
    fn read_health(&self, m: &mut Meta) {
        if !m.stopped_by_user && self.stopped_mark(&m.id).exists() {
            m.stopped_by_user = true;
        }
        if m.healthcheck.is_some() {
            m.health = self.health(&m.id);
        }
    }

    /// Temp + rename, no fsync: a `run` saves its record three times (made,
    /// claimed, running) and waiting for the disk each time was a fifth of
    /// `run --rm true`. A kill leaves the old or the new record; a power cut
    /// may lose the last change, which `settle` makes up from /proc (after a
    /// reboot nothing runs).
    ///
    /// The record of an `--rm` container is swapped in instead
    /// ([`swap_file`]): the rename over it cost a block allocation, and at
    /// removal a discard, on every save, and that container does not
    /// outlive a power cut anyway (its overlay is `volatile`). After one its
    /// record may be empty; the [`AUTO_REMOVE_MARK`] beside it then makes
    /// its directory a leftover for the next sweep.
    pub fn save(&self, meta: &Meta) -> Result<()> {
        let path = self.layout.container_meta(&meta.id);
        let bytes = serde_json::to_vec_pretty(meta)?;
        if meta.auto_remove {
            swap_file(&path, &bytes)
        } else {
            replace_file(&path, &bytes)
        }
    }

    pub fn list(&self) -> Result<Vec<Meta>> {
        Ok(self.list_and_leftovers()?.0)
    }

    /// [`Self::list`], and from the same listing the directories of
    /// containers whose removal was interrupted (a crash between `retire`
    /// and the end of the removal).
    pub fn list_and_leftovers(&self) -> Result<(Vec<Meta>, Vec<PathBuf>)> {
        let mut out = Vec::new();
        let mut leftovers = Vec::new();
        let entries = match fs::read_dir(self.layout.containers()) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((out, leftovers)),
            Err(e) => return Err(e).context("listing containers"),
        };
        for e in entries {
            let e = e?;
            let name = e.file_name();
            if name.as_encoded_bytes().starts_with(b".") {
                // Being removed (see `retire`).
                if name.as_encoded_bytes().starts_with(b".removing-") {
                    leftovers.push(e.path());
                }
                continue;
            }
            let path = self.layout.container_meta(&name.to_string_lossy());
            let Ok(bytes) = fs::read(&path) else {
                continue;
            };
            match serde_json::from_slice::<Meta>(&bytes) {
                Ok(mut m) => {
                    self.read_health(&mut m);
                    out.push(m);
                }
                // Records are replaced whole, so one that reads but does
                // not parse is what a power cut left of an `--rm`
                // container's (see `save`): over, and to be removed.
                Err(_) if e.path().join(AUTO_REMOVE_MARK).exists() => leftovers.push(e.path()),
                Err(_) => {}
            }
        }
        out.sort_by(|a, b| a.created.cmp(&b.created));
        Ok((out, leftovers))
    }

    /// Brings a record whose berth is gone up to date with /proc, and saves
    /// it when that changed it: `Orphaned` while its pid 1 lives on, else
    /// `Exited` (with no exit code: nobody saw it). Returns whether the
    /// container is over and was to be removed (`--rm`): the caller removes it.
    pub fn settle(&self, m: &mut Meta) -> Result<bool> {
        if m.state == State::Exited {
            // Between the runs of a restart policy the record says exited
            // while its berth lives on to start it again.
            return Ok(m.auto_remove && !m.monitor.is_some_and(|p| p.alive()));
        }
        let Some(monitor) = m.monitor else {
            // Written before records named their monitor: the pid alone.
            if m.state == State::Running && m.pid.is_some_and(|p| !pid_exists(p)) {
                m.state = State::Exited;
                self.save(m)?;
            }
            return Ok(false);
        };
        if monitor.alive() {
            return Ok(false);
        }
        let container = m
            .pid
            .zip(m.pid_start)
            .map(|(pid, start)| Process { pid, start });
        let state = if container.is_some_and(|c| c.alive()) {
            State::Orphaned
        } else {
            State::Exited
        };
        if state != m.state {
            m.state = state;
            self.save(m)?;
        }
        Ok(m.state == State::Exited && m.auto_remove)
    }

    /// The container is gone: its `--cidfile` goes too, unless it names
    /// another container by now (written anew after this one's end).
    pub fn forget_cidfile(m: &Meta) {
        let Some(file) = &m.cidfile else { return };
        if fs::read(file).is_ok_and(|held| held == m.id.as_bytes())
            && let Err(e) = fs::remove_file(file)
        {
            ::log::debug!("removing --cidfile `{}`: {e}", file.display());
        }
    }

    /// By full id, unique id prefix, or name.
    pub fn find(&self, spec: &str) -> Result<Meta> {
        let all = self.list()?;
        if let Some(m) = all.iter().find(|m| m.name == spec || m.id == spec) {
            return Ok(m.clone());
        }
        let prefixed: Vec<&Meta> = all.iter().filter(|m| m.id.starts_with(spec)).collect();
        match prefixed.as_slice() {
            [one] if !spec.is_empty() => Ok((*one).clone()),
            [] | [_] => bail!("no such container `{spec}`"),
            _ => bail!("container id prefix `{spec}` is ambiguous"),
        }
    }
}

fn check_name(n: &str) -> Result<()> {
    if !n.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        || !n
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    {
        bail!("invalid container name `{n}`: use letters, digits, `_`, `.` and `-`");
    }
    Ok(())
}

fn pid_exists(pid: i32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

fn random_id() -> Result<String> {
    use std::io::Read;
    let mut buf = [0u8; 32];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .context("reading /dev/urandom")?;
    Ok(hex::encode(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_written_by_an_older_berth_still_reads() {
        // Older records carry `layers` (never read, no longer written).
        let old = br#"{"id":"abc","name":"berth-abc","image":"busybox","image_id":"00",
            "command":["sh"],"created":"2026-01-01T00:00:00Z","state":"exited",
            "pid":7,"exit_code":0,"layers":["c1","c2"]}"#;
        let m: Meta = serde_json::from_slice(old).unwrap();
        assert_eq!(
            (m.id.as_str(), &m.state, m.exit_code),
            ("abc", &State::Exited, Some(0))
        );
        let again = serde_json::to_string(&m).unwrap();
        assert!(!again.contains("layers"));
    }

    #[test]
    fn an_rm_containers_record_a_power_cut_emptied_is_a_leftover_and_a_kept_ones_is_not() {
        let tmp = tempfile::tempdir().unwrap();
        let c = Containers::new(&Layout::new(tmp.path()));
        let rm = c
            .create(
                None,
                Meta {
                    auto_remove: true,
                    ..Default::default()
                },
            )
            .unwrap();
        let kept = c.create(None, Meta::default()).unwrap();
        assert_eq!(c.list().unwrap().len(), 2);
        for m in [&rm, &kept] {
            std::fs::write(c.layout().container_meta(&m.id), b"").unwrap();
        }
        let (list, leftovers) = c.list_and_leftovers().unwrap();
        assert!(list.is_empty());
        // The kept one is left alone: its record is not ours to guess.
        assert_eq!(leftovers, vec![c.dir_of(&rm.id)]);
    }

    #[test]
    fn records_live_under_the_containers_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let layout = Layout::new(tmp.path());
        let c = Containers::new(&layout);
        let meta = Meta {
            id: String::new(),
            name: String::new(),
            image: "busybox".into(),
            image_id: "00".into(),
            command: vec!["sh".into()],
            created: "2026-01-01T00:00:00Z".into(),
            state: State::Created,
            pid: None,
            pid_start: None,
            monitor: None,
            auto_remove: false,
            exit_code: None,
            stop_signal: None,
            ..Default::default()
        };
        let m = c.create(Some("web"), meta).unwrap();
        assert!(layout.container_meta(&m.id).is_file());
        assert_eq!(c.find("web").unwrap().id, m.id);
        assert_eq!(c.list().unwrap().len(), 1);

        // Retired for removal: no longer a record, and a racing lock fails
        // instead of putting a lock file back in the directory.
        let retired = c.retire(&m.id).unwrap().expect("moved aside");
        let dir = retired.path.clone();
        assert!(c.list().unwrap().is_empty());
        assert!(c.find("web").is_err());
        assert!(c.lock(&m.id).is_err());
        assert_eq!(c.list_and_leftovers().unwrap().1, vec![dir.clone()]);
        // While it is being removed, nobody else claims it.
        assert!(c.retire(&m.id).unwrap().is_none());
        drop(retired);
        // Retiring again (a retry after a crash) finds what is left.
        assert_eq!(c.retire(&m.id).unwrap().map(|r| r.path), Some(dir.clone()));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(c.retire(&m.id).unwrap().is_none());
    }
}
