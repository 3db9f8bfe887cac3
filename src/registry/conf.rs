//! Which registry a name means: the containers `registries.conf`
//! (containers-registries.conf(5), v2 format, v1 converted) and its
//! `registries.conf.d` drop-ins. Short names go through `[aliases]` and
//! `unqualified-search-registries`; a fully-qualified name then meets the
//! `[[registry]]` whose `prefix` matches it longest, which may block it,
//! mark it insecure, rewrite it to another `location`, or put mirrors in
//! front of it. The rules are containers/image's `pkg/sysregistriesv2` and
//! `pkg/shortnames`, so a file written for podman means the same to berth.
//!
//! Two deliberate differences. A short name with no alias and no search
//! registries configured is Docker Hub's, as Docker has it (podman refuses
//! it). And several search registries resolve like podman's
//! `short-name-mode = "enforcing"` without a terminal, whatever the file
//! says unless it says `permissive` or `disabled`: an error listing the
//! candidates, never a guess. podman tries the candidates of those two modes
//! in turn; berth takes the first (and says so at info level).

use crate::reference::{self, Reference};
use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The merged configuration of registries.conf and its drop-ins.
#[derive(Debug, Default)]
pub struct Registries {
    /// `unqualified-search-registries` and the file that set it last.
    search: Option<(Vec<String>, PathBuf)>,
    mode: Option<ShortNameMode>,
    /// Short name → fully-qualified repository; `None` is an alias a later
    /// file reset with `""`.
    aliases: BTreeMap<String, Alias>,
    /// One entry per prefix, sorted by prefix (as containers/image keeps them).
    registries: Vec<Registry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ShortNameMode {
    Enforcing,
    Permissive,
    Disabled,
}

#[derive(Debug, Clone)]
struct Alias {
    value: Option<String>,
    origin: PathBuf,
}

#[derive(Debug, Clone)]
struct Registry {
    prefix: String,
    /// Empty only for a `*.example.com` prefix: the name is used as it is.
    location: String,
    insecure: bool,
    blocked: bool,
    mirrors: Vec<Mirror>,
    origin: PathBuf,
}

#[derive(Debug, Clone)]
struct Mirror {
    location: String,
    insecure: bool,
    pull_from: PullFrom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PullFrom {
    All,
    DigestOnly,
    TagOnly,
}

/// One place to talk to: a registry host and the repository path in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `host[:port]`
    pub host: String,
    /// The repository's path in that registry: `library/alpine`.
    pub repo: String,
    /// TLS verification off and plain HTTP allowed (`insecure = true`).
    pub insecure: bool,
    /// A `[[registry.mirror]]`, not the registry the name points to.
    pub mirror: bool,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.host, self.repo)
    }
}

/// `BERTH_REGISTRIES_CONF`, then podman's `CONTAINERS_REGISTRIES_CONF`: a
/// file to read instead of the user's or the system's.
const ENV_PATHS: [&str; 2] = ["BERTH_REGISTRIES_CONF", "CONTAINERS_REGISTRIES_CONF"];
const SYSTEM_PATH: &str = "/etc/containers/registries.conf";

impl Registries {
    /// The user's configuration: `$BERTH_REGISTRIES_CONF` or
    /// `$CONTAINERS_REGISTRIES_CONF` if set (that file must exist), else
    /// `$XDG_CONFIG_HOME/containers/registries.conf` if it exists, else
    /// `/etc/containers/registries.conf` (none at all is an empty
    /// configuration); then the `*.conf` drop-ins of the `.d` directory beside
    /// the chosen file in name order, and with the system file also the
    /// user's `registries.conf.d`, as podman reads them.
    pub fn load() -> Result<Registries> {
        let from_env = ENV_PATHS
            .iter()
            .find_map(|v| std::env::var_os(v).filter(|p| !p.is_empty()))
            .map(PathBuf::from);
        let sources = Sources::pick(from_env, config_home(), Path::new(SYSTEM_PATH));
        Registries::load_files(&sources.main, sources.must_exist, &sources.drop_in_dirs)
    }

