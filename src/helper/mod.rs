//! The user namespace helper: berth re-executed as root of a user namespace
//! with the containers' id mapping, for file work that must see container
//! ids: unpacking a layer so files get their mapped owners as they are
//! written, copying into and diffing a build step's or a container's upper
//! directory, listing what a container changed, and
//! removing trees owned by subordinate ids.
//!
//! berth may be multithreaded by then, so it does not fork and carry on: it
//! re-executes itself (`berth __helper`, see `ident::userns` for the
//! namespace handshake). Over the handshake's socket the parent then sends
//! one [`Job`] as a JSON line and the helper answers with one [`Reply`]
//! line when it is done. A job's bulk data flows over stdin (a layer tar)
//! and stdout (a diff). The job bodies belong to the modules that own the
//! work (`layer`); this module carries them across.
//!
//! A job on a container's files (`berth cp`, `berth export`) sees the
//! container's root: a stopped container's overlay mounted in the helper's
//! own mount namespace (which never reaches the host), or, for writes into a
//! running one, its live root, the helper having joined the container's
//! user namespace through a pidfd instead of making its own (see [`join`]).
//!
//! Room for more: a container's monitor or a FUSE overlay are further jobs.

use crate::ident::idmap::IdMapping;
use crate::ident::userns;
use crate::layer::raw_path;
use crate::layer::{self, ApplyOptions, CopyOp, DiffOptions, Ownership, PackDest, Source};
use anyhow::{Context, Result, anyhow};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::ffi::OsStr;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// The hidden subcommand that runs [`serve`].
pub const SUBCOMMAND: &str = "__helper";

/// A job is at most this long (a copy plan lists every file COPY skips).
const MAX_JOB: u64 = 64 << 20;
/// A reply is one error line.
const MAX_REPLY: u64 = 1 << 20;

/// What the helper does, in the user namespace, as its root.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "snake_case", tag = "job")]
pub enum Job {
    /// Applies the layer tar on stdin into the empty directory `dir`,
    /// owners as the tar says. Holds `work_lock` shared meanwhile, like the
    /// berth that sent the job: `system prune` waits for the helper, even
    /// when that berth is gone.
    Unpack {
        #[serde(with = "raw_path")]
        dir: PathBuf,
        #[serde(with = "raw_path")]
        work_lock: PathBuf,
    },
    /// Removes `path` and everything under it, never following a symlink.
    Remove {
        #[serde(with = "raw_path")]
        path: PathBuf,
    },
    /// Writes the disk usage of each of `paths` (blocks, hard links once
    /// per path, never following a symlink) to stdout as a JSON list of
    /// `{"Ok": bytes}` or `{"Err": message}`: trees whose directories only
    /// container ids may read.
    DiskUsage {
        #[serde(with = "layer::raw_paths")]
        paths: Vec<PathBuf>,
    },
    /// Carries out `ops` into the upper directory `upper`.
    Copy {
        #[serde(with = "raw_path")]
        upper: PathBuf,
        ops: Vec<CopyOp>,
    },
    /// Writes the layer tar of `upper` to stdout, ids as the namespace sees
    /// them, mtimes clamped to `epoch`.
    Diff {
        #[serde(with = "raw_path")]
        upper: PathBuf,
        epoch: Option<i64>,
    },
    /// Writes what `upper` changed against `lowers` (unpacked layers, top
    /// first) to stdout, as a JSON list of `layer::Change`.
    Changes {
        #[serde(with = "raw_path")]
        upper: PathBuf,
        #[serde(with = "layer::raw_paths")]
        lowers: Vec<PathBuf>,
    },
    /// Works on a container's files, in its root (see [`ContainerRoot`]).
    Container { root: ContainerRoot, op: RootOp },
}

/// How the helper reaches a container's root.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ContainerRoot {
    /// The container's layers mounted at `target` in the helper's own
    /// mount namespace: read-only with `upper` as the top lower layer (safe
    /// beside a running container, which has `upper` as its upper layer),
    /// or read-write with `upper` and `work` (a stopped container only).
    Overlay {
        #[serde(with = "raw_path")]
        layers_dir: PathBuf,
        /// Relative to `layers_dir`, top first.
        lowerdirs: Vec<String>,
        #[serde(with = "raw_path")]
        upper: PathBuf,
        #[serde(with = "raw_path")]
        work: PathBuf,
        #[serde(with = "raw_path")]
        target: PathBuf,
        writable: bool,
    },
    /// The running container whose pid 1 this is: the helper was started by
    /// [`run_joined`] and is in its user namespace; its root is
    /// `/proc/PID/root`, opened while the pidfd shows it alive.
    Running { pid: i32 },
}

