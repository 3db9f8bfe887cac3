//! `berth exec`: one more process in a running container, with the
//! container's confinement. Takes the container's spec and extensions and
//! its recorded pid 1; knows nothing of where they were stored.
//!
//! Three processes, because joining a pid namespace only applies to
//! children (setns(2)):
//!
//! ```text
//! berth exec (host namespaces): checks pid 1 is the recorded process and past its setup,
//!   │                           then relays the pty, forwards signals, waits, exits with the status
//!   └─ joiner: setns(pidfd of pid 1, user|mnt|pid|uts|ipc[|net|cgroup]); checks "/" is
//!      │       the container's; clone(CLONE_PARENT) so the command is berth's child; exits
//!      └─ the command: berth's code inside the container until execve — ids, capabilities,
//!                      no_new_privs, Landlock, seccomp as the container's own process
//! ```
//!
//! The joiner never enters the container's pid namespace, so nothing in the
//! container can see it. The command's side is visible from the moment it
//! exists, and is berth's code until its execve: it is non-dumpable from
//! before the setns (nothing in the container may ptrace it, read its
//! memory or open `/proc/PID/exe`, the host's berth binary, CVE-2019-5736),
//! and no fd of berth's or its caller's survives the exec (CVE-2024-21626):
//! the working directory is opened beneath the container's root without
//! magic links, never inherited, and every fd above 2 is close-on-exec.
//!
//! pid 1 is joined only once its own setup is over: before pivot_root its
//! mount namespace still holds the host's root. Its exec ends that setup.
//! With `--init`, pid 1 stays berth's non-dumpable reaper, which a setns
//! through its pidfd may not name: the command it forked is joined instead,
//! once that has executed.

use super::child::{Message, find_executable};
use super::extensions::Extensions;
use super::monitor::{self, ExecFailure, FORWARDED, KillOnDrop, REPORT_MAX};
use super::plan::{DEFAULT_PATH, Plan};
use super::{binary_guard, caps, pty, seccomp};
use crate::container::Process;
use crate::sys::fs::{RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, openat2};
use crate::sys::pidfd::PidFd;
use anyhow::{Context, Result, anyhow, bail};
use nix::sched::CloneFlags;
use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::wait::waitpid;
use nix::unistd::{Gid, Pid, Uid};
use oci_spec::runtime::Spec;
use std::ffi::CString;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixStream;

/// What to run, and how, beside what the container's spec says.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub args: Vec<String>,
    /// The whole environment: the container's, with `-e`/`--env-file` applied.
    pub env: Vec<String>,
    /// `-u USER[:GROUP]`, looked up in the container's /etc/passwd and
    /// /etc/group; else the container's user.
    pub user: Option<String>,
    /// With `-u`: HOME becomes that user's home (unless `-e HOME=…` set it).
    pub home_from_user: bool,
    /// `-w`: else the spec's working directory.
    pub workdir: Option<String>,
    /// Every capability the container's user namespace allows, as podman.
    pub privileged: bool,
    /// `--preserve-fds N`: fds 3..3+N stay open in the command.
    pub preserve_fds: u32,
    /// `-t`: a pty from the container's devpts.
    pub tty: bool,
    /// `-i`: relay stdin.
    pub interactive: bool,
    /// `-d`: return once the command has started; its stdio is /dev/null.
    pub detach: bool,
    /// The command's stdout and stderr go to this fd (its stdin is
    /// /dev/null): a healthcheck's output.
    pub capture: Option<std::os::fd::RawFd>,
    /// Killed (SIGKILL) when it runs longer: the code is then [`TIMED_OUT`].
    pub timeout: Option<std::time::Duration>,
}

/// The exit code [`run`] gives a command killed at its `timeout`.
pub const TIMED_OUT: i32 = -1;

