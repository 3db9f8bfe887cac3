//! The HTTP client of `ADD <url>`. berth downloads from the host's network
//! namespace, where services bound to loopback trust their callers (and
//! 169.254.169.254 hands out cloud credentials). A `RUN` reaches them only
//! with `--allow network.host`; an `ADD` must not reach them without it
//! either. So the agent's resolver drops host-only addresses: every
//! connection ureq opens — each redirect hop, a proxy — gets its addresses
//! from the resolver, and ureq connects to exactly the addresses returned,
//! so what is checked is what is connected to (no second lookup, no window
//! for DNS rebinding).
//!
//! ureq's resolver API is `unversioned` (outside its semver promise);
//! Cargo.lock pins the version this was written against.

use anyhow::{Result, anyhow, bail};
use std::fmt;
use std::io::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// An agent for `ADD <url>`: unless `allow_host` (the user's
/// `--allow network.host`), it refuses to connect to host-only addresses.
fn agent(allow_host: bool) -> ureq::Agent {
    if allow_host {
        return ureq::Agent::new_with_defaults();
    }
    ureq::Agent::with_parts(
        Config::default(),
        DefaultConnector::new(),
        NoHostOnly(DefaultResolver::default()),
    )
}

/// Addresses that reach the host itself rather than some other machine:
/// loopback, unspecified (connecting to 0.0.0.0 or :: reaches loopback on
/// Linux; 0.0.0.0/8 is "this host on this network") and link-local (the
/// cloud metadata service), also in their IPv4-mapped IPv6 forms. Private
/// LAN ranges are other machines: internal artifact servers stay allowed.
pub(crate) fn is_host_only(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.octets()[0] == 0 || v4.is_link_local(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_host_only(IpAddr::V4(v4)),
            None => {
                v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xffc0) == 0xfe80
            }
        },
    }
}

/// Whether connecting to `ip` reaches this machine: a host-only address, or
/// one of the addresses of its own interfaces (a service bound to 0.0.0.0
/// answers on the host's LAN address too, which a RUN step cannot reach).
pub(crate) fn reaches_this_host(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    is_host_only(ip) || own_addresses().contains(&ip)
}

/// The addresses of this machine's interfaces, read once.
fn own_addresses() -> &'static [IpAddr] {
    static OWN: std::sync::OnceLock<Vec<IpAddr>> = std::sync::OnceLock::new();
    OWN.get_or_init(|| {
        let Ok(addrs) = nix::ifaddrs::getifaddrs() else {
            return Vec::new();
        };
        addrs
            .filter_map(|a| a.address)
            .filter_map(|a| {
                a.as_sockaddr_in()
                    .map(|v4| IpAddr::V4(v4.ip()))
                    .or_else(|| a.as_sockaddr_in6().map(|v6| IpAddr::V6(v6.ip())))
            })
            .collect()
    })
}

/// With a proxy (`HTTP_PROXY` and friends, which ureq honours) the resolver
/// sees only the proxy's address and the proxy resolves the target: the
/// target's own host is checked here, before the request — a literal
/// address as is, a name as this machine resolves it (when it cannot, the
/// proxy decides). A redirect followed through a proxy is not checked again.
fn check_proxied_target(url: &str, allow_host: bool) -> Result<(), HostOnly> {
    use std::net::ToSocketAddrs;
    if allow_host || Config::default().proxy().is_none() {
        return Ok(());
    }
    let Ok(uri) = url.parse::<Uri>() else {
        return Ok(());
    };
    let Some(host) = uri.host() else {
        return Ok(());
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<IpAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => (bare, uri.port_u16().unwrap_or(80))
            .to_socket_addrs()
            .map(|a| a.map(|s| s.ip()).collect())
            .unwrap_or_default(),
    };
    match addrs.into_iter().find(|ip| reaches_this_host(*ip)) {
        Some(ip) => Err(HostOnly {
            host: host.to_string(),
            ip,
            proxy: false,
        }),
        None => Ok(()),
    }
}

/// Why a connection was refused; ureq carries it as an `io::Error` and
/// `refusal` finds it again.
#[derive(Debug)]
struct HostOnly {
    host: String,
    ip: IpAddr,
    proxy: bool,
}

impl fmt::Display for HostOnly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.proxy { "the proxy " } else { "" };
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        if host.parse::<IpAddr>().is_ok() {
            let kind = if is_host_only(self.ip) {
                "a host-only address"
            } else {
                "an address of this host"
            };
            write!(f, "{what}{} is {kind}", self.ip)?;
        } else {
            write!(
                f,
                "{what}{host} resolves to {}, a host-only address",
                self.ip
            )?;
        }
        write!(
            f,
            ": network.host is not allowed \
             (use `berth build --allow network.host` to allow it)"
        )
    }
}

impl std::error::Error for HostOnly {}

/// The refusal behind a ureq error, if that is what it is.
fn refusal(e: &ureq::Error) -> Option<&HostOnly> {
    match e {
        ureq::Error::Io(io) => io.get_ref()?.downcast_ref(),
        _ => None,
    }
}

#[derive(Debug)]
struct NoHostOnly(DefaultResolver);

impl Resolver for NoHostOnly {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let all = self.0.resolve(uri, config, timeout)?;
        let mut kept = self.empty();
        let mut refused = None;
        for a in all.iter() {
            if reaches_this_host(a.ip()) {
                refused.get_or_insert(a.ip());
            } else {
                kept.push(*a);
            }
        }
        match refused {
            // A name with both kinds connects to the others only.
            Some(ip) if kept.is_empty() => Err(ureq::Error::Io(std::io::Error::other(HostOnly {
                host: uri.host().unwrap_or_default().to_string(),
                ip,
                proxy: config.proxy().is_some_and(|p| p.uri() == uri),
            }))),
            _ => Ok(kept),
        }
    }
}