/// What to do in a container's root.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum RootOp {
    /// Writes the tar of `path` to stdout (see `layer::pack`).
    Pack {
        #[serde(with = "raw_path")]
        path: PathBuf,
        dest: PackDest,
        follow: bool,
        ids_from_xattrs: bool,
    },
    /// Extracts the tar on stdin at `path` (see `layer::unpack_at`), owned
    /// by `owner` when given; with `ids_in_xattrs` (no subordinate range)
    /// ids go to `user.berth.*` as the layers have them.
    Unpack {
        #[serde(with = "raw_path")]
        path: PathBuf,
        source: Source,
        owner: Option<(u32, u32)>,
        ids_in_xattrs: bool,
    },
}

/// Names the fds a joining helper inherits: `SOCKET,PIDFD,PID`.
const JOIN_ENV: &str = "BERTH_HELPER_JOIN";

/// How a job ended.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "snake_case", tag = "reply")]
pub enum Reply {
    Done,
    /// The helper's error chain, as one line.
    Failed {
        error: String,
    },
}

/// Runs `job` in a helper in a user namespace with `mapping`, feeding it
/// `input` on stdin and copying its stdout to `output`. The helper's error
/// becomes ours.
pub fn run(
    mapping: &IdMapping,
    job: &Job,
    input: Option<&mut dyn Read>,
    output: Option<&mut dyn Write>,
) -> Result<()> {
    let cmd = command(input.is_some(), output.is_some());
    let (child, chan) =
        userns::spawn(cmd, mapping).context("starting the user namespace helper")?;
    converse(child, chan, job, input, output)
}

/// [`run`], in the user namespace of the running process `pid` instead of
/// a new one: the helper joins it through a pidfd opened here, after which
/// `container` is checked to still be that process, so a reused pid is
/// never joined.
pub fn run_joined(
    container: crate::container::Process,
    job: &Job,
    input: Option<&mut dyn Read>,
    output: Option<&mut dyn Write>,
) -> Result<()> {
    use std::os::fd::AsRawFd;
    let pidfd = crate::sys::pidfd::PidFd::open(container.pid)
        .with_context(|| format!("opening the container's process {}", container.pid))?;
    if !container.alive() {
        anyhow::bail!("the container's process {} is gone", container.pid);
    }
    let (chan, child_end) = UnixStream::pair().context("creating the helper's socket")?;
    let mut cmd = command(input.is_some(), output.is_some());
    let (sock, pfd) = (child_end.as_raw_fd(), pidfd.as_fd_raw());
    cmd.env(JOIN_ENV, format!("{sock},{pfd},{}", container.pid));
    crate::sys::ns::keep_fd_on_exec(&mut cmd, sock);
    crate::sys::ns::keep_fd_on_exec(&mut cmd, pfd);
    let child = cmd.spawn().context("starting the helper")?;
    // Ours must go, or a dead helper would never read as EOF.
    drop(child_end);
    drop(pidfd);
    converse(child, chan, job, input, output)
}