    /// One configuration file's text (for tests).
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "for tests; the lead's pull tests use it next")
    )]
    pub fn from_str(toml: &str) -> Result<Registries> {
        let mut r = Registries::default();
        r.merge(parse_file(toml, Path::new("registries.conf"), true)?);
        Ok(r)
    }

    /// `main` (skipped when missing unless `must_exist`), then each `*.conf`
    /// in `drop_in_dirs`, in order, names sorted within a directory.
    fn load_files(main: &Path, must_exist: bool, drop_in_dirs: &[PathBuf]) -> Result<Registries> {
        let mut r = Registries::default();
        match std::fs::read_to_string(main) {
            Ok(text) => r.merge(parse_file(&text, main, true)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {}
            Err(e) => return Err(e).with_context(|| format!("reading `{}`", main.display())),
        }
        for dir in drop_in_dirs {
            for path in drop_ins(dir)? {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading `{}`", path.display()))?;
                // Drop-ins must be v2, as containers/image has it.
                r.merge(parse_file(&text, &path, false)?);
            }
        }
        Ok(r)
    }

    /// A name as the user typed it → the fully-qualified reference it means.
    ///
    /// A qualified name (its first component has a `.` or `:` or is
    /// `localhost`) is returned as it is. A short name: an alias wins; else
    /// with no `unqualified-search-registries`, Docker Hub
    /// (`alpine` → `docker.io/library/alpine:latest`); one search registry →
    /// that one; several → an error listing the candidates (see the module's
    /// note on `permissive` and `disabled`).
    pub fn qualify(&self, name: &str) -> Result<Reference> {
        let parsed = Reference::parse(name).map_err(|e| anyhow!(e))?;
        if !reference::is_short_name(name) {
            return Ok(parsed);
        }
        let with_input_tag = |mut r: Reference| {
            r.tag = parsed.tag.clone();
            r.digest = parsed.digest.clone();
            r
        };
        let repo = short_repository(name);
        if let Some(alias) = self.aliases.get(repo)
            && let Some(value) = &alias.value
        {
            let target = Reference::parse(value).map_err(|e| anyhow!(e))?;
            log::debug!(
                "`{name}` is an alias for {value} in `{}`",
                alias.origin.display()
            );
            return Ok(with_input_tag(target));
        }
        let Some((search, origin)) = self.search.as_ref().filter(|(s, _)| !s.is_empty()) else {
            return Ok(parsed);
        };
        let candidates = search
            .iter()
            .map(|reg| Reference::parse_in(reg, name).map_err(|e| anyhow!(e)))
            .collect::<Result<Vec<_>>>()?;
        if candidates.len() == 1 {
            return Ok(candidates.into_iter().next().unwrap_or(parsed));
        }
        let list = candidates
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        match self.mode.unwrap_or(ShortNameMode::Enforcing) {
            ShortNameMode::Enforcing => bail!(
                "`{name}` is a short name that could mean any of {list} \
                 (unqualified-search-registries in `{}`): use a fully-qualified name, \
                 or give it an alias in [aliases]",
                origin.display()
            ),
            ShortNameMode::Permissive | ShortNameMode::Disabled => {
                log::info!("`{name}` could mean any of {list}; using the first");
                Ok(candidates.into_iter().next().unwrap_or(parsed))
            }
        }
    }

    /// Where to pull `r` from, in order: its registry's mirrors (those whose
    /// `pull-from-mirror` allows a pull by tag or by digest, as `r` is), then
    /// the registry itself, each with the matching `prefix` rewritten to its
    /// `location`. An error if that registry is `blocked`.
    pub fn pull_sources(&self, r: &Reference) -> Result<Vec<Endpoint>> {
        let name = r.to_string();
        let Some((reg, matched)) = self.find(&name) else {
            return Ok(vec![plain_endpoint(r, false)]);
        };
        reg.refuse_blocked()?;
        let by_digest = r.digest.is_some();
        let mut sources = Vec::new();
        for m in &reg.mirrors {
            let wanted = match m.pull_from {
                PullFrom::All => true,
                PullFrom::DigestOnly => by_digest,
                PullFrom::TagOnly => !by_digest,
            };
            if wanted {
                sources.push(rewrite(&m.location, &name, matched, m.insecure, true)?);
            }
        }
        sources.push(rewrite(&reg.location, &name, matched, reg.insecure, false)?);
        Ok(sources)
    }

    /// Where to push `r`: the registry it names, as podman pushes (no
    /// mirrors, and no `location` rewriting: that redirects pulls only).
    /// An error if the matching `[[registry]]` is `blocked`.
    pub fn push_endpoint(&self, r: &Reference) -> Result<Endpoint> {
        let insecure = match self.find(&r.to_string()) {
            Some((reg, _)) => {
                reg.refuse_blocked()?;
                reg.insecure
            }
            None => false,
        };
        Ok(plain_endpoint(r, insecure))
    }

    /// A registry host as `login` and `search` talk to it: `insecure` from
    /// the `[[registry]]` matching the host, an error if that is `blocked`.
    /// `repo` is empty.
    pub fn registry_endpoint(&self, host: &str) -> Result<Endpoint> {
        let insecure = match self.find(host) {
            Some((reg, _)) => {
                reg.refuse_blocked()?;
                reg.insecure
            }
            None => false,
        };
        Ok(Endpoint {
            host: host.to_string(),
            repo: String::new(),
            insecure,
            mirror: false,
        })
    }

    /// The registries a term without one is searched in (`berth search`):
    /// `unqualified-search-registries`, else Docker Hub.
    pub fn search_registries(&self) -> Vec<String> {
        match &self.search {
            Some((list, _)) if !list.is_empty() => list.clone(),
            _ => vec!["docker.io".to_string()],
        }
    }

    /// The `[[registry]]` with the longest prefix matching `name`, and how
    /// much of `name` the prefix covers.
    fn find(&self, name: &str) -> Option<(&Registry, usize)> {
        self.registries
            .iter()
            .filter_map(|reg| prefix_match(name, &reg.prefix).map(|len| (reg, len)))
            .max_by_key(|(reg, _)| reg.prefix.len())
    }

    /// Adds a later file's settings: `[[registry]]` entries replace those
    /// with the same prefix; the search list and the mode replace earlier
    /// ones when the file sets them; aliases are merged name by name.
    fn merge(&mut self, file: FileConf) {
        for reg in file.registries {
            match self.registries.iter_mut().find(|r| r.prefix == reg.prefix) {
                Some(old) => *old = reg,
                None => self.registries.push(reg),
            }
        }
        self.registries.sort_by(|a, b| a.prefix.cmp(&b.prefix));
        if file.search.is_some() {
            self.search = file.search;
        }
        if file.mode.is_some() {
            self.mode = file.mode;
        }
        self.aliases.extend(file.aliases);
    }
}

