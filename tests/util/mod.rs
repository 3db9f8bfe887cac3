//! The harness: a fresh `--root` per test, a command builder for the real
//! `berth` binary, assertions on berth's error contract (exit 125, one line
//! `berth: …` on stderr), store snapshots for "store unchanged" checks and the
//! busybox test image made from Debian's busybox-static.
//!
//! The binary is `$BERTH_BIN` when set (CI copies the binaries out of a
//! target dir the test users cannot read), else cargo's
//! `CARGO_BIN_EXE_berth`.

pub mod forge;
pub mod payload;
pub mod peer;
pub mod registry;
pub mod skip;

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

pub use self::skip::skip;

/// No berth command in a test may take longer than this; a hung command
/// (say, one that waits on a stdin nobody writes) is killed and fails the
/// test instead of hanging CI.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);

/// The lowercase hex sha256 of `data`: blob names and digests.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(data)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The berth binary under test.
pub fn berth_bin() -> PathBuf {
    match std::env::var_os("BERTH_BIN") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_berth")),
    }
}

/// The repository checkout, for tests that compare with committed files:
/// `$BERTH_REPO` when set (CI runs the tests from a copy), else the crate dir.
pub fn repo_dir() -> PathBuf {
    match std::env::var_os("BERTH_REPO") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")),
    }
}

/// Whether `tool` is an executable on `$PATH`.
pub fn have_tool(tool: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        std::fs::metadata(dir.join(tool))
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    })
}

/// `if !tool_or_skip("podman") { return; }`
pub fn tool_or_skip(tool: &str) -> bool {
    if have_tool(tool) {
        return true;
    }
    skip(&format!("`{tool}` is not installed"));
    false
}

/// Waits until process `pid` (any process, not only a child) has exited,
/// at most `limit`; whether it has. Exited means gone or a zombie: a pidfd
/// becomes readable then, so this sleeps in poll until the event itself.
pub fn wait_exit(pid: u32, limit: Duration) -> bool {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::{AsFd, FromRawFd, OwnedFd};
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true;
    };
    // SAFETY: pidfd_open takes a pid and flags and only returns a new fd
    // (or -1); it touches no memory of ours.
    #[allow(unsafe_code)]
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        // ESRCH: already gone (and reaped).
        return std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
    }
    // SAFETY: the fd was just returned by pidfd_open and nothing else owns it.
    #[allow(unsafe_code)]
    let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    let deadline = std::time::Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
        match poll(
            &mut fds,
            PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX),
        ) {
            Ok(n) => return n > 0,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => panic!("poll on the pidfd of {pid}: {e}"),
        }
    }
}

/// Waits until a file whose name starts with `prefix` is in `dir`, at most
/// `limit`; whether one is. An inotify watch on `dir` wakes the wait when an
/// entry is created, so nothing polls the directory.
pub fn wait_for_entry(dir: &Path, prefix: &str, limit: Duration) -> bool {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd;
    use std::os::unix::ffi::OsStrExt;
    let present = || {
        std::fs::read_dir(dir).is_ok_and(|d| {
            d.flatten()
                .any(|e| e.file_name().as_bytes().starts_with(prefix.as_bytes()))
        })
    };
    let fd = inotify_watch(dir, libc::IN_CREATE | libc::IN_MOVED_TO, libc::IN_NONBLOCK);
    // Watching now: what was created before shows in the listing, what comes
    // after wakes the poll.
    let deadline = std::time::Instant::now() + limit;
    while !present() {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
        match poll(
            &mut fds,
            PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX),
        ) {
            Ok(0) => return false,
            Ok(_) => {
                // Drain the events; the listing says whether one was ours.
                let mut buf = [0u8; 4096];
                while nix::unistd::read(&fd, &mut buf).is_ok_and(|n| n > 0) {}
            }
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => panic!("poll on inotify: {e}"),
        }
    }
    true
}

