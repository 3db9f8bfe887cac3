//! A real registry for a test: Debian's `docker-registry` (distribution 2.8)
//! started as the test user on 127.0.0.1, with its config, storage and
//! certificates in a temp dir of its own, and killed and reaped on drop.
//!
//! Four modes, one per way berth must talk to a registry: plain http, HTTP
//! Basic auth (htpasswd), TLS with a certificate for 127.0.0.1 from a test
//! CA (trusted through a `--cert-dir`), and the Bearer token flow, where the
//! registry sends clients to a small token issuer this module runs on
//! 127.0.0.1 in a thread of the test process.
//!
//! The registry picks its own port (`addr: 127.0.0.1:0`) and logs
//! `listening on 127.0.0.1:PORT` once the socket is bound; `start` reads
//! that line from the registry's stderr, so there is no port race and no
//! polling: connections made after it queue on the listening socket.
//!
//! ```ignore
//! let reg = Registry::start(Mode::basic("u", "p"));
//! let peer = Peer::new(&env);
//! reg.skopeo_push(&peer, &format!("oci:{}:{BUSYBOX}", store), "bb:1");
//! env.berth(&["pull", "--creds", "u:p", &reg.reference("bb:1")]);
//! // or: env.berth(&["pull"]).args(&reg.client_flags("")) …
//! ```
//!
//! The registry needs no root and no network beyond loopback. A registry
//! left behind by a killed test run dies with the thread that started it
//! (PR_SET_PDEATHSIG), so keep a `Registry` on the test's own stack.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::peer::Peer;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// Debian's registry binary (package docker-registry).
pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// The `service` the token-mode registry names in its challenge and
/// expects as the tokens' audience.
pub const TOKEN_SERVICE: &str = "berth-test-registry";

/// The issuer the token-mode registry trusts.
pub const TOKEN_ISSUER: &str = "berth-test-issuer";

/// How long the registry may take to say it listens before the test fails.
const START_LIMIT: Duration = Duration::from_secs(60);

/// How a test registry authenticates and whether it speaks TLS.
#[derive(Clone, Debug)]
pub enum Mode {
    /// http, no auth.
    Plain,
    /// http with HTTP Basic auth from an htpasswd (bcrypt) file.
    Basic { user: String, pass: String },
    /// https with a certificate for IP 127.0.0.1 issued by a test CA, no
    /// auth.
    Tls,
    /// http, auth by Bearer tokens from the test's own token issuer:
    /// `user`/`pass` get exactly the actions they ask for, anonymous
    /// clients get pull-only tokens.
    Token { user: String, pass: String },
}

impl Mode {
    /// `Basic` with these credentials.
    pub fn basic(user: &str, pass: &str) -> Mode {
        Mode::Basic {
            user: user.into(),
            pass: pass.into(),
        }
    }

    /// `Token` with these credentials.
    pub fn token(user: &str, pass: &str) -> Mode {
        Mode::Token {
            user: user.into(),
            pass: pass.into(),
        }
    }
}

/// A running `docker-registry`; see the module doc.
pub struct Registry {
    mode: Mode,
    dir: tempfile::TempDir,
    child: Option<Child>,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
    issuer: Option<TokenIssuer>,
}

