//! The container's network: `--network none|host|private` and `-p`, resolved
//! into a [`Plan`] before anything runs, then attached to the child.
//!
//! - `none`: a new network namespace with only `lo`, brought up by the child
//!   ([`loopback_up`]), as Docker does.
//! - `host`: no network namespace; the container shares the user's.
//! - `private` (alias `pasta`): a new namespace connected by pasta (Debian's
//!   passt), which the monitor starts once the child exists and before it
//!   goes on ([`Plan::attach`]), so the command starts with a configured
//!   interface, routes and published ports. Without pasta: `none`, with one
//!   warning.
//!
//! pasta's lifetime: pasta (at least Debian 12's, 2023-03) does not quit when
//! the namespace's last process exits (it only watches namespaces bound into
//! the file system, which an unprivileged user cannot do without a namespace
//! of its own, as podman's pause process does). So pasta runs in the
//! foreground as berth's child and [`Attached`] kills and reaps it when
//! dropped, after the container has exited. Readiness comes from pasta's pid
//! file, which it writes "once initialisation is done": pointed at a pipe, the
//! first line read is the signal, and EOF means pasta died first. No polling.

use anyhow::{Context, Result, anyhow, bail};
use nix::unistd::Pid;
use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The address the container sends DNS queries to when the host's resolver
/// is on its loopback (systemd-resolved's 127.0.0.53): pasta maps it to the
/// host's first nameserver (`--dns-forward`). Link-local, like podman's.
pub const DNS_FORWARD: &str = "169.254.1.1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Proto {
    Tcp,
    Udp,
}

/// One `-p [IP:]HOST:CTR[/tcp|udp]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PortMap {
    /// The host address to bind; all addresses when absent (as Docker).
    pub host_ip: Option<IpAddr>,
    pub host_port: u16,
    pub container_port: u16,
    pub proto: Proto,
}

impl Proto {
    pub fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }

    /// `80`, `80/tcp`, `53/udp`: an image's ExposedPorts key or `--expose`.
    pub fn parse_port(s: &str) -> Result<(u16, Proto)> {
        let (port, proto) = s.split_once('/').unwrap_or((s, "tcp"));
        let proto = match proto {
            "tcp" => Proto::Tcp,
            "udp" => Proto::Udp,
            p => bail!("invalid port `{s}`: unknown protocol `{p}` (use tcp or udp)"),
        };
        match port.parse::<u16>() {
            Ok(n) if n > 0 => Ok((n, proto)),
            _ => bail!("invalid port `{s}`: `{port}` is not a port number (1-65535)"),
        }
    }
}