/// A new inotify instance (close-on-exec, plus `flags`) watching `path`
/// for the events in `mask`.
fn inotify_watch(path: &Path, mask: u32, flags: i32) -> std::os::fd::OwnedFd {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: inotify_init1 takes flags and only returns a new fd (or -1).
    #[allow(unsafe_code)]
    let fd = unsafe { libc::inotify_init1(libc::IN_CLOEXEC | flags) };
    assert!(
        fd >= 0,
        "inotify_init1: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: the fd was just returned by inotify_init1 and nothing else owns it.
    #[allow(unsafe_code)]
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is a NUL-terminated string that outlives the call.
    #[allow(unsafe_code)]
    let wd = unsafe { libc::inotify_add_watch(fd.as_raw_fd(), c.as_ptr(), mask) };
    assert!(
        wd >= 0,
        "inotify_add_watch {}: {}",
        path.display(),
        std::io::Error::last_os_error()
    );
    fd
}

/// A watch for the next open of one file (inotify `IN_OPEN`), set up before
/// the command that should open it starts.
pub struct OpenWatch(std::os::fd::OwnedFd);

impl OpenWatch {
    pub fn new(file: &Path) -> OpenWatch {
        OpenWatch(inotify_watch(file, libc::IN_OPEN, 0))
    }

    /// Whether the file was opened within `limit`.
    pub fn opened_within(&self, limit: Duration) -> bool {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        use std::os::fd::AsFd;
        let mut fds = [PollFd::new(self.0.as_fd(), PollFlags::POLLIN)];
        loop {
            match poll(
                &mut fds,
                PollTimeout::try_from(limit).unwrap_or(PollTimeout::MAX),
            ) {
                Ok(n) => return n > 0,
                Err(nix::errno::Errno::EINTR) => {}
                Err(e) => panic!("poll on inotify: {e}"),
            }
        }
    }
}

/// The effective uid of this process (owner of /proc/self).
pub fn my_uid() -> u32 {
    std::fs::metadata("/proc/self")
        .expect("stat /proc/self")
        .uid()
}

/// One test's world: a temp dir, removed on drop, holding berth's `--root`
/// (`<dir>/root`, created by berth itself) and whatever files the test makes.
pub struct TestEnv {
    dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl TestEnv {
    pub fn new(name: &str) -> TestEnv {
        let dir = tempfile::Builder::new()
            .prefix(&format!("berth-test-{name}-"))
            .tempdir()
            .expect("create the test's temp dir");
        let root = dir.path().join("root");
        TestEnv { dir, root }
    }

    /// The test's scratch dir (not the root).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A path in the scratch dir.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Write a file in the scratch dir and return its path.
    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
        p
    }

    /// The record berth keeps of container `id` (its `meta.json`).
    pub fn record(&self, id: &str) -> serde_json::Value {
        let path = self.root.join("containers").join(id).join("meta.json");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_slice(&bytes).unwrap()
    }

    /// `berth --root <root> ARGS…`
    pub fn berth<S: AsRef<OsStr>>(&self, args: &[S]) -> Cmd {
        let mut cmd = Cmd::new(berth_bin());
        cmd.arg("--root").arg(&self.root);
        for a in args {
            cmd.arg(a);
        }
        cmd.current_dir(self.dir());
        cmd
    }

    /// `berth --root <root> ARGS…` run through `sh -c 'ulimit LIMIT && exec …'`:
    /// a bound the test sets on berth itself (`-v KIB` memory, `-f BLOCKS`
    /// file size), so an unbounded berth fails instead of hurting the machine.
    pub fn berth_under_ulimit<S: AsRef<OsStr>>(&self, limit: &str, args: &[S]) -> Cmd {
        let mut cmd = Cmd::new("sh");
        cmd.arg("-c")
            .arg(format!("ulimit {limit} && exec \"$0\" \"$@\""))
            .arg(berth_bin())
            .arg("--root")
            .arg(&self.root);
        for a in args {
            cmd.arg(a);
        }
        cmd.current_dir(self.dir());
        cmd
    }

    /// Import the busybox test image as `busybox` and return its id.
    pub fn import_busybox(&self) -> String {
        self.import(&busybox_tar(), "busybox", &[])
    }

    /// `berth import FILE REF EXTRA…`, checked; returns the image id.
    pub fn import(&self, file: &Path, reference: &str, extra: &[&str]) -> String {
        let mut args: Vec<OsString> = vec!["import".into(), file.into(), reference.into()];
        args.extend(extra.iter().map(OsString::from));
        let out = self.berth(&args).run();
        assert_ok(&out);
        let id = out.stdout().trim().to_string();
        assert_image_id(&id);
        id
    }

    /// `berth inspect REF`, checked: the one object of the array.
    pub fn inspect(&self, reference: &str) -> serde_json::Value {
        let out = self.berth(&["inspect", reference]).run();
        assert_ok(&out);
        let v = out.json();
        let arr = v.as_array().expect("inspect prints a JSON array");
        assert_eq!(arr.len(), 1, "inspect of one image: {v:#}");
        arr[0].clone()
    }

    /// `berth images --format json`, checked.
    pub fn images_json(&self) -> Vec<serde_json::Value> {
        let out = self.berth(&["images", "--format", "json"]).run();
        assert_ok(&out);
        out.json()
            .as_array()
            .expect("images --format json prints an array")
            .clone()
    }

    /// `berth system check` exits 0; returns its output (the garbage found).
    pub fn check_store(&self) -> String {
        let out = self.berth(&["system", "check"]).run();
        assert_ok(&out);
        out.stdout().to_string()
    }

    /// See [`store_snapshot`].
    pub fn snapshot(&self) -> String {
        store_snapshot(&self.root)
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        // Detached containers outlive the commands that started them: end
        // them before their root goes.
        if self.root.join("containers").exists() {
            let _ = Command::new(berth_bin())
                .arg("--root")
                .arg(&self.root)
                .args(["rm", "-f", "-a"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        // Layers may hold read-only dirs (an image's 0555 /proc) that would
        // stop TempDir's removal; open them up first. Best effort.
        make_removable(self.dir.path());
        if std::fs::remove_dir_all(&self.root).is_err() && self.root.exists() {
            // Files owned by subordinate ids: only berth (through its user
            // namespace) can remove them.
            let _ = Command::new(berth_bin())
                .arg("--root")
                .arg(&self.root)
                .args(["system", "reset", "-f"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// chmod u+rwx every dir under `dir` that we own, so it can be removed.
pub fn make_removable(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if let Ok(m) = std::fs::symlink_metadata(&p)
            && m.is_dir()
        {
            let _ = std::fs::set_permissions(
                &p,
                std::fs::Permissions::from_mode(m.permissions().mode() | 0o700),
            );
            make_removable(&p);
        }
    }
}

/// A command to run: berth or a peer tool. Stdin is empty unless set.
pub struct Cmd {
    cmd: Command,
    stdin: Option<Vec<u8>>,
    shown: String,
}

impl Cmd {
    pub fn new(program: impl AsRef<OsStr>) -> Cmd {
        let shown = program.as_ref().to_string_lossy().into_owned();
        Cmd {
            cmd: Command::new(program),
            stdin: None,
            shown,
        }
    }

    pub fn arg(&mut self, a: impl AsRef<OsStr>) -> &mut Cmd {
        write!(self.shown, " {}", a.as_ref().to_string_lossy()).unwrap();
        self.cmd.arg(a);
        self
    }

    pub fn args<S: AsRef<OsStr>>(&mut self, args: &[S]) -> &mut Cmd {
        for a in args {
            self.arg(a);
        }
        self
    }

    pub fn env(&mut self, k: impl AsRef<OsStr>, v: impl AsRef<OsStr>) -> &mut Cmd {
        self.cmd.env(k, v);
        self
    }

    pub fn current_dir(&mut self, d: impl AsRef<Path>) -> &mut Cmd {
        self.cmd.current_dir(d);
        self
    }

    /// Feed these bytes on stdin.
    pub fn stdin(&mut self, bytes: impl Into<Vec<u8>>) -> &mut Cmd {
        self.stdin = Some(bytes.into());
        self
    }

    /// Start it; finish with [`Running::wait`]. For concurrency tests.
    pub fn spawn(&mut self) -> Running {
        self.cmd
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self
            .cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn `{}`: {e}", self.shown));
        let pid = child.id();
        let stdin_thread = self.stdin.take().map(|bytes| {
            let mut w = child.stdin.take().unwrap();
            // A command may exit before reading all of stdin (an error): a
            // broken pipe here is its business, not the harness's.
            std::thread::spawn(move || {
                let _ = w.write_all(&bytes);
            })
        });
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let out_thread = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = out.read_to_end(&mut v);
            v
        });
        let err_thread = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = err.read_to_end(&mut v);
            v
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        Running {
            shown: self.shown.clone(),
            pid,
            rx,
            stdin_thread,
            out_thread,
            err_thread,
        }
    }

    /// Run to completion.
    pub fn run(&mut self) -> Run {
        self.spawn().wait()
    }

    /// Run, assert success, return stdout.
    pub fn ok(&mut self) -> String {
        let out = self.run();
        assert_ok(&out);
        out.stdout().to_string()
    }
}

/// A started [`Cmd`].
pub struct Running {
    shown: String,
    pid: u32,
    rx: mpsc::Receiver<std::io::Result<ExitStatus>>,
    stdin_thread: Option<std::thread::JoinHandle<()>>,
    out_thread: std::thread::JoinHandle<Vec<u8>>,
    err_thread: std::thread::JoinHandle<Vec<u8>>,
}

impl Running {
    /// The process id, to signal it.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn wait(self) -> Run {
        let status = match self.rx.recv_timeout(COMMAND_TIMEOUT) {
            Ok(s) => s.unwrap_or_else(|e| panic!("wait for `{}`: {e}", self.shown)),
            Err(_) => {
                let _ = Command::new("kill")
                    .args(["-KILL", &self.pid.to_string()])
                    .status();
                panic!(
                    "`{}` ran longer than {COMMAND_TIMEOUT:?}; killed",
                    self.shown
                );
            }
        };
        if let Some(t) = self.stdin_thread {
            let _ = t.join();
        }
        Run {
            shown: self.shown,
            status,
            stdout: self.out_thread.join().unwrap(),
            stderr: self.err_thread.join().unwrap(),
        }
    }
}

/// A finished command: what was run, its status and output.
pub struct Run {
    pub shown: String,
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Run {
    pub fn stdout(&self) -> &str {
        std::str::from_utf8(&self.stdout)
            .unwrap_or_else(|_| panic!("`{}`: stdout is not UTF-8", self.shown))
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// stdout parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "`{}`: stdout is not JSON ({e}):\n{}",
                self.shown,
                String::from_utf8_lossy(&self.stdout)
            )
        })
    }

    pub fn describe(&self) -> String {
        format!(
            "command: {}\nstatus: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.shown,
            self.status,
            truncate(&String::from_utf8_lossy(&self.stdout), 4000),
            truncate(&self.stderr(), 4000)
        )
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &s[..end], s.len())
}

/// The command exited 0.
#[track_caller]
pub fn assert_ok(out: &Run) {
    if !out.status.success() {
        panic!("expected success\n{}", out.describe());
    }
}

/// berth's error contract: exit 125, and stderr is exactly one line that
/// starts with `berth: ` and contains `needle`. Returns that line.
///
/// Lines starting `berth: warning: ` do not count: a degraded mode (no
/// subuid range, FUSE overlay) warns once per invocation, error or not.
#[track_caller]
pub fn assert_fails_125(out: &Run, needle: &str) -> String {
    if out.code() != Some(125) {
        panic!("expected exit 125\n{}", out.describe());
    }
    let stderr = out.stderr();
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("berth: warning: "))
        .collect();
    if lines.len() != 1 {
        panic!(
            "expected exactly one line on stderr, got {}\n{}",
            lines.len(),
            out.describe()
        );
    }
    let line = lines[0];
    if !line.starts_with("berth: ") {
        panic!(
            "expected stderr to start with `berth: `\n{}",
            out.describe()
        );
    }
    if !line.contains(needle) {
        panic!(
            "expected the error to contain `{needle}`\n{}",
            out.describe()
        );
    }
    if line.contains("panicked") || line.contains("RUST_BACKTRACE") {
        panic!("berth panicked\n{}", out.describe());
    }
    line.to_string()
}

/// A failure with exit `code` (126 or 127 for a command that cannot run):
/// stderr, warnings aside, is one line starting `berth: ` that contains
/// `needle`. Returns that line.
#[track_caller]
pub fn assert_fails_with(out: &Run, code: i32, needle: &str) -> String {
    if out.code() != Some(code) {
        panic!("expected exit {code}\n{}", out.describe());
    }
    let stderr = out.stderr();
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("berth: warning: "))
        .collect();
    if lines.len() != 1 || !lines[0].starts_with("berth: ") || !lines[0].contains(needle) {
        panic!(
            "expected one line `berth: …{needle}…` on stderr\n{}",
            out.describe()
        );
    }
    lines[0].to_string()
}

/// Like [`assert_fails_125`], and the (lowercased) error also contains at
/// least one of `any`: for problems that can fairly be worded several ways.
#[track_caller]
pub fn assert_fails_125_any(out: &Run, needle: &str, any: &[&str]) -> String {
    let line = assert_fails_125(out, needle);
    let lower = line.to_lowercase();
    if !any.iter().any(|w| lower.contains(&w.to_lowercase())) {
        panic!(
            "expected the error to say one of {any:?}\n{}",
            out.describe()
        );
    }
    line
}

/// A 64-hex image id.
#[track_caller]
pub fn assert_image_id(id: &str) {
    assert!(
        id.len() == 64
            && id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "expected a 64-hex image id, got {id:?}"
    );
}

/// A line diff of two texts, for `eqnice!`.
pub fn text_diff(expected: &str, got: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = got.lines().collect();
    let mut s = String::from("--- expected\n+++ got\n");
    if a.len() * b.len() > 4_000_000 {
        writeln!(s, "(too long to diff)\n{expected}\n=====\n{got}").unwrap();
        return s;
    }
    // Longest common subsequence table, then walk it.
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            writeln!(s, "  {}", a[i]).unwrap();
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            writeln!(s, "+ {}", b[j]).unwrap();
            j += 1;
        } else {
            writeln!(s, "- {}", a[i]).unwrap();
            i += 1;
        }
    }
    if expected.ends_with('\n') != got.ends_with('\n') {
        s.push_str("(final newline differs)\n");
    }
    s
}

