//! The registry v2 API client: one `Client` per registry host, shared by
//! the threads of a pull or push. It decides once whether the host speaks
//! https or (when allowed) plain http, learns the registry's auth scheme
//! from `GET /v2/`, fetches and caches Bearer tokens per scope, retries
//! what is safe to retry, and turns statuses into typed errors
//! (`registry::Error`). It moves bytes only: parsing manifests and
//! verifying blobs is the caller's job, except that a manifest asked for by
//! digest is checked here (the bytes are in hand anyway).
//!
//! Compare containers/image `docker/docker_client.go`.

use super::auth::{self, Credentials, Scheme, Token, TokenCache};
use super::error::{Error, ErrorKind, registry_message};
use crate::store::digest::Digest;
use anyhow::Result;
use std::io::Read;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use ureq::http::{Method, Response, StatusCode};

/// How to reach one registry host; filled by the caller from flags and
/// `registries.conf`.
#[derive(Debug, Default, Clone)]
pub struct ClientOptions {
    /// `--tls-verify`: None is the default (verify, except for an
    /// `insecure` registry).
    pub tls_verify: Option<bool>,
    /// `--cert-dir`; else the `certs.d` directory of the host.
    pub cert_dir: Option<PathBuf>,
    /// `registries.conf` says `insecure = true` for this host.
    pub insecure: bool,
    pub credentials: Option<Credentials>,
}

/// A manifest as the registry sent it.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub media_type: String,
    pub bytes: Vec<u8>,
    pub digest: Digest,
}

/// The media types berth asks for. Schema 1 is asked for too, so that a
/// registry holding only that answers with it and the caller can refuse it
/// by name instead of getting a bare 404.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, \
     application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.docker.distribution.manifest.v1+prettyjws;q=0.5, \
     application/vnd.docker.distribution.manifest.v1+json;q=0.5";

/// Schema 1's media type, for a manifest whose Content-Type said nothing.
const SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";

/// A manifest is JSON a few KiB long; more than this is refused before it
/// is all in memory.
const MAX_MANIFEST: u64 = 4 << 20;

/// Error bodies and token answers are small; read at most this much.
const MAX_SMALL_BODY: u64 = 1 << 20;

/// Blobs up to this size go in one PUT; larger ones in one PATCH, then a
/// PUT to commit them, as containers/image and Docker upload. (Chunks of
/// this size, one PATCH each, cost the registry a hash-state save and
/// restore per chunk and bought nothing: a failed PATCH is not retried.)
const MONOLITHIC_MAX: u64 = 32 << 20;

/// Bounded retries: tries in all for a transport error or 5xx on GET/HEAD,
/// and waits for 429.
const TRIES: u32 = 3;
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// All the pages of one listing (tags, catalog) together: a registry that
/// keeps sending `rel="next"` cannot make berth hold more than this.
const MAX_LISTING: u64 = 64 << 20;

/// Redirects followed for one GET/HEAD (blob storage behind a CDN).
const MAX_REDIRECTS: u32 = 5;

/// One client per registry host. Send + Sync: the threads of a pull share
/// it, and with it the connection pool and the token cache.
pub struct Client {
    /// The host as the user named it (`docker.io`), for messages.
    host: String,
    /// The host spoken to (`registry-1.docker.io`, `127.0.0.1:5000`).
    api: String,
    agent: ureq::Agent,
    /// Plain http may be tried when https fails: `--tls-verify=false`, an
    /// insecure registry, or a loopback address.
    may_use_http: bool,
    credentials: Option<Credentials>,
    /// `https://api` or `http://api`, decided by the first request.
    origin: Mutex<Option<String>>,
    /// The probe that decided the origin got a 200 from `/v2/` without
    /// credentials: a [`Client::ping`] would ask the same again.
    open_to_anyone: std::sync::atomic::AtomicBool,
    auth: Mutex<AuthState>,
}

#[derive(Debug)]
struct AuthState {
    scheme: Scheme,
    tokens: TokenCache,
}

/// A request's body: none, bytes that can be sent again, or a stream that
/// can be sent once.
enum Body<'a> {
    None,
    Bytes(&'a [u8]),
    Stream(&'a mut dyn Read, u64),
    /// A stream whose length is known only at its end: sent with chunked
    /// transfer encoding.
    Chunked(&'a mut dyn Read),
}

impl Body<'_> {
    fn replayable(&self) -> bool {
        !matches!(self, Body::Stream(..) | Body::Chunked(_))
    }
}

/// One API request before it is sent.
struct Req<'a> {
    method: Method,
    /// A path (`/v2/…`) on the registry, or an absolute URL it gave us.
    url: String,
    repo: Option<&'a str>,
    scopes: Vec<String>,
    headers: Vec<(&'static str, String)>,
    /// Sent without Authorization whatever the registry asks for.
    anonymous: bool,
}

impl<'a> Req<'a> {
    fn new(method: Method, url: impl Into<String>, repo: Option<&'a str>) -> Req<'a> {
        Req {
            method,
            url: url.into(),
            repo,
            scopes: Vec::new(),
            headers: Vec::new(),
            anonymous: false,
        }
    }

    fn scope(mut self, s: String) -> Self {
        self.scopes.push(s);
        self
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

fn is_loopback(api: &str) -> bool {
    let name = match api.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => api.rsplit_once(':').map_or(api, |(h, p)| {
            // "::1" without brackets has colons but no port.
            if p.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') {
                h
            } else {
                api
            }
        }),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether credentials may go to `url`: https, or plain http to this
/// machine. The URL is judged as the HTTP stack will parse it: a realm
/// like `http://[::1]@evil.example/` names the host `evil.example` (the
/// bracketed part is user info), so a URL with user info is refused.
fn may_send_secret(url: &str) -> bool {
    let Ok(uri) = url.parse::<ureq::http::Uri>() else {
        return false;
    };
    let Some(authority) = uri.authority() else {
        return false;
    };
    if authority.as_str().contains('@') {
        return false;
    }
    match uri.scheme_str() {
        Some("https") => true,
        Some("http") => is_loopback(authority.host()),
        _ => false,
    }
}

/// The value of a header, if it is there and text.
fn header<'r>(resp: &'r Response<ureq::Body>, name: &str) -> Option<&'r str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

/// `scheme://host[:port]` of an absolute URL.
fn origin_of(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let end = rest
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| url.len() - rest.len() + i);
    Some(&url[..end])
}

/// The `next` target of a `Link` header (RFC 8288):
/// `</v2/_catalog?last=x&n=100>; rel="next"`.
pub(crate) fn link_next(link: &str) -> Option<String> {
    for part in link.split(',') {
        let part = part.trim();
        let Some(rest) = part.strip_prefix('<') else {
            continue;
        };
        let Some((target, params)) = rest.split_once('>') else {
            continue;
        };
        let is_next = params.split(';').any(|p| {
            let p = p.trim();
            p.split_once('=').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("rel")
                    && v.trim()
                        .trim_matches('"')
                        .split_ascii_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("next"))
            })
        });
        if is_next && !target.is_empty() {
            return Some(target.to_string());
        }
    }
    None
}

