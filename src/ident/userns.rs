//! A helper child of berth in a new user namespace with the mapping containers use.
//!
//! Some file work must happen as root inside the container's user namespace: extracting a
//! layer so files get their mapped owners as they are written, deleting a tree owned by
//! subordinate ids. berth may be multithreaded by then, so it does not fork and carry on;
//! it re-executes itself (`/proc/self/exe`) with a hidden subcommand, and the new process,
//! single-threaded at the top of main, calls [`enter`].
//!
//! Protocol over a socketpair whose child end is inherited at the number given in
//! `BERTH_USERNS_SYNC_FD` (cf. bubblewrap's `child_wait_fd`, youki's `WriteMapping`):
//!
//! ```text
//! child                               parent
//! unshare(CLONE_NEWUSER)
//! "ready\n"  (or "error <why>\n")  ->
//!                                     newuidmap/newgidmap PID … (or /proc/PID/*_map)
//!                                 <-  "go\n"  (or close: the child's read sees EOF)
//! setresgid(0), setresuid(0)
//! ```
//!
//! The socket stays open after "go": [`spawn`] and [`enter`] hand it to their callers, who
//! speak their own protocol over it (the helper's job and its reply).
//!
//! The child maps nothing itself: only the parent, in the parent namespace, may write maps
//! with the setuid helpers. No exec happens after unshare, so the child keeps the full
//! capability set the kernel grants the creator of a user namespace.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use nix::errno::Errno;
use nix::sched::CloneFlags;
use nix::unistd::{Gid, Uid};

use super::idmap::IdMapping;

/// Names the inherited sync fd in the helper's environment.
pub const SYNC_FD_ENV: &str = "BERTH_USERNS_SYNC_FD";

/// How long the parent waits for "ready": exec plus dynamic loading on a loaded machine.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// `/proc/self/exe` with `args` (the caller's hidden subcommand). The caller sets stdio,
/// environment and working directory, then passes the command to [`spawn`].
pub fn helper_command(args: &[&OsStr]) -> Command {
    let mut cmd = Command::new("/proc/self/exe");
    // Show as "berth …" in ps rather than "/proc/self/exe …".
    cmd.arg0("berth").args(args);
    cmd
}

/// Parent side: start `cmd` (from [`helper_command`]), wait until it has unshared its user
/// namespace, write `mapping` for it, let it continue, and return it running with our end
/// of the sync socket (its timeout cleared). If it dies or fails before it is ready, or the
/// maps cannot be written, it is killed and reaped.
pub fn spawn(mut cmd: Command, mapping: &IdMapping) -> anyhow::Result<(Child, UnixStream)> {
    let (sync, child_end) =
        UnixStream::pair().context("creating the userns helper's sync socket")?;
    let fd = child_end.as_raw_fd();
    cmd.env(SYNC_FD_ENV, fd.to_string());
    crate::sys::ns::keep_fd_on_exec(&mut cmd, fd);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting userns helper {:?}", cmd.get_program()))?;
    // Our copy of the child's end must go, or a dead child would never read as EOF.
    drop(child_end);
    match handshake(&sync, &mut child, mapping) {
        Ok(()) => Ok((child, sync)),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(e)
        }
    }
}

fn handshake(sync: &UnixStream, child: &mut Child, mapping: &IdMapping) -> anyhow::Result<()> {
    let pid = child.id();
    sync.set_read_timeout(Some(READY_TIMEOUT))
        .context("setting the userns helper's sync timeout")?;
    let mut line = String::new();
    let read = BufReader::new(sync).read_line(&mut line);
    match (read, line.trim_end()) {
        (Ok(_), "ready") => {}
        (Ok(_), msg) if msg.starts_with("error ") => {
            bail!("userns helper (pid {pid}): {}", &msg["error ".len()..])
        }
        (Ok(0), _) => {
            // EOF: it exited (or exec'd something else) before unsharing.
            let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
            bail!("userns helper (pid {pid}) exited before it was ready: {status}")
        }
        (Ok(_), msg) => bail!("userns helper (pid {pid}) sent {msg:?} instead of \"ready\""),
        (Err(e), _)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            bail!(
                "userns helper (pid {pid}) was not ready within {}s",
                READY_TIMEOUT.as_secs()
            )
        }
        (Err(e), _) => {
            return Err(e).with_context(|| format!("waiting for userns helper (pid {pid})"));
        }
    }
    mapping
        .write_for(pid)
        .with_context(|| format!("writing the id maps of userns helper (pid {pid})"))?;
    let mut w = sync;
    w.write_all(b"go\n")
        .with_context(|| format!("releasing userns helper (pid {pid})"))?;
    sync.set_read_timeout(None)
        .context("clearing the userns helper's sync timeout")?;
    Ok(())
}

