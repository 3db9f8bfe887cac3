//! Credentials for registries, where podman and Docker keep them: auth
//! files (`{"auths":{HOST:{"auth":base64("user:pass")}}}`, containers-auth.json(5))
//! and the credential helpers they name (`credHelpers`, `credsStore`: a
//! `docker-credential-NAME` program spoken to over stdin and stdout).
//!
//! Read order is containers/image's `pkg/docker/config`: `--authfile` or
//! `$REGISTRY_AUTH_FILE` alone if given; else
//! `$XDG_RUNTIME_DIR/containers/auth.json`,
//! `$XDG_CONFIG_HOME/containers/auth.json`, `$DOCKER_CONFIG/config.json`
//! (default `~/.docker/config.json`) and the legacy `~/.dockercfg`; the first
//! file with credentials for the host wins. `login` writes the first of them
//! (the one podman writes), keeping everything else in it, mode 0600 through
//! a 0600 temporary file renamed into place.
//!
//! Secrets stay out of errors and logs: a file that does not parse is
//! reported by position, never by content.

use super::Credentials;
use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use serde_json::{Map, Value};
use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The auth files berth reads, and the one it writes.
#[derive(Debug, Clone)]
pub struct AuthFiles {
    read: Vec<AuthPath>,
    /// Set when the write target is the default under `$XDG_RUNTIME_DIR`:
    /// like podman, berth does not create a missing runtime dir.
    runtime_dir: Option<PathBuf>,
}

#[derive(Debug, Clone)]
struct AuthPath {
    path: PathBuf,
    /// `~/.dockercfg`: the hosts map at the top level, no `auths`.
    legacy: bool,
}

/// The environment the paths come from, read once (tests give their own).
#[derive(Debug, Default, Clone)]
struct Env {
    registry_auth_file: Option<PathBuf>,
    xdg_runtime_dir: Option<PathBuf>,
    xdg_config_home: Option<PathBuf>,
    docker_config: Option<PathBuf>,
    home: Option<PathBuf>,
    uid: u32,
}

impl Env {
    fn current() -> Env {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Env {
            registry_auth_file: var("REGISTRY_AUTH_FILE"),
            xdg_runtime_dir: var("XDG_RUNTIME_DIR"),
            xdg_config_home: var("XDG_CONFIG_HOME"),
            docker_config: var("DOCKER_CONFIG"),
            home: var("HOME"),
            uid: nix::unistd::getuid().as_raw(),
        }
    }
}

/// What the docker-credential-helpers protocol says when it has nothing.
const HELPER_NOT_FOUND: &str = "credentials not found in native keychain";

/// How Docker writes Docker Hub's key, and what its helpers are asked for.
const DOCKER_HUB_URL: &str = "https://index.docker.io/v1/";

impl AuthFiles {
    /// `authfile` is `--authfile`; without it `$REGISTRY_AUTH_FILE`, then
    /// the default files.
    pub fn new(authfile: Option<PathBuf>) -> AuthFiles {
        AuthFiles::with_env(authfile, &Env::current())
    }

    fn with_env(authfile: Option<PathBuf>, env: &Env) -> AuthFiles {
        if let Some(only) = authfile.or_else(|| env.registry_auth_file.clone()) {
            return AuthFiles {
                read: vec![AuthPath {
                    path: only,
                    legacy: false,
                }],
                runtime_dir: None,
            };
        }
        let plain = |path: PathBuf| AuthPath {
            path,
            legacy: false,
        };
        let mut read = Vec::new();
        let runtime_dir = env.xdg_runtime_dir.clone();
        match &runtime_dir {
            Some(dir) => read.push(plain(dir.join("containers/auth.json"))),
            // podman's fallback when XDG_RUNTIME_DIR is unset.
            None => read.push(plain(PathBuf::from(format!(
                "/run/containers/{}/auth.json",
                env.uid
            )))),
        }
        let config_home = env
            .xdg_config_home
            .clone()
            .or_else(|| env.home.as_ref().map(|h| h.join(".config")));
        if let Some(c) = config_home {
            read.push(plain(c.join("containers/auth.json")));
        }
        match (&env.docker_config, &env.home) {
            (Some(d), _) => read.push(plain(d.join("config.json"))),
            (None, Some(h)) => read.push(plain(h.join(".docker/config.json"))),
            (None, None) => {}
        }
        if let Some(h) = &env.home {
            read.push(AuthPath {
                path: h.join(".dockercfg"),
                legacy: true,
            });
        }
        AuthFiles { read, runtime_dir }
    }