impl PortMap {
    /// Parses `[IP:]HOST:CTR[/tcp|udp]`; IPv6 addresses go in brackets
    /// (`[::1]:8080:80`).
    pub fn parse(s: &str) -> Result<PortMap> {
        let bad = |why: &str| anyhow!("invalid port mapping `{s}`: {why}");
        let (spec, proto) = match s.rsplit_once('/') {
            Some((spec, "tcp")) => (spec, Proto::Tcp),
            Some((spec, "udp")) => (spec, Proto::Udp),
            Some((_, p)) => return Err(bad(&format!("unknown protocol `{p}` (use tcp or udp)"))),
            None => (s, Proto::Tcp),
        };
        let (ip, ports) = if let Some(rest) = spec.strip_prefix('[') {
            let (ip, ports) = rest
                .split_once("]:")
                .ok_or_else(|| bad("expected [IPv6]:HOST:CTR"))?;
            (Some(ip), ports)
        } else {
            match spec.matches(':').count() {
                1 => (None, spec),
                2 => {
                    let (ip, ports) = spec.split_once(':').expect("two colons");
                    (Some(ip), ports)
                }
                _ => return Err(bad("expected [IP:]HOST:CTR[/tcp|udp]")),
            }
        };
        let host_ip = match ip {
            Some(ip) => Some(
                ip.parse::<IpAddr>()
                    .map_err(|_| bad(&format!("`{ip}` is not an IP address")))?,
            ),
            None => None,
        };
        let (host, ctr) = ports
            .split_once(':')
            .ok_or_else(|| bad("expected [IP:]HOST:CTR[/tcp|udp]"))?;
        let port = |p: &str| match p.parse::<u16>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(bad(&format!("`{p}` is not a port number (1-65535)"))),
        };
        Ok(PortMap {
            host_ip,
            host_port: port(host)?,
            container_port: port(ctr)?,
            proto,
        })
    }

    /// pasta's forwarding spec: `[ADDR/]HOST:CTR`.
    fn pasta_spec(&self) -> String {
        let ports = format!("{}:{}", self.host_port, self.container_port);
        match self.host_ip {
            Some(ip) => format!("{ip}/{ports}"),
            None => ports,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Mode {
    Host,
    /// A namespace with `lo` only.
    None,
    /// A namespace connected by pasta (the executable).
    Pasta(PathBuf),
    /// A namespace connected by slirp4netns (when pasta is missing; no `-p`).
    Slirp(PathBuf),
}

/// The network a container gets, decided before it is created.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Plan {
    mode: Mode,
    ports: Vec<PortMap>,
    /// Whether the host's resolver is on its loopback, unreachable from the
    /// container's namespace: pasta forwards [`DNS_FORWARD`] to it instead.
    dns_forward: bool,
}

impl Plan {
    /// Resolves `--network MODE` and the `-p` specs; looks for pasta.
    pub fn new(mode: &str, publish: &[String]) -> Result<Plan> {
        let ports = publish
            .iter()
            .map(|p| PortMap::parse(p))
            .collect::<Result<Vec<_>>>()?;
        let mode = match mode {
            "host" => Mode::Host,
            "none" => Mode::None,
            "slirp4netns" => match crate::ident::idmap::find_tool("slirp4netns") {
                Some(p) => Mode::Slirp(p),
                None => bail!("slirp4netns is not installed (Debian: apt-get install slirp4netns)"),
            },
            "private" | "pasta" | "default" | "bridge" => {
                match (
                    crate::ident::idmap::find_tool("pasta"),
                    crate::ident::idmap::find_tool("slirp4netns"),
                ) {
                    (Some(p), _) => Mode::Pasta(p),
                    (None, _) if !ports.is_empty() => bail!(
                        "publishing ports needs pasta, which is not installed (Debian: apt-get install passt)"
                    ),
                    (None, Some(p)) => Mode::Slirp(p),
                    (None, None) => {
                        log::warn!(
                            "neither pasta nor slirp4netns found (Debian: apt-get install passt): the container has only `lo`"
                        );
                        Mode::None
                    }
                }
            }
            other => bail!("invalid --network `{other}`: use none, host or private"),
        };
        if !ports.is_empty() && !matches!(mode, Mode::Pasta(_)) {
            bail!(
                "cannot publish ports with --network {}: only pasta's private network has ports to publish",
                match mode {
                    Mode::Host => "host",
                    Mode::Slirp(_) => "slirp4netns",
                    _ => "none",
                }
            );
        }
        let dns_forward = matches!(mode, Mode::Pasta(_))
            && host_nameservers_are_loopback(
                &std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default(),
            );
        Ok(Plan {
            mode,
            ports,
            dns_forward,
        })
    }

    /// The mode as podman's inspect names it (`HostConfig.NetworkMode`).
    pub fn mode_name(&self) -> &'static str {
        match self.mode {
            Mode::Host => "host",
            Mode::None => "none",
            Mode::Pasta(_) => "pasta",
            Mode::Slirp(_) => "slirp4netns",
        }
    }

    /// The published ports.
    pub fn ports(&self) -> &[PortMap] {
        &self.ports
    }

    /// `-P`: publishes each of `exposed` (container port, protocol) that no
    /// `-p` already publishes, on a host port free now. As podman
    /// (`getRandomPort`), the kernel picks it: bind port 0 on the host
    /// address, read the port back, close. Only pasta's network has ports
    /// to publish; with no ports exposed nothing changes.
    pub fn publish_all(&mut self, exposed: &[(u16, Proto)]) -> Result<()> {
        let wanted: Vec<(u16, Proto)> = exposed
            .iter()
            .copied()
            .filter(|(port, proto)| {
                !self
                    .ports
                    .iter()
                    .any(|p| p.container_port == *port && p.proto == *proto)
            })
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        if !matches!(self.mode, Mode::Pasta(_)) {
            bail!(
                "cannot publish the exposed ports with --network {}: only pasta's private network has ports to publish",
                self.mode_name()
            );
        }
        // Listeners stay open until every port is picked: no port twice.
        let mut held = Vec::new();
        for (container_port, proto) in wanted {
            let (host_port, socket) = free_host_port(proto)?;
            held.push(socket);
            self.ports.push(PortMap {
                host_ip: None,
                host_port,
                container_port,
                proto,
            });
        }
        Ok(())
    }

    /// Whether the container gets a network namespace of its own.
    pub fn new_netns(&self) -> bool {
        self.mode != Mode::Host
    }

    /// Rewrites the container's resolv.conf (a copy of the host's) when the
    /// host's nameservers cannot be reached from the container.
    pub fn fix_resolv_conf(&self, path: &Path) -> Result<()> {
        if !self.dns_forward {
            return Ok(());
        }
        let host = std::fs::read_to_string(path)
            .with_context(|| format!("reading `{}`", path.display()))?;
        std::fs::write(path, forwarded_resolv_conf(&host))
            .with_context(|| format!("writing `{}`", path.display()))
    }

    /// Connects the namespaces of the container's process `pid` (created,
    /// maps written, not yet started): starts pasta and returns once it has
    /// configured the namespace. `dir` holds pasta's log. `None` when
    /// there is nothing to attach.
    pub fn attach(&self, pid: Pid, dir: &Path) -> Result<Option<Attached>> {
        let pasta = match &self.mode {
            Mode::Pasta(p) => p,
            Mode::Slirp(p) => return attach_slirp(p, pid).map(Some),
            _ => return Ok(None),
        };
        let log = dir.join("pasta.log");
        let mut cmd = Command::new(pasta);
        cmd.args(self.pasta_args(&log, pid))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Out of the terminal's process group: Ctrl-C is the container's
            // (berth forwards it), and must not cut its network.
            .process_group(0);
        crate::sys::process::die_with_parent(&mut cmd);
        log::debug!("network: {cmd:?}");
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting `{}`", pasta.display()))?;
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        if read.is_ok() && line.trim().parse::<u32>().is_ok() {
            return Ok(Some(Attached {
                child,
                holds_ports: !self.ports.is_empty(),
            }));
        }
        // EOF before the pid: pasta gave up; its log says why.
        let _ = child.kill();
        let status = child.wait().ok();
        let why = std::fs::read_to_string(&log)
            .ok()
            .and_then(|l| last_error(&l))
            .or_else(|| status.map(|s| s.to_string()))
            .unwrap_or_else(|| "exited before configuring the namespace".into());
        Err(anyhow!(
            "setting up the container's network with pasta: {why}"
        ))
    }

    fn pasta_args(&self, log: &Path, pid: Pid) -> Vec<String> {
        let mut args: Vec<String> = vec![
            "--config-net".into(),
            "--quiet".into(),
            "--foreground".into(),
            "--log-file".into(),
            log.display().to_string(),
            // The pid file, written once the namespace is configured, is our
            // readiness signal (see the module docs).
            "--pid".into(),
            "/dev/stdout".into(),
            // No way from the container to the host's loopback services
            // through the gateway address (Docker gives none either).
            "--no-map-gw".into(),
        ];
        // Only the ports asked for, in either direction: pasta's default
        // (`auto`) would publish every port the container listens on.
        let tcp: Vec<String> = self.specs(Proto::Tcp);
        let udp: Vec<String> = self.specs(Proto::Udp);
        for (opt, specs) in [("-t", tcp), ("-u", udp)] {
            if specs.is_empty() {
                args.extend([opt.into(), "none".into()]);
            }
            for s in specs {
                args.extend([opt.into(), s]);
            }
        }
        args.extend(["-T".into(), "none".into(), "-U".into(), "none".into()]);
        if self.dns_forward {
            args.extend(["--dns-forward".into(), DNS_FORWARD.into()]);
        }
        if nix::unistd::geteuid().is_root() {
            // As root pasta drops to nobody, who may not open our user
            // namespace; stay who we are.
            let (u, g) = (nix::unistd::geteuid(), nix::unistd::getegid());
            args.extend(["--runas".into(), format!("{u}:{g}")]);
        }
        args.push(pid.to_string());
        args
    }

    fn specs(&self, proto: Proto) -> Vec<String> {
        self.ports
            .iter()
            .filter(|p| p.proto == proto)
            .map(PortMap::pasta_spec)
            .collect()
    }
}