impl Registry {
    /// Starts a registry in `mode` and returns once it accepts connections.
    /// Panics (failing the test) when it cannot start; callers that may run
    /// where docker-registry is missing check [`Registry::available`] first.
    pub fn start(mode: Mode) -> Registry {
        let dir = tempfile::Builder::new()
            .prefix("berth-registry-")
            .tempdir()
            .expect("create the registry's temp dir");
        let base = dir.path();
        let storage = base.join("storage");
        std::fs::create_dir_all(&storage).unwrap();

        let mut auth = String::new();
        let mut tls = String::new();
        let mut issuer = None;
        match &mode {
            Mode::Plain => {}
            Mode::Basic { user, pass } => {
                let htpasswd = base.join("htpasswd");
                std::fs::write(&htpasswd, htpasswd_line(user, pass)).unwrap();
                auth = format!(
                    "auth:\n  htpasswd:\n    realm: berth-test\n    path: {}\n",
                    yaml_path(&htpasswd)
                );
            }
            Mode::Tls => {
                let certs = base.join("certs");
                std::fs::create_dir_all(&certs).unwrap();
                server_cert(&certs);
                // What a client passes as --cert-dir: the CA as `ca.crt`,
                // nothing else.
                let cert_dir = base.join("cert-dir");
                std::fs::create_dir_all(&cert_dir).unwrap();
                std::fs::copy(certs.join("ca.crt"), cert_dir.join("ca.crt")).unwrap();
                tls = format!(
                    "  tls:\n    certificate: {}\n    key: {}\n",
                    yaml_path(&certs.join("cert.pem")),
                    yaml_path(&certs.join("key.pem"))
                );
            }
            Mode::Token { user, pass } => {
                let signer = base.join("token-signer");
                std::fs::create_dir_all(&signer).unwrap();
                let key = signer.join("key.pem");
                let cert = signer.join("cert.pem");
                self_signed_cert(&key, &cert, "DNS:berth-test-issuer");
                let started = TokenIssuer::start(&key, &cert, user, pass);
                auth = format!(
                    "auth:\n  token:\n    realm: http://127.0.0.1:{}/token\n    \
                     service: {TOKEN_SERVICE}\n    issuer: {TOKEN_ISSUER}\n    \
                     rootcertbundle: {}\n",
                    started.port,
                    yaml_path(&cert)
                );
                issuer = Some(started);
            }
        }
        // accesslog off: the log is kept for failure reports, not traffic.
        // The upload purger and the secret warning are noise for a test.
        let config = format!(
            "version: 0.1\n\
             log:\n  level: info\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {}\n  \
             maintenance:\n    uploadpurging:\n      enabled: false\n  \
             delete:\n    enabled: true\n\
             http:\n  addr: 127.0.0.1:0\n  secret: {}\n{tls}{auth}",
            yaml_path(&storage),
            random_hex(16),
        );
        let config_path = base.join("config.yml");
        std::fs::write(&config_path, config).unwrap();

        let (child, port, log) = spawn_registry(&config_path);
        Registry {
            mode,
            dir,
            child: Some(child),
            port,
            log,
            issuer,
        }
    }

    /// Whether docker-registry is installed; when it is not, [`skip`]s.
    ///
    /// [`skip`]: super::skip
    pub fn available() -> bool {
        if Path::new(REGISTRY_BIN).is_file() {
            return true;
        }
        super::skip(&format!(
            "{REGISTRY_BIN} is not installed (docker-registry)"
        ));
        false
    }

    /// `127.0.0.1:PORT`, the registry part of a reference.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `127.0.0.1:PORT/REPO`: a reference in this registry.
    pub fn reference(&self, repo: &str) -> String {
        format!("{}/{repo}", self.host())
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &'static str {
        match self.mode {
            Mode::Tls => "https",
            _ => "http",
        }
    }

    /// The mode's user and password, when it has any.
    pub fn creds(&self) -> Option<(&str, &str)> {
        match &self.mode {
            Mode::Basic { user, pass } | Mode::Token { user, pass } => Some((user, pass)),
            Mode::Plain | Mode::Tls => None,
        }
    }

    /// The flags a podman-style client (skopeo, podman, berth) needs for
    /// this registry: `--PREFIXtls-verify=false` for plain http,
    /// `--PREFIXcert-dir DIR` for TLS, `--PREFIXcreds USER:PASS` when the
    /// mode has credentials. PREFIX is `""`, or skopeo copy's `"src-"` or
    /// `"dest-"`.
    pub fn client_flags(&self, prefix: &str) -> Vec<String> {
        let mut v = Vec::new();
        match &self.mode {
            Mode::Tls => {
                v.push(format!("--{prefix}cert-dir"));
                v.push(self.cert_dir().display().to_string());
            }
            _ => v.push(format!("--{prefix}tls-verify=false")),
        }
        if let Some((user, pass)) = self.creds() {
            v.push(format!("--{prefix}creds"));
            v.push(format!("{user}:{pass}"));
        }
        v
    }