    /// The file `login` writes and `logout` edits.
    pub fn write_path(&self) -> &Path {
        // Never empty: `with_env` always puts the write target first.
        &self.read[0].path
    }

    /// The credentials stored for registry `host` (`docker.io` also matches
    /// Docker's `https://index.docker.io/v1/`); keys scoped to a repository
    /// (`host/ns/repo`) are not the host's.
    pub fn credentials(&self, host: &str) -> Result<Option<Credentials>> {
        Ok(self.lookup(host)?.map(|(c, _)| c))
    }

    /// The credentials for repository `repo` of `host`: the longest key
    /// among `host/repo`, its parent namespaces and `host`, as podman looks
    /// them up.
    pub fn credentials_for(&self, host: &str, repo: &str) -> Result<Option<Credentials>> {
        let key = if repo.is_empty() {
            host.to_string()
        } else {
            format!("{host}/{repo}")
        };
        Ok(self.lookup(&key)?.map(|(c, _)| c))
    }

    /// The credentials for `key` (`host` or `host/repo`) and where they came
    /// from (a file, or a helper named in one), for messages.
    pub fn lookup(&self, key: &str) -> Result<Option<(Credentials, String)>> {
        let host = key.split('/').next().unwrap_or(key);
        for ap in &self.read {
            let Some(doc) = read_doc(&ap.path)? else {
                continue;
            };
            let file = ap.path.display();
            let (auths, helpers, store) = if ap.legacy {
                (Some(&doc), None, None)
            } else {
                (
                    doc.get("auths"),
                    doc.get("credHelpers"),
                    doc.get("credsStore").and_then(Value::as_str),
                )
            };
            // A helper named for the host answers for this file; when it
            // has nothing, the next file may (containers/image's order).
            if let Some(helper) = helper_for(helpers, host) {
                let helper = helper.with_context(|| format!("in `{file}`"))?;
                if let Some(c) = helper_get(helper, host)? {
                    let from = format!("credential helper `{helper}` (credHelpers in `{file}`)");
                    return Ok(Some((c, from)));
                }
                continue;
            }
            let auths = match auths {
                None | Some(Value::Null) => None,
                Some(Value::Object(m)) => Some(m),
                Some(_) => bail!("in `{file}`: `auths` is not an object"),
            };
            if let Some(auths) = auths
                && let Some(c) = find_in_auths(auths, key, host, ap.legacy)
                    .with_context(|| format!("in `{file}`"))?
            {
                return Ok(Some((c, format!("`{file}`"))));
            }
            if let Some(store) = store {
                check_helper_name(store).with_context(|| format!("in `{file}`"))?;
                if let Some(c) = helper_get(store, host)? {
                    let from = format!("credential helper `{store}` (credsStore in `{file}`)");
                    return Ok(Some((c, from)));
                }
            }
        }
        Ok(None)
    }

    /// Stores `c` for `host`: in the credential helper the write file names
    /// for it (`credHelpers`, `credsStore`), else in the file's `auths`.
    pub fn store(&self, host: &str, c: &Credentials) -> Result<()> {
        let path = self.writable_path()?;
        let file = path.display();
        let mut doc = read_doc(path)?.unwrap_or_else(|| Value::Object(Map::new()));
        let Value::Object(top) = &mut doc else {
            bail!("`{file}` is not a JSON object");
        };
        if let Some(helper) = write_helper(top, host).with_context(|| format!("in `{file}`"))? {
            return helper_store(&helper, host, c);
        }
        let auths = top
            .entry("auths")
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(auths) = auths else {
            bail!("in `{file}`: `auths` is not an object");
        };
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", c.username, c.secret));
        let mut entry = Map::new();
        entry.insert("auth".into(), Value::String(token));
        auths.insert(host.to_string(), Value::Object(entry));
        write_private(path, &doc)
    }