impl Registry {
    fn refuse_blocked(&self) -> Result<()> {
        if self.blocked {
            bail!(
                "registry `{}` is blocked in `{}`",
                self.prefix,
                self.origin.display()
            );
        }
        Ok(())
    }
}

fn plain_endpoint(r: &Reference, insecure: bool) -> Endpoint {
    Endpoint {
        host: r.domain.clone(),
        repo: r.path.clone(),
        insecure,
        mirror: false,
    }
}

/// `name` with the first `matched` bytes (the prefix) replaced by `location`.
fn rewrite(
    location: &str,
    name: &str,
    matched: usize,
    insecure: bool,
    mirror: bool,
) -> Result<Endpoint> {
    let new = if location.is_empty() {
        name.to_string()
    } else {
        format!("{location}{}", &name[matched..])
    };
    let r = Reference::parse(&new).map_err(|e| anyhow!("rewriting `{name}` to `{new}`: {e}"))?;
    Ok(Endpoint {
        host: r.domain,
        repo: r.path,
        insecure,
        mirror,
    })
}

/// containers/image's `refMatchingPrefix`: the length of `name` that
/// `prefix` covers, if it does. The prefix must end at the end of `name` or
/// before a `/`, `:` or `@`; `*.example.com` matches any subdomain's host.
fn prefix_match(name: &str, prefix: &str) -> Option<usize> {
    let boundary =
        |at: usize| at == name.len() || matches!(name.as_bytes()[at], b'/' | b':' | b'@');
    if let Some(domain) = prefix.strip_prefix('*') {
        // `.example.com` must sit in the host, before any `/`.
        let at = name.find(domain)?;
        if name[..at].contains('/') {
            return None;
        }
        let end = at + domain.len();
        return boundary(end).then_some(end);
    }
    (name.starts_with(prefix) && boundary(prefix.len())).then_some(prefix.len())
}

/// `alpine:3@sha256:…` → `alpine`: the repository part of a short name.
fn short_repository(name: &str) -> &str {
    let name = name.split_once('@').map_or(name, |(n, _)| n);
    let last = name.rfind('/').map_or(0, |i| i + 1);
    match name[last..].find(':') {
        Some(i) => &name[..last + i],
        None => name,
    }
}

fn has_tag_or_digest(name: &str) -> bool {
    short_repository(name).len() != name.len()
}

/// Whether the host part of a `prefix` or `location` names a registry.
fn names_a_host(s: &str) -> bool {
    let host = s.split('/').next().unwrap_or("");
    host.contains('.') || host.contains(':') || host == "localhost"
}

fn config_home() -> Option<PathBuf> {
    if let Some(c) = std::env::var_os("XDG_CONFIG_HOME").filter(|c| !c.is_empty()) {
        return Some(PathBuf::from(c));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".config"))
}

/// The files a configuration is read from.
#[derive(Debug, PartialEq, Eq)]
struct Sources {
    main: PathBuf,
    must_exist: bool,
    drop_in_dirs: Vec<PathBuf>,
}

impl Sources {
    /// A file named by the environment, else the user's file if it exists,
    /// else the system's (which may be missing) with the system's and the
    /// user's drop-in dirs; the others have the drop-in dir beside them.
    fn pick(from_env: Option<PathBuf>, config_home: Option<PathBuf>, system: &Path) -> Sources {
        let beside = |main: PathBuf| Sources {
            drop_in_dirs: vec![drop_in_dir(&main)],
            main,
            must_exist: true,
        };
        if let Some(path) = from_env {
            return beside(path);
        }
        let user_dir = config_home.map(|c| c.join("containers"));
        if let Some(user) = user_dir.as_ref().map(|d| d.join("registries.conf"))
            && user.exists()
        {
            return beside(user);
        }
        let mut drop_in_dirs = vec![drop_in_dir(system)];
        drop_in_dirs.extend(user_dir.map(|d| d.join("registries.conf.d")));
        Sources {
            main: system.to_path_buf(),
            must_exist: false,
            drop_in_dirs,
        }
    }
}

/// `…/registries.conf` → `…/registries.conf.d`
fn drop_in_dir(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".d");
    file.with_file_name(name)
}