    /// `skopeo copy SRC docker://HOST/REPO` with the mode's flags, checked
    /// (the registry's log goes into the failure message): an image put
    /// there by a reference tool, for berth to pull. Returns the
    /// `docker://` reference.
    #[track_caller]
    pub fn skopeo_push(&self, peer: &Peer, src: &str, repo: &str) -> String {
        let dest = format!("docker://{}", self.reference(repo));
        let mut args = vec!["copy".to_string(), "-q".into()];
        args.extend(self.client_flags("dest-"));
        args.extend([src.to_string(), dest.clone()]);
        let out = peer.skopeo(&args).run();
        assert!(
            out.status.success(),
            "skopeo copy {src} {dest} ({:?} registry) failed: {}\nregistry log:\n{}",
            self.mode,
            out.stderr(),
            self.log()
        );
        dest
    }

    /// `skopeo inspect [--config] docker://HOST/REPO` with the mode's flags,
    /// checked: its JSON. What a reference tool sees of a berth push.
    #[track_caller]
    pub fn skopeo_inspect(&self, peer: &Peer, repo: &str, config: bool) -> serde_json::Value {
        let mut args = vec!["inspect".to_string()];
        if config {
            args.push("--config".into());
        }
        args.extend(self.client_flags(""));
        args.push(format!("docker://{}", self.reference(repo)));
        let out = peer.skopeo(&args).run();
        assert!(
            out.status.success(),
            "skopeo inspect of {repo} ({:?} registry) failed: {}\nregistry log:\n{}",
            self.mode,
            out.stderr(),
            self.log()
        );
        out.json()
    }

    /// The dir to pass as `--cert-dir`: it holds `ca.crt`, the CA that
    /// issued the registry's certificate. TLS mode only.
    #[track_caller]
    pub fn cert_dir(&self) -> PathBuf {
        assert!(
            matches!(self.mode, Mode::Tls),
            "cert_dir() of a registry in mode {:?}",
            self.mode
        );
        self.dir.path().join("cert-dir")
    }

    /// The registry's filesystem storage (`rootdirectory`): blobs are under
    /// `docker/registry/v2/blobs/sha256/XX/HEX/data`.
    pub fn storage_dir(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// The file holding blob `sha256:HEX` (or `HEX`) in the storage.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
        self.storage_dir()
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// The digests (`sha256:HEX`) of every blob in the storage, sorted.
    pub fn blobs(&self) -> Vec<String> {
        let top = self.storage_dir().join("docker/registry/v2/blobs/sha256");
        let mut v = Vec::new();
        for xx in super::list_dir(&top) {
            for hex in super::list_dir(&top.join(&xx)) {
                if top.join(&xx).join(&hex).join("data").is_file() {
                    v.push(format!("sha256:{hex}"));
                }
            }
        }
        v.sort();
        v
    }

    /// Waits until a blob upload to `repo` has begun (the registry made its
    /// `_uploads/UUID` dir), at most `limit`; whether one has. For "the
    /// registry stopped mid-push": spawn the push, wait for this, then
    /// [`stop`](Registry::stop). An inotify watch wakes the wait, nothing
    /// polls. The `_uploads` dir is made here if the registry has not yet
    /// (it would make it the same way).
    pub fn wait_upload_started(&self, repo: &str, limit: Duration) -> bool {
        let dir = self
            .storage_dir()
            .join("docker/registry/v2/repositories")
            .join(repo)
            .join("_uploads");
        std::fs::create_dir_all(&dir).unwrap();
        super::wait_for_entry(&dir, "", limit)
    }

    /// Tokens the token issuer has handed out so far (token mode; 0
    /// otherwise): a client that caches its tokens asks for few.
    pub fn issued(&self) -> usize {
        self.grants().len()
    }

    /// Every token handed out so far, in order: to whom and for what.
    pub fn grants(&self) -> Vec<Grant> {
        self.issuer
            .as_ref()
            .map_or_else(Vec::new, |i| i.grants.lock().unwrap().clone())
    }

    /// Makes the token issuer's next `n` tokens expired an hour ago (while
    /// still claiming `expires_in: 300`): the registry answers 401 to them,
    /// and a client that refreshes its token on 401 gets a good one next.
    /// Token mode only.
    #[track_caller]
    pub fn spoil_tokens(&self, n: usize) {
        let issuer = self
            .issuer
            .as_ref()
            .expect("spoil_tokens() of a registry without a token issuer");
        issuer.spoil.store(n, Ordering::SeqCst);
    }

    /// Requests the token issuer refused (bad credentials).
    pub fn refused(&self) -> usize {
        self.issuer
            .as_ref()
            .map_or(0, |i| i.refused.load(Ordering::SeqCst))
    }

    /// Kills the registry now (SIGKILL) and reaps it: a registry gone in the
    /// middle of a test. The token issuer, if any, keeps answering.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// What the registry has logged, for failure messages.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts `docker-registry serve CONFIG` and reads its stderr up to the
/// `listening on ADDR` line; a thread keeps draining it afterwards (a full
/// pipe would stall the registry) into the shared log.
fn spawn_registry(config: &Path) -> (Child, u16, Arc<Mutex<Vec<String>>>) {
    let mut cmd = Command::new(REGISTRY_BIN);
    cmd.arg("serve")
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    die_with_parent(&mut cmd);
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("start {REGISTRY_BIN}: {e}"));
    let pid = child.id();
    let stderr = child.stderr.take().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    {
        let log = Arc::clone(&log);
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(port) = listening_port(&line)
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(port);
                }
                let mut log = log.lock().unwrap();
                // Bounded: a long test must not grow this without end.
                if log.len() < 2000 {
                    log.push(line);
                }
            }
            // EOF: the registry exited (or closed stderr); `tx` dropped
            // here wakes the waiter if it never said it listens.
        });
    }
    match rx.recv_timeout(START_LIMIT) {
        Ok(port) => (child, port, log),
        Err(e) => {
            let _ = child.kill();
            let status = child.wait();
            let text = log.lock().unwrap().join("\n");
            panic!("{REGISTRY_BIN} (pid {pid}) did not start listening ({e}; {status:?}):\n{text}");
        }
    }
}

