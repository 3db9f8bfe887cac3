//! What `ps` and `inspect` show of container records, in podman's shapes:
//! the listing (`ps --format json`), the fields `ps` templates see, the
//! STATUS words, `--filter`, and the container half of `inspect`. Pure
//! over a record and its bundle's `config.json`; the caller prints.

use super::{Containers, Meta, State};
use anyhow::{Context, Result, bail};
use oci_spec::runtime::Spec;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// `--filter KEY=VALUE`s as podman applies them: different keys must all
/// match; values of one key are alternatives, except `label`, whose values
/// must all match (containers/common `MatchLabelFilters`).
#[derive(Default)]
pub struct Filters(BTreeMap<String, Vec<String>>);

const STATUSES: &[&str] = &["created", "running", "exited", "orphaned"];

impl Filters {
    pub fn parse(specs: &[String]) -> Result<Filters> {
        let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for s in specs {
            let Some((k, v)) = s.split_once('=') else {
                bail!("invalid filter `{s}`: want KEY=VALUE");
            };
            match k {
                "status" if !STATUSES.contains(&v) => bail!(
                    "invalid filter `{s}`: status is one of {}",
                    STATUSES.join(", ")
                ),
                "exited" if v.parse::<i32>().is_err() => {
                    bail!("invalid filter `{s}`: exited takes an exit code")
                }
                "health" if !["starting", "healthy", "unhealthy", "none"].contains(&v) => bail!(
                    "invalid filter `{s}`: health is one of starting, healthy, unhealthy, none"
                ),
                "status" | "name" | "ancestor" | "label" | "id" | "exited" | "health" => {}
                _ => bail!(
                    "invalid filter `{s}`: filters are status, name, ancestor, label, id, exited and health"
                ),
            }
            by_key.entry(k.to_string()).or_default().push(v.to_string());
        }
        Ok(Filters(by_key))
    }

    pub fn matches(&self, m: &Meta) -> bool {
        self.0.iter().all(|(k, values)| match k.as_str() {
            "label" => values.iter().all(|v| {
                let (key, want) = v.split_once('=').unwrap_or((v, ""));
                m.labels
                    .get(key)
                    .is_some_and(|have| want.is_empty() || have == want)
            }),
            _ => values.iter().any(|v| match k.as_str() {
                "status" => state_name(&m.state) == v,
                // podman matches a regular expression; berth a substring.
                "name" => m.name.contains(v.as_str()),
                "id" => m.id.starts_with(v.as_str()),
                "exited" => {
                    m.state == State::Exited && m.exit_code.is_some_and(|c| c.to_string() == *v)
                }
                "ancestor" => is_ancestor(v, m),
                "health" => health_status(m).unwrap_or("none") == v,
                _ => false,
            }),
        })
    }
}

/// Whether `v` names the container's image: as the user named it, by
/// the normalised reference, by its repository when `v` has no tag, or by
/// an image id prefix.
fn is_ancestor(v: &str, m: &Meta) -> bool {
    if v == m.image || (!v.is_empty() && m.image_id.starts_with(v.trim_start_matches("sha256:"))) {
        return true;
    }
    use crate::reference::Reference;
    match (Reference::parse(v), Reference::parse(&m.image)) {
        (Ok(want), Ok(have)) => {
            want.to_string() == have.to_string()
                || (!v.contains('@')
                    && !v.rsplit('/').next().is_some_and(|l| l.contains(':'))
                    && want.repository() == have.repository())
        }
        _ => false,
    }
}

pub fn state_name(s: &State) -> &'static str {
    match s {
        State::Created => "created",
        State::Running => "running",
        State::Orphaned => "orphaned",
        State::Exited => "exited",
    }
}

fn epoch(t: &Option<String>) -> Option<i64> {
    t.as_deref().and_then(crate::time::parse_rfc3339)
}