/// Everything under `<root>/store` and `<root>/layers`, one line per entry,
/// sorted: kind, mode, relative path, and for regular files size and sha256;
/// symlinks with their target. Equal snapshots mean an unchanged store.
pub fn store_snapshot(root: &Path) -> String {
    let mut lines = Vec::new();
    for top in ["store", "layers"] {
        let p = root.join(top);
        if std::fs::symlink_metadata(&p).is_err() {
            lines.push(format!("absent {top}"));
            continue;
        }
        snapshot_walk(root, &p, &mut lines);
    }
    lines.sort();
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

fn snapshot_walk(root: &Path, p: &Path, lines: &mut Vec<String>) {
    let rel = p.strip_prefix(root).unwrap().display().to_string();
    let m = match std::fs::symlink_metadata(p) {
        Ok(m) => m,
        Err(e) => {
            lines.push(format!("? {rel} ({e})"));
            return;
        }
    };
    let mode = m.permissions().mode() & 0o7777;
    let ft = m.file_type();
    if ft.is_dir() {
        lines.push(format!("d {mode:04o} {rel}/"));
        match std::fs::read_dir(p) {
            Ok(rd) => {
                for e in rd.flatten() {
                    snapshot_walk(root, &e.path(), lines);
                }
            }
            Err(e) => lines.push(format!("? {rel}/* unreadable ({e})")),
        }
    } else if ft.is_symlink() {
        let target = std::fs::read_link(p).unwrap_or_default();
        lines.push(format!("l {rel} -> {}", target.display()));
    } else if ft.is_file() {
        let hash = std::fs::read(p)
            .map(|b| sha256_hex(&b))
            .unwrap_or_else(|_| "unreadable".into());
        lines.push(format!("f {mode:04o} {rel} {} {hash}", m.len()));
    } else {
        lines.push(format!("o {mode:04o} {rel}"));
    }
}

/// Every test's busybox image: a rootfs tar built once per test run from
/// Debian's busybox-static. It lives in a per-user dir under the system temp
/// dir, named after the test binary's and busybox's mtimes, and is written
/// under a temp name then renamed, so parallel test processes share it safely.
///
/// Layout: /bin/busybox and a symlink per applet in /bin, /etc/passwd (root,
/// nobody), /etc/group (root, nogroup), /tmp 1777, /root 0700, empty /proc
/// /dev /sys; entries sorted, owned by 0:0, mtimes fixed.
pub fn busybox_tar() -> PathBuf {
    static TAR: OnceLock<PathBuf> = OnceLock::new();
    TAR.get_or_init(build_busybox_tar).clone()
}

/// Where `/bin/busybox` comes from (busybox-static).
pub const BUSYBOX: &str = "/bin/busybox";

/// The mtime every entry of the test image carries (2023-11-14).
pub const FIXED_MTIME: u64 = 1_700_000_000;

fn build_busybox_tar() -> PathBuf {
    let bb = std::fs::metadata(BUSYBOX).unwrap_or_else(|e| {
        panic!("{BUSYBOX}: {e}: the tests need Debian's busybox-static (apt-get install busybox-static)")
    });
    let exe = std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| (m.mtime(), m.mtime_nsec()))
        .unwrap_or((0, 0));
    let dir = std::env::temp_dir().join(format!("berth-tests-{}", my_uid()));
    std::fs::create_dir_all(&dir).unwrap();
    let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
    let path = dir.join(format!(
        "busybox-{}.{}-{}.{}-{}.tar",
        exe.0,
        exe.1,
        bb.mtime(),
        bb.mtime_nsec(),
        bb.len()
    ));
    if path.exists() {
        return path;
    }
    let bytes = busybox_tar_bytes();
    let tmp = dir.join(format!(
        ".tmp-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&tmp, &bytes).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    // Images from earlier builds of the tests are of no more use once no
    // run of those builds can still be going: another build's run may share
    // this dir right now (the same user, two checkouts), and removing its
    // image under it fails every test of that run.
    let day = std::time::Duration::from_secs(24 * 3600);
    for old in list_dir(&dir) {
        let p = dir.join(&old);
        let stale = std::fs::metadata(&p)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > day));
        if old.starts_with("busybox-") && p != path && stale {
            let _ = std::fs::remove_file(p);
        }
    }
    path
}