/// Runs `o` in the container whose pid 1 is `target`: the command's exit
/// code (128+N for signal N; 0 at once with `detach`), or why it could not
/// be started (126/127 with the message).
pub fn run(
    spec: &Spec,
    ext: &Extensions,
    target: Process,
    o: &Options,
) -> Result<Result<i32, ExecFailure>> {
    if o.args.is_empty() {
        bail!("no command given");
    }
    if o.detach && (o.tty || o.interactive) {
        bail!("--detach cannot keep a terminal or stdin: nothing would be left to relay them");
    }
    let plan = Plan::new(spec, ext).context("reading the container's spec")?;
    let join = joinable(target, plan.init)?;
    // Opened, then checked: a pidfd names one process for good, so once the
    // recorded pid still has the recorded start time after the open, the fd
    // is that process and no later one reusing its pid.
    let pidfd = match PidFd::open(join.pid) {
        Ok(fd) if join.alive() && target.alive() => fd,
        _ => bail!("the container's process has exited"),
    };
    let mut flags = CloneFlags::CLONE_NEWUSER
        | CloneFlags::CLONE_NEWNS
        | CloneFlags::CLONE_NEWPID
        | CloneFlags::CLONE_NEWUTS
        | CloneFlags::CLONE_NEWIPC;
    if plan.new_netns {
        flags |= CloneFlags::CLONE_NEWNET;
    }
    if plan.new_cgroupns && std::path::Path::new("/proc/self/ns/cgroup").exists() {
        flags |= CloneFlags::CLONE_NEWCGROUP;
    }
    let host_root = crate::sys::fs::root_id().context("reading the host's root")?;
    let null = std::fs::File::open("/dev/null").context("opening /dev/null")?;
    let (tty_parent, tty_child) = if o.tty {
        let (p, c) = UnixStream::pair().context("creating the terminal socket")?;
        (Some(p), Some(c))
    } else {
        (None, None)
    };
    let cloexec = nix::fcntl::OFlag::O_CLOEXEC;
    let (rep_r, rep_w) = nix::unistd::pipe2(cloexec)?;
    let (pid_r, pid_w) = nix::unistd::pipe2(cloexec)?;
    let mut mask = SigSet::empty();
    for s in FORWARDED {
        mask.add(*s);
    }
    mask.add(Signal::SIGCHLD);
    mask.add(Signal::SIGWINCH);
    let mut old = SigSet::empty();
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&mask), Some(&mut old))?;
    let result = (|| {
        let side = Side {
            plan: &plan,
            o,
            flags,
            host_root,
            null: null.as_fd(),
            tty: tty_child.as_ref(),
        };
        let joiner = crate::sys::process::clone_child(CloneFlags::empty(), || {
            side.joiner(&pidfd, &pid_w, &rep_w)
        })
        .context("starting the process that joins the container")?;
        // The children have their copies; ours must close or EOF never comes.
        let _ = side;
        drop((pid_w, rep_w, tty_child));
        relay(joiner, pid_r, rep_r, tty_parent.as_ref(), o, &mask)
    })();
    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&old), None);
    result
}

/// The process of a running container whose namespaces and root a joiner
/// (`exec`, `cp` into it) takes: `target`, the container's pid 1, or with
/// `--init` the command berth's reaper forked. Refused while the container
/// is still starting (nothing of its own executed yet).
pub fn joinable(target: Process, init: bool) -> Result<Process> {
    // Joining anything but a pid namespace's init would be a wrong record.
    if !target.alive() {
        bail!("the container's process has exited");
    }
    if !crate::sys::pidfd::is_pid_ns_init(target.pid).unwrap_or(false) {
        bail!(
            "pid {} is not the init of a pid namespace: not joining it",
            target.pid
        );
    }
    // With --init, pid 1 is berth's reaper for good: non-dumpable, so the
    // kernel refuses a setns through it (that needs ptrace read access), and
    // its /proc/PID/root. The command it forked once its setup was over has
    // its namespaces and root.
    let join = if init {
        match init_command(target) {
            Some(p) => p,
            None => bail!("the container is still starting"),
        }
    } else {
        target
    };
    if !executed(join) {
        bail!("the container is still starting");
    }
    // Alive before and after the scan of /proc: its pid was not reused
    // meanwhile, so `join` is the child of this container's reaper and not
    // of a later process with its pid (helper-60).
    if !target.alive() {
        bail!("the container's process has exited");
    }
    Ok(join)
}

/// Whether `p` has executed a program of the container's: until then it is
/// non-dumpable berth code and its exe is refused us (or, before the
/// monitor's go, is berth's own binary). A container's pid 1 execs once
/// berth's setup in it is over.
fn executed(p: Process) -> bool {
    let done = match (
        std::fs::metadata(format!("/proc/{}/exe", p.pid)),
        std::fs::metadata("/proc/self/exe"),
    ) {
        (Ok(t), Ok(me)) => (t.dev(), t.ino()) != (me.dev(), me.ino()),
        _ => false,
    };
    done && p.alive()
}

