//! The container's side: runs in the cloned child, inside the new
//! namespaces, from the handshake to execve. Every failure is sent to the
//! monitor as one message and the child exits; nothing here prints.

use super::plan::{DEFAULT_PATH, Plan};
use super::rootfs;
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
pub fn main(spec: &Plan<'_>, pipes: Pipes, before_exec: &dyn Fn() -> Result<()>) -> isize {
    let msg = match setup(spec, &pipes, before_exec) {
        Ok(m) => m,
        Err(e) => Message::Setup(format!("{e:#}")),
    };
    let _ = std::fs::File::from(pipes.report).write_all(&msg.encode());
    125
}

fn setup(spec: &Plan<'_>, pipes: &Pipes, before_exec: &dyn Fn() -> Result<()>) -> Result<Message> {
    let mut go = [0u8; 1];
    let n = std::fs::File::from(pipes.go.try_clone()?).read(&mut go)?;
    if n == 0 {
        // The monitor gave up (mapping failed); it reports why.
        std::process::exit(125);
    }
    crate::logger::phase("child.go");
    // From here until execve this is berth's code inside the container:
    // nothing there may ptrace it, read its memory, or open /proc/PID/exe
    // (the host's berth binary). Not before "go": the monitor's newuidmap
    // and pasta need /proc/PID of this process until then.
    nix::sys::prctl::set_dumpable(false).context("making berth's side non-dumpable")?;
    // A session of its own, with no controlling terminal: the container's
    // stdio may be the caller's terminal, and TIOCSTI on the caller's
    // controlling terminal would type commands into the caller's shell.
    // (`-t` then makes its own pty the controlling terminal.)
    nix::unistd::setsid().context("starting the container's session")?;
    nix::unistd::sethostname(&spec.hostname).context("setting the hostname")?;
    if spec.new_netns {
        // Our own namespace starts with `lo` down (pasta brings it up too;
        // for --network none this is the only setup).
        super::network::loopback_up()?;
    }
    rootfs::setup(spec)?;
    crate::logger::phase("child.mounts");
    // "/" is the container's root now: only files beneath it may ever be
    // executed in here (see binary_guard for the attack this closes).
    let root = std::fs::File::open("/").context("opening the container root")?;
    super::binary_guard::confine_exec(&root)?;
    // Resolved in the root without magic links, made when missing, entered
    // by fchdir: a WORKDIR of `/proc/self/fd/N` naming a directory fd this
    // process still holds (the caller's, open until the exec) would
    // otherwise start the container in a host directory (CVE-2024-21626).
    rootfs::container_path(std::path::Path::new(&spec.cwd), true)
        .and_then(|fd| Ok(nix::unistd::fchdir(&fd)?))
        .with_context(|| format!("changing to the working directory `{}`", spec.cwd))?;
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
    crate::logger::phase("child.ids-caps");
    // The container dies with its monitor, even a kill -9'd one (a systemd
    // unit's main process, a shell pipeline). Set after the id change, which
    // clears it, as it resets dumpable (to fs.suid_dumpable): set both again.
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
        .context("setting the parent-death signal")?;
    nix::sys::prctl::set_dumpable(false).context("making berth's side non-dumpable")?;
    if spec.no_new_privs {
        nix::sys::prctl::set_no_new_privs().context("setting no_new_privs")?;
    }
    let path = spec
        .env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH);
    let exe = match find_executable(&root, &spec.args[0], path) {
        Ok(p) => p,
        Err(errno) => return Ok(Message::Exec(errno as i32, spec.args[0].clone())),
    };
    drop(root);
    let argv: Vec<CString> = spec
        .args
        .iter()
        .map(|a| cstring(a))
        .collect::<Result<_>>()?;
    let envp: Vec<CString> = spec.env.iter().map(|a| cstring(a)).collect::<Result<_>>()?;
    let exe_c = CString::new(exe.as_os_str().as_bytes())?;
    // Nothing of the caller's or of berth's reaches the container but fds
    // 0-2 and the `--preserve-fds` ones (CVE-2024-21626: an inherited
    // directory fd is a way out of the root). Close-on-exec rather than
    // close: the report pipe must live until the exec succeeds.
    let keep = 3 + spec.preserve_fds;
    for fd in 3..keep {
        crate::sys::process::keep_on_exec(fd as i32)
            .with_context(|| format!("passing fd {fd} (--preserve-fds)"))?;
    }
    crate::sys::process::cloexec_from(keep).context("closing inherited fds")?;
    // The container starts with every signal at its default action, as from
    // a fresh shell, not as berth or its caller left them (SIGPIPE ignored).
    crate::sys::process::reset_signal_dispositions();
    // Last: after this only execve (and, for --init, the reaper's few calls) is certain to be allowed.
    crate::logger::phase("child.exec-lookup");
    super::seccomp::install(spec.seccomp)?;
    // The trace's one write under the filter: refused, it is dropped (a
    // profile that kills on write would kill the command's first one too).
    crate::logger::phase("child.seccomp");
    // --init: pid 1 stays berth's code for the container's life and must show
    // no trace of the caller's environment or of berth's arguments. Wiped
    // before the fork, not after: the command would otherwise be running
    // (and reading /proc/1/cmdline) before the reaper got to it. argv and
    // envp above are copies, so the exec below does not need the originals.
    if spec.init {
        let _ = crate::sys::process::wipe_initial_args_and_environ("berth-init");
    }
    if spec.init
        && let Some(pid) =
            crate::sys::process::fork().context("starting the command under --init")?
    {
        // The reaper keeps no fd but the container's stdio (the report pipe
        // held open would keep the monitor waiting for ever). Exits from the
        // reaper, so no OwnedFd is dropped twice.
        let _ = crate::sys::process::close_from(3);
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
///
/// Each candidate must resolve inside `root` without a /proc magic link
/// (openat2 RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS): an entrypoint of
/// `/proc/self/exe`, or a symlink to it, would otherwise run the host's berth
/// binary in the container (CVE-2019-5736). The exec itself then goes by the
/// same path, not by fd: execveat(fd) names scripts `/dev/fd/N` in their
/// interpreter's argv and, before Linux 6.14, the process `N` in `comm`.
/// What the kernel resolves itself — a `#!` interpreter, PT_INTERP, a path
/// swapped after this check — is held to the container root by Landlock.
pub(super) fn find_executable(
    root: &std::fs::File,
    cmd: &str,
    path: &str,
) -> Result<PathBuf, Errno> {
    if cmd.is_empty() {
        return Err(Errno::ENOENT);
    }
    if cmd.contains('/') {
        return check_exec(root, Path::new(cmd)).map(|_| PathBuf::from(cmd));
    }
    let mut seen = None;
    for dir in path.split(':') {
        let dir = if dir.is_empty() { "." } else { dir };
        let p = Path::new(dir).join(cmd);
        match check_exec(root, &p) {
            Ok(()) => return Ok(p),
            // execvp reports EACCES over ENOENT; a magic link over both.
            Err(e @ Errno::ELOOP) => seen = Some(e),
            Err(Errno::EACCES) if seen.is_none() => seen = Some(Errno::EACCES),
            Err(_) => {}
        }
    }
    Err(seen.unwrap_or(Errno::ENOENT))
}

fn check_exec(root: &std::fs::File, p: &Path) -> Result<(), Errno> {
    // Relative names (`./run.sh`, an empty PATH entry) start at the working
    // directory, which is inside the root.
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().map_err(|_| Errno::ENOENT)?.join(p)
    };
    let c = CString::new(abs.as_os_str().as_bytes()).map_err(|_| Errno::ENOENT)?;
    let fd = crate::sys::fs::openat2(
        std::os::fd::AsFd::as_fd(root),
        &c,
        libc::O_PATH,
        0,
        crate::sys::fs::RESOLVE_IN_ROOT | crate::sys::fs::RESOLVE_NO_MAGICLINKS,
    )
    .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::ENOENT)))?;
    if nix::sys::stat::fstat(&fd)?.st_mode & libc::S_IFMT == libc::S_IFDIR {
        return Err(Errno::EACCES);
    }
    nix::unistd::access(p, nix::unistd::AccessFlags::X_OK)
}