/// The `*.conf` files directly in `dir`, by name; none if `dir` is missing.
fn drop_ins(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading `{}`", dir.display())),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("reading `{}`", dir.display()))?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "conf") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// One file's settings, checked.
struct FileConf {
    search: Option<(Vec<String>, PathBuf)>,
    mode: Option<ShortNameMode>,
    aliases: BTreeMap<String, Alias>,
    registries: Vec<Registry>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct RawFile {
    unqualified_search_registries: Option<Vec<String>>,
    short_name_mode: Option<String>,
    #[serde(default)]
    aliases: BTreeMap<String, String>,
    #[serde(default)]
    registry: Vec<RawRegistry>,
    /// The v1 format: `[registries.search] registries = […]`, and
    /// `insecure` and `block` the same way.
    registries: Option<RawV1>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawRegistry {
    prefix: Option<String>,
    location: Option<String>,
    #[serde(default)]
    insecure: bool,
    #[serde(default)]
    blocked: bool,
    #[serde(default)]
    mirror_by_digest_only: bool,
    pull_from_mirror: Option<String>,
    #[serde(default)]
    mirror: Vec<RawMirror>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawMirror {
    #[serde(default)]
    location: String,
    #[serde(default)]
    insecure: bool,
    pull_from_mirror: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawV1 {
    #[serde(default)]
    search: V1List,
    #[serde(default)]
    insecure: V1List,
    #[serde(default)]
    block: V1List,
}

#[derive(Deserialize, Default)]
struct V1List {
    #[serde(default)]
    registries: Vec<String>,
}

/// Parses and checks one file; every error names it.
fn parse_file(text: &str, path: &Path, v1_allowed: bool) -> Result<FileConf> {
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let before = &text[..s.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                format!("line {line}, column {col}: ")
            })
            .unwrap_or_default();
        let msg = e.message().lines().next().unwrap_or("").trim();
        anyhow!("parsing `{}`: {at}{msg}", path.display())
    })?;
    check_file(raw, path, v1_allowed).with_context(|| format!("in `{}`", path.display()))
}

fn check_file(mut raw: RawFile, path: &Path, v1_allowed: bool) -> Result<FileConf> {
    if let Some(v1) = raw.registries.take() {
        let v2_set = raw.unqualified_search_registries.is_some()
            || !raw.registry.is_empty()
            || raw.short_name_mode.is_some()
            || !raw.aliases.is_empty();
        if !v1_allowed {
            bail!("a drop-in must be in the v2 format, not v1's [registries.*]");
        }
        if v2_set {
            bail!("the v1 format ([registries.*]) and the v2 format cannot be mixed");
        }
        v1_to_v2(v1, &mut raw);
    }
    let mode = match raw.short_name_mode.as_deref() {
        None => None,
        Some("enforcing") => Some(ShortNameMode::Enforcing),
        Some("permissive") => Some(ShortNameMode::Permissive),
        Some("disabled") => Some(ShortNameMode::Disabled),
        Some(other) => {
            bail!("short-name-mode `{other}` is not one of enforcing, permissive, disabled")
        }
    };
    let search = match raw.unqualified_search_registries {
        None => None,
        Some(list) => {
            let mut hosts = Vec::new();
            for entry in list {
                let host = check_location(&entry)?;
                let valid = !host.is_empty()
                    && !host.contains('/')
                    && host
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
                if !valid {
                    bail!("unqualified-search-registries: `{entry}` is not a host[:port]");
                }
                hosts.push(host);
            }
            Some((hosts, path.to_path_buf()))
        }
    };
    let mut aliases = BTreeMap::new();
    for (name, value) in raw.aliases {
        let bad = |why: &str| anyhow!("[aliases] `{name}` = `{value}`: {why}");
        if !reference::is_short_name(&name) || has_tag_or_digest(&name) {
            return Err(bad("the name must be a short name, without tag or digest"));
        }
        Reference::parse(&name).map_err(|e| bad(&e))?;
        let value = if value.is_empty() {
            None
        } else {
            if reference::is_short_name(&value) || has_tag_or_digest(&value) {
                return Err(bad(
                    "the alias must be a registry and a repository, without tag or digest",
                ));
            }
            Some(Reference::parse(&value).map_err(|e| bad(&e))?.repository())
        };
        let origin = path.to_path_buf();
        aliases.insert(name, Alias { value, origin });
    }
    let mut registries: Vec<Registry> = Vec::new();
    for r in raw.registry {
        let reg = check_registry(r, path)?;
        for other in registries.iter().filter(|o| o.location == reg.location) {
            if other.insecure != reg.insecure || other.blocked != reg.blocked {
                bail!(
                    "registry `{}` is defined twice with different `insecure` or `blocked`",
                    reg.location
                );
            }
        }
        // Within one file the first entry for a prefix wins, as in containers/image.
        if !registries.iter().any(|o| o.prefix == reg.prefix) {
            registries.push(reg);
        }
    }
    Ok(FileConf {
        search,
        mode,
        aliases,
        registries,
    })
}

fn check_registry(r: RawRegistry, path: &Path) -> Result<Registry> {
    let location = check_location(r.location.as_deref().unwrap_or(""))?;
    let prefix = match r.prefix.as_deref() {
        None | Some("") => location.clone(),
        Some(p) => check_location(p)?,
    };
    let what = format!("[[registry]] `{prefix}`");
    if prefix.is_empty() {
        bail!("{what}: neither `location` nor `prefix` is set");
    }
    if let Some(domain) = prefix.strip_prefix("*.") {
        if domain.is_empty() || domain.contains(['/', '@', ':', '*']) {
            bail!("{what}: a wildcard prefix is `*.example.com`, with no port or path");
        }
    } else if location.is_empty() {
        bail!("{what}: `location` may be left out only with a `*.example.com` prefix");
    } else if !names_a_host(&prefix) {
        bail!("{what}: the prefix must start with a registry host");
    }
    if !location.is_empty() && !names_a_host(&location) {
        bail!("{what}: location `{location}` must start with a registry host");
    }
    if r.pull_from_mirror.is_some() {
        bail!("{what}: `pull-from-mirror` belongs in a [[registry.mirror]]");
    }
    let mut mirrors = Vec::new();
    for m in r.mirror {
        let mirror_location = check_location(&m.location)?;
        if mirror_location.is_empty() {
            bail!("{what}: a mirror has no `location`");
        }
        if !names_a_host(&mirror_location) {
            bail!("{what}: mirror `{mirror_location}` must start with a registry host");
        }
        let pull_from = match (m.pull_from_mirror.as_deref(), r.mirror_by_digest_only) {
            (Some(_), true) => bail!(
                "{what}: `mirror-by-digest-only` and a mirror's `pull-from-mirror` cannot both be set"
            ),
            (None, true) => PullFrom::DigestOnly,
            (None | Some("") | Some("all"), false) => PullFrom::All,
            (Some("digest-only"), false) => PullFrom::DigestOnly,
            (Some("tag-only"), false) => PullFrom::TagOnly,
            (Some(other), false) => bail!(
                "{what}: mirror `{mirror_location}`: pull-from-mirror `{other}` is not one of all, digest-only, tag-only"
            ),
        };
        mirrors.push(Mirror {
            location: mirror_location,
            insecure: m.insecure,
            pull_from,
        });
    }
    Ok(Registry {
        prefix,
        location,
        insecure: r.insecure,
        blocked: r.blocked,
        mirrors,
        origin: path.to_path_buf(),
    })
}

/// A `location` or `prefix` without its trailing `/`; a URL scheme is refused.
fn check_location(s: &str) -> Result<String> {
    let trimmed = s.trim_end_matches('/');
    if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
        bail!("`{s}`: write a registry as host[:port][/path], without a URL scheme");
    }
    Ok(trimmed.to_string())
}

/// containers/image's v1 → v2 conversion: `search` becomes the search list,
/// `block` and `insecure` become `[[registry]]` entries.
fn v1_to_v2(v1: RawV1, raw: &mut RawFile) {
    raw.unqualified_search_registries = Some(v1.search.registries);
    let mut order: Vec<String> = Vec::new();
    for host in v1.block.registries.iter().chain(&v1.insecure.registries) {
        if !order.contains(host) {
            order.push(host.clone());
        }
    }
    for host in order {
        raw.registry.push(RawRegistry {
            prefix: None,
            location: Some(host.clone()),
            insecure: v1.insecure.registries.contains(&host),
            blocked: v1.block.registries.contains(&host),
            mirror_by_digest_only: false,
            pull_from_mirror: None,
            mirror: Vec::new(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(toml: &str) -> Registries {
        Registries::from_str(toml).unwrap()
    }

    fn q(r: &Registries, name: &str) -> String {
        r.qualify(name).unwrap().to_string()
    }

    fn refr(s: &str) -> Reference {
        Reference::parse(s).unwrap()
    }

    fn sources(r: &Registries, name: &str) -> Vec<String> {
        r.pull_sources(&refr(name))
            .unwrap()
            .iter()
            .map(|e| {
                let mut s = e.to_string();
                if e.insecure {
                    s.push_str(" insecure");
                }
                if e.mirror {
                    s.push_str(" mirror");
                }
                s
            })
            .collect()
    }

    const DIGEST: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    #[test]
    fn with_no_configuration_short_names_mean_docker_hub() {
        let r = conf("");
        assert_eq!(q(&r, "alpine"), "docker.io/library/alpine:latest");
        assert_eq!(q(&r, "user/app:v1"), "docker.io/user/app:v1");
        assert_eq!(
            q(&r, &format!("alpine@{DIGEST}")),
            format!("docker.io/library/alpine@{DIGEST}")
        );
        // An explicitly empty list is no list.
        let r = conf("unqualified-search-registries = []");
        assert_eq!(q(&r, "alpine"), "docker.io/library/alpine:latest");
    }

    #[test]
    fn qualified_names_are_kept_whatever_the_configuration() {
        let r = conf(
            r#"unqualified-search-registries = ["quay.io", "docker.io"]
               [aliases]
               "alpine" = "quay.io/x/alpine""#,
        );
        assert_eq!(q(&r, "docker.io/alpine"), "docker.io/library/alpine:latest");
        assert_eq!(q(&r, "localhost/alpine"), "localhost/alpine:latest");
        assert_eq!(q(&r, "127.0.0.1:5000/a:1"), "127.0.0.1:5000/a:1");
    }

    #[test]
    fn an_alias_wins_and_keeps_the_tag_or_digest_typed() {
        // The format of shortnames.conf as Debian and Fedora ship it.
        let r = conf(
            r#"unqualified-search-registries = ["registry.fedoraproject.org", "quay.io", "docker.io"]
               short-name-mode = "enforcing"
               [aliases]
                 # centos
                 "centos" = "quay.io/centos/centos"
                 "alpine" = "docker.io/library/alpine"
                 "busybox" = "docker.io/busybox"
                 "opensuse/leap" = "registry.opensuse.org/opensuse/leap""#,
        );
        assert_eq!(q(&r, "centos"), "quay.io/centos/centos:latest");
        assert_eq!(q(&r, "alpine:3.20"), "docker.io/library/alpine:3.20");
        assert_eq!(q(&r, "busybox"), "docker.io/library/busybox:latest");
        assert_eq!(
            q(&r, &format!("opensuse/leap@{DIGEST}")),
            format!("registry.opensuse.org/opensuse/leap@{DIGEST}")
        );
    }

    #[test]
    fn one_search_registry_is_used_for_short_names() {
        let r = conf(r#"unqualified-search-registries = ["registry.example.com:5000"]"#);
        assert_eq!(q(&r, "alpine"), "registry.example.com:5000/alpine:latest");
        assert_eq!(q(&r, "ns/app:2"), "registry.example.com:5000/ns/app:2");
        let r = conf(r#"unqualified-search-registries = ["docker.io"]"#);
        assert_eq!(q(&r, "alpine"), "docker.io/library/alpine:latest");
    }

    #[test]
    fn several_search_registries_are_an_error_listing_the_candidates() {
        for mode in ["", r#"short-name-mode = "enforcing""#] {
            let r = conf(&format!(
                "unqualified-search-registries = [\"quay.io\", \"docker.io\"]\n{mode}"
            ));
            let e = format!("{:#}", r.qualify("app:1").unwrap_err());
            assert!(e.contains("quay.io/app:1, docker.io/library/app:1"), "{e}");
            assert!(e.contains("`registries.conf`"), "{e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
    }

    #[test]
    fn permissive_and_disabled_take_the_first_candidate() {
        for mode in ["permissive", "disabled"] {
            let r = conf(&format!(
                "unqualified-search-registries = [\"quay.io\", \"docker.io\"]\nshort-name-mode = \"{mode}\""
            ));
            assert_eq!(q(&r, "app"), "quay.io/app:latest");
        }
    }

    #[test]
    fn a_registry_with_no_entry_is_pulled_from_directly() {
        let r = conf("");
        assert_eq!(sources(&r, "quay.io/a/b"), ["quay.io/a/b"]);
        assert_eq!(
            r.push_endpoint(&refr("quay.io/a/b")).unwrap(),
            Endpoint {
                host: "quay.io".into(),
                repo: "a/b".into(),
                insecure: false,
                mirror: false
            }
        );
    }

    #[test]
    fn prefixes_are_rewritten_to_locations_longest_match_first() {
        let r = conf(
            r#"[[registry]]
               prefix = "example.com/foo"
               location = "internal.example.com:5000/bar"
               insecure = true

               [[registry]]
               location = "example.com"

               [[registry]]
               prefix = "example.com/foo/special"
               location = "special.example.com/x""#,
        );
        assert_eq!(
            sources(&r, "example.com/foo/app:1"),
            ["internal.example.com:5000/bar/app insecure"]
        );
        assert_eq!(
            sources(&r, "example.com/foo/special/app"),
            ["special.example.com/x/app"]
        );
        assert_eq!(sources(&r, "example.com/other"), ["example.com/other"]);
        // A prefix ends at a component: `foo` does not match `foobar`.
        assert_eq!(
            sources(&r, "example.com/foobar/app"),
            ["example.com/foobar/app"]
        );
        // Push goes where the name says, with the matching entry's `insecure`.
        let push = r.push_endpoint(&refr("example.com/foo/app")).unwrap();
        assert_eq!(push.to_string(), "example.com/foo/app");
        assert!(push.insecure);
    }

    #[test]
    fn mirrors_come_first_and_respect_pull_from_mirror() {
        let r = conf(
            r#"[[registry]]
               location = "docker.io"
               [[registry.mirror]]
               location = "mirror.local:5000"
               insecure = true
               [[registry.mirror]]
               location = "digests.example.com/hub"
               pull-from-mirror = "digest-only"
               [[registry.mirror]]
               location = "tags.example.com"
               pull-from-mirror = "tag-only""#,
        );
        assert_eq!(
            sources(&r, "alpine:3"),
            [
                "mirror.local:5000/library/alpine insecure mirror",
                "tags.example.com/library/alpine mirror",
                "docker.io/library/alpine"
            ]
        );
        assert_eq!(
            sources(&r, &format!("alpine@{DIGEST}")),
            [
                "mirror.local:5000/library/alpine insecure mirror",
                "digests.example.com/hub/library/alpine mirror",
                "docker.io/library/alpine"
            ]
        );
        // Push never goes to a mirror.
        let push = r.push_endpoint(&refr("alpine")).unwrap();
        assert_eq!(push.to_string(), "docker.io/library/alpine");
        assert!(!push.mirror);
    }

    #[test]
    fn mirror_by_digest_only_applies_to_every_mirror() {
        let r = conf(
            r#"[[registry]]
               location = "quay.io"
               mirror-by-digest-only = true
               [[registry.mirror]]
               location = "m.example.com""#,
        );
        assert_eq!(sources(&r, "quay.io/a"), ["quay.io/a"]);
        assert_eq!(
            sources(&r, &format!("quay.io/a@{DIGEST}")),
            ["m.example.com/a mirror", "quay.io/a"]
        );
    }

    #[test]
    fn a_blocked_registry_is_refused_for_pull_push_and_login() {
        let r = conf(
            r#"[[registry]]
               location = "evil.example.com"
               blocked = true
               [[registry]]
               prefix = "*.blocked.test"
               blocked = true"#,
        );
        for name in [
            "evil.example.com/x",
            "a.blocked.test/y:1",
            "b.c.blocked.test:5000/z",
        ] {
            let e = format!("{:#}", r.pull_sources(&refr(name)).unwrap_err());
            assert!(e.contains("is blocked in `registries.conf`"), "{name}: {e}");
            assert!(r.push_endpoint(&refr(name)).is_err(), "{name}");
        }
        assert!(r.registry_endpoint("evil.example.com").is_err());
        assert!(r.registry_endpoint("good.example.com").is_ok());
        assert_eq!(sources(&r, "blocked.test/x"), ["blocked.test/x"]);
    }

    #[test]
    fn insecure_registries_are_marked_for_login() {
        let r = conf("[[registry]]\nlocation = \"localhost:5000\"\ninsecure = true");
        assert!(r.registry_endpoint("localhost:5000").unwrap().insecure);
        assert!(!r.registry_endpoint("localhost:5001").unwrap().insecure);
    }

    #[test]
    fn the_v1_format_is_converted() {
        let r = conf(
            r#"[registries.search]
               registries = ["quay.io"]
               [registries.insecure]
               registries = ["insecure.test:5000"]
               [registries.block]
               registries = ["blocked.test"]"#,
        );
        assert_eq!(q(&r, "app"), "quay.io/app:latest");
        assert!(r.registry_endpoint("insecure.test:5000").unwrap().insecure);
        assert!(r.registry_endpoint("blocked.test").is_err());
    }

    #[test]
    fn syntax_and_value_errors_are_one_line_naming_the_file() {
        for (text, expect) in [
            ("unqualified-search-registries = [\"quay.io\"\n[x", "line 2"),
            (
                "[[registry]]\nlocation = \"a.io\"\ninsecure = \"yes\"",
                "line 3",
            ),
            ("short-name-mode = \"prompt\"", "short-name-mode `prompt`"),
            (
                "unqualified-search-registries = [\"quay.io/ns\"]",
                "not a host",
            ),
            (
                "[[registry]]\nlocation = \"https://a.io\"",
                "without a URL scheme",
            ),
            (
                "[[registry]]\ninsecure = true",
                "neither `location` nor `prefix`",
            ),
            ("[[registry]]\nlocation = \"myhost/x\"", "registry host"),
            ("[aliases]\n\"docker.io/a\" = \"quay.io/a\"", "short name"),
            ("[aliases]\n\"a\" = \"a/b\"", "registry and a repository"),
            (
                "[aliases]\n\"a\" = \"quay.io/a:1\"",
                "without tag or digest",
            ),
            (
                "[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\nlocation = \"m.io\"\npull-from-mirror = \"some\"",
                "pull-from-mirror `some`",
            ),
            (
                "[[registry]]\nlocation = \"a.io\"\n[[registry]]\nprefix = \"a.io/x\"\nlocation = \"a.io\"\ninsecure = true",
                "defined twice",
            ),
            (
                "unqualified-search-registries = [\"a.io\"]\n[registries.search]\nregistries = [\"b.io\"]",
                "cannot be mixed",
            ),
        ] {
            let e = format!("{:#}", Registries::from_str(text).unwrap_err());
            assert!(e.contains("`registries.conf`"), "{text}: {e}");
            assert!(e.contains(expect), "{text}: {e}");
            assert!(!e.contains('\n'), "{text}: one line: {e}");
        }
    }

    /// Writes `files` (name → text) under a temp dir; returns it.
    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    #[test]
    fn drop_ins_are_read_in_name_order_and_later_ones_override() {
        let d = tree(&[
            (
                "registries.conf",
                r#"unqualified-search-registries = ["quay.io"]
                   [aliases]
                   "a" = "quay.io/a"
                   "b" = "quay.io/b"
                   [[registry]]
                   location = "x.io"
                   blocked = true"#,
            ),
            // 10 sorts before 9: names, not numbers.
            (
                "registries.conf.d/9-last.conf",
                "unqualified-search-registries = [\"ghcr.io\"]\n[aliases]\n\"b\" = \"\"",
            ),
            (
                "registries.conf.d/10-first.conf",
                "unqualified-search-registries = [\"first.io\"]\n[aliases]\n\"a\" = \"ghcr.io/a\"\n\
                 [[registry]]\nlocation = \"x.io\"\n",
            ),
            ("registries.conf.d/ignored.txt", "this is not toml ["),
        ]);
        let main = d.path().join("registries.conf");
        let r = Registries::load_files(&main, true, &[drop_in_dir(&main)]).unwrap();
        assert_eq!(q(&r, "app"), "ghcr.io/app:latest");
        assert_eq!(q(&r, "a"), "ghcr.io/a:latest");
        // `"b" = ""` resets the alias: the search list decides again.
        assert_eq!(q(&r, "b"), "ghcr.io/b:latest");
        // The drop-in's x.io entry replaced the blocked one.
        assert_eq!(sources(&r, "x.io/y"), ["x.io/y"]);
    }

    #[test]
    fn a_missing_system_file_is_no_configuration_but_a_named_one_must_exist() {
        let d = tree(&[(
            "registries.conf.d/a.conf",
            "unqualified-search-registries = [\"quay.io\"]",
        )]);
        let main = d.path().join("registries.conf");
        let r = Registries::load_files(&main, false, &[drop_in_dir(&main)]).unwrap();
        assert_eq!(q(&r, "app"), "quay.io/app:latest");
        let e = Registries::load_files(&main, true, &[]).unwrap_err();
        assert!(format!("{e:#}").contains("registries.conf"), "{e:#}");
    }

    #[test]
    fn a_broken_drop_in_is_named_in_the_error() {
        let d = tree(&[
            ("registries.conf", ""),
            (
                "registries.conf.d/50-bad.conf",
                "[registries.search]\nregistries = [\"a.io\"]",
            ),
        ]);
        let main = d.path().join("registries.conf");
        let e = format!(
            "{:#}",
            Registries::load_files(&main, true, &[drop_in_dir(&main)]).unwrap_err()
        );
        assert!(e.contains("50-bad.conf"), "{e}");
        assert!(e.contains("v2 format"), "{e}");
    }

    #[test]
    fn the_users_file_replaces_the_systems_and_the_environment_both() {
        let d = tree(&[("system/registries.conf", "")]);
        let system = d.path().join("system/registries.conf");
        let config = d.path().join("config");
        let p = |rel: &str| d.path().join(rel);
        // No user file: the system's, its drop-ins, then the user's drop-ins.
        assert_eq!(
            Sources::pick(None, Some(config.clone()), &system),
            Sources {
                main: system.clone(),
                must_exist: false,
                drop_in_dirs: vec![
                    p("system/registries.conf.d"),
                    p("config/containers/registries.conf.d")
                ],
            }
        );
        // A user file: only it and the drop-ins beside it.
        std::fs::create_dir_all(p("config/containers")).unwrap();
        std::fs::write(p("config/containers/registries.conf"), "").unwrap();
        assert_eq!(
            Sources::pick(None, Some(config.clone()), &system),
            Sources {
                main: p("config/containers/registries.conf"),
                must_exist: true,
                drop_in_dirs: vec![p("config/containers/registries.conf.d")],
            }
        );
        // BERTH_REGISTRIES_CONF / CONTAINERS_REGISTRIES_CONF: that file, which must exist.
        assert_eq!(
            Sources::pick(Some(p("my.conf")), Some(config), &system),
            Sources {
                main: p("my.conf"),
                must_exist: true,
                drop_in_dirs: vec![p("my.conf.d")],
            }
        );
    }

    #[test]
    fn prefix_matching_follows_containers_image() {
        assert_eq!(prefix_match("example.com/a", "example.com"), Some(11));
        assert_eq!(prefix_match("example.com:5000/a", "example.com"), Some(11));
        assert_eq!(prefix_match("example.com/a:1", "example.com/a"), Some(13));
        assert_eq!(prefix_match("example.comx/a", "example.com"), None);
        assert_eq!(prefix_match("a.example.com/x", "*.example.com"), Some(13));
        assert_eq!(prefix_match("example.com/x", "*.example.com"), None);
        assert_eq!(
            prefix_match("other.io/a.example.com", "*.example.com"),
            None
        );
    }
}