/// The command `--init`'s reaper (`init`) runs: its oldest child, found in
/// /proc (its `children` file needs the ptrace access we lack). The reaper
/// forks it as the last step of the setup.
fn init_command(init: Process) -> Option<Process> {
    let mut found: Option<Process> = None;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some(f) = crate::sys::pidfd::StatFields::parse(&text) else {
            continue;
        };
        if f.num(4) == Some(init.pid as u64)
            && let Some(start) = f.num(22)
            && found.is_none_or(|p| start < p.start)
        {
            found = Some(Process { pid, start });
        }
    }
    found
}

/// What the joiner and the command need, read before the fork.
struct Side<'a> {
    plan: &'a Plan<'a>,
    o: &'a Options,
    flags: CloneFlags,
    host_root: crate::sys::fs::FileId,
    null: std::os::fd::BorrowedFd<'a>,
    tty: Option<&'a UnixStream>,
}

impl Side<'_> {
    /// The middle process: joins, checks, starts the command as berth's
    /// child, reports its pid, exits.
    fn joiner(&self, pidfd: &PidFd, pid_w: &OwnedFd, report: &OwnedFd) -> isize {
        // Down to what the command's side needs before anything else: an fd
        // the caller left open (a host directory, a host file) would
        // otherwise be reachable in the container through /proc/PID/fd of
        // the command's side until its exec, by any path berth opens there
        // that the container controls (its /dev/ptmx, its /etc/passwd).
        let mut keep: Vec<i32> = (3..3 + self.o.preserve_fds as i32).collect();
        keep.extend([pidfd.as_raw_fd(), pid_w.as_raw_fd(), report.as_raw_fd()]);
        keep.push(self.null.as_raw_fd());
        keep.extend(self.o.capture);
        keep.extend(self.tty.map(|t| t.as_raw_fd()));
        if crate::sys::process::close_all_but(&keep).is_err() {
            return 125;
        }
        match self.join_and_start(pidfd, report) {
            Ok(pid) => match pid_w.try_clone() {
                Ok(fd) => {
                    let _ = std::fs::File::from(fd).write_all(&pid.as_raw().to_le_bytes());
                    0
                }
                // berth then finds no pid and its guard has nothing to kill:
                // the command dies with it (parent-death signal).
                Err(_) => 125,
            },
            Err(e) => {
                let msg = Message::Setup(format!("{e:#}"));
                if let Ok(fd) = report.try_clone() {
                    let _ = std::fs::File::from(fd).write_all(&msg.encode());
                }
                125
            }
        }
    }

    fn join_and_start(&self, pidfd: &PidFd, report: &OwnedFd) -> Result<Pid> {
        // Before the container's processes can see us (ours and, by
        // inheritance, the command's), and never undone by the setns.
        nix::sys::prctl::set_dumpable(false).context("making berth's side non-dumpable")?;
        // The command's side starts as a copy of this memory, and its
        // /proc/PID/cmdline is readable by anyone in the container until its
        // exec: no store path, container name or caller's argument there.
        // This is a copy of berth's memory; berth itself keeps its own.
        let _ = crate::sys::process::wipe_initial_args_and_environ("berth-exec");
        pidfd
            .setns(self.flags)
            .context("joining the container's namespaces")?;
        // The mount namespace's root is the container's once pid 1 has
        // pivoted; a root that is still the host's means we joined too early.
        if crate::sys::fs::root_id()? == self.host_root {
            bail!("the container's root is not set up");
        }
        let mut report = Some(report.try_clone()?);
        crate::sys::process::clone_child(CloneFlags::CLONE_PARENT, || {
            let report = report.take().expect("once");
            let msg = match self.command() {
                Ok(m) => m,
                Err(e) => Message::Setup(format!("{e:#}")),
            };
            let _ = std::fs::File::from(report).write_all(&msg.encode());
            125
        })
        .context("starting the command in the container's pid namespace")
    }

    /// The command's side, in every namespace of the container: the
    /// container child's steps (runtime::child) from the root on, without
    /// the mounts. Returns only on failure.
    fn command(&self) -> Result<Message> {
        let (plan, o) = (self.plan, self.o);
        nix::sys::prctl::set_dumpable(false).context("making berth's side non-dumpable")?;
        // No controlling terminal of the caller's (TIOCSTI): see runtime::child.
        nix::unistd::setsid().context("starting the command's session")?;
        let root = std::fs::File::open("/").context("opening the container root")?;
        let (uid, gid, groups, home) = match &o.user {
            None => (plan.uid, plan.gid, plan.groups.clone(), None),
            Some(u) => {
                let passwd = read_etc(&root, "passwd");
                let group = read_etc(&root, "group");
                let user =
                    crate::ident::users::resolve(u, &[], passwd.as_deref(), group.as_deref())?;
                (user.uid, user.gid, user.groups, user.home)
            }
        };
        binary_guard::confine_exec(&root)?;
        let cwd = o.workdir.as_deref().unwrap_or(&plan.cwd);
        change_dir(&root, cwd)
            .with_context(|| format!("changing to the working directory `{cwd}`"))?;
        for l in &plan.rlimits {
            let r = libc::rlimit {
                rlim_cur: l.soft,
                rlim_max: l.hard,
            };
            crate::sys::process::setrlimit(l.resource, &r).context("setting a ulimit")?;
        }
        match self.tty {
            Some(sock) => pty::child_setup(sock)?,
            None if let Some(out) = o.capture => {
                // The caller's fd, kept open through the joiner; never closed here.
                let out = std::mem::ManuallyDrop::new(crate::sys::fs::borrowed_file(out));
                nix::unistd::dup2_stdin(self.null).context("redirecting stdin")?;
                nix::unistd::dup2_stdout(&*out).context("redirecting stdout")?;
                nix::unistd::dup2_stderr(&*out).context("redirecting stderr")?;
            }
            None if o.detach => {
                nix::unistd::dup2_stdin(self.null).context("redirecting stdin")?;
                nix::unistd::dup2_stdout(self.null).context("redirecting stdout")?;
                nix::unistd::dup2_stderr(self.null).context("redirecting stderr")?;
            }
            None if !o.interactive => {
                nix::unistd::dup2_stdin(self.null).context("redirecting stdin")?;
            }
            None => {}
        }
        let keep = if o.privileged {
            ::caps::all()
        } else {
            plan.caps.clone()
        };
        caps::drop_bounding(&keep)?;
        if plan.has_id_range {
            let groups: Vec<Gid> = groups.iter().map(|g| Gid::from_raw(*g)).collect();
            nix::unistd::setgroups(&groups).context("setting supplementary groups")?;
        }
        nix::unistd::setresgid(Gid::from_raw(gid), Gid::from_raw(gid), Gid::from_raw(gid))
            .with_context(|| format!("setting gid {gid}"))?;
        nix::unistd::setresuid(Uid::from_raw(uid), Uid::from_raw(uid), Uid::from_raw(uid))
            .with_context(|| format!("setting uid {uid}"))?;
        caps::apply(&keep, uid)?;
        if !o.detach {
            // Dies with berth exec, as the container with its monitor.
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)
                .context("setting the parent-death signal")?;
        }
        // The id change reset it (see runtime::child).
        nix::sys::prctl::set_dumpable(false).context("making berth's side non-dumpable")?;
        if plan.no_new_privs {
            nix::sys::prctl::set_no_new_privs().context("setting no_new_privs")?;
        }
        let mut env = o.env.clone();
        if let (true, Some(h)) = (o.home_from_user, home) {
            env.retain(|e| !e.starts_with("HOME="));
            env.push(format!("HOME={h}"));
        }
        let path = env
            .iter()
            .find_map(|e| e.strip_prefix("PATH="))
            .unwrap_or(DEFAULT_PATH);
        let exe = match find_executable(&root, &o.args[0], path) {
            Ok(p) => p,
            Err(errno) => return Ok(Message::Exec(errno as i32, o.args[0].clone())),
        };
        drop(root);
        let argv: Vec<CString> = o.args.iter().map(|a| cstring(a)).collect::<Result<_>>()?;
        let envp: Vec<CString> = env.iter().map(|a| cstring(a)).collect::<Result<_>>()?;
        let exe_c = CString::new(exe.as_os_str().as_bytes())?;
        // Nothing of berth's (the pidfd, the pipes, the terminal socket) or
        // of the caller's reaches the command but 0-2 and --preserve-fds.
        let keep_fds = 3 + o.preserve_fds;
        for fd in 3..keep_fds {
            crate::sys::process::keep_on_exec(fd as i32)
                .with_context(|| format!("passing fd {fd} (--preserve-fds)"))?;
        }
        crate::sys::process::cloexec_from(keep_fds).context("closing inherited fds")?;
        crate::sys::process::reset_signal_dispositions();
        seccomp::install(plan.seccomp)?;
        sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)?;
        let errno = nix::unistd::execve(&exe_c, &argv, &envp).unwrap_err();
        Ok(Message::Exec(errno as i32, o.args[0].clone()))
    }
}