/// When the container was made, to the nanosecond where the record says.
pub fn created_order(m: &Meta) -> (i64, u32) {
    (
        crate::time::parse_rfc3339(&m.created).unwrap_or(0),
        crate::time::fraction_nanos(&m.created),
    )
}

/// STATUS as podman words it: "Up 5 seconds", "Exited (0) 2 minutes ago",
/// "Created".
pub fn status(m: &Meta, now: i64) -> String {
    let created = crate::time::parse_rfc3339(&m.created).unwrap_or(now);
    match m.state {
        State::Created => "Created".into(),
        State::Running => {
            let since = epoch(&m.started_at).unwrap_or(created);
            let up = format!("Up {}", crate::time::human_duration(now - since));
            match health_status(m) {
                Some(h) => format!("{up} ({h})"),
                None => up,
            }
        }
        State::Orphaned => "Orphaned (berth killed; rm -f ends it)".into(),
        State::Exited => {
            let code = m
                .exit_code
                .map_or_else(|| "unknown".to_string(), |c| c.to_string());
            match epoch(&m.finished_at) {
                Some(at) => format!(
                    "Exited ({code}) {} ago",
                    crate::time::human_duration(now - at)
                ),
                None => format!("Exited ({code})"),
            }
        }
    }
}

/// The healthcheck's status of a running container that has one.
fn health_status(m: &Meta) -> Option<&str> {
    if m.state != State::Running || m.healthcheck.is_none() {
        return None;
    }
    Some(
        m.health
            .as_ref()
            .map_or(super::health::STARTING, |h| h.status.as_str()),
    )
}

/// The container's network as `ps`, `inspect` and `port` show it: plain
/// data the caller reads from the bundle's network plan.
#[derive(Debug, Clone, Default)]
pub struct Net {
    /// `pasta`, `slirp4netns`, `none` or `host`; empty when unknown.
    pub mode: String,
    pub ports: Vec<Port>,
}

/// One published port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// Empty: all of the host's addresses.
    pub host_ip: String,
    pub host_port: u16,
    pub container_port: u16,
    /// `tcp` or `udp`.
    pub protocol: &'static str,
}

impl Port {
    /// The host address as podman prints it: all addresses are `0.0.0.0`.
    pub fn host_ip_shown(&self) -> &str {
        if self.host_ip.is_empty() {
            "0.0.0.0"
        } else {
            &self.host_ip
        }
    }

    /// `0.0.0.0:8080` (IPv6 in brackets), as `port` prints a binding.
    pub fn host_addr(&self) -> String {
        let ip = self.host_ip_shown();
        if ip.contains(':') {
            format!("[{ip}]:{}", self.host_port)
        } else {
            format!("{ip}:{}", self.host_port)
        }
    }
}