/// The port in the registry's `msg="listening on 127.0.0.1:PORT"` (TLS adds
/// `, tls`).
fn listening_port(line: &str) -> Option<u16> {
    let rest = line.split("listening on ").nth(1)?;
    let addr: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
        .collect();
    addr.rsplit(':').next()?.parse().ok()
}

/// The child gets SIGKILL when the thread that started it goes away, so an
/// aborted test run leaves no registry behind.
fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs between fork and exec and only makes the
    // async-signal-safe prctl call; it touches no memory of the parent.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// A path as a YAML scalar: quoted, so odd temp dir names stay one string.
fn yaml_path(p: &Path) -> String {
    serde_json::to_string(&p.display().to_string()).unwrap()
}

/// `USER:BCRYPT` from `htpasswd -iBn USER`, the password on stdin (not in
/// any process's argv).
fn htpasswd_line(user: &str, pass: &str) -> String {
    let mut child = Command::new("htpasswd")
        .args(["-iBn", user])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("htpasswd (apache2-utils): {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(pass.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "htpasswd -iBn failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8(out.stdout).unwrap();
    let line = line.trim();
    assert!(line.starts_with(&format!("{user}:$2")), "htpasswd: {line}");
    format!("{line}\n")
}

/// A test CA (`DIR/ca.crt`, self-signed, CA:TRUE) and a server certificate
/// it issued for IP 127.0.0.1 (`DIR/cert.pem`, key `DIR/key.pem`, CA:FALSE,
/// serverAuth). Not one self-signed certificate: `openssl req -x509` marks
/// it CA:TRUE, which Go accepts as a server certificate but rustls (berth)
/// rightly refuses (CaUsedAsEndEntity).
fn server_cert(dir: &Path) {
    self_signed_cert(
        &dir.join("ca.key"),
        &dir.join("ca.crt"),
        "DNS:berth-test-ca",
    );
    openssl(
        Command::new("openssl")
            .args(["req", "-new", "-newkey", "rsa:2048", "-nodes"])
            .args(["-subj", "/CN=127.0.0.1", "-keyout"])
            .arg(dir.join("key.pem"))
            .arg("-out")
            .arg(dir.join("server.csr")),
    );
    let ext = dir.join("server.ext");
    std::fs::write(
        &ext,
        "basicConstraints=critical,CA:FALSE\n\
         subjectAltName=IP:127.0.0.1\n\
         extendedKeyUsage=serverAuth\n\
         keyUsage=critical,digitalSignature,keyEncipherment\n",
    )
    .unwrap();
    openssl(
        Command::new("openssl")
            .args(["x509", "-req", "-days", "2", "-in"])
            .arg(dir.join("server.csr"))
            .arg("-CA")
            .arg(dir.join("ca.crt"))
            .arg("-CAkey")
            .arg(dir.join("ca.key"))
            .arg("-set_serial")
            .arg(format!("0x{}", random_hex(8)))
            .arg("-extfile")
            .arg(&ext)
            .arg("-out")
            .arg(dir.join("cert.pem")),
    );
}

/// Runs an openssl command, checked.
fn openssl(cmd: &mut Command) {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("openssl: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A self-signed RSA certificate and its key (`openssl req -x509`), valid
/// for `san` (`IP:127.0.0.1`, `DNS:name`).
fn self_signed_cert(key: &Path, cert: &Path, san: &str) {
    let cn = san.split_once(':').map_or(san, |(_, v)| v);
    openssl(
        Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .arg("-subj")
            .arg(format!("/CN={cn}"))
            .arg("-addext")
            .arg(format!("subjectAltName={san}"))
            .arg("-keyout")
            .arg(key)
            .arg("-out")
            .arg(cert),
    );
}

/// `n` random bytes as hex, from /dev/urandom.
fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .expect("read /dev/urandom");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// One token the issuer handed out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The authenticated user; None for an anonymous token.
    pub user: Option<String>,
    /// What it grants, `TYPE:NAME:ACTION,…` (`repository:x:pull,push`), in
    /// the order asked; scopes granted nothing are left out.
    pub access: Vec<String>,
}

/// The token issuer of token mode: `GET /token?service=…&scope=…` on
/// 127.0.0.1, one connection at a time, answered with
/// `{"token": JWT, "access_token": JWT, "expires_in": 300}`.
///
/// The JWT is what distribution 2.8's token access controller verifies
/// (registry/auth/token/token.go): header `{typ: JWT, alg: RS256, x5c:
/// [the signing certificate, base64 DER]}`, which it checks against
/// `rootcertbundle`; claims iss, sub, aud (= service), exp, nbf, iat, jti and
/// `access: [{type, name, actions}]`. Signed by `openssl dgst -sha256 -sign`
/// (RS256 is PKCS#1 v1.5 over SHA-256).
struct TokenIssuer {
    port: u16,
    grants: Arc<Mutex<Vec<Grant>>>,
    refused: Arc<AtomicUsize>,
    spoil: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What the issuer thread needs to answer.
struct IssuerState {
    key: PathBuf,
    x5c: String,
    user: String,
    pass: String,
    grants: Arc<Mutex<Vec<Grant>>>,
    refused: Arc<AtomicUsize>,
    /// How many of the next tokens to issue already expired.
    spoil: Arc<AtomicUsize>,
}

impl TokenIssuer {
    fn start(key: &Path, cert: &Path, user: &str, pass: &str) -> TokenIssuer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the token issuer");
        let port = listener.local_addr().unwrap().port();
        let grants = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(AtomicUsize::new(0));
        let spoil = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let state = IssuerState {
            key: key.to_path_buf(),
            x5c: pem_body(&std::fs::read_to_string(cert).unwrap()),
            user: user.into(),
            pass: pass.into(),
            grants: Arc::clone(&grants),
            refused: Arc::clone(&refused),
            spoil: Arc::clone(&spoil),
        };
        let stop2 = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                // A client that connects and says nothing must not wedge
                // the issuer for the rest of the test.
                let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
                let _ = state.answer(&mut conn);
            }
        });
        TokenIssuer {
            port,
            grants,
            refused,
            spoil,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for TokenIssuer {
    fn drop(&mut self) {
        // Wake the accept with a connection of our own, then join.
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl IssuerState {
    fn answer(&self, conn: &mut TcpStream) -> std::io::Result<()> {
        let mut reader = BufReader::new(conn.try_clone()?);
        let mut request_line = String::new();
        reader.read_line(&mut request_line)?;
        let mut authorization = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                break;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("authorization")
            {
                authorization = Some(value.trim().to_string());
            }
        }
        let mut parts = request_line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if method != "GET" || path != "/token" {
            return respond(conn, "404 Not Found", "{\"error\":\"not found\"}");
        }
        let mut service = String::new();
        let mut scopes = Vec::new();
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(v);
            match k {
                "service" => service = v,
                // Several scopes come as repeated parameters or
                // space-separated in one.
                "scope" => scopes.extend(v.split(' ').filter(|s| !s.is_empty()).map(String::from)),
                _ => {}
            }
        }
        let subject = match authorization {
            None => None,
            Some(a) => match self.basic_user(&a) {
                Some(user) => Some(user),
                None => {
                    self.refused.fetch_add(1, Ordering::SeqCst);
                    return respond(
                        conn,
                        "401 Unauthorized",
                        "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad credentials\"}]}",
                    );
                }
            },
        };
        let access: Vec<serde_json::Value> = scopes
            .iter()
            .filter_map(|s| grant(s, subject.is_some()))
            .collect();
        let granted = access
            .iter()
            .map(|a| {
                let actions: Vec<&str> = a["actions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|x| x.as_str())
                    .collect();
                format!(
                    "{}:{}:{}",
                    a["type"].as_str().unwrap(),
                    a["name"].as_str().unwrap(),
                    actions.join(",")
                )
            })
            .collect();
        let token = self.jwt(subject.as_deref().unwrap_or(""), &service, access)?;
        self.grants.lock().unwrap().push(Grant {
            user: subject,
            access: granted,
        });
        let body = serde_json::json!({
            "token": token,
            "access_token": token,
            "expires_in": 300,
        });
        respond(conn, "200 OK", &body.to_string())
    }

    /// The user of a valid `Basic` authorization, else None.
    fn basic_user(&self, authorization: &str) -> Option<String> {
        let (scheme, b64) = authorization.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let raw = STANDARD.decode(b64.trim()).ok()?;
        let raw = String::from_utf8(raw).ok()?;
        let (user, pass) = raw.split_once(':')?;
        (user == self.user && pass == self.pass).then(|| user.to_string())
    }

    fn jwt(
        &self,
        subject: &str,
        service: &str,
        access: Vec<serde_json::Value>,
    ) -> std::io::Result<String> {
        let mut now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let spoiled = self
            .spoil
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if spoiled {
            // Well past the registry's 60 s leeway.
            now -= 3600;
        }
        let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]});
        let claims = serde_json::json!({
            "iss": TOKEN_ISSUER,
            "sub": subject,
            "aud": service,
            "exp": now + 300,
            "nbf": now,
            "iat": now,
            "jti": random_hex(16),
            "access": access,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut child = Command::new("openssl")
            .args(["dgst", "-sha256", "-sign"])
            .arg(&self.key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(signing_input.as_bytes())?;
        let out = child.wait_with_output()?;
        if !out.status.success() || out.stdout.is_empty() {
            return Err(std::io::Error::other(format!(
                "openssl dgst -sign: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(&out.stdout)
        ))
    }
}

/// The access a scope `TYPE:NAME:ACTIONS` is granted: all the actions asked
/// for when authenticated, only `pull` of a repository when anonymous.
fn grant(scope: &str, authenticated: bool) -> Option<serde_json::Value> {
    // NAME may hold ':' in principle; TYPE is before the first, ACTIONS
    // after the last.
    let (kind, rest) = scope.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    let actions: Vec<&str> = actions
        .split(',')
        .filter(|a| !a.is_empty() && (authenticated || (kind == "repository" && *a == "pull")))
        .collect();
    if actions.is_empty() {
        return None;
    }
    Some(serde_json::json!({"type": kind, "name": name, "actions": actions}))
}

fn respond(conn: &mut TcpStream, status: &str, body: &str) -> std::io::Result<()> {
    write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )?;
    conn.flush()
}

/// The base64 between a PEM's BEGIN and END lines: the DER, as x5c wants it.
fn pem_body(pem: &str) -> String {
    pem.lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect()
}

/// `%XX` and `+` decoding of a query value.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