/// Changes to `dir`, resolved inside the container's root as the container
/// sees it: `..` and absolute symlinks stop at the root, and a /proc magic
/// link (`/proc/self/fd/N`, `/proc/1/cwd`) is refused rather than followed
/// to whatever it names (CVE-2024-21626).
fn change_dir(root: &std::fs::File, dir: &str) -> Result<()> {
    let c = cstring(dir)?;
    let fd = openat2(
        root.as_fd(),
        &c,
        libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        0,
        RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    )?;
    nix::unistd::fchdir(&fd)?;
    Ok(())
}

/// `/etc/<name>` of the container, resolved in its root without magic
/// links, if it is a regular file; at most 1 MiB. Opened non-blocking and
/// without a controlling terminal, then checked: the container may have
/// put a fifo there, and nothing the container makes there is a device
/// (its mounts are nodev).
fn read_etc(root: &std::fs::File, name: &str) -> Option<String> {
    let path = CString::new(format!("etc/{name}")).ok()?;
    let fd = openat2(
        root.as_fd(),
        &path,
        libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC,
        0,
        RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    )
    .ok()?;
    if nix::sys::stat::fstat(&fd).ok()?.st_mode & libc::S_IFMT != libc::S_IFREG {
        return None;
    }
    let mut text = String::new();
    std::fs::File::from(fd)
        .take(1 << 20)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

fn cstring(s: &str) -> Result<CString> {
    CString::new(s).with_context(|| format!("`{s}` contains a NUL byte"))
}

/// berth's side after the fork: the command's pid, its start, then the
/// terminal and signals until it exits.
fn relay(
    joiner: Pid,
    pid_r: OwnedFd,
    rep_r: OwnedFd,
    tty: Option<&UnixStream>,
    o: &Options,
    mask: &SigSet,
) -> Result<Result<i32, ExecFailure>> {
    let mut buf = [0u8; 4];
    let got = std::fs::File::from(pid_r).read_exact(&mut buf);
    let _ = waitpid(joiner, None);
    let command = got.ok().map(|_| Pid::from_raw(i32::from_le_bytes(buf)));
    let guard = KillOnDrop(command);
    let mut report = Vec::new();
    std::fs::File::from(rep_r)
        .take(REPORT_MAX)
        .read_to_end(&mut report)?;
    if !report.is_empty() || command.is_none() {
        if let Some(pid) = command {
            let _ = waitpid(pid, None);
        }
        std::mem::forget(guard);
        return match Message::decode(&report) {
            Some(Message::Setup(t)) => Err(anyhow!(t)),
            Some(Message::Exec(errno, cmd)) => Ok(Err(monitor::exec_failure(errno, &cmd))),
            None => Err(anyhow!("the command failed to start")),
        };
    }
    let pid = command.expect("checked above");
    std::mem::forget(guard);
    if o.detach {
        return Ok(Ok(0));
    }
    let guard = KillOnDrop(Some(pid));
    if let Some(limit) = o.timeout {
        // Opened while it is our unreaped child: the pid cannot be reused.
        let fd = PidFd::open(pid.as_raw()).context("opening the command's pidfd")?;
        let done = fd
            .wait_exit_for(Some(limit))
            .context("waiting for the command")?;
        if !done {
            let _ = fd.kill(libc::SIGKILL);
        }
        let status = waitpid(pid, None).context("reaping the command")?;
        std::mem::forget(guard);
        return Ok(Ok(match status {
            _ if !done => TIMED_OUT,
            nix::sys::wait::WaitStatus::Exited(_, c) => c,
            nix::sys::wait::WaitStatus::Signaled(_, s, _) => 128 + s as i32,
            _ => 125,
        }));
    }
    let status = monitor::supervise(
        pid,
        mask,
        tty,
        o.interactive,
        true,
        Default::default(),
        None,
        None,
    )?;
    std::mem::forget(guard);
    Ok(Ok(status.0))
}