/// Whether a transport failure may go away if the request is sent again.
fn transient(e: &ureq::Error) -> bool {
    use std::io::ErrorKind as K;
    match e {
        ureq::Error::Timeout(_) | ureq::Error::ConnectionFailed => true,
        ureq::Error::Io(io) => matches!(
            io.kind(),
            K::ConnectionRefused
                | K::ConnectionReset
                | K::ConnectionAborted
                | K::NotConnected
                | K::BrokenPipe
                | K::TimedOut
                | K::UnexpectedEof
                | K::Interrupted
        ),
        _ => false,
    }
}

/// A tag (`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`) or a digest: what may follow
/// `/manifests/` without changing the URL's meaning.
fn check_reference(reference: &str) -> Result<Option<Digest>> {
    if reference.contains(':') {
        return Ok(Some(Digest::parse(reference)?));
    }
    let ok = !reference.is_empty()
        && reference.len() <= 128
        && !reference.starts_with(['.', '-'])
        && reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !ok {
        anyhow::bail!("invalid tag `{reference}`");
    }
    Ok(None)
}

/// A repository path: lowercase components separated by `/`, as the
/// distribution spec allows; anything else would change the URL.
fn check_repo(repo: &str) -> Result<()> {
    let ok = !repo.is_empty()
        && repo.len() <= 255
        && repo.split('/').all(|c| {
            !c.is_empty()
                && c.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                })
        });
    if !ok {
        anyhow::bail!("invalid repository name `{repo}`");
    }
    Ok(())
}