enum Entry {
    Dir(u32),
    File(u32, Vec<u8>),
    Symlink(String),
}

fn busybox_tar_bytes() -> Vec<u8> {
    let list = Command::new(BUSYBOX)
        .arg("--list")
        .output()
        .expect("run busybox --list");
    assert!(list.status.success(), "busybox --list failed");
    let mut entries: Vec<(String, Entry)> = vec![
        ("bin".into(), Entry::Dir(0o755)),
        ("dev".into(), Entry::Dir(0o755)),
        ("etc".into(), Entry::Dir(0o755)),
        ("proc".into(), Entry::Dir(0o755)),
        ("root".into(), Entry::Dir(0o700)),
        ("sys".into(), Entry::Dir(0o755)),
        ("tmp".into(), Entry::Dir(0o1777)),
        (
            "bin/busybox".into(),
            Entry::File(0o755, std::fs::read(BUSYBOX).unwrap()),
        ),
        (
            "etc/passwd".into(),
            Entry::File(
                0o644,
                b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
                    .to_vec(),
            ),
        ),
        (
            "etc/group".into(),
            Entry::File(0o644, b"root:x:0:\nnogroup:x:65534:\n".to_vec()),
        ),
    ];
    for applet in String::from_utf8(list.stdout).unwrap().split_whitespace() {
        if applet != "busybox" && !applet.contains('/') {
            entries.push((format!("bin/{applet}"), Entry::Symlink("busybox".into())));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.dedup_by(|a, b| a.0 == b.0);

    let mut builder = tar::Builder::new(Vec::new());
    for (path, entry) in entries {
        let mut h = tar::Header::new_ustar();
        h.set_uid(0);
        h.set_gid(0);
        h.set_username("root").unwrap();
        h.set_groupname("root").unwrap();
        h.set_mtime(FIXED_MTIME);
        match entry {
            Entry::Dir(mode) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(mode);
                h.set_size(0);
                builder
                    .append_data(&mut h, format!("{path}/"), std::io::empty())
                    .unwrap();
            }
            Entry::File(mode, data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(mode);
                h.set_size(data.len() as u64);
                builder.append_data(&mut h, &path, &data[..]).unwrap();
            }
            Entry::Symlink(target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_mode(0o777);
                h.set_size(0);
                builder.append_link(&mut h, &path, &target).unwrap();
            }
        }
    }
    builder.into_inner().unwrap()
}

/// A tar builder holding the busybox tar's entries, for a test to add its own.
pub fn busybox_tar_builder() -> tar::Builder<Vec<u8>> {
    let bytes = std::fs::read(busybox_tar()).unwrap();
    let mut ar = tar::Archive::new(&bytes[..]);
    let mut b = tar::Builder::new(Vec::new());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let h = e.header().clone();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        b.append(&h, &data[..]).unwrap();
    }
    b
}

