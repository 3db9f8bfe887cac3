//! The flags that describe a container, shared by `berth run` and (next)
//! `create`, and their conversion into the spec layer's typed options.

use crate::container::log::{Driver, LogConfig};
use crate::runtime::network;
use crate::spec::{self, ContainerOptions, confine, process};
use anyhow::{Result, bail};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct ContainerFlags {
    /// Keep stdin open
    #[arg(short, long)]
    pub interactive: bool,
    /// Allocate a pseudo-terminal
    #[arg(short, long)]
    tty: bool,
    /// Name of the container
    #[arg(long)]
    pub name: Option<String>,
    /// Set an environment variable (KEY=VALUE, or KEY to take it from berth's environment)
    #[arg(short, long = "env", value_name = "KEY[=VALUE]")]
    env: Vec<String>,
    /// Read environment variables from a file
    #[arg(long, value_name = "FILE")]
    env_file: Vec<PathBuf>,
    /// Override the image's entrypoint
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Run as USER[:GROUP] (names or numbers)
    #[arg(short, long)]
    user: Option<String>,
    /// Additional groups for the process
    #[arg(long, value_name = "GROUP")]
    group_add: Vec<String>,
    /// Working directory in the container (created when missing)
    #[arg(short, long, value_name = "DIR")]
    workdir: Option<String>,
    /// Bind mount or named volume: SRC:DST[:ro|rw]
    #[arg(short, long = "volume", value_name = "SRC:DST[:OPTS]")]
    volume: Vec<String>,
    /// Mount: type=bind|volume|tmpfs,source=…,target=…[,readonly]
    #[arg(long, value_name = "SPEC")]
    mount: Vec<String>,
    /// Give the container a host device node you can open: HOST[:CONTAINER][:rwm]
    #[arg(long, value_name = "HOST[:CTR][:PERMS]")]
    device: Vec<String>,
    /// Mount a tmpfs at DST
    #[arg(long, value_name = "DST[:OPTS]")]
    tmpfs: Vec<String>,
    /// Mount the root filesystem read-only
    #[arg(long)]
    read_only: bool,
    /// Container hostname
    #[arg(long)]
    hostname: Option<String>,
    /// Add HOST:IP to /etc/hosts
    #[arg(long, value_name = "HOST:IP")]
    add_host: Vec<String>,
    /// DNS server for /etc/resolv.conf
    #[arg(long, value_name = "IP")]
    dns: Vec<String>,
    /// Add a capability (or ALL)
    #[arg(long, value_name = "CAP")]
    cap_add: Vec<String>,
    /// Drop a capability (or ALL)
    #[arg(long, value_name = "CAP")]
    cap_drop: Vec<String>,
    /// Every capability in the user namespace, no seccomp, no masked paths
    #[arg(long)]
    privileged: bool,
    /// seccomp=unconfined|FILE.json, no-new-privileges[=true|false]
    #[arg(long, value_name = "OPT")]
    security_opt: Vec<String>,
    /// Resource limit NAME=SOFT[:HARD]
    #[arg(long, value_name = "NAME=SOFT[:HARD]")]
    ulimit: Vec<String>,
    /// Run berth's tiny init as pid 1: it forwards signals and reaps zombies.
    /// Without it the command is pid 1, and the kernel drops signals pid 1 has
    /// no handler for: Ctrl-C or `berth stop`'s SIGTERM do not stop `sh` or
    /// `httpd` (as with Docker; stop then ends it with SIGKILL after its timeout)
    #[arg(long)]
    init: bool,
    /// Pass N more fds (3 to 3+N-1) from berth's caller to the container (socket activation passes LISTEN_FDS of them by itself)
    #[arg(long, default_value_t = 0, value_name = "N")]
    preserve_fds: u32,
    /// Write the container's id to FILE (refused if it exists; removed with --rm)
    #[arg(long, value_name = "FILE")]
    pub cidfile: Option<PathBuf>,
    /// Stop and remove the container of the same --name first, if there is one
    #[arg(long, requires = "name")]
    pub replace: bool,
    /// Signal that stops the container
    #[arg(long, value_name = "SIGNAL")]
    pub stop_signal: Option<String>,
    /// Seconds `stop` waits after the stop signal before killing the container [default: 10]
    #[arg(long, value_name = "SECONDS")]
    pub stop_timeout: Option<u32>,
    /// Set a label on the container (KEY=VALUE)
    #[arg(short = 'l', long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Restart policy: no, on-failure[:N], always, unless-stopped
    #[arg(long, value_name = "POLICY", default_value = "no",
          value_parser = crate::container::RestartPolicy::parse)]
    pub restart: crate::container::RestartPolicy,
    /// Healthcheck command: a shell command (CMD-SHELL), a JSON array, or `none`
    #[arg(long, value_name = "COMMAND")]
    pub health_cmd: Option<String>,
    /// Time between healthchecks (30s, 500ms, 1m30s) [default: 30s]
    #[arg(long, value_name = "DURATION")]
    pub health_interval: Option<String>,
    /// Consecutive failed checks that make the container unhealthy [default: 3]
    #[arg(long, value_name = "N")]
    pub health_retries: Option<u32>,
    /// Time after the start during which failed checks do not count [default: 0s]
    #[arg(long, value_name = "DURATION")]
    pub health_start_period: Option<String>,
    /// Time a check may run before it is killed and counted failed [default: 30s]
    #[arg(long, value_name = "DURATION")]
    pub health_timeout: Option<String>,
    /// What to do when the container turns unhealthy: none, kill, restart, stop
    #[arg(long, value_name = "ACTION", default_value = "none")]
    pub health_on_failure: String,
    /// Run no healthcheck, not even the image's
    #[arg(long, conflicts_with = "health_cmd")]
    pub no_healthcheck: bool,
    /// Forward signals berth receives to the container
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub sig_proxy: bool,
    /// User namespace: `keep-id` maps your own uid and gid to themselves and runs as them
    #[arg(long, value_name = "MODE")]
    userns: Option<String>,
    /// Network: none, host, private (the default; through pasta) or slirp4netns
    #[arg(long, alias = "net", default_value = "private", value_name = "MODE",
          value_parser = network_modes())]
    network: String,
    /// Publish a container port on the host: [IP:]HOST:CTR[/tcp|udp]
    #[arg(short, long, value_name = "[IP:]HOST:CTR")]
    publish: Vec<String>,
    /// Where the output is kept: k8s-file, journald, passthrough or none [default: passthrough in the foreground]
    #[arg(long, value_name = "DRIVER")]
    log_driver: Option<String>,
    /// A log driver option: max-size=SIZE (k8s-file starts afresh before passing it), path=FILE
    #[arg(long, value_name = "NAME=VALUE")]
    log_opt: Vec<String>,
    /// Publish every port the image exposes (and --expose) on a free host port
    #[arg(short = 'P', long)]
    pub publish_all: bool,
    /// Expose a port (PORT[/tcp|udp]) for --publish-all
    #[arg(long, value_name = "PORT[/PROTO]")]
    pub expose: Vec<String>,
    /// Memory limit (needs a delegated cgroup v2; refused where there is none)
    #[arg(short, long, value_name = "BYTES[k|m|g]")]
    memory: Option<String>,
    /// CPU limit, in CPUs (needs a delegated cgroup v2; refused where there is none)
    #[arg(long, value_name = "N")]
    cpus: Option<f64>,
    /// Limit on the number of processes (needs a delegated cgroup v2; refused where there is none)
    #[arg(long, value_name = "N")]
    pids_limit: Option<i64>,
}