/// A port on all of the host's addresses that is free now, with the socket
/// that holds it.
fn free_host_port(proto: Proto) -> Result<(u16, std::os::fd::OwnedFd)> {
    let any = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
    let found = match proto {
        Proto::Tcp => {
            std::net::TcpListener::bind(any).and_then(|l| Ok((l.local_addr()?.port(), l.into())))
        }
        Proto::Udp => {
            std::net::UdpSocket::bind(any).and_then(|s| Ok((s.local_addr()?.port(), s.into())))
        }
    };
    found.context("finding a free host port to publish on")
}

/// slirp4netns into the namespaces of `pid`, with a tap device configured
/// (10.0.2.100/24, DNS 10.0.2.3); ready once it writes to `--ready-fd`.
fn attach_slirp(slirp: &Path, pid: Pid) -> Result<Attached> {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    let (ready_r, ready_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    let mut cmd = Command::new(slirp);
    cmd.args([
        "--configure".to_string(),
        "--mtu=65520".into(),
        "--disable-host-loopback".into(),
        format!("--ready-fd={}", ready_w.as_raw_fd()),
        pid.to_string(),
        "eth0".into(),
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .process_group(0);
    crate::sys::ns::keep_fd_on_exec(&mut cmd, ready_w.as_raw_fd());
    crate::sys::process::die_with_parent(&mut cmd);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting `{}`", slirp.display()))?;
    drop(ready_w);
    let mut byte = [0u8; 1];
    if matches!(std::fs::File::from(ready_r).read(&mut byte), Ok(1)) {
        return Ok(Attached {
            child,
            holds_ports: true,
        });
    }
    let _ = child.kill();
    let out = child.wait_with_output().ok();
    let why = out
        .map(|o| {
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or("")
                .to_string()
        })
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| "exited before configuring the namespace".into());
    Err(anyhow!(
        "setting up the container's network with slirp4netns: {why}"
    ))
}

/// The running network helper; dropping it stops it.
pub struct Attached {
    child: Child,
    /// It listens on host ports for the container (`-p`; slirp4netns
    /// always counts as such).
    holds_ports: bool,
}

impl Drop for Attached {
    fn drop(&mut self) {
        // The monitor reaps every child it sees exit, pasta included: only a
        // child still unreaped is certainly ours to kill (its pid cannot have
        // been reused). try_wait reaps it if it already exited.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            // Its death takes the kernel 20–50 ms here (its tap device is
            // unregistered, which waits for RCU grace periods), which every
            // `run` with a network used to wait for after its container had
            // ended. Waited for only when it listens on host ports: those
            // must be free when berth returns (a script's next `run -p` of
            // the same port). Otherwise a SIGKILLed helper can do nothing
            // more — its memory and command line are gone at once — and its
            // zombie is reaped by the monitor's loop or, once berth exits,
            // by whoever reaps orphans.
            if self.holds_ports {
                let _ = self.child.wait();
            }
        }
    }
}

/// Brings `lo` up in the current network namespace (the child's, before it
/// drops capabilities): Docker's `--network none` has a working loopback.
pub fn loopback_up() -> Result<()> {
    crate::sys::net::set_link_up("lo").context("bringing up `lo` in the container")
}

/// Whether any `nameserver` in a resolv.conf is a loopback address.
fn host_nameservers_are_loopback(resolv: &str) -> bool {
    nameservers(resolv).any(|ip| ip.is_loopback())
}

fn nameservers(resolv: &str) -> impl Iterator<Item = IpAddr> + '_ {
    resolv.lines().filter_map(|l| {
        let mut w = l.split_whitespace();
        match (w.next(), w.next()) {
            (Some("nameserver"), Some(ip)) => ip.parse().ok(),
            _ => None,
        }
    })
}