    /// Removes what `login` stored for `host` (from the write file and the
    /// helper it names); false if there was nothing. Credentials for `host`
    /// in the other files are not touched, as podman leaves them.
    pub fn remove(&self, host: &str) -> Result<bool> {
        let path = self.write_path();
        let file = path.display();
        let Some(mut doc) = read_doc(path)? else {
            return Ok(false);
        };
        let Value::Object(top) = &mut doc else {
            bail!("`{file}` is not a JSON object");
        };
        let mut found = false;
        if let Some(helper) = write_helper(top, host).with_context(|| format!("in `{file}`"))? {
            found = helper_erase(&helper, host)?;
        }
        let wanted = normalize_key(host, false);
        let mut changed = false;
        if let Some(Value::Object(auths)) = top.get_mut("auths") {
            let before = auths.len();
            auths.retain(|k, _| k != host && normalize_key(k, false) != wanted);
            changed = auths.len() != before;
        }
        if changed {
            write_private(path, &doc)?;
        }
        Ok(found || changed)
    }

    /// Removes every credential `login` stored: the write file's `auths`,
    /// and each host's entry in the helpers it names (the `credHelpers`
    /// mapping itself is configuration and stays).
    pub fn remove_all(&self) -> Result<()> {
        let path = self.write_path();
        let file = path.display();
        let Some(mut doc) = read_doc(path)? else {
            return Ok(());
        };
        let Value::Object(top) = &mut doc else {
            bail!("`{file}` is not a JSON object");
        };
        if let Some(Value::Object(helpers)) = top.get("credHelpers") {
            for (host, helper) in helpers {
                if let Some(helper) = helper.as_str() {
                    check_helper_name(helper).with_context(|| format!("in `{file}`"))?;
                    helper_erase(helper, host)?;
                }
            }
        }
        if let Some(store) = top.get("credsStore").and_then(Value::as_str) {
            check_helper_name(store).with_context(|| format!("in `{file}`"))?;
            // Docker leaves an empty `auths` entry for each host it stored
            // in credsStore; those are the hosts to erase.
            if let Some(Value::Object(auths)) = top.get("auths") {
                for host in auths.keys() {
                    helper_erase(store, host)?;
                }
            }
        }
        top.insert("auths".into(), Value::Object(Map::new()));
        write_private(path, &doc)
    }

    /// The write file, refusing a missing `$XDG_RUNTIME_DIR` as podman does
    /// (creating it would leave a runtime dir nobody cleans up).
    fn writable_path(&self) -> Result<&Path> {
        if let Some(dir) = &self.runtime_dir
            && !dir.is_dir()
        {
            bail!(
                "`{}` set by $XDG_RUNTIME_DIR does not exist: create it or unset XDG_RUNTIME_DIR",
                dir.display()
            );
        }
        Ok(self.write_path())
    }
}

/// The parsed file, or None if it does not exist. A parse error gives the
/// position only: the text around it may be a secret.
fn read_doc(path: &Path) -> Result<Option<Value>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading `{}`", path.display())),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Some(Value::Object(Map::new())));
    }
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        anyhow!(
            "reading `{}`: not valid JSON at line {}, column {}",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

/// `helpers[host]` (a `credHelpers` map), checked.
fn helper_for<'a>(helpers: Option<&'a Value>, host: &str) -> Option<Result<&'a str>> {
    let Some(Value::Object(helpers)) = helpers else {
        return None;
    };
    let wanted = normalize_key(host, false);
    let name = helpers.get(host).or_else(|| {
        helpers
            .iter()
            .find(|(k, _)| normalize_key(k, false) == wanted)
            .map(|(_, v)| v)
    })?;
    Some(match name.as_str() {
        Some(n) => check_helper_name(n).map(|()| n),
        None => Err(anyhow!("credHelpers[`{host}`] is not a string")),
    })
}

/// The helper `store`/`remove` use for `host` in the write file's `top`.
fn write_helper(top: &Map<String, Value>, host: &str) -> Result<Option<String>> {
    if let Some(h) = helper_for(top.get("credHelpers"), host) {
        return h.map(|n| Some(n.to_string()));
    }
    match top.get("credsStore").and_then(Value::as_str) {
        Some(store) => {
            check_helper_name(store)?;
            Ok(Some(store.to_string()))
        }
        None => Ok(None),
    }
}