/// gzip `data` (flate2).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// zstd-compress `data` with the `zstd` tool; `None` (after [`skip`]) when
/// it is not installed.
pub fn zstd(data: &[u8]) -> Option<Vec<u8>> {
    if !tool_or_skip("zstd") {
        return None;
    }
    let mut cmd = Cmd::new("zstd");
    cmd.args(&["-q", "-c", "-"]).stdin(data.to_vec());
    let out = cmd.run();
    assert_ok(&out);
    Some(out.stdout)
}

/// The names inside a tar archive (gzip-compressed or not), in order.
pub fn tar_names(bytes: &[u8]) -> Vec<String> {
    let reader: Box<dyn Read + '_> = if bytes.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::GzDecoder::new(bytes))
    } else {
        Box::new(bytes)
    };
    let mut ar = tar::Archive::new(reader);
    ar.entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect()
}

/// One file out of a tar archive.
pub fn tar_file(bytes: &[u8], name: &str) -> Option<Vec<u8>> {
    let mut ar = tar::Archive::new(bytes);
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let p = e.path().unwrap().display().to_string();
        if p.trim_start_matches("./") == name.trim_start_matches("./") {
            let mut v = Vec::new();
            e.read_to_end(&mut v).unwrap();
            return Some(v);
        }
    }
    None
}