/// Fetches `url` into `dir` (the name is the URL's last path segment),
/// hashing it on the way; `checksum` (`sha256:HEX`) must match when given.
/// Host-only addresses are refused unless `allow_host` (see `fetch`).
/// Returns the file, its name and its digest.
pub(crate) fn download(
    url: &str,
    dir: &Path,
    checksum: Option<&str>,
    allow_host: bool,
) -> Result<(PathBuf, String, String)> {
    let want = checksum
        .map(crate::store::digest::Digest::parse)
        .transpose()?;
    let name = url
        .split(['?', '#'])
        .next()
        .and_then(|u| u.rsplit('/').next())
        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
        .unwrap_or("download")
        .to_string();
    check_proxied_target(url, allow_host).map_err(|r| anyhow!("{r}"))?;
    let resp = agent(allow_host)
        .get(url)
        .call()
        .map_err(|e| match refusal(&e) {
            Some(r) => anyhow!("{r}"),
            None => anyhow!("{e}"),
        })?;
    let mut body = resp.into_body().into_reader();
    let path = dir.join(&name);
    let file = std::fs::File::create(&path)?;
    let mut w = crate::store::digest::HashingWriter::new(std::io::BufWriter::new(file));
    std::io::copy(&mut body, &mut w)?;
    let (out, got, _) = w.finish();
    out.into_inner().map_err(|e| e.into_error())?;
    if let Some(want) = want
        && want != got
    {
        bail!("checksum mismatch: expected {want}, got {got}");
    }
    // Docker gives downloaded files mode 0600.
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    Ok((path, name, got.to_string()))
}

/// Fetches `url` into `out` and returns how many bytes came: for a URL the
/// user chose on berth's command line (`berth scan --db-update`'s OSV
/// base, which tests point at 127.0.0.1), so unlike `ADD <url>` host
/// addresses are allowed. Plain GET, redirects followed, a non-2xx status an
/// error.
pub(crate) fn fetch_to(url: &str, out: &mut std::fs::File) -> Result<u64> {
    use std::time::Duration;
    // A stalled server, not a long download, is what times out; and no
    // body grows past FETCH_LIMIT on the user's disk.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(120)))
        .timeout_per_read(Some(Duration::from_secs(120)))
        .build()
        .into();
    let resp = agent.get(url).call().map_err(|e| match e {
        ureq::Error::Io(_) | ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => {
            anyhow!("{e}: is the network reachable?")
        }
        e => anyhow!("{e}"),
    })?;
    let mut body = resp
        .into_body()
        .into_with_config()
        .limit(FETCH_LIMIT)
        .reader();
    let mut w = std::io::BufWriter::new(out);
    let n = std::io::copy(&mut body, &mut w)
        .map_err(|e| anyhow!("{e} (at most {} GiB is fetched)", FETCH_LIMIT >> 30))?;
    w.flush()?;
    Ok(n)
}

/// The most [`fetch_to`] writes: OSV's largest export is a few hundred MB.
const FETCH_LIMIT: u64 = 8 << 30;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_only_addresses() {
        for a in [
            "127.0.0.1",
            "127.1.2.3",
            "0.0.0.0",
            "169.254.169.254",
            "::1",
            "::",
            "fe80::1",
            "febf::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:0.0.0.0",
        ] {
            assert!(is_host_only(a.parse().unwrap()), "{a}");
        }
        for a in [
            "10.0.0.1",
            "172.16.0.1",
            "192.168.1.1",
            "93.184.216.34",
            "169.255.0.1",
            "fd00::1",
            "fec0::1",
            "2001:db8::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_host_only(a.parse().unwrap()), "{a}");
        }
    }

    #[test]
    fn own_interface_addresses_reach_this_host() {
        // Every machine has loopback; others when it has a network.
        assert!(own_addresses().iter().all(|ip| reaches_this_host(*ip)));
        for ip in own_addresses() {
            if let IpAddr::V4(v4) = ip {
                assert!(reaches_this_host(IpAddr::V6(v4.to_ipv6_mapped())), "{v4}");
            }
        }
        assert!(
            !reaches_this_host("192.0.2.254".parse().unwrap())
                || own_addresses().contains(&"192.0.2.254".parse().unwrap())
        );
    }

    fn resolve(uri: &str) -> Result<ResolvedSocketAddrs, ureq::Error> {
        NoHostOnly(DefaultResolver::default()).resolve(
            &uri.parse().unwrap(),
            &Config::default(),
            NextTimeout::default(),
        )
    }

    // Every connection, each redirect hop included, takes its addresses from
    // the resolver: refusing here refuses a redirect to the host too.
    #[test]
    fn resolver_refuses_host_only_and_keeps_others() {
        let e = resolve("http://127.0.0.1:18080/secret.txt").unwrap_err();
        assert_eq!(
            refusal(&e).map(|r| r.to_string()).as_deref(),
            Some(
                "127.0.0.1 is a host-only address: network.host is not allowed \
                 (use `berth build --allow network.host` to allow it)"
            )
        );
        let e = resolve("http://[::ffff:169.254.169.254]/latest/meta-data/").unwrap_err();
        assert!(refusal(&e).is_some(), "{e}");
        let e = resolve("http://localhost:8080/").unwrap_err();
        let msg = refusal(&e).map(|r| r.to_string()).unwrap_or_default();
        assert!(msg.starts_with("localhost resolves to "), "{msg}");
        let ok = resolve("http://10.1.2.3:8080/").unwrap();
        assert_eq!(ok.len(), 1);
    }
}