impl ContainerFlags {
    /// The `--health-*` flags, to be resolved against the image's check.
    pub fn health(&self) -> crate::container::health::HealthFlags {
        crate::container::health::HealthFlags {
            cmd: self.health_cmd.clone(),
            interval: self.health_interval.clone(),
            timeout: self.health_timeout.clone(),
            start_period: self.health_start_period.clone(),
            retries: self.health_retries,
            on_failure: Some(self.health_on_failure.clone()),
            disabled: self.no_healthcheck,
        }
    }

    /// The image's exposed ports and `--expose`, for `-P`.
    pub fn exposed(&self, image: Option<&[String]>) -> Result<Vec<(u16, network::Proto)>> {
        let mut all = Vec::new();
        for p in image.unwrap_or_default().iter().chain(&self.expose) {
            let p = network::Proto::parse_port(p)?;
            if !all.contains(&p) {
                all.push(p);
            }
        }
        Ok(all)
    }

    /// `--memory`, `--cpus`, `--pids-limit`: checked, then refused with the
    /// reason, since no cgroup enforces them (never silently ignored).
    fn refuse_limits(&self) -> Result<()> {
        let flag = if let Some(m) = &self.memory {
            spec::confine::parse_bytes(m).map_err(|e| anyhow::anyhow!("--memory `{m}`: {e}"))?;
            "--memory"
        } else if let Some(c) = self.cpus {
            if !(c > 0.0 && c.is_finite()) {
                bail!("--cpus `{c}`: must be a number of CPUs above 0");
            }
            "--cpus"
        } else if self.pids_limit.is_some() {
            "--pids-limit"
        } else {
            return Ok(());
        };
        bail!(
            "{flag} cannot be enforced here: {}",
            crate::runtime::cgroup::unavailable_why()
        )
    }