/// The entries of a directory, sorted, or empty when it does not exist.
pub fn list_dir(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A JSON value's strings (for `RootFS.Layers`, `RepoTags`…).
#[track_caller]
pub fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected a JSON array, got {v}"))
        .iter()
        .map(|s| {
            s.as_str()
                .unwrap_or_else(|| panic!("expected a string, got {s}"))
                .to_string()
        })
        .collect()
}

/// Whether berth maps a range of ids for us: real root (identity), or a
/// user with /etc/subuid and /etc/subgid entries and newuidmap/newgidmap.
/// Without one, container root is the user alone and image ownership is
/// squashed (berth warns; the documented degraded mode).
pub fn has_id_range() -> bool {
    let uid = my_uid();
    if uid == 0 {
        return true;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[2] == uid.to_string())
        .map(|f| f[0].to_string())
        .unwrap_or_else(|| uid.to_string());
    let listed = |file: &str| {
        std::fs::read_to_string(file)
            .unwrap_or_default()
            .lines()
            .any(|l| {
                let f: Vec<&str> = l.split(':').collect();
                f.len() == 3
                    && (f[0] == name || f[0] == uid.to_string())
                    && f[2].trim().parse::<u32>().is_ok_and(|n| n > 0)
            })
    };
    let tool = |t: &str| have_tool(t) || std::path::Path::new("/usr/bin").join(t).exists();
    listed("/etc/subuid") && listed("/etc/subgid") && tool("newuidmap") && tool("newgidmap")
}