impl Client {
    /// A client for `host` (`docker.io`, `quay.io`, `127.0.0.1:5000`). No
    /// connection is made until the first request.
    pub fn new(host: &str, opts: ClientOptions) -> Result<Client> {
        if host.is_empty() || host.contains(['/', '@', '?', '#', ' ']) {
            anyhow::bail!("invalid registry host `{host}`");
        }
        // Docker Hub's registry API lives on its own host; `index.docker.io`
        // (the v1 index, where its search is) stays what it says.
        let api = match host {
            "docker.io" => "registry-1.docker.io",
            h => h,
        };
        let loopback = is_loopback(api);
        let verify = opts.tls_verify.unwrap_or(!opts.insecure);
        let tls = super::tls::config(api, opts.cert_dir.as_deref(), verify).map_err(|e| {
            anyhow::Error::new(Error::new(ErrorKind::Tls, host, None, format!("{e:#}")))
        })?;
        let builder = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Redirects are followed by hand: only to the registry itself
            // does the Authorization header go.
            .max_redirects(0)
            .user_agent(format!("berth/{}", env!("CARGO_PKG_VERSION")))
            // Blobs are hashed as they came; no transparent decompression.
            .accept_encoding(ureq::config::AutoHeaderValue::None)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(300)))
            // A stalled connection, not a long download, is what times out.
            .timeout_per_read(Some(Duration::from_secs(300)))
            .max_idle_connections_per_host(16);
        let agent = match tls {
            super::tls::Setup::Ureq(t) => builder.tls_config(t).build().new_agent(),
            super::tls::Setup::Pinned(c) => ureq::Agent::with_parts(
                builder.build(),
                super::tls_connector::connector(c),
                ureq::unversioned::resolver::DefaultResolver::default(),
            ),
        };
        Ok(Client {
            host: host.to_string(),
            api: api.to_string(),
            agent,
            // An explicit --tls-verify=true means https only, even to
            // this machine.
            may_use_http: match opts.tls_verify {
                Some(v) => !v,
                None => opts.insecure || loopback,
            },
            credentials: opts.credentials,
            origin: Mutex::new(None),
            open_to_anyone: std::sync::atomic::AtomicBool::new(false),
            auth: Mutex::new(AuthState {
                scheme: Scheme::None,
                tokens: TokenCache::default(),
            }),
        })
    }

    fn err(&self, kind: ErrorKind, repo: Option<&str>, msg: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Error::new(kind, &self.host, repo, msg))
    }

    /// A transport failure as a typed error.
    fn transport(&self, repo: Option<&str>, e: &ureq::Error) -> anyhow::Error {
        let kind = match e {
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => ErrorKind::Tls,
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => ErrorKind::Tls,
            ureq::Error::Protocol(_) | ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
                ErrorKind::Protocol
            }
            _ => ErrorKind::Unreachable,
        };
        let msg = match kind {
            ErrorKind::Tls => tls_message(&e.to_string()),
            ErrorKind::Protocol => format!("bad HTTP response: {e}"),
            _ => format!("cannot connect: {e}"),
        };
        self.err(kind, repo, msg)
    }

    /// `https://api` or `http://api`: decided by the first request and
    /// remembered. https is tried first; plain http only when allowed and
    /// https failed, and only if what answers on http is a registry (a TLS
    /// server answers plain http with a 400, which would hide the real
    /// problem, e.g. an untrusted certificate).
    fn origin(&self) -> Result<String> {
        let mut o = self.origin.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = o.as_ref() {
            return Ok(s.clone());
        }
        let https = format!("https://{}", self.api);
        let first = match self.probe(&https) {
            Ok(()) => {
                *o = Some(https.clone());
                return Ok(https);
            }
            Err(e) => e,
        };
        // Plain http only when https got an answer that was not TLS: when
        // nothing listens, http on the same port will not do better.
        let connected = !transient(&first) && !matches!(first, ureq::Error::HostNotFound);
        if self.may_use_http && connected {
            let http = format!("http://{}", self.api);
            if self.probe(&http).is_ok() {
                log::debug!("{}: speaking plain http", self.api);
                *o = Some(http.clone());
                return Ok(http);
            }
        }
        Err(self.transport(None, &first))
    }

    /// `GET /v2/` without credentials: whether `origin` answers as a
    /// registry; its challenge, if any, is remembered.
    fn probe(&self, origin: &str) -> Result<(), ureq::Error> {
        let url = format!("{origin}/v2/");
        let mut tries = 0;
        let mut resp = loop {
            tries += 1;
            match self.agent.get(&url).call() {
                Ok(r) => break r,
                Err(e) if transient(&e) && tries < TRIES => backoff(tries),
                Err(e) => return Err(e),
            }
        };
        // Read to its end, the connection is kept for the next request.
        drain(&mut resp);
        let status = resp.status();
        let registry_like = status == StatusCode::OK
            || status == StatusCode::UNAUTHORIZED
            || resp
                .headers()
                .contains_key("docker-distribution-api-version");
        if origin.starts_with("http:") && !registry_like {
            return Err(ureq::Error::Tls("not a registry on plain http"));
        }
        if status == StatusCode::UNAUTHORIZED {
            self.learn(&resp);
        }
        self.open_to_anyone.store(
            status == StatusCode::OK,
            std::sync::atomic::Ordering::Relaxed,
        );
        Ok(())
    }

    /// Remembers the auth scheme a 401 asks for.
    fn learn(&self, resp: &Response<ureq::Body>) {
        let chs: Vec<_> = resp
            .headers()
            .get_all("www-authenticate")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(auth::parse_challenges)
            .collect();
        if let Some(s) = auth::Scheme::from_challenges(&chs) {
            self.auth.lock().unwrap_or_else(|p| p.into_inner()).scheme = s;
        }
    }

    /// The absolute URL of `url` (a path on the registry, or absolute).
    fn absolute(&self, origin: &str, url: &str) -> String {
        if url.starts_with("https://") || url.starts_with("http://") {
            url.to_string()
        } else if url.starts_with('/') {
            format!("{origin}{url}")
        } else {
            format!("{origin}/{url}")
        }
    }

    /// Credentials may be sent over https, or over http to this machine.
    fn may_send_secret(&self, url: &str) -> bool {
        may_send_secret(url)
    }

    /// The Authorization value for a request needing `scopes`, per the
    /// scheme learnt from the registry; None when it asked for nothing (or
    /// Basic without credentials: the 401 then says to log in).
    fn authorization(
        &self,
        scopes: &[String],
        repo: Option<&str>,
        url: &str,
    ) -> Result<Option<String>> {
        let scheme = self
            .auth
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .scheme
            .clone();
        match scheme {
            Scheme::None => Ok(None),
            Scheme::Basic => match &self.credentials {
                None => Ok(None),
                Some(c) => {
                    if !self.may_send_secret(url) {
                        return Err(self.err(
                            ErrorKind::Unauthorized,
                            repo,
                            "refusing to send credentials over plain http",
                        ));
                    }
                    Ok(Some(c.basic()))
                }
            },
            Scheme::Bearer { realm, service } => {
                let now = Instant::now();
                if let Some(t) = self
                    .auth
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .tokens
                    .get(scopes, now)
                {
                    return Ok(Some(t.bearer()));
                }
                let t = self.fetch_token(&realm, service.as_deref(), scopes, repo)?;
                let value = t.bearer();
                self.auth
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .tokens
                    .put(scopes, t);
                Ok(Some(value))
            }
        }
    }

    /// Asks the token issuer at `realm` for a token for `scopes`, with the
    /// credentials if there are any (anonymous otherwise).
    fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
        repo: Option<&str>,
    ) -> Result<Token> {
        if !realm.starts_with("https://") && !realm.starts_with("http://") {
            return Err(self.err(
                ErrorKind::Protocol,
                repo,
                format!(
                    "token realm `{}` is not an http(s) URL",
                    // The registry's text: one line, not 60 KiB of it.
                    realm.chars().take(100).collect::<String>()
                ),
            ));
        }
        let mut tries = 0;
        let mut resp = loop {
            tries += 1;
            let mut rb = self.agent.get(realm);
            if let Some(c) = &self.credentials {
                rb = rb.query("account", &c.username);
            }
            if let Some(s) = service {
                rb = rb.query("service", s);
            }
            for s in scopes {
                rb = rb.query("scope", s);
            }
            if let Some(c) = &self.credentials {
                if !self.may_send_secret(realm) {
                    return Err(self.err(
                        ErrorKind::Unauthorized,
                        repo,
                        format!(
                            "refusing to send credentials over plain http to the token issuer {}",
                            origin_of(realm).unwrap_or(realm)
                        ),
                    ));
                }
                rb = rb.header("authorization", c.basic());
            }
            match rb.call() {
                Ok(r) if r.status().is_server_error() && tries < TRIES => backoff(tries),
                Ok(r) => break r,
                Err(e) if transient(&e) && tries < TRIES => backoff(tries),
                Err(e) => {
                    return Err(self.transport(repo, &e).context(format!(
                        "getting a token from {}",
                        origin_of(realm).unwrap_or(realm)
                    )));
                }
            }
        };
        let status = resp.status();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_SMALL_BODY)
            .read_to_vec()
            .unwrap_or_default();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(self.unauthorized(repo, &body));
        }
        if !status.is_success() {
            let why =
                registry_message(&body).unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
            return Err(self.err(
                ErrorKind::Protocol,
                repo,
                format!("token issuer {}: {why}", origin_of(realm).unwrap_or(realm)),
            ));
        }
        Token::parse(&body, Instant::now()).ok_or_else(|| {
            self.err(
                ErrorKind::Protocol,
                repo,
                format!(
                    "token issuer {} sent no token",
                    origin_of(realm).unwrap_or(realm)
                ),
            )
        })
    }

    fn unauthorized(&self, repo: Option<&str>, body: &[u8]) -> anyhow::Error {
        let what = if self.credentials.is_some() {
            "authentication failed"
        } else {
            "authentication required"
        };
        // "authentication required (UNAUTHORIZED)" says nothing more.
        let why = registry_message(body)
            .filter(|m| {
                let m = m.to_ascii_lowercase();
                !m.starts_with("authentication required") && !m.starts_with("unauthorized")
            })
            .map(|m| format!(" ({m})"))
            .unwrap_or_default();
        self.err(
            ErrorKind::Unauthorized,
            repo,
            format!("{what}{why}: run `berth login {}`", self.host),
        )
    }

    /// Sends `req` with authorization, following redirects of GET/HEAD,
    /// re-authenticating once on 401 and retrying what may be retried.
    /// Returns the final response whatever its status (but 401).
    fn send(&self, req: Req<'_>, mut body: Body<'_>) -> Result<Response<ureq::Body>> {
        let origin = self.origin()?;
        let idempotent = req.method == Method::GET || req.method == Method::HEAD;
        let mut url = self.absolute(&origin, &req.url);
        let mut tries = 0;
        let mut waits = 0;
        let mut reauthed = false;
        let mut redirects = 0;
        loop {
            tries += 1;
            let ours = origin_of(&url) == Some(origin.as_str());
            let authz = if ours && !req.anonymous {
                self.authorization(&req.scopes, req.repo, &url)?
            } else {
                None
            };
            let mut rb = ureq::http::Request::builder()
                .method(req.method.clone())
                .uri(&url)
                .header("docker-distribution-api-version", "registry/2.0");
            for (k, v) in &req.headers {
                rb = rb.header(*k, v);
            }
            if let Some(a) = &authz {
                rb = rb.header("authorization", a);
            }
            let sent = match &mut body {
                Body::None if req.method == Method::GET || req.method == Method::HEAD => rb
                    .body(())
                    .map_err(ureq::Error::from)
                    .and_then(|r| self.agent.run(r)),
                Body::None => rb
                    .header("content-length", "0")
                    .body(&[][..])
                    .map_err(ureq::Error::from)
                    .and_then(|r| self.agent.run(r)),
                Body::Bytes(b) => rb
                    .header("content-length", b.len().to_string())
                    .body(*b)
                    .map_err(ureq::Error::from)
                    .and_then(|r| self.agent.run(r)),
                Body::Stream(r, len) => rb
                    .header("content-length", len.to_string())
                    .header("content-type", "application/octet-stream")
                    .body(ureq::SendBody::from_reader(r))
                    .map_err(ureq::Error::from)
                    .and_then(|r| self.agent.run(r)),
                // No content-length: ureq sends the body chunked.
                Body::Chunked(r) => rb
                    .header("content-type", "application/octet-stream")
                    .body(ureq::SendBody::from_reader(r))
                    .map_err(ureq::Error::from)
                    .and_then(|r| self.agent.run(r)),
            };
            let resp = match sent {
                Ok(r) => r,
                Err(e) if idempotent && transient(&e) && tries < TRIES => {
                    log::debug!("{}: {e}; trying again", self.host);
                    backoff(tries);
                    continue;
                }
                Err(e) => return Err(self.transport(req.repo, &e)),
            };
            let status = resp.status();
            let mut resp = resp;
            if idempotent && status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let Some(loc) = header(&resp, "location") else {
                    return Err(self.err(
                        ErrorKind::Protocol,
                        req.repo,
                        format!("HTTP {} without a Location", status.as_u16()),
                    ));
                };
                redirects += 1;
                if redirects > MAX_REDIRECTS {
                    return Err(self.err(ErrorKind::Protocol, req.repo, "too many redirects"));
                }
                let here = origin_of(&url).unwrap_or(&origin).to_string();
                url = if loc.starts_with("https://") || loc.starts_with("http://") {
                    loc.to_string()
                } else {
                    self.absolute(&here, loc)
                };
                drain(&mut resp);
                // A downgrade to http would send nothing secret (the
                // header goes only to our own origin) but is still refused.
                if url.starts_with("http://") && here.starts_with("https://") {
                    return Err(self.err(
                        ErrorKind::Protocol,
                        req.repo,
                        "redirected from https to plain http",
                    ));
                }
                tries = 0;
                continue;
            }
            if status == StatusCode::UNAUTHORIZED && ours && !req.anonymous {
                if !reauthed && body.replayable() {
                    reauthed = true;
                    tries -= 1;
                    self.learn(&resp);
                    drain(&mut resp);
                    self.auth
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .tokens
                        .forget(&req.scopes);
                    continue;
                }
                let b = small_body(&mut resp);
                return Err(self.unauthorized(req.repo, &b));
            }
            if status == StatusCode::TOO_MANY_REQUESTS && body.replayable() && waits < TRIES {
                waits += 1;
                tries -= 1;
                let wait = header(&resp, "retry-after")
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map_or(Duration::from_secs(1), Duration::from_secs)
                    .min(MAX_RETRY_AFTER);
                log::debug!("{}: too many requests; waiting {wait:?}", self.host);
                drain(&mut resp);
                std::thread::sleep(wait);
                continue;
            }
            if idempotent && status.is_server_error() && tries < TRIES {
                log::debug!("{}: HTTP {}; trying again", self.host, status.as_u16());
                drain(&mut resp);
                backoff(tries);
                continue;
            }
            return Ok(resp);
        }
    }

    /// The error for a response that is not what the request wanted.
    fn fail(
        &self,
        mut resp: Response<ureq::Body>,
        repo: Option<&str>,
        not_found: &str,
    ) -> anyhow::Error {
        let status = resp.status();
        let body = small_body(&mut resp);
        let why = registry_message(&body);
        let (kind, msg) = match status.as_u16() {
            401 => return self.unauthorized(repo, &body),
            403 => (
                ErrorKind::Denied,
                format!(
                    "denied: {}",
                    why.unwrap_or_else(|| "access to the resource is denied".into())
                ),
            ),
            404 => (ErrorKind::NotFound, not_found.to_string()),
            429 => (
                ErrorKind::TooManyRequests,
                format!(
                    "too many requests{}",
                    why.map(|w| format!(": {w}")).unwrap_or_default()
                ),
            ),
            s if s >= 500 => (
                ErrorKind::Unreachable,
                format!(
                    "registry error: HTTP {s}{}",
                    why.map(|w| format!(": {w}")).unwrap_or_default()
                ),
            ),
            s => (
                ErrorKind::Protocol,
                format!(
                    "unexpected HTTP {s}{}",
                    why.map(|w| format!(": {w}")).unwrap_or_default()
                ),
            ),
        };
        self.err(kind, repo, msg)
    }

    /// `GET /v2/` with authentication: whether the registry answers and
    /// accepts the credentials (`berth login` checks them this way).
    pub fn ping(&self) -> Result<()> {
        self.origin()?;
        // A registry that answered the probe without asking for
        // credentials has nothing more to say to the same request.
        if self
            .open_to_anyone
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            return Ok(());
        }
        let mut resp = self.send(Req::new(Method::GET, "/v2/", None), Body::None)?;
        if resp.status().is_success() {
            drain(&mut resp);
            return Ok(());
        }
        Err(self.fail(resp, None, "no registry API at /v2/"))
    }

    /// The manifest `reference` (a tag or a digest) of `repo`.
    pub fn get_manifest(&self, repo: &str, reference: &str) -> Result<Fetched> {
        check_repo(repo)?;
        let want = check_reference(reference)?;
        let req = Req::new(
            Method::GET,
            format!("/v2/{repo}/manifests/{reference}"),
            Some(repo),
        )
        .scope(auth::pull_scope(repo))
        .header("accept", MANIFEST_ACCEPT);
        let mut resp = self.send(req, Body::None)?;
        if resp.status() != StatusCode::OK {
            return Err(self.fail(resp, Some(repo), &format!("manifest unknown: {reference}")));
        }
        let header_type = header(&resp, "content-type")
            .map(|t| t.split(';').next().unwrap_or("").trim().to_string())
            .unwrap_or_default();
        let bytes = match resp
            .body_mut()
            .with_config()
            .limit(MAX_MANIFEST)
            .read_to_vec()
        {
            Ok(b) => b,
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                return Err(self.err(
                    ErrorKind::Protocol,
                    Some(repo),
                    format!(
                        "manifest {reference} is larger than {} MiB",
                        MAX_MANIFEST >> 20
                    ),
                ));
            }
            Err(e) => {
                return Err(self
                    .transport(Some(repo), &e)
                    .context(format!("reading manifest {reference}")));
            }
        };
        let digest = Digest::of(&bytes);
        if let Some(w) = want
            && w != digest
        {
            return Err(self.err(
                ErrorKind::Protocol,
                Some(repo),
                format!("manifest {reference}: the registry sent bytes with digest {digest}"),
            ));
        }
        let media_type = if header_type.is_empty()
            || header_type == "application/json"
            || header_type == "text/plain"
        {
            media_type_in(&bytes).unwrap_or(header_type)
        } else {
            header_type
        };
        Ok(Fetched {
            media_type,
            bytes,
            digest,
        })
    }

    /// The digest of manifest `reference`, or None if the registry has no
    /// such manifest.
    pub fn head_manifest(&self, repo: &str, reference: &str) -> Result<Option<Digest>> {
        check_repo(repo)?;
        check_reference(reference)?;
        let req = Req::new(
            Method::HEAD,
            format!("/v2/{repo}/manifests/{reference}"),
            Some(repo),
        )
        .scope(auth::pull_scope(repo))
        .header("accept", MANIFEST_ACCEPT);
        let resp = self.send(req, Body::None)?;
        match resp.status() {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => return Ok(None),
            _ => {
                return Err(self.fail(resp, Some(repo), &format!("manifest unknown: {reference}")));
            }
        }
        if let Some(d) =
            header(&resp, "docker-content-digest").and_then(|d| Digest::parse(d.trim()).ok())
        {
            return Ok(Some(d));
        }
        // Not every registry says; the bytes do.
        match self.get_manifest(repo, reference) {
            Ok(f) => Ok(Some(f.digest)),
            Err(e)
                if e.downcast_ref::<Error>()
                    .is_some_and(|e| e.kind == ErrorKind::NotFound) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// The blob `digest` of `repo` as a stream; the caller hashes and
    /// verifies it. Redirects to blob storage are followed without the
    /// registry's credentials.
    pub fn get_blob(&self, repo: &str, digest: &Digest) -> Result<Box<dyn Read + Send>> {
        check_repo(repo)?;
        let req = Req::new(
            Method::GET,
            format!("/v2/{repo}/blobs/{digest}"),
            Some(repo),
        )
        .scope(auth::pull_scope(repo));
        let resp = self.send(req, Body::None)?;
        if resp.status() != StatusCode::OK {
            return Err(self.fail(resp, Some(repo), &format!("blob unknown: {digest}")));
        }
        Ok(Box::new(resp.into_body().into_reader()))
    }

    /// Whether `repo` has the blob `digest`.
    pub fn has_blob(&self, repo: &str, digest: &Digest) -> Result<bool> {
        check_repo(repo)?;
        let req = Req::new(
            Method::HEAD,
            format!("/v2/{repo}/blobs/{digest}"),
            Some(repo),
        )
        .scope(auth::push_scope(repo));
        let resp = self.send(req, Body::None)?;
        match resp.status() {
            StatusCode::OK => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(self.fail(resp, Some(repo), "")),
        }
    }

    /// Asks the registry to mount blob `digest` from `from_repo` into
    /// `repo` without sending it: true if it did. When it cannot (no such
    /// blob there, no access, or mounting unsupported) it opens an upload
    /// instead, which is cancelled: the caller uploads as usual.
    pub fn mount_blob(&self, repo: &str, digest: &Digest, from_repo: &str) -> Result<bool> {
        check_repo(repo)?;
        check_repo(from_repo)?;
        let req = Req::new(
            Method::POST,
            format!("/v2/{repo}/blobs/uploads/?mount={digest}&from={from_repo}"),
            Some(repo),
        )
        .scope(auth::push_scope(repo))
        .scope(auth::pull_scope(from_repo));
        let resp = self.send(req, Body::None)?;
        match resp.status() {
            StatusCode::CREATED => Ok(true),
            StatusCode::ACCEPTED => {
                if let Some(loc) = header(&resp, "location") {
                    let cancel =
                        Req::new(Method::DELETE, loc, Some(repo)).scope(auth::push_scope(repo));
                    // Best effort: an abandoned upload is the registry's garbage.
                    let _ = self.send(cancel, Body::None);
                }
                Ok(false)
            }
            _ => Err(self.fail(resp, Some(repo), "repository unknown")),
        }
    }

    /// Uploads blob `digest` (`size` bytes read from `body`) to `repo`:
    /// one PUT when small, one PATCH then a PUT when large. Streams; the
    /// registry checks the digest.
    pub fn upload_blob(
        &self,
        repo: &str,
        digest: &Digest,
        size: u64,
        body: &mut dyn Read,
    ) -> Result<()> {
        check_repo(repo)?;
        let scope = auth::push_scope(repo);
        let start = Req::new(
            Method::POST,
            format!("/v2/{repo}/blobs/uploads/"),
            Some(repo),
        )
        .scope(scope.clone());
        let resp = self.send(start, Body::None)?;
        if resp.status() != StatusCode::ACCEPTED {
            return Err(self.fail(resp, Some(repo), "repository unknown"));
        }
        let mut location = self.upload_location(&resp, repo)?;
        let mut exact = Exact {
            inner: body,
            left: size,
        };
        let patched = size > MONOLITHIC_MAX;
        if patched {
            let req = Req::new(Method::PATCH, location.clone(), Some(repo))
                .scope(scope.clone())
                .header("content-range", format!("0-{}", size - 1));
            let resp = self
                .send(req, Body::Stream(&mut exact, size))
                .map_err(|e| e.context(format!("uploading blob {digest}")))?;
            if resp.status() != StatusCode::ACCEPTED {
                return Err(self
                    .fail(resp, Some(repo), "upload unknown")
                    .context(format!("uploading blob {digest}")));
            }
            // The registry says how much it has; it must be all we sent.
            if let Some(range) = header(&resp, "range") {
                let end = range
                    .rsplit('-')
                    .next()
                    .and_then(|e| e.trim().parse::<u64>().ok());
                if end != Some(size - 1) {
                    return Err(self.err(
                        ErrorKind::Protocol,
                        Some(repo),
                        format!(
                            "uploading blob {digest}: the registry has bytes {range}, berth sent 0-{}",
                            size - 1
                        ),
                    ));
                }
            }
            location = self.upload_location(&resp, repo)?;
        }
        let put = Req::new(
            Method::PUT,
            with_query(&location, "digest", &digest.to_string()),
            Some(repo),
        )
        .scope(scope);
        let resp = if patched {
            self.send(put, Body::None)
        } else {
            self.send(put, Body::Stream(&mut exact, size))
        }
        .map_err(|e| e.context(format!("uploading blob {digest}")))?;
        if resp.status() != StatusCode::CREATED {
            return Err(self
                .fail(resp, Some(repo), "upload unknown")
                .context(format!("uploading blob {digest}")));
        }
        Ok(())
    }

    /// Uploads the blob `body` yields until its end, as it comes (one
    /// PATCH with a chunked body, as containers/image streams a blob of
    /// unknown size), then commits it under the digest `digest` gives once
    /// the body has ended (its maker hashed it; hashing here again would
    /// cost a second pass). Returns the size sent. For a blob still being
    /// made: a push sends a layer while compressing it.
    pub fn upload_blob_streaming(
        &self,
        repo: &str,
        body: &mut dyn Read,
        digest: &dyn Fn() -> Option<Digest>,
    ) -> Result<u64> {
        check_repo(repo)?;
        let scope = auth::push_scope(repo);
        let start = Req::new(
            Method::POST,
            format!("/v2/{repo}/blobs/uploads/"),
            Some(repo),
        )
        .scope(scope.clone());
        let resp = self.send(start, Body::None)?;
        if resp.status() != StatusCode::ACCEPTED {
            return Err(self.fail(resp, Some(repo), "repository unknown"));
        }
        let location = self.upload_location(&resp, repo)?;
        let mut counting = Counting {
            inner: body,
            len: 0,
        };
        let req = Req::new(Method::PATCH, location, Some(repo)).scope(scope.clone());
        let resp = self.send(req, Body::Chunked(&mut counting))?;
        if resp.status() != StatusCode::ACCEPTED {
            return Err(self.fail(resp, Some(repo), "upload unknown"));
        }
        let location = self.upload_location(&resp, repo)?;
        let size = counting.len;
        let Some(digest) = digest() else {
            anyhow::bail!("the blob sent to {repo} ended without its digest");
        };
        let put = Req::new(
            Method::PUT,
            with_query(&location, "digest", &digest.to_string()),
            Some(repo),
        )
        .scope(scope);
        let resp = self.send(put, Body::None)?;
        if resp.status() != StatusCode::CREATED {
            return Err(self.fail(resp, Some(repo), "upload unknown"));
        }
        Ok(size)
    }

    fn upload_location(&self, resp: &Response<ureq::Body>, repo: &str) -> Result<String> {
        header(resp, "location")
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .ok_or_else(|| {
                self.err(
                    ErrorKind::Protocol,
                    Some(repo),
                    "upload answer without a Location",
                )
            })
    }

    /// Stores a manifest under `reference` (a tag or its digest); returns
    /// its digest as the registry says it (else as computed).
    pub fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Digest> {
        check_repo(repo)?;
        check_reference(reference)?;
        let req = Req::new(
            Method::PUT,
            format!("/v2/{repo}/manifests/{reference}"),
            Some(repo),
        )
        .scope(auth::push_scope(repo))
        .header("content-type", media_type);
        let resp = self.send(req, Body::Bytes(bytes))?;
        if !resp.status().is_success() {
            return Err(self
                .fail(resp, Some(repo), "repository unknown")
                .context(format!("putting manifest {reference}")));
        }
        Ok(header(&resp, "docker-content-digest")
            .and_then(|d| Digest::parse(d.trim()).ok())
            .unwrap_or_else(|| Digest::of(bytes)))
    }

    /// A small JSON document outside the v2 API, fetched without
    /// credentials (Docker Hub's `/v1/search`).
    pub(crate) fn get_public_json(&self, path: &str) -> Result<Vec<u8>> {
        let mut req = Req::new(Method::GET, path, None);
        req.anonymous = true;
        let mut resp = self.send(req, Body::None)?;
        if resp.status() != StatusCode::OK {
            return Err(self.fail(
                resp,
                None,
                &format!("{}: not found", path.split('?').next().unwrap_or("")),
            ));
        }
        resp.body_mut()
            .with_config()
            .limit(MAX_MANIFEST)
            .read_to_vec()
            .map_err(|e| self.transport(None, &e))
    }

    /// Every tag of `repo`, following pagination.
    pub fn tags(&self, repo: &str) -> Result<Vec<String>> {
        check_repo(repo)?;
        #[derive(serde::Deserialize)]
        struct Page {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let mut out = Vec::new();
        self.paginate(
            format!("/v2/{repo}/tags/list"),
            Some(repo),
            auth::pull_scope(repo),
            usize::MAX,
            &mut |b| {
                let p: Page = serde_json::from_slice(b).ok()?;
                out.extend(p.tags.unwrap_or_default());
                Some(out.len())
            },
        )?;
        Ok(out)
    }

    /// The registry's repositories, at most `limit` (0: all), following
    /// pagination. Many registries refuse this (Docker Hub does).
    pub fn catalog(&self, limit: usize) -> Result<Vec<String>> {
        #[derive(serde::Deserialize)]
        struct Page {
            #[serde(default)]
            repositories: Option<Vec<String>>,
        }
        let limit = if limit == 0 { usize::MAX } else { limit };
        let mut out = Vec::new();
        self.paginate(
            format!("/v2/_catalog?n={}", limit.min(1000)),
            None,
            auth::CATALOG_SCOPE.to_string(),
            limit,
            &mut |b| {
                let p: Page = serde_json::from_slice(b).ok()?;
                out.extend(p.repositories.unwrap_or_default());
                Some(out.len())
            },
        )?;
        out.truncate(limit);
        Ok(out)
    }

    /// GETs `first` and each `Link: rel="next"` after it, handing each
    /// body to `page` (which returns how many items it has so far, or None
    /// when the body is not what it expects), until there is no next page
    /// or `limit` items are in.
    fn paginate(
        &self,
        first: String,
        repo: Option<&str>,
        scope: String,
        limit: usize,
        page: &mut dyn FnMut(&[u8]) -> Option<usize>,
    ) -> Result<()> {
        let mut url = first;
        let mut total: u64 = 0;
        for _ in 0..10_000 {
            let req = Req::new(Method::GET, url.clone(), repo).scope(scope.clone());
            let mut resp = self.send(req, Body::None)?;
            if resp.status() != StatusCode::OK {
                return Err(self.fail(resp, repo, "repository unknown"));
            }
            let next = header(&resp, "link").and_then(link_next);
            let body = match resp
                .body_mut()
                .with_config()
                .limit(MAX_MANIFEST)
                .read_to_vec()
            {
                Ok(b) => b,
                Err(e) => return Err(self.transport(repo, &e)),
            };
            total += body.len() as u64;
            if total > MAX_LISTING {
                return Err(self.err(
                    ErrorKind::Protocol,
                    repo,
                    format!("the listing is larger than {} MiB", MAX_LISTING >> 20),
                ));
            }
            let Some(n) = page(&body) else {
                return Err(self.err(
                    ErrorKind::Protocol,
                    repo,
                    format!(
                        "{}: not a JSON listing",
                        url.split('?').next().unwrap_or("")
                    ),
                ));
            };
            match next {
                Some(n_url) if n < limit => url = n_url,
                _ => return Ok(()),
            }
        }
        Err(self.err(ErrorKind::Protocol, repo, "too many pages"))
    }
}

/// What a TLS failure means, with the way out. rustls names its reasons
/// (`UnknownIssuer`, `NotValidForName`, `CaUsedAsEndEntity`, …); the
/// common ones get words.
fn tls_message(e: &str) -> String {
    let e = e.trim_start_matches("io: ");
    let trust = "put the registry's CA in --cert-dir DIR or certs.d, or use --tls-verify=false";
    let (what, fix) = if e.contains("InvalidContentType") {
        (
            "the registry does not speak TLS on this port",
            "plain http is used with --tls-verify=false, for an insecure registry, \
             or for a loopback address",
        )
    } else if e.contains("CaUsedAsEndEntity") {
        // webpki's reason for a self-signed CA certificate that is not
        // one of the trusted ones (tls_connector accepts those that are).
        (
            "the registry's self-signed certificate is not trusted",
            trust,
        )
    } else if e.contains("alert: BadCertificate") || e.contains("alert: CertificateRequired") {
        (
            "the registry wants a client certificate, or refused berth's",
            "put NAME.cert and NAME.key in --cert-dir DIR or certs.d",
        )
    } else if e.contains("UnknownIssuer") {
        ("certificate signed by an unknown authority", trust)
    } else if e.contains("NotValidForName") {
        ("certificate is not valid for this host name", trust)
    } else if e.contains("Expired") || e.contains("NotValidYet") {
        ("certificate has expired or is not yet valid", trust)
    } else {
        (e, trust)
    };
    format!("TLS handshake failed: {what} ({fix})")
}

/// A short pause before trying again: 200 ms, then 400 ms.
fn backoff(tries: u32) {
    std::thread::sleep(Duration::from_millis(200 << tries.saturating_sub(1).min(4)));
}

/// Reads a small answer we do not need to its end, so its connection goes
/// back to the pool instead of being closed.
fn drain(resp: &mut Response<ureq::Body>) {
    let _ = small_body(resp);
}

/// The start of an error body (for the registry's message), never much.
fn small_body(resp: &mut Response<ureq::Body>) -> Vec<u8> {
    resp.body_mut()
        .with_config()
        .limit(MAX_SMALL_BODY)
        .read_to_vec()
        .unwrap_or_default()
}

/// `url` with `key=value` added to its query (upload locations often carry
/// their own state in the query already).
fn with_query(url: &str, key: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{key}={value}")
}

/// The `mediaType` a manifest declares, or schema 1 for one that says
/// `schemaVersion: 1`: for registries whose Content-Type says nothing.
fn media_type_in(bytes: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(default, rename = "mediaType")]
        media_type: String,
        #[serde(default, rename = "schemaVersion")]
        schema_version: u32,
    }
    let h: Head = serde_json::from_slice(bytes).ok()?;
    if !h.media_type.is_empty() {
        Some(h.media_type)
    } else if h.schema_version == 1 {
        Some(SCHEMA1.to_string())
    } else {
        None
    }
}