/// The host's resolv.conf with its nameservers replaced by [`DNS_FORWARD`];
/// search and options lines stay.
fn forwarded_resolv_conf(host: &str) -> String {
    let mut out = format!("nameserver {DNS_FORWARD}\n");
    for l in host.lines() {
        if l.split_whitespace().next() != Some("nameserver") {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

/// The last `ERROR:` line of a pasta log (`0.0690: ERROR:   text`), as text.
fn last_error(log: &str) -> Option<String> {
    log.lines()
        .rev()
        .find_map(|l| l.split_once("ERROR:").map(|(_, t)| t.trim().to_string()))
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pm(s: &str) -> PortMap {
        PortMap::parse(s).unwrap_or_else(|e| panic!("{s}: {e:#}"))
    }

    #[test]
    fn port_forms() {
        assert_eq!(
            pm("8080:80"),
            PortMap {
                host_ip: None,
                host_port: 8080,
                container_port: 80,
                proto: Proto::Tcp
            }
        );
        let p = pm("127.0.0.1:8080:80/udp");
        assert_eq!(p.host_ip, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(p.proto, Proto::Udp);
        assert_eq!(p.pasta_spec(), "127.0.0.1/8080:80");
        let p = pm("[::1]:53:5353/tcp");
        assert_eq!(p.host_ip, Some("::1".parse().unwrap()));
        assert_eq!((p.host_port, p.container_port), (53, 5353));
        assert_eq!(pm("8080:80").pasta_spec(), "8080:80");
    }

    #[test]
    fn bad_ports_say_which() {
        for (s, why) in [
            ("80", "expected"),
            ("", "expected"),
            ("a:80", "`a` is not a port"),
            ("0:80", "`0` is not a port"),
            ("80:70000", "`70000` is not a port"),
            ("1.2.3:80:80", "`1.2.3` is not an IP"),
            ("80:80/sctp", "unknown protocol `sctp`"),
            ("1:2:3:4", "expected"),
            ("[::1:80:80", "expected [IPv6]"),
        ] {
            let e = format!("{:#}", PortMap::parse(s).unwrap_err());
            assert!(e.starts_with(&format!("invalid port mapping `{s}`")), "{e}");
            assert!(e.contains(why), "{s}: {e}");
        }
    }

    #[test]
    fn loopback_resolvers_are_forwarded() {
        let resolved = "# stub\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n";
        assert!(host_nameservers_are_loopback(resolved));
        assert!(!host_nameservers_are_loopback("nameserver 10.0.0.1\n"));
        assert!(!host_nameservers_are_loopback(""));
        assert_eq!(
            forwarded_resolv_conf(resolved),
            "nameserver 169.254.1.1\n# stub\noptions edns0 trust-ad\nsearch lan\n"
        );
    }

    #[test]
    fn pasta_error_from_log() {
        let log = "pasta unknown version\n0.0690: ERROR:   Invalid port specifier bogus\n";
        assert_eq!(
            last_error(log).as_deref(),
            Some("Invalid port specifier bogus")
        );
        assert_eq!(last_error("nothing\n"), None);
    }

    #[test]
    fn publish_needs_the_private_network() {
        for mode in ["none", "host"] {
            let e = format!("{:#}", Plan::new(mode, &["80:80".into()]).unwrap_err());
            assert!(e.contains(&format!("--network {mode}")), "{e}");
        }
        let e = format!("{:#}", Plan::new("none", &["x".into()]).unwrap_err());
        assert!(e.contains("invalid port mapping `x`"), "{e}");
        assert!(Plan::new("bogus", &[]).is_err());
        assert!(!Plan::new("host", &[]).unwrap().new_netns());
        assert!(Plan::new("none", &[]).unwrap().new_netns());
    }
}