/// PORTS as podman's `ps` words it (`portsToString`): sorted by container
/// port, `0.0.0.0:8080->80/tcp` each, except that a run of consecutive
/// ports published on the same numbers groups as
/// `0.0.0.0:8000-8002->8000-8002/tcp`.
pub fn ports_string(ports: &[Port]) -> String {
    let mut sorted = ports.to_vec();
    sorted.sort_by(|a, b| {
        (a.container_port, &a.host_ip, a.host_port, a.protocol).cmp(&(
            b.container_port,
            &b.host_ip,
            b.host_port,
            b.protocol,
        ))
    });
    let mut out: Vec<String> = Vec::new();
    // Groups of same-number ports by (address, protocol), in first-seen order.
    let mut groups: Vec<(String, &'static str, u16, u16)> = Vec::new();
    for p in &sorted {
        let ip = p.host_ip_shown().to_string();
        if p.host_port != p.container_port {
            out.push(format!(
                "{ip}:{}->{}/{}",
                p.host_port, p.container_port, p.protocol
            ));
            continue;
        }
        match groups
            .iter_mut()
            .rev()
            .find(|g| g.0 == ip && g.1 == p.protocol)
        {
            Some(g) if g.3 + 1 == p.container_port => g.3 = p.container_port,
            _ => groups.push((ip, p.protocol, p.container_port, p.container_port)),
        }
    }
    for (ip, proto, first, last) in groups {
        let range = if first == last {
            first.to_string()
        } else {
            format!("{first}-{last}")
        };
        out.push(format!("{ip}:{range}->{range}/{proto}"));
    }
    out.join(", ")
}

/// `{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}`: podman's inspect
/// shape of the bindings (`NetworkSettings.Ports`, `HostConfig.PortBindings`).
fn port_bindings(ports: &[Port]) -> Value {
    let mut map: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for p in ports {
        map.entry(format!("{}/{}", p.container_port, p.protocol))
            .or_default()
            .push(json!({"HostIp": p.host_ip, "HostPort": p.host_port.to_string()}));
    }
    json!(map)
}

/// Sizes for `ps -s`: the writable layer's and the image's plus it.
#[derive(Clone, Copy)]
pub struct Sizes {
    pub rw: u64,
    pub root_fs: u64,
}

impl Containers {
    /// The bundle's runtime spec, when `create` wrote one.
    pub fn config(&self, id: &str) -> Result<Option<Spec>> {
        use std::io::Read;
        use std::os::unix::fs::OpenOptionsExt;
        let path = self.layout.container_config(id);
        let mut bytes = Vec::new();
        match std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
        {
            Ok(mut f) => f.read_to_end(&mut bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => Err(e),
        }
        .with_context(|| format!("reading `{}`", path.display()))?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .with_context(|| format!("parsing `{}`", path.display()))
    }

    /// The mounts the user asked for (`-v`, `--mount`, `--tmpfs`), in
    /// podman's inspect shape: not the standard /proc, /dev, /sys set, nor
    /// the /etc files berth binds from the container's own directory.
    pub fn user_mounts(&self, id: &str, spec: Option<&Spec>) -> Vec<Value> {
        const STANDARD: &[&str] = &[
            "/proc",
            "/dev",
            "/dev/pts",
            "/dev/shm",
            "/dev/mqueue",
            "/sys",
            "/sys/fs/cgroup",
        ];
        let own = self.dir_of(id);
        let volumes = self.layout.volumes();
        let Some(mounts) = spec.and_then(|s| s.mounts().as_ref()) else {
            return Vec::new();
        };
        mounts
            .iter()
            .filter(|m| {
                let dst = m.destination().to_string_lossy();
                !STANDARD.contains(&dst.as_ref())
                    && !m.source().as_ref().is_some_and(|s| s.starts_with(&own))
            })
            .map(|m| {
                let opts = m.options().clone().unwrap_or_default();
                let source = m.source().clone().unwrap_or_default();
                let volume = source
                    .strip_prefix(&volumes)
                    .ok()
                    .and_then(|r| r.iter().next())
                    .map(|n| n.to_string_lossy().into_owned());
                let kind = match (&volume, m.typ().as_deref()) {
                    (Some(_), _) => "volume",
                    (None, Some(t)) => t,
                    (None, None) => "bind",
                };
                json!({
                    "Type": kind,
                    "Name": volume.unwrap_or_default(),
                    "Source": source,
                    "Destination": m.destination(),
                    "Driver": if kind == "volume" { "local" } else { "" },
                    "Mode": "",
                    "Options": opts.iter().filter(|o| !matches!(o.as_str(), "ro" | "rw")).collect::<Vec<_>>(),
                    "RW": !opts.iter().any(|o| o == "ro"),
                    "Propagation": if kind == "tmpfs" { "" } else { "rprivate" },
                })
            })
            .collect()
    }
}

/// One container as `podman ps --format json` lists it.
pub fn listing(m: &Meta, mounts: &[Value], net: &Net, size: Option<Sizes>, now: i64) -> Value {
    let created = crate::time::parse_rfc3339(&m.created).unwrap_or(0);
    let live = matches!(m.state, State::Running | State::Orphaned);
    json!({
        "AutoRemove": m.auto_remove,
        "Command": m.command,
        "Created": created,
        "CreatedAt": format!("{} ago", crate::time::human_duration(now - created)),
        "Exited": m.state == State::Exited,
        "ExitedAt": epoch(&m.finished_at).unwrap_or(0),
        "ExitCode": exit_code(m),
        "Id": m.id,
        "Image": m.image,
        "ImageID": m.image_id,
        "IsInfra": false,
        "Labels": m.labels,
        "Mounts": mounts.iter().map(|v| v["Destination"].clone()).collect::<Vec<_>>(),
        "Names": [m.name],
        "Networks": [],
        "Pid": if live { m.pid.unwrap_or(0) } else { 0 },
        "Pod": "",
        "PodName": "",
        "Ports": net.ports.iter().map(|p| json!({
            "host_ip": p.host_ip,
            "container_port": p.container_port,
            "host_port": p.host_port,
            "range": 1,
            "protocol": p.protocol,
        })).collect::<Vec<_>>(),
        "Restarts": m.restart_count,
        "Size": size.map(|s| json!({"RootFsSize": s.root_fs, "RwSize": s.rw})),
        "StartedAt": epoch(&m.started_at).unwrap_or(0),
        "State": state_name(&m.state),
        "Status": status(m, now),
    })
}

/// Podman's code for a container whose end nobody saw is -1.
fn exit_code(m: &Meta) -> i32 {
    match m.state {
        State::Exited => m.exit_code.unwrap_or(-1),
        _ => 0,
    }
}

/// What a `ps` template sees: the listing, with podman's reporter fields
/// over it (`.ID` short, `.Names` the name, `.Command` a string cut to 17
/// characters, `.CreatedAt` as Go prints a time, …).
pub fn template_fields(
    listing: &Value,
    m: &Meta,
    net: &Net,
    no_trunc: bool,
    now: i64,
    human_size: fn(u64) -> String,
) -> Value {
    let mut v = listing.clone();
    let short = |s: &str| {
        if no_trunc {
            s.to_string()
        } else {
            s.chars().take(12).collect()
        }
    };
    let mut command = m.command.join(" ");
    if !no_trunc && command.chars().count() > 17 {
        command = command.chars().take(17).collect::<String>() + "...";
    }
    let created = crate::time::parse_rfc3339(&m.created).unwrap_or(0);
    let created_human = format!("{} ago", crate::time::human_duration(now - created));
    let size = listing["Size"].as_object().map(|s| {
        let n = |k: &str| human_size(s[k].as_u64().unwrap_or(0));
        format!("{} (virtual {})", n("RwSize"), n("RootFsSize"))
    });
    let obj = v.as_object_mut().expect("a listing is an object");
    for (k, val) in [
        ("ID", json!(short(&m.id))),
        ("ImageID", json!(short(&m.image_id))),
        ("Names", json!(m.name)),
        ("Command", json!(command)),
        ("CreatedAt", json!(crate::time::go_string(created))),
        ("CreatedHuman", json!(created_human)),
        ("RunningFor", json!(created_human)),
        ("Ports", json!(ports_string(&net.ports))),
        ("Networks", json!("")),
        ("Restarts", json!(m.restart_count.to_string())),
        ("Size", json!(size.unwrap_or_default())),
    ] {
        obj.insert(k.to_string(), val);
    }
    v
}

/// The container half of `inspect`, shaped like `podman container inspect`.
/// Config and Mounts come from the bundle's spec when there is one.
pub fn inspect(m: &Meta, spec: Option<&Spec>, mounts: Vec<Value>, net: &Net) -> Value {
    let process = spec.and_then(|s| s.process().as_ref());
    let args = process
        .and_then(|p| p.args().clone())
        .unwrap_or_else(|| m.command.clone());
    let (path, rest) = match args.split_first() {
        Some((p, r)) => (p.clone(), r.to_vec()),
        None => (String::new(), Vec::new()),
    };
    let live = matches!(m.state, State::Running | State::Orphaned);
    let hostname = spec
        .and_then(|s| s.hostname().clone())
        .unwrap_or_else(|| m.id.chars().take(12).collect());
    let user = process
        .map(|p| {
            let u = p.user();
            format!("{}:{}", u.uid(), u.gid())
        })
        .unwrap_or_default();
    let zero = "0001-01-01T00:00:00Z".to_string();
    let health = m
        .healthcheck
        .as_ref()
        .map(|_| json!(m.health.clone().unwrap_or_default()));
    json!({
        "Id": m.id,
        "Created": m.created,
        "Path": path,
        "Args": rest,
        "State": {
            "Status": state_name(&m.state),
            "Running": live,
            "Paused": false,
            "Restarting": false,
            "OOMKilled": false,
            "Dead": false,
            "Pid": if live { m.pid.unwrap_or(0) } else { 0 },
            "ExitCode": exit_code(m),
            "Error": "",
            "StartedAt": m.started_at.clone().unwrap_or_else(|| zero.clone()),
            "FinishedAt": m.finished_at.clone().unwrap_or(zero),
            // podman 4.3 calls it Healthcheck, Docker and later podman Health.
            "Health": health,
            "Healthcheck": health,
        },
        "Image": m.image_id,
        "ImageName": m.image,
        "Name": m.name,
        "RestartCount": m.restart_count,
        "Mounts": mounts,
        "Config": {
            "Hostname": hostname,
            "User": user,
            "Env": process.and_then(|p| p.env().clone()).unwrap_or_default(),
            // podman 4's shapes: Cmd what follows the entrypoint, the
            // entrypoint one string.
            "Cmd": m.command.get(m.entrypoint.len()..).unwrap_or_default(),
            "Entrypoint": m.entrypoint.join(" "),
            "WorkingDir": process.map(|p| p.cwd().clone()).unwrap_or_else(|| "/".into()),
            "Labels": m.labels,
            "StopSignal": m.stop_signal.clone().unwrap_or_else(|| "SIGTERM".into()),
            "Healthcheck": m.healthcheck,
            "HealthcheckOnFailureAction": m.healthcheck.as_ref().map(|h| h.on_failure),
            "Tty": process.and_then(|p| p.terminal()).unwrap_or(false),
            "OpenStdin": false,
            "Image": m.image,
        },
        "HostConfig": {
            "AutoRemove": m.auto_remove,
            "RestartPolicy": restart_policy(&m.restart),
            "NetworkMode": net.mode,
            "PortBindings": port_bindings(&net.ports),
        },
        "NetworkSettings": {"Ports": port_bindings(&net.ports)},
    })
}

/// `--restart` as podman's inspect shows it.
fn restart_policy(p: &super::RestartPolicy) -> Value {
    use super::RestartPolicy as R;
    let (name, max) = match *p {
        R::No => ("no", 0),
        R::OnFailure { max_retries } => ("on-failure", max_retries),
        R::Always => ("always", 0),
        R::UnlessStopped => ("unless-stopped", 0),
    };
    json!({"Name": name, "MaximumRetryCount": max})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str, state: State, code: Option<i32>) -> Meta {
        Meta {
            id: format!("{name:0<64}"),
            name: name.into(),
            image: "busybox".into(),
            image_id: "ab".repeat(32),
            command: vec!["sleep".into(), "1000".into()],
            created: "2026-01-01T00:00:00Z".into(),
            state,
            pid: Some(42),
            pid_start: Some(1),
            monitor: None,
            auto_remove: false,
            exit_code: code,
            stop_signal: None,
            labels: [("tier".to_string(), "web".to_string())].into(),
            started_at: Some("2026-01-01T00:00:05Z".into()),
            finished_at: Some("2026-01-01T00:02:05Z".into()),
            ..Default::default()
        }
    }

    const NOW: i64 = 1_767_225_600 + 3 * 60 + 5; // 2026-01-01T00:03:05Z

    fn f(specs: &[&str]) -> Filters {
        Filters::parse(&specs.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn status_reads_as_podmans() {
        assert_eq!(
            status(&meta("a", State::Running, None), NOW),
            "Up 3 minutes"
        );
        assert_eq!(
            status(&meta("a", State::Exited, Some(3)), NOW),
            "Exited (3) About a minute ago"
        );
        assert_eq!(status(&meta("a", State::Created, None), NOW), "Created");
        let mut lost = meta("a", State::Exited, None);
        lost.finished_at = None;
        assert_eq!(status(&lost, NOW), "Exited (unknown)");
    }

    #[test]
    fn same_key_filters_or_and_different_keys_and() {
        let run = meta("web1", State::Running, None);
        let done = meta("db1", State::Exited, Some(0));
        let both = f(&["status=running", "status=exited"]);
        assert!(both.matches(&run) && both.matches(&done));
        let and = f(&["status=running", "name=db"]);
        assert!(!and.matches(&run) && !and.matches(&done));
        assert!(f(&["exited=0"]).matches(&done) && !f(&["exited=1"]).matches(&done));
        assert!(f(&["label=tier"]).matches(&run));
        assert!(f(&["label=tier=web"]).matches(&run));
        assert!(!f(&["label=tier=web", "label=other"]).matches(&run));
        assert!(f(&["id=web"]).matches(&run) && !f(&["id=eb"]).matches(&run));
        for a in [
            "busybox",
            "busybox:latest",
            "docker.io/library/busybox",
            "abab",
        ] {
            assert!(f(&[&format!("ancestor={a}")]).matches(&run), "{a}");
        }
        assert!(!f(&["ancestor=alpine"]).matches(&run));
    }

    fn port(ip: &str, host: u16, ctr: u16, protocol: &'static str) -> Port {
        Port {
            host_ip: ip.into(),
            host_port: host,
            container_port: ctr,
            protocol,
        }
    }

    #[test]
    fn ports_read_as_podmans_ps() {
        assert_eq!(ports_string(&[]), "");
        assert_eq!(
            ports_string(&[port("", 8080, 80, "tcp"), port("127.0.0.1", 53, 53, "udp")]),
            // podman lists ports on other numbers first, then same-number groups.
            "0.0.0.0:8080->80/tcp, 127.0.0.1:53->53/udp"
        );
        let run = [8001, 8000, 8002].map(|p| port("", p, p, "tcp"));
        assert_eq!(ports_string(&run), "0.0.0.0:8000-8002->8000-8002/tcp");
        assert_eq!(port("::1", 80, 80, "tcp").host_addr(), "[::1]:80");
        assert_eq!(
            port_bindings(&[port("", 8080, 80, "tcp")]),
            json!({"80/tcp": [{"HostIp": "", "HostPort": "8080"}]})
        );
    }

    #[test]
    fn bad_filters_are_refused() {
        for s in ["status", "status=gone", "exited=x", "colour=red"] {
            assert!(Filters::parse(&[s.to_string()]).is_err(), "{s}");
        }
    }

    #[test]
    fn the_listing_and_template_fields_have_podmans_names() {
        let m = meta("web", State::Exited, Some(2));
        let l = listing(&m, &[], &Net::default(), None, NOW);
        assert_eq!(l["Names"], json!(["web"]));
        assert_eq!(l["ExitCode"], 2);
        assert_eq!(l["State"], "exited");
        assert_eq!(l["Created"], 1_767_225_600);
        let t = template_fields(&l, &m, &Net::default(), false, NOW, |n| n.to_string());
        assert_eq!(t["ID"], "web000000000");
        assert_eq!(t["Names"], "web");
        assert_eq!(t["Command"], "sleep 1000");
        assert_eq!(t["CreatedAt"], "2026-01-01 00:00:00 +0000 UTC");
        assert_eq!(t["Labels"]["tier"], "web");
    }
}