/// Passes reads through while counting them.
struct Counting<'a> {
    inner: &'a mut dyn Read,
    len: u64,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.len += n as u64;
        Ok(n)
    }
}

/// A reader that must yield exactly `left` bytes: a body that ends early
/// is an error, not a short upload the registry would reject later with a
/// less clear message.
struct Exact<'a> {
    inner: &'a mut dyn Read,
    left: u64,
}

impl Read for Exact<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the blob ended before its size",
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_next_finds_the_next_page() {
        assert_eq!(
            link_next(r#"</v2/_catalog?last=b&n=2>; rel="next""#).as_deref(),
            Some("/v2/_catalog?last=b&n=2")
        );
        assert_eq!(
            link_next(r#"<https://r/v2/x/tags/list?last=1>; rel=prev, <https://r/v2/x/tags/list?last=9>;rel=next"#)
                .as_deref(),
            Some("https://r/v2/x/tags/list?last=9")
        );
        assert_eq!(link_next(r#"</a>; rel="prev""#), None);
        assert_eq!(link_next("garbage"), None);
    }

    #[test]
    fn loopback_hosts_with_and_without_ports() {
        for h in [
            "localhost",
            "localhost:5000",
            "127.0.0.1",
            "127.0.0.1:5000",
            "[::1]:5000",
            "::1",
            "127.1.2.3:80",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "docker.io",
            "10.0.0.1:5000",
            "localhost.example.com",
            "[::2]:5000",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    #[test]
    fn secrets_go_over_https_or_to_loopback_only() {
        for ok in [
            "https://auth.example/token",
            "http://127.0.0.1:5000/token",
            "http://[::1]:5000/token",
            "http://localhost/token",
        ] {
            assert!(may_send_secret(ok), "{ok}");
        }
        for bad in [
            "http://192.0.2.2/token",
            // User info before the host: the host is the part after `@`.
            "http://[::1]@192.0.2.2:8080/token",
            "http://127.0.0.1@192.0.2.2/token",
            "http://localhost:80@evil.example/token",
            "https://u:p@auth.example/token",
            "ftp://127.0.0.1/token",
            "/token",
        ] {
            assert!(!may_send_secret(bad), "{bad}");
        }
    }

    #[test]
    fn origins_and_queries() {
        assert_eq!(origin_of("https://h:5000/v2/x?y"), Some("https://h:5000"));
        assert_eq!(origin_of("http://h"), Some("http://h"));
        assert_eq!(origin_of("/v2/"), None);
        assert_eq!(
            with_query("/v2/x/blobs/uploads/u?_state=s", "digest", "sha256:a"),
            "/v2/x/blobs/uploads/u?_state=s&digest=sha256:a"
        );
        assert_eq!(with_query("/u", "digest", "d"), "/u?digest=d");
    }

    #[test]
    fn references_and_repositories_that_would_change_the_url_are_refused() {
        assert!(check_reference("latest").unwrap().is_none());
        assert!(check_reference("v1.2_3-x").is_ok());
        assert!(
            check_reference(&format!("sha256:{}", "a".repeat(64)))
                .unwrap()
                .is_some()
        );
        for bad in [
            "",
            "../x",
            "a/b",
            "a?b",
            ".x",
            "sha256:zz",
            &"a".repeat(129),
        ] {
            assert!(check_reference(bad).is_err(), "{bad}");
        }
        assert!(check_repo("library/alpine").is_ok());
        for bad in ["", "a//b", "A/b", "a/../b?", "a#b", "/a"] {
            assert!(check_repo(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn media_type_from_the_manifest_when_the_header_says_nothing() {
        assert_eq!(
            media_type_in(
                br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json"}"#
            )
            .as_deref(),
            Some("application/vnd.oci.image.index.v1+json")
        );
        assert_eq!(
            media_type_in(br#"{"schemaVersion":1,"name":"x"}"#).as_deref(),
            Some(SCHEMA1)
        );
        assert_eq!(media_type_in(br#"{"schemaVersion":2}"#), None);
    }

    #[test]
    fn exact_reader_refuses_a_short_body() {
        let mut src: &[u8] = b"abc";
        let mut e = Exact {
            inner: &mut src,
            left: 5,
        };
        let mut out = Vec::new();
        let err = e.read_to_end(&mut out).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
        let mut src: &[u8] = b"abcdef";
        let mut e = Exact {
            inner: &mut src,
            left: 4,
        };
        let mut out = Vec::new();
        e.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abcd");
    }

    #[test]
    fn client_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Client>();
    }
}