/// Child side: call first thing in the hidden subcommand, before any thread starts.
/// Returns once this process is uid 0 and gid 0 in a new user namespace whose maps the
/// parent has written, holding every capability there, with its end of the sync socket.
pub fn enter() -> anyhow::Result<UnixStream> {
    static ENTERED: AtomicBool = AtomicBool::new(false);
    if ENTERED.swap(true, Ordering::SeqCst) {
        bail!("userns::enter called twice");
    }
    let raw = std::env::var(SYNC_FD_ENV).with_context(|| {
        format!("{SYNC_FD_ENV} is not set: this subcommand is internal to berth")
    })?;
    let fd = raw
        .parse()
        .with_context(|| format!("{SYNC_FD_ENV}: bad fd number `{raw}`"))?;
    let sync = UnixStream::from(
        crate::sys::ns::take_inherited_fd(fd).with_context(|| format!("{SYNC_FD_ENV}: fd {fd}"))?,
    );
    let mut w = &sync;
    if let Err(e) = nix::sched::unshare(CloneFlags::CLONE_NEWUSER) {
        let err = unshare_error(e);
        // Best effort: the parent reports our message; if it is gone, so is the point.
        let _ = writeln!(w, "error {err:#}");
        return Err(err);
    }
    w.write_all(b"ready\n")
        .context("telling berth the user namespace is ready")?;
    // Exactly "go\n" and not a byte more: what follows on the socket is the caller's.
    let mut go = Vec::with_capacity(3);
    (&sync)
        .take(3)
        .read_to_end(&mut go)
        .context("waiting for berth to write the id maps")?;
    if go != b"go\n" {
        let line = String::from_utf8_lossy(&go);
        bail!("berth did not write the id maps (it sent {line:?}); giving up");
    }
    // The maps are in place. Become root of the namespace for real, not just by capability,
    // so files we create are owned by container 0 and setresuid(0)→(0) keeps capabilities.
    // gid first: after setresuid a failure could not be retried with privileges.
    let root_gid = Gid::from_raw(0);
    nix::unistd::setresgid(root_gid, root_gid, root_gid)
        .context("setresgid(0) in the user namespace (is container gid 0 mapped?)")?;
    let root_uid = Uid::from_raw(0);
    nix::unistd::setresuid(root_uid, root_uid, root_uid)
        .context("setresuid(0) in the user namespace (is container uid 0 mapped?)")?;
    // The helper's work is berth's: it must not go on writing into the store
    // after a kill -9 of berth (prune could be cleaning up meanwhile).
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
        .context("setting the parent-death signal")?;
    Ok(sync)
}

fn unshare_error(e: Errno) -> anyhow::Error {
    let why = match e {
        Errno::EPERM | Errno::ENOSPC => {
            "the kernel does not allow unprivileged user namespaces here \
             (on Debian: `sysctl kernel.unprivileged_userns_clone=1`; \
             check `sysctl user.max_user_namespaces` > 0)"
        }
        Errno::EINVAL => "the process already runs threads; enter() must come first in main",
        _ => "",
    };
    let err = anyhow!(e).context("unshare(CLONE_NEWUSER)");
    if why.is_empty() {
        err
    } else {
        anyhow!("{err:#}: {why}")
    }
}