/// The `auths` entry for `key`: the exact key and then its parents (podman's
/// order: `host/ns/repo`, `host/ns`, `host`), then any key that is `host`
/// written another way (`https://host/v1/`, Docker Hub's aliases).
fn find_in_auths(
    auths: &Map<String, Value>,
    key: &str,
    host: &str,
    legacy: bool,
) -> Result<Option<Credentials>> {
    let mut candidates = Vec::new();
    if legacy {
        candidates.push(host);
    } else {
        let mut k = key;
        loop {
            candidates.push(k);
            match k.rfind('/') {
                Some(i) => k = &k[..i],
                None => break,
            }
        }
    }
    for k in candidates {
        if let Some(entry) = auths.get(k)
            && let Some(c) = decode_entry(k, entry)?
        {
            return Ok(Some(c));
        }
    }
    let wanted = normalize_key(host, false);
    for (k, entry) in auths {
        if normalize_key(k, legacy) == wanted
            && let Some(c) = decode_entry(k, entry)?
        {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// `{"auth": base64("user:pass")}` → credentials; an empty entry (Docker's
/// marker for a host kept in credsStore) is none.
fn decode_entry(key: &str, entry: &Value) -> Result<Option<Credentials>> {
    let Value::Object(entry) = entry else {
        bail!("the entry for `{key}` is not an object");
    };
    let auth = match entry.get("auth") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s,
        Some(_) => bail!("the `auth` of `{key}` is not a string"),
    };
    if auth.is_empty() {
        return Ok(None);
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(auth.trim())
        .map_err(|_| anyhow!("the `auth` of `{key}` is not base64"))?;
    let text = String::from_utf8(decoded)
        .map_err(|_| anyhow!("the `auth` of `{key}` is not UTF-8 text"))?;
    let Some((user, pass)) = text.split_once(':') else {
        log::warn!("the `auth` of `{key}` has no `:` between user and password; ignored");
        return Ok(None);
    };
    Ok(Some(Credentials {
        username: user.to_string(),
        secret: pass.trim_matches('\0').to_string(),
    }))
}

/// containers/image's key normalisation: a URL scheme and what follows the
/// host go (`https://index.docker.io/v1/` → `index.docker.io`); Docker Hub's
/// names are one.
fn normalize_key(key: &str, legacy: bool) -> String {
    let stripped = key
        .strip_prefix("http://")
        .or_else(|| key.strip_prefix("https://"));
    let host = match stripped {
        Some(s) => s.split('/').next().unwrap_or(s),
        None if legacy => key.split('/').next().unwrap_or(key),
        None => key,
    };
    match host {
        "registry-1.docker.io" | "docker.io" => "index.docker.io".to_string(),
        h => h.to_string(),
    }
}

/// A helper name is a suffix of a program name, not a path.
fn check_helper_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        bail!("`{name}` is not a credential helper name");
    }
    Ok(())
}

fn helper_program(name: &str) -> String {
    format!("docker-credential-{name}")
}

/// `docker-credential-NAME ACTION` with `input` on stdin: Ok(Some(stdout)) on
/// success, Ok(None) when the helper says it has no such credentials.
fn run_helper(name: &str, action: &str, input: &[u8]) -> Result<Option<Vec<u8>>> {
    let program = helper_program(name);
    let mut child = Command::new(&program)
        .arg(action)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running credential helper `{program}`"))?;
    // The secret goes through a pipe, never a file or the argument list.
    // A helper that exits without reading gives EPIPE here; its exit status
    // below says what happened.
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input);
    }
    let out = child
        .wait_with_output()
        .with_context(|| format!("running credential helper `{program}`"))?;
    if out.status.success() {
        return Ok(Some(out.stdout));
    }
    let said = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .chars()
            .take(200)
            .collect::<String>()
    };
    let message = match said(&out.stdout) {
        m if m.is_empty() => said(&out.stderr),
        m => m,
    };
    if message == HELPER_NOT_FOUND {
        return Ok(None);
    }
    bail!(
        "credential helper `{program} {action}`: {}: {message}",
        out.status
    )
}