    /// `--log-driver` and `--log-opt`; `default` when no driver is named
    /// (passthrough for a foreground run, as the issue sets out).
    pub fn log_config(&self, default: Driver) -> Result<LogConfig> {
        LogConfig::parse(self.log_driver.as_deref(), &self.log_opt, default)
    }

    /// The typed options; `command` replaces the image's CMD. Named volumes
    /// resolve under `volumes_dir`. Sockets systemd passed to berth
    /// (LISTEN_FDS) go to the container's process, fds and variables.
    pub fn options(&self, command: Vec<String>, volumes_dir: &Path) -> Result<ContainerOptions> {
        let listen = crate::systemd::ListenFds::from_env();
        // Before berth opens anything: a closed fd in the range would be taken
        // by one of berth's own (the store lock) and handed to the container.
        let fds = (self.preserve_fds).max(listen.as_ref().map_or(0, |l| l.count));
        if let Some(fd) = (3..3 + fds as i32).find(|fd| !crate::sys::process::fd_is_open(*fd)) {
            bail!("--preserve-fds {fds} (or LISTEN_FDS): fd {fd} is not open");
        }
        if let Some(sig) = &self.stop_signal {
            process::check_stop_signal(sig)?;
        }
        self.refuse_limits()?;
        for e in &self.expose {
            network::Proto::parse_port(e)?;
        }
        let (seccomp, no_new_privs) = confine::parse_security_opts(&self.security_opt)?;
        let msg = anyhow::Error::msg;
        let mut mounts = Vec::new();
        for v in &self.volume {
            let (m, named) = spec::parse_volume(v, volumes_dir).map_err(msg)?;
            mounts.push((m, named.is_some()));
        }
        for m in &self.mount {
            let (m, named) = spec::parse_mount(m, volumes_dir).map_err(msg)?;
            mounts.push((m, named.is_some()));
        }
        for d in &self.device {
            mounts.push((spec::parse_device(d).map_err(msg)?, false));
        }
        for t in &self.tmpfs {
            let (dst, opts) = t.split_once(':').unwrap_or((t, ""));
            mounts.push((spec::tmpfs(dst, opts), false));
        }
        let mut env = process::env_overrides(&self.env_file, &self.env)?;
        if let Some(l) = &listen {
            env.extend(l.env(self.init));
        }
        Ok(ContainerOptions {
            command,
            entrypoint: self.entrypoint.clone(),
            env,
            user: self.user.clone(),
            group_add: self.group_add.clone(),
            keep_id: process::parse_userns(self.userns.as_deref())?,
            workdir: self.workdir.clone(),
            hostname: self.hostname.clone().filter(|h| !h.is_empty()),
            add_host: self.add_host.clone(),
            dns: self.dns.clone(),
            mounts,
            read_only: self.read_only,
            privileged: self.privileged,
            cap_add: self.cap_add.clone(),
            cap_drop: self.cap_drop.clone(),
            seccomp,
            // Set by the verb, which knows the root.
            seccomp_cache: None,
            no_new_privs,
            rlimits: (self.ulimit.iter())
                .map(|u| confine::parse_ulimit(u).map_err(msg))
                .collect::<Result<_>>()?,
            init: self.init,
            preserve_fds: fds,
            tty: self.tty,
            network: network::Plan::new(&self.network, &self.publish)?,
            session_env: true,
            notify_proxy: false,
        })
    }
}

/// `--network`'s values, listed for completion and in the error for a typo;
/// `pasta`, `default` and `bridge` are accepted aliases of `private`.
fn network_modes() -> clap::builder::PossibleValuesParser {
    use clap::builder::PossibleValue;
    clap::builder::PossibleValuesParser::new([
        PossibleValue::new("none"),
        PossibleValue::new("host"),
        PossibleValue::new("private"),
        PossibleValue::new("slirp4netns"),
        PossibleValue::new("pasta").hide(true),
        PossibleValue::new("default").hide(true),
        PossibleValue::new("bridge").hide(true),
    ])
}