/// `berth __helper` with stdin and stdout piped when they carry data.
fn command(input: bool, output: bool) -> std::process::Command {
    let mut cmd = userns::helper_command(&[OsStr::new(SUBCOMMAND)]);
    cmd.stdin(if input { Stdio::piped() } else { Stdio::null() })
        .stdout(if output {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stderr(Stdio::piped());
    cmd
}

/// Sends `job` to a started helper, feeds it, drains it and takes its reply.
fn converse(
    mut child: std::process::Child,
    chan: UnixStream,
    job: &Job,
    input: Option<&mut dyn Read>,
    output: Option<&mut dyn Write>,
) -> Result<()> {
    // If this fails the helper is gone (its status or stderr says why), or
    // the job could not be written: then the helper must not wait for it.
    let sent = write_line(&chan, job);
    if sent.is_err() {
        let _ = chan.shutdown(std::net::Shutdown::Both);
    }
    // A failure to read the input (a corrupt or oversized stream) is the
    // cause; the helper then only sees its input end early.
    let mut read_error = None;
    let copied = match (input, child.stdin.take()) {
        (Some(input), Some(mut stdin)) => {
            // A 1 MiB pipe: a layer crosses it in 16× fewer wake-ups than
            // with the default 64 KiB (best effort; the limit may forbid it).
            let _ = crate::sys::fs::grow_pipe(std::os::fd::AsFd::as_fd(&stdin), 1 << 20);
            let mut buf = vec![0u8; 1 << 20];
            loop {
                match input.read(&mut buf) {
                    Ok(0) => break Ok(()),
                    Ok(n) => {
                        if let Err(e) = stdin.write_all(&buf[..n]) {
                            break Err(e);
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        read_error = Some(e);
                        break Ok(());
                    }
                }
            }
        }
        _ => Ok(()),
    };
    let copied = match (copied, output, child.stdout.take()) {
        (Ok(()), Some(out), Some(mut stdout)) => io::copy(&mut stdout, out).map(|_| ()),
        (c, _, _) => c,
    };
    let out = child
        .wait_with_output()
        .context("waiting for the user namespace helper")?;
    if let Some(e) = read_error {
        return Err(e).context("reading layer tar");
    }
    match read_line(&chan, MAX_REPLY).ok() {
        Some(Reply::Failed { error }) => return Err(anyhow!("{error}")),
        Some(Reply::Done) if out.status.success() => {}
        // It died before it could answer (killed, or it failed to enter
        // the namespace): its last words on stderr, else its status.
        _ => {
            let msg = String::from_utf8_lossy(&out.stderr);
            let line = msg
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            let line = line.strip_prefix("berth: ").unwrap_or(line);
            if line.is_empty() {
                return Err(anyhow!("helper failed: {}", out.status));
            }
            return Err(anyhow!("{line}"));
        }
    }
    sent.context("sending the job to the user namespace helper")?;
    copied.context("feeding the layer to the user namespace helper")
}

/// Sends `v` as one line of JSON (which never contains a raw newline).
fn write_line<T: Serialize>(chan: &UnixStream, v: &T) -> Result<()> {
    let mut line = serde_json::to_vec(v)?;
    line.push(b'\n');
    let mut w = chan;
    w.write_all(&line)?;
    Ok(())
}

/// Reads one line of JSON, of at most `max` bytes. Each side sends one
/// line and then only waits, so the buffer never holds the next message.
fn read_line<T: DeserializeOwned>(chan: &UnixStream, max: u64) -> Result<T> {
    let mut line = String::new();
    BufReader::new(chan.take(max)).read_line(&mut line)?;
    Ok(serde_json::from_str(&line)?)
}

/// Removes `path` (an unpacked layer, a container, a whole root) and
/// everything under it, never following a symlink. Files owned by
/// subordinate ids are removed by the helper inside the user namespace.
/// A missing `path` is not an error.
pub fn remove_tree(path: &Path) -> Result<()> {
    match layer::remove_tree(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            let mapping = IdMapping::for_current_user()?;
            if !mapping.has_range() {
                return Err(e).with_context(|| format!("removing `{}`", path.display()));
            }
            let job = Job::Remove {
                path: path.to_path_buf(),
            };
            run(&mapping, &job, None, None)
        }
        Err(e) => Err(e).with_context(|| format!("removing `{}`", path.display())),
    }
}

/// The disk usage of each of `paths` (see `layer::disk_usage`), each
/// counted here when its directories are readable, else in one helper in
/// the user namespace, where the container ids that own unreadable
/// directories (a layer's 0700 `var/cache/apt/archives/partial`) are its
/// own. An error stays that item's error: the caller shows it as
/// uncountable, never as 0 bytes. A missing path counts 0 (it went
/// meanwhile).
pub fn disk_usage(paths: &[PathBuf]) -> Vec<Result<u64>> {
    let mut out: Vec<Result<u64>> = Vec::with_capacity(paths.len());
    let mut denied = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        out.push(match usage_or_zero(p) {
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                denied.push(i);
                Err(anyhow!(e))
            }
            r => r.with_context(|| format!("counting `{}`", p.display())),
        });
    }
    if denied.is_empty() {
        return out;
    }
    let job = Job::DiskUsage {
        paths: denied.iter().map(|&i| paths[i].clone()).collect(),
    };
    let counted = (|| -> Result<Vec<std::result::Result<u64, String>>> {
        let mapping = IdMapping::for_current_user()?;
        if !mapping.has_range() {
            anyhow::bail!("no subordinate id range to read it with");
        }
        let mut answer = Vec::new();
        run(&mapping, &job, None, Some(&mut answer))?;
        let sizes: Vec<std::result::Result<u64, String>> =
            serde_json::from_slice(&answer).context("reading the helper's disk usage answer")?;
        if sizes.len() != denied.len() {
            anyhow::bail!(
                "the helper counted {} of {} paths",
                sizes.len(),
                denied.len()
            );
        }
        Ok(sizes)
    })();
    match counted {
        Ok(sizes) => {
            for (&i, r) in denied.iter().zip(sizes) {
                out[i] = r.map_err(|e| anyhow!(e));
            }
        }
        Err(e) => {
            for &i in &denied {
                let first = std::mem::replace(&mut out[i], Ok(0)).unwrap_err();
                out[i] = Err(anyhow!(
                    "counting `{}`: {first}; through the user namespace: {e:#}",
                    paths[i].display()
                ));
            }
        }
    }
    out
}