fn helper_get(name: &str, host: &str) -> Result<Option<Credentials>> {
    #[derive(serde::Deserialize)]
    struct Reply {
        #[serde(rename = "Username")]
        username: String,
        #[serde(rename = "Secret")]
        secret: String,
    }
    let mut out = run_helper(name, "get", host.as_bytes())?;
    // Docker's helpers know Docker Hub by its v1 URL.
    if out.is_none() && normalize_key(host, false) == "index.docker.io" {
        out = run_helper(name, "get", DOCKER_HUB_URL.as_bytes())?;
    }
    let Some(out) = out else {
        return Ok(None);
    };
    let reply: Reply = serde_json::from_slice(&out).map_err(|_| {
        anyhow!(
            "credential helper `{}` answered `get` with something other than {{\"Username\",\"Secret\"}}",
            helper_program(name)
        )
    })?;
    Ok(Some(Credentials {
        username: reply.username,
        secret: reply.secret,
    }))
}

fn helper_store(name: &str, host: &str, c: &Credentials) -> Result<()> {
    let input = serde_json::json!({
        "ServerURL": host,
        "Username": c.username,
        "Secret": c.secret,
    });
    run_helper(name, "store", input.to_string().as_bytes())?
        .map(|_| ())
        .with_context(|| format!("credential helper `{}` did not store", helper_program(name)))
}

/// True if the helper had credentials for `host` and erased them.
fn helper_erase(name: &str, host: &str) -> Result<bool> {
    Ok(run_helper(name, "erase", host.as_bytes())?.is_some())
}

