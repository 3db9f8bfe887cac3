//! The container's side: runs in the cloned child, inside the new
//! namespaces, from the handshake to execve. Every failure is sent to the
//! monitor as one message and the child exits; nothing here prints.

use super::rootfs::{self, EtcFile};
use super::spec::Spec;
use anyhow::{Context, Result};
use nix::errno::Errno;
use nix::sys::signal::{SigSet, SigmaskHow, sigprocmask};
use nix::unistd::{Gid, Uid};
use std::ffi::CString;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// What the child reports before execve; EOF on the pipe means exec succeeded.
pub enum Message {
    /// Setup failed: the text is the whole error chain.
    Setup(String),
    /// execve (or finding the executable) failed with this errno.
    Exec(i32, String),
}

impl Message {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Message::Setup(t) => format!("S{t}").into_bytes(),
            Message::Exec(e, t) => format!("X{e} {t}").into_bytes(),
        }
    }

    pub fn decode(b: &[u8]) -> Option<Message> {
        let s = String::from_utf8_lossy(b);
        match s.split_at_checked(1)? {
            ("S", t) => Some(Message::Setup(t.to_string())),
            ("X", rest) => {
                let (e, t) = rest.split_once(' ')?;
                Some(Message::Exec(e.parse().ok()?, t.to_string()))
            }
            _ => None,
        }
    }
}

pub struct Pipes {
    /// Readable once the monitor has written our id maps (and set up the network).
    pub go: OwnedFd,
    /// Close-on-exec: reaches EOF in the monitor when execve succeeds.
    pub report: OwnedFd,
}

/// The clone callback. Never returns on success (execve replaces us).
pub fn main(
    spec: &Spec,
    etc: &[EtcFile],
    pipes: Pipes,
    before_exec: &dyn Fn() -> Result<()>,
) -> isize {
    let msg = match setup(spec, etc, &pipes, before_exec) {
        Ok(m) => m,
        Err(e) => Message::Setup(format!("{e:#}")),
    };
    let _ = std::fs::File::from(pipes.report).write_all(&msg.encode());
    125
}

fn setup(
    spec: &Spec,
    etc: &[EtcFile],
    pipes: &Pipes,
    before_exec: &dyn Fn() -> Result<()>,
) -> Result<Message> {
    let mut go = [0u8; 1];
    let n = std::fs::File::from(pipes.go.try_clone()?).read(&mut go)?;
    if n == 0 {
        // The monitor gave up (mapping failed); it reports why.
        std::process::exit(125);
    }
    nix::unistd::sethostname(&spec.hostname).context("setting the hostname")?;
    if spec.new_netns {
        // Our own namespace starts with `lo` down (pasta brings it up too;
        // for --network none this is the only setup).
        super::network::loopback_up()?;
    }
    rootfs::setup(spec, etc)?;
    if let Err(e) = std::env::set_current_dir(&spec.cwd) {
        std::fs::create_dir_all(&spec.cwd)
            .and_then(|_| std::env::set_current_dir(&spec.cwd))
            .with_context(|| format!("changing to the working directory `{}`: {e}", spec.cwd))?;
    }
    for l in &spec.rlimits {
        let r = libc::rlimit {
            rlim_cur: l.soft,
            rlim_max: l.hard,
        };
        crate::sys::process::setrlimit(l.resource, &r).context("setting a ulimit")?;
    }
    before_exec()?;
    super::caps::drop_bounding(&spec.caps)?;
    if spec.has_id_range {
        let groups: Vec<Gid> = spec.groups.iter().map(|g| Gid::from_raw(*g)).collect();
        nix::unistd::setgroups(&groups).context("setting supplementary groups")?;
    }
    let (uid, gid) = (Uid::from_raw(spec.uid), Gid::from_raw(spec.gid));
    nix::unistd::setresgid(gid, gid, gid).with_context(|| format!("setting gid {}", spec.gid))?;
    nix::unistd::setresuid(uid, uid, uid).with_context(|| format!("setting uid {}", spec.uid))?;
    super::caps::apply(&spec.caps, spec.uid)?;
    // The container dies with its monitor, even a kill -9'd one (a systemd
    // unit's main process, a shell pipeline). Set after the id change, which
    // clears it.
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
        .context("setting the parent-death signal")?;
    if spec.no_new_privs {
        nix::sys::prctl::set_no_new_privs().context("setting no_new_privs")?;
    }
    let path = spec
        .env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or(super::spec::DEFAULT_PATH);
    let exe = match find_executable(&spec.args[0], path) {
        Ok(p) => p,
        Err(errno) => return Ok(Message::Exec(errno as i32, spec.args[0].clone())),
    };
    let argv: Vec<CString> = spec
        .args
        .iter()
        .map(|a| cstring(a))
        .collect::<Result<_>>()?;
    let envp: Vec<CString> = spec.env.iter().map(|a| cstring(a)).collect::<Result<_>>()?;
    let exe_c = CString::new(exe.as_os_str().as_bytes())?;
    // Last: after this only execve (and, for --init, the reaper's few calls) is certain to be allowed.
    super::seccomp::install(&spec.seccomp)?;
    if spec.init
        && let Some(pid) =
            crate::sys::process::fork().context("starting the command under --init")?
    {
        // We are pid 1: the command's exec result reaches the monitor through
        // its copy of the report pipe; ours must close.
        // The process exits from the reaper, so the OwnedFd is never dropped twice.
        let _ = nix::unistd::close(std::os::fd::AsRawFd::as_raw_fd(&pipes.report));
        super::init::reap_and_forward(pid);
    }
    sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)?;
    let errno = nix::unistd::execve(&exe_c, &argv, &envp).unwrap_err();
    Ok(Message::Exec(errno as i32, spec.args[0].clone()))
}

fn cstring(s: &str) -> Result<CString> {
    CString::new(s).with_context(|| format!("`{s}` contains a NUL byte"))
}

/// PATH lookup as execvp does it, in the container's root with its PATH.
fn find_executable(cmd: &str, path: &str) -> Result<PathBuf, Errno> {
    if cmd.is_empty() {
        return Err(Errno::ENOENT);
    }
    if cmd.contains('/') {
        return check_exec(Path::new(cmd)).map(|_| PathBuf::from(cmd));
    }
    let mut seen_eacces = false;
    for dir in path.split(':') {
        let dir = if dir.is_empty() { "." } else { dir };
        let p = Path::new(dir).join(cmd);
        match check_exec(&p) {
            Ok(()) => return Ok(p),
            Err(Errno::EACCES) => seen_eacces = true,
            Err(_) => {}
        }
    }
    Err(if seen_eacces {
        Errno::EACCES
    } else {
        Errno::ENOENT
    })
}

fn check_exec(p: &Path) -> Result<(), Errno> {
    let meta = std::fs::metadata(p)
        .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::ENOENT)))?;
    if meta.is_dir() {
        return Err(Errno::EACCES);
    }
    nix::unistd::access(p, nix::unistd::AccessFlags::X_OK)
}