/// `layer::disk_usage`, with a path that is gone counted as 0.
fn usage_or_zero(p: &Path) -> io::Result<u64> {
    match layer::disk_usage(p) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
        r => r,
    }
}

/// `berth __helper`: enters the user namespace, does the job the parent
/// sends and answers. Returns the exit code.
pub fn serve() -> i32 {
    let entered = match std::env::var_os(JOIN_ENV) {
        Some(v) => join(&v).map(|(chan, root)| (chan, Some(root))),
        None => userns::enter().map(|chan| (chan, None)),
    };
    let (chan, joined) = match entered {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let _ = crate::logger::init(None);
    let result = read_line(&chan, MAX_JOB)
        .context("reading the job")
        .and_then(|job| work(job, joined));
    let reply = match &result {
        Ok(()) => Reply::Done,
        Err(e) => Reply::Failed {
            error: format!("{e:#}"),
        },
    };
    // Best effort: if berth is gone, so is the point.
    let _ = write_line(&chan, &reply);
    match result {
        Ok(()) => 0,
        Err(e) => fail(&e),
    }
}

fn fail(e: &anyhow::Error) -> i32 {
    eprintln!("berth: {}", crate::term::escape(&format!("{e:#}")));
    125
}

/// The helper's side of [`run_joined`]: joins the user namespace of the
/// process behind the inherited pidfd (single-threaded, first thing in
/// main, as setns(CLONE_NEWUSER) requires), becomes its root and opens the
/// process's root directory while the pidfd shows the process alive.
/// The mount namespace is not joined: the root fd reaches the container's
/// mounts from here, and nothing of the container's can see this process
/// (it is not in the container's pid namespace).
fn join(v: &OsStr) -> Result<(UnixStream, std::os::fd::OwnedFd)> {
    use crate::sys::ns::take_inherited_fd;
    let v = v.to_string_lossy();
    let nums: Vec<i32> = v.split(',').filter_map(|n| n.parse().ok()).collect();
    let [sock, pidfd, pid] = nums[..] else {
        anyhow::bail!("{JOIN_ENV}: bad value `{v}`");
    };
    let chan = UnixStream::from(take_inherited_fd(sock).context("the helper's socket")?);
    let pidfd = crate::sys::pidfd::PidFd::from_owned(
        take_inherited_fd(pidfd).context("the container's pidfd")?,
    );
    nix::sched::setns(&pidfd, nix::sched::CloneFlags::CLONE_NEWUSER)
        .context("joining the container's user namespace")?;
    let root = nix::unistd::Gid::from_raw(0);
    nix::unistd::setresgid(root, root, root).context("setresgid(0) in the container")?;
    let root = nix::unistd::Uid::from_raw(0);
    nix::unistd::setresuid(root, root, root).context("setresuid(0) in the container")?;
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
        .context("setting the parent-death signal")?;
    let dir = nix::fcntl::open(
        format!("/proc/{pid}/root").as_str(),
        nix::fcntl::OFlag::O_PATH | nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .with_context(|| format!("opening the root of the container's process {pid}"))?;
    // Signal 0 checks only that the pidfd's process is still there: then
    // /proc/PID above was that process, not a later one with its pid.
    pidfd
        .kill(0)
        .with_context(|| format!("the container's process {pid} is gone"))?;
    // Until its pivot_root the container's process has the host's root: a
    // copy through it would land on the host (as the user; still the wrong
    // place). `exec` refuses that moment the same way.
    let ours = crate::sys::fs::id_of(dir.as_fd()).context("reading the container's root")?;
    if ours == crate::sys::fs::root_id().context("reading the host's root")? {
        anyhow::bail!("the container is still starting: try again once it runs");
    }
    Ok((chan, dir))
}

/// The root of a container as `root` says to reach it.
fn container_root(
    root: &ContainerRoot,
    joined: Option<std::os::fd::OwnedFd>,
) -> Result<std::os::fd::OwnedFd> {
    use nix::mount::{MsFlags, mount};
    match root {
        ContainerRoot::Running { .. } => {
            joined.context("the helper did not join the container (internal error)")
        }
        ContainerRoot::Overlay {
            layers_dir,
            lowerdirs,
            upper,
            work,
            target,
            writable,
        } => {
            // Our own mount namespace, private: the overlay is seen by
            // this process only and goes with it.
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)
                .context("unshare(CLONE_NEWNS)")?;
            mount(
                None::<&str>,
                "/",
                None::<&str>,
                MsFlags::MS_REC | MsFlags::MS_PRIVATE,
                None::<&str>,
            )
            .context("making the helper's mounts private")?;
            // Relative lowerdirs keep the mount data under one page, as the
            // runtime mounts them.
            std::env::set_current_dir(layers_dir)
                .with_context(|| format!("entering `{}`", layers_dir.display()))?;
            let (data, flags) = if *writable {
                let data = crate::sys::mount::overlay_data(lowerdirs, Some((upper, work)), "");
                (data, MsFlags::empty())
            } else {
                let mut lower = vec![upper.to_string_lossy().into_owned()];
                lower.extend(lowerdirs.iter().cloned());
                let data = crate::sys::mount::overlay_data(&lower, None, "");
                (data, MsFlags::MS_RDONLY)
            };
            mount(
                Some("overlay"),
                target,
                Some("overlay"),
                flags,
                Some(data.as_str()),
            )
            .context("mounting the container's layers")?;
            nix::fcntl::open(
                target,
                nix::fcntl::OFlag::O_PATH
                    | nix::fcntl::OFlag::O_DIRECTORY
                    | nix::fcntl::OFlag::O_CLOEXEC,
                nix::sys::stat::Mode::empty(),
            )
            .with_context(|| format!("opening `{}`", target.display()))
        }
    }
}

/// Does `job`, as root of the user namespace.
fn work(job: Job, joined: Option<std::os::fd::OwnedFd>) -> Result<()> {
    match job {
        Job::Container { root, op } => {
            let dir = container_root(&root, joined)?;
            match op {
                RootOp::Pack {
                    path,
                    dest,
                    follow,
                    ids_from_xattrs,
                } => {
                    let stdout = io::stdout();
                    let mut out = io::BufWriter::with_capacity(1 << 20, stdout.lock());
                    let opts = layer::PackOptions {
                        follow,
                        ids_from_xattrs,
                    };
                    layer::pack(dir.as_fd(), &path, &dest, &opts, &mut out)?;
                    out.flush()?;
                    Ok(())
                }
                RootOp::Unpack {
                    path,
                    source,
                    owner,
                    ids_in_xattrs,
                } => {
                    let ownership = if ids_in_xattrs {
                        Ownership::Xattr
                    } else {
                        Ownership::Preserve
                    };
                    let stdin = io::stdin();
                    let mut input = stdin.lock();
                    layer::unpack_at(dir.as_fd(), &path, source, ownership, owner, &mut input)?;
                    io::copy(&mut input, &mut io::sink()).context("reading the tar")?;
                    Ok(())
                }
            }
        }
        Job::Unpack { dir, work_lock } => {
            let _work = crate::layout::flock(&work_lock, false)?;
            let stdin = io::stdin();
            let mut input = stdin.lock();
            layer::apply(
                &mut input,
                &dir,
                &ApplyOptions {
                    ownership: Ownership::Preserve,
                },
            )?;
            io::copy(&mut input, &mut io::sink()).context("reading layer tar")?;
            Ok(())
        }
        Job::Remove { path } => {
            layer::remove_tree(&path).with_context(|| format!("removing `{}`", path.display()))
        }
        Job::DiskUsage { paths } => {
            let sizes: Vec<std::result::Result<u64, String>> = paths
                .iter()
                .map(|p| usage_or_zero(p).map_err(|e| format!("counting `{}`: {e}", p.display())))
                .collect();
            let stdout = io::stdout();
            let mut out = stdout.lock();
            serde_json::to_writer(&mut out, &sizes)?;
            out.flush()?;
            Ok(())
        }
        Job::Copy { upper, ops } => layer::apply_copy(&upper, &ops),
        Job::Diff { upper, epoch } => {
            let same = |u: u32, g: u32| (u, g);
            let stdout = io::stdout();
            let mut out = io::BufWriter::with_capacity(1 << 20, stdout.lock());
            layer::diff(
                &upper,
                &mut out,
                &DiffOptions {
                    owner: &same,
                    epoch,
                },
            )?;
            out.flush()?;
            Ok(())
        }
        Job::Changes { upper, lowers } => {
            let list = layer::changes(&upper, &lowers)?;
            let stdout = io::stdout();
            let mut out = stdout.lock();
            serde_json::to_writer(&mut out, &list)?;
            out.flush()?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `v` sent from one end of a socket pair and read at the other, as
    /// the parent sends a job and the helper its reply.
    /// A path from bytes that are not UTF-8 (`\xNN` in `s` is that byte).
    fn not_utf8(s: &str) -> PathBuf {
        use std::os::unix::ffi::OsStringExt;
        let mut out = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') {
                out.push(u8::from_str_radix(&s[i + 2..i + 4], 16).unwrap());
                i += 4;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        PathBuf::from(std::ffi::OsString::from_vec(out))
    }

    fn round_trip<T: Serialize + DeserializeOwned>(v: &T) -> T {
        let (a, b) = UnixStream::pair().unwrap();
        write_line(&a, v).unwrap();
        read_line(&b, MAX_JOB).unwrap()
    }

    #[test]
    fn every_job_survives_the_socket() {
        let jobs = [
            Job::Unpack {
                dir: "/r/layers/.tmp-x".into(),
                work_lock: "/r/work.lock".into(),
            },
            Job::Remove {
                path: "/r/containers/c\nwith a newline".into(),
            },
            Job::Copy {
                upper: "/r/layers/.tmp-u".into(),
                ops: vec![CopyOp {
                    src: not_utf8("/ctx/a b\\xfe"),
                    dst: "app/a".into(),
                    contents: true,
                    owner: Some((1000, 1000)),
                    chmod: Some("u+x".into()),
                    skip: vec!["/ctx/a b/.git".into(), not_utf8("/ctx/a b/sec\\xff")],
                    keep_owner: false,
                }],
            },
            Job::Diff {
                upper: "/r/layers/.tmp-u".into(),
                epoch: Some(0),
            },
            Job::Diff {
                upper: "/u".into(),
                epoch: None,
            },
            Job::Changes {
                upper: "/r/containers/c/upper".into(),
                lowers: vec!["/r/layers/a".into(), not_utf8("/r/layers/\\xff")],
            },
        ];
        for job in jobs {
            assert_eq!(round_trip(&job), job);
        }
    }

    #[test]
    fn replies_survive_the_socket() {
        for r in [
            Reply::Done,
            Reply::Failed {
                error: "removing `/x`: permission denied\nsecond line".into(),
            },
        ] {
            assert_eq!(round_trip(&r), r);
        }
    }

    #[test]
    fn a_job_names_its_kind() {
        let line = serde_json::to_string(&Job::Remove { path: "/p".into() }).unwrap();
        assert_eq!(line, r#"{"job":"remove","path":[47,112]}"#);
    }

    #[test]
    fn a_root_that_is_not_utf8_survives_the_socket() {
        use std::os::unix::ffi::OsStrExt;
        let path = PathBuf::from(OsStr::from_bytes(b"/r\xff/layers/x"));
        let job = Job::Remove { path };
        assert_eq!(round_trip(&job), job);
    }
}