/// Writes `doc` to `path` as podman does: directories 0700, the file 0600,
/// through a temporary file in the same directory (created 0600, so the
/// secret is never readable by others, and renamed only when complete).
fn write_private(path: &Path, doc: &Value) -> Result<()> {
    let file = path.display();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating `{}`", dir.display()))?;
    let mut bytes = serde_json::to_vec_pretty(doc).context("serialising the auth file")?;
    bytes.push(b'\n');
    let mut tmp = tempfile::Builder::new()
        .prefix(".auth.json-")
        .tempfile_in(dir)
        .with_context(|| format!("writing `{file}`"))?;
    tmp.write_all(&bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("writing `{file}`"))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("writing `{file}`"))?;
    crate::layout::sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn creds(u: &str, p: &str) -> Credentials {
        Credentials {
            username: u.into(),
            secret: p.into(),
        }
    }

    fn pair(u: &str, p: &str) -> (String, String) {
        (u.into(), p.into())
    }

    fn got(r: Result<Option<Credentials>>) -> Option<(String, String)> {
        r.unwrap().map(|c| (c.username, c.secret))
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn auth_json(entries: &[(&str, &str)]) -> String {
        let auths: Map<String, Value> = entries
            .iter()
            .map(|(k, up)| (k.to_string(), serde_json::json!({ "auth": b64(up) })))
            .collect();
        serde_json::json!({ "auths": auths }).to_string()
    }

    /// A home, a runtime dir and a config home under one temp dir.
    struct World {
        dir: tempfile::TempDir,
        env: Env,
    }

    impl World {
        fn new() -> World {
            let dir = tempfile::tempdir().unwrap();
            let p = |s: &str| {
                let p = dir.path().join(s);
                std::fs::create_dir_all(&p).unwrap();
                Some(p)
            };
            let env = Env {
                registry_auth_file: None,
                xdg_runtime_dir: p("run"),
                xdg_config_home: p("config"),
                docker_config: None,
                home: p("home"),
                uid: 1000,
            };
            World { dir, env }
        }

        fn write(&self, rel: &str, text: &str) -> PathBuf {
            let p = self.dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
            p
        }

        fn files(&self) -> AuthFiles {
            AuthFiles::with_env(None, &self.env)
        }
    }

    #[test]
    fn files_are_read_in_podmans_order_and_the_first_match_wins() {
        let w = World::new();
        let f = w.files();
        assert_eq!(got(f.credentials("r.io")), None);
        w.write(
            "home/.dockercfg",
            &format!(r#"{{"r.io":{{"auth":"{}"}}}}"#, b64("legacy:1")),
        );
        assert_eq!(got(f.credentials("r.io")), Some(pair("legacy", "1")));
        w.write(
            "home/.docker/config.json",
            &auth_json(&[("r.io", "docker:2")]),
        );
        assert_eq!(got(f.credentials("r.io")), Some(pair("docker", "2")));
        w.write(
            "config/containers/auth.json",
            &auth_json(&[("r.io", "config:3")]),
        );
        assert_eq!(got(f.credentials("r.io")), Some(pair("config", "3")));
        w.write("run/containers/auth.json", &auth_json(&[("r.io", "run:4")]));
        let (c, from) = f.lookup("r.io").unwrap().unwrap();
        assert_eq!((c.username, c.secret), pair("run", "4"));
        assert!(from.contains("run/containers/auth.json"), "{from}");
        // Other hosts still fall through to the files that have them.
        w.write(
            "home/.docker/config.json",
            &auth_json(&[("other.io", "docker:5")]),
        );
        assert_eq!(got(f.credentials("other.io")), Some(pair("docker", "5")));
    }

    #[test]
    fn an_authfile_or_registry_auth_file_is_the_only_file_read() {
        let mut w = World::new();
        w.write("run/containers/auth.json", &auth_json(&[("r.io", "run:1")]));
        let only = w.write("only.json", &auth_json(&[("s.io", "only:2")]));
        let f = AuthFiles::with_env(Some(only.clone()), &w.env);
        assert_eq!(got(f.credentials("r.io")), None);
        assert_eq!(got(f.credentials("s.io")), Some(pair("only", "2")));
        assert_eq!(f.write_path(), only);
        w.env.registry_auth_file = Some(only.clone());
        let f = w.files();
        assert_eq!(got(f.credentials("r.io")), None);
        assert_eq!(f.write_path(), only);
    }

    #[test]
    fn docker_config_moves_the_docker_file() {
        let mut w = World::new();
        let d = w.write("dc/config.json", &auth_json(&[("r.io", "dc:1")]));
        w.env.docker_config = Some(d.parent().unwrap().to_path_buf());
        assert_eq!(got(w.files().credentials("r.io")), Some(pair("dc", "1")));
    }

    #[test]
    fn url_keys_and_docker_hub_names_match_the_host() {
        let w = World::new();
        w.write(
            "home/.docker/config.json",
            &auth_json(&[
                (DOCKER_HUB_URL, "hub:1"),
                ("https://quay.io/v2/", "quay:2"),
                ("ghcr.io/ns/repo", "scoped:3"),
            ]),
        );
        let f = w.files();
        assert_eq!(got(f.credentials("docker.io")), Some(pair("hub", "1")));
        assert_eq!(got(f.credentials("quay.io")), Some(pair("quay", "2")));
        // A repository-scoped key is not the host's...
        assert_eq!(got(f.credentials("ghcr.io")), None);
        // ...but is found for that repository and below it, longest first.
        assert_eq!(
            got(f.credentials_for("ghcr.io", "ns/repo")),
            Some(pair("scoped", "3"))
        );
        assert_eq!(
            got(f.credentials_for("ghcr.io", "ns/repo/sub")),
            Some(pair("scoped", "3"))
        );
        assert_eq!(got(f.credentials_for("ghcr.io", "ns/other")), None);
        assert_eq!(
            got(f.credentials_for("docker.io", "library/alpine")),
            Some(pair("hub", "1"))
        );
    }

    #[test]
    fn a_password_may_hold_colons_and_empty_entries_are_skipped() {
        let w = World::new();
        w.write(
            "run/containers/auth.json",
            r#"{"auths":{"a.io":{},"b.io":{"auth":""}}}"#,
        );
        w.write("home/.docker/config.json", &auth_json(&[("a.io", "u:p:q")]));
        let f = w.files();
        assert_eq!(got(f.credentials("a.io")), Some(pair("u", "p:q")));
        assert_eq!(got(f.credentials("b.io")), None);
    }

    #[test]
    fn broken_files_are_named_and_their_content_is_not_shown() {
        let w = World::new();
        let secret = b64("user:hunter2");
        for (text, expect) in [
            (
                format!("{{\"auths\":{{\"a.io\":{{\"auth\":\"{secret}\"}}"),
                "not valid JSON",
            ),
            (
                format!("{{\"auths\":{{\"a.io\":\"{secret}\"}}}}"),
                "not an object",
            ),
            (
                format!("{{\"auths\":{{\"a.io\":{{\"auth\":[\"{secret}\"]}}}}}}"),
                "not a string",
            ),
            (
                "{\"auths\":{\"a.io\":{\"auth\":\"%%%\"}}}".to_string(),
                "not base64",
            ),
        ] {
            let p = w.write("run/containers/auth.json", &text);
            let e = match w.files().credentials("a.io") {
                Ok(c) => panic!("{text}: accepted as {c:?}"),
                Err(e) => format!("{e:#}"),
            };
            assert!(e.contains(&p.display().to_string()), "{e}");
            assert!(e.contains(expect), "{text}: {e}");
            assert!(!e.contains(&secret) && !e.contains("hunter2"), "{e}");
        }
    }

    #[test]
    fn the_secret_is_hidden_from_debug() {
        let shown = format!("{:?}", creds("me", "hunter2"));
        assert!(
            shown.contains("me") && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn store_writes_the_runtime_file_0600_and_keeps_other_keys() {
        let w = World::new();
        let p = w.write(
            "run/containers/auth.json",
            &format!(
                r#"{{"auths":{{"other.io":{{"auth":"{}"}}}},"credHelpers":{{}},"x-custom":{{"keep":true}}}}"#,
                b64("o:1")
            ),
        );
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let f = w.files();
        f.store("r.io", &creds("me", "s3cr:et")).unwrap();
        assert_eq!(mode(&p), 0o600);
        let doc: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        assert_eq!(doc["auths"]["r.io"]["auth"], b64("me:s3cr:et"));
        assert_eq!(doc["auths"]["other.io"]["auth"], b64("o:1"));
        assert_eq!(doc["x-custom"]["keep"], true);
        assert_eq!(got(f.credentials("r.io")), Some(pair("me", "s3cr:et")));
        // No temporary file is left beside it.
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["auth.json"]);
    }

    #[test]
    fn store_creates_private_dirs_and_file() {
        let w = World::new();
        let f = AuthFiles::with_env(Some(w.dir.path().join("new/dir/auth.json")), &w.env);
        f.store("r.io", &creds("me", "pw")).unwrap();
        assert_eq!(mode(&w.dir.path().join("new")), 0o700);
        assert_eq!(mode(&w.dir.path().join("new/dir")), 0o700);
        assert_eq!(mode(f.write_path()), 0o600);
        // The default target under a runtime dir that does not exist is refused.
        let mut env = w.env.clone();
        env.xdg_runtime_dir = Some(w.dir.path().join("missing"));
        let e = AuthFiles::with_env(None, &env)
            .store("r.io", &creds("me", "pw"))
            .unwrap_err();
        assert!(format!("{e:#}").contains("XDG_RUNTIME_DIR"), "{e:#}");
    }

    #[test]
    fn remove_takes_out_the_host_only_and_says_whether_it_was_there() {
        let w = World::new();
        let p = w.write(
            "run/containers/auth.json",
            &auth_json(&[("a.io", "a:1"), ("b.io", "b:2"), (DOCKER_HUB_URL, "h:3")]),
        );
        let f = w.files();
        assert!(f.remove("a.io").unwrap());
        assert!(!f.remove("a.io").unwrap());
        assert!(f.remove("docker.io").unwrap());
        assert_eq!(got(f.credentials("b.io")), Some(pair("b", "2")));
        assert_eq!(mode(&p), 0o600);
        f.remove_all().unwrap();
        assert_eq!(got(f.credentials("b.io")), None);
        // Nothing to remove without a file.
        let empty = World::new();
        assert!(!empty.files().remove("a.io").unwrap());
        empty.files().remove_all().unwrap();
    }

    /// The helper protocol itself is exercised in tests/login.rs, with a
    /// helper on the PATH berth runs with; here: a name that would be a path
    /// is refused before anything runs.
    #[test]
    fn helper_names_are_not_paths() {
        let w = World::new();
        w.write(
            "run/containers/auth.json",
            r#"{"auths":{},"credHelpers":{"a.io":"../../tmp/x"}}"#,
        );
        let e = w.files().credentials("a.io").unwrap_err();
        assert!(
            format!("{e:#}").contains("not a credential helper name"),
            "{e:#}"
        );
    }
}
