//! `berth run [OPTIONS] IMAGE [COMMAND [ARG…]]`

use super::Ctx;
use crate::container::{Containers, Meta, Process, State};
use crate::helper::remove_tree;
use crate::ident::idmap::IdMapping;
use crate::ident::users;
use crate::image::unpack::ensure_layers;
use crate::runtime::monitor::{self, Options};
use crate::runtime::spec::{self, Spec};
use crate::runtime::{caps, network, seccomp};
use anyhow::{Context, Result, anyhow, bail};
use std::path::PathBuf;

/// Run a command in a new container, as a child of this process
#[derive(clap::Args, Debug)]
#[command(trailing_var_arg = true)]
pub struct Args {
    /// Remove the container when it exits
    #[arg(long)]
    rm: bool,
    /// Keep stdin open
    #[arg(short, long)]
    interactive: bool,
    /// Allocate a pseudo-terminal
    #[arg(short, long)]
    tty: bool,
    /// Name of the container
    #[arg(long)]
    name: Option<String>,
    /// Set an environment variable (KEY=VALUE, or KEY to take it from berth's environment)
    #[arg(short, long = "env", value_name = "KEY[=VALUE]")]
    env: Vec<String>,
    /// Read environment variables from a file
    #[arg(long, value_name = "FILE")]
    env_file: Vec<PathBuf>,
    /// Override the image's entrypoint
    #[arg(long)]
    entrypoint: Option<String>,
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
    /// Run berth's tiny init as pid 1: it forwards signals and reaps zombies
    #[arg(long)]
    init: bool,
    /// Pass N more fds (3 to 3+N-1) from berth's caller to the container
    #[arg(long, default_value_t = 0, value_name = "N")]
    preserve_fds: u32,
    /// Signal that stops the container
    #[arg(long, value_name = "SIGNAL")]
    stop_signal: Option<String>,
    /// Forward signals berth receives to the container
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    sig_proxy: bool,
    /// User namespace: `keep-id` maps your own uid and gid to themselves and runs as them
    #[arg(long, value_name = "MODE")]
    userns: Option<String>,
    /// Network: none, host, or private (the default; through pasta)
    #[arg(long, alias = "net", default_value = "private", value_name = "MODE")]
    network: String,
    /// Publish a container port on the host: [IP:]HOST:CTR[/tcp|udp]
    #[arg(short, long, value_name = "[IP:]HOST:CTR")]
    publish: Vec<String>,
    /// The image
    image: String,
    /// Command and arguments (default: the image's entrypoint and cmd)
    #[arg(allow_hyphen_values = true)]
    command: Vec<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    // Before berth opens anything: a closed fd in the range would be taken
    // by one of berth's own (the store lock) and handed to the container.
    if let Some(fd) =
        (3..3 + a.preserve_fds as i32).find(|fd| !crate::sys::process::fd_is_open(*fd))
    {
        bail!("--preserve-fds {}: fd {fd} is not open", a.preserve_fds);
    }
    crate::runtime::binary_guard::ensure()?;
    let store = ctx.store()?;
    let image = store.resolve(&a.image)?;
    let layers = ensure_layers(&store, &image)?;
    let layer_dirs: Vec<PathBuf> = layers.iter().map(|c| store.layer_dir(c)).collect();
    let cfg = &image.config.config;

    // The process.
    let entrypoint: Vec<String> = match &a.entrypoint {
        Some(e) if e.is_empty() => vec![],
        Some(e) => vec![e.clone()],
        None => cfg.entrypoint.clone().unwrap_or_default(),
    };
    let cmd = if !a.command.is_empty() {
        a.command.clone()
    } else if a.entrypoint.is_some() {
        vec![]
    } else {
        cfg.cmd.clone().unwrap_or_default()
    };
    let args: Vec<String> = entrypoint.into_iter().chain(cmd).collect();
    if args.is_empty() {
        bail!(
            "no command given and the image `{}` has no CMD or ENTRYPOINT",
            a.image
        );
    }
    let hostname = a.hostname.clone().unwrap_or_default();
    let mut env = cfg.env.clone().unwrap_or_default();
    let mut set_env = |kv: String| {
        let key = kv.split('=').next().unwrap_or("").to_string();
        env.retain(|e| e.split('=').next() != Some(key.as_str()));
        env.push(kv);
    };
    for f in &a.env_file {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("reading env file `{}`", f.display()))?;
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            if let Some(kv) = env_value(line) {
                set_env(kv);
            }
        }
    }
    for e in &a.env {
        if let Some(kv) = env_value(e) {
            set_env(kv);
        }
    }
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.insert(0, format!("PATH={}", spec::DEFAULT_PATH));
    }
    if a.tty && !env.iter().any(|e| e.starts_with("TERM=")) {
        env.push("TERM=xterm".into());
    }

    let keep_id = match a.userns.as_deref() {
        None | Some("") | Some("host") | Some("private") => false,
        Some("keep-id") => true,
        Some(other) => bail!("invalid --userns `{other}`: use keep-id"),
    };
    let (host_uid, host_gid) = (
        nix::unistd::getuid().as_raw(),
        nix::unistd::getgid().as_raw(),
    );
    let user_spec = match (&a.user, keep_id) {
        (Some(u), _) => u.clone(),
        (None, true) => format!("{host_uid}:{host_gid}"),
        (None, false) => cfg
            .user
            .clone()
            .filter(|u| !u.is_empty())
            .unwrap_or_default(),
    };
    let user = users::resolve_in_layers(&user_spec, &a.group_add, &layer_dirs)
        .with_context(|| format!("resolving user `{user_spec}` in `{}`", a.image))?;
    if !env.iter().any(|e| e.starts_with("HOME=")) {
        env.push(format!(
            "HOME={}",
            user.home.clone().unwrap_or_else(|| "/".into())
        ));
    }

    // Identity: the user's range, or their one id placed where the process runs.
    let mut mapping = IdMapping::for_current_user()?;
    if keep_id && !nix::unistd::geteuid().is_root() {
        mapping = mapping.keep_id(host_uid, host_gid);
    } else {
        mapping = mapping.for_process(user.uid, user.gid);
    }
    if mapping.host_uid(user.uid).is_none() || mapping.host_gid(user.gid).is_none() {
        bail!(
            "user `{user_spec}` ({}:{}) is outside this user's id mapping",
            user.uid,
            user.gid
        );
    }

    if let Some(sig) = &a.stop_signal {
        let name = sig.to_ascii_uppercase();
        let name = if name.starts_with("SIG") {
            name
        } else {
            format!("SIG{name}")
        };
        let numeric = sig
            .parse::<i32>()
            .ok()
            .and_then(|n| nix::sys::signal::Signal::try_from(n).ok());
        if numeric.is_none() && name.parse::<nix::sys::signal::Signal>().is_err() {
            bail!("invalid --stop-signal `{sig}`");
        }
    }

    // Confinement.
    let mut no_new_privs = true;
    let mut seccomp_opt: Option<String> = None;
    for o in &a.security_opt {
        let (k, v) = o.split_once(['=', ':']).unwrap_or((o.as_str(), ""));
        match k {
            "seccomp" => seccomp_opt = Some(v.to_string()),
            "no-new-privileges" => no_new_privs = v.is_empty() || v == "true",
            "label" | "apparmor" => {}
            _ => bail!("invalid --security-opt `{o}`"),
        }
    }
    let cap_set = caps::resolve(&a.cap_add, &a.cap_drop, a.privileged)?;
    let seccomp_progs = match seccomp_opt.as_deref() {
        _ if a.privileged => vec![],
        Some("unconfined") => vec![],
        Some(file) => seccomp::from_file(std::path::Path::new(file), &cap_set)?,
        None => seccomp::default_programs(&cap_set)?,
    };
    let rlimits = a
        .ulimit
        .iter()
        .map(|u| spec::parse_ulimit(u).map_err(anyhow::Error::msg))
        .collect::<Result<Vec<_>>>()?;

    // Mounts.
    let volumes_dir = ctx.layout.volumes();
    let mut mounts = Vec::new();
    for v in &a.volume {
        let (m, named) = spec::parse_volume(v, &volumes_dir).map_err(anyhow::Error::msg)?;
        mounts.push(prepare_source(m, named.is_some())?);
    }
    for m in &a.mount {
        let (m, named) = spec::parse_mount(m, &volumes_dir).map_err(anyhow::Error::msg)?;
        mounts.push(prepare_source(m, named.is_some())?);
    }
    for t in &a.tmpfs {
        let (dst, opts) = t.split_once(':').unwrap_or((t, ""));
        mounts.push(spec::tmpfs(dst, opts));
    }
    let net = network::Plan::new(&a.network, &a.publish)?;
    let new_netns = net.new_netns();

    // The record. What a killed berth left behind goes first (a few small reads).
    let containers = Containers::new(&ctx.layout);
    super::rm::sweep(&containers);
    let meta = containers.create(
        a.name.as_deref(),
        Meta {
            id: String::new(),
            name: String::new(),
            image: a.image.clone(),
            image_id: image.id().hex().to_string(),
            command: args.clone(),
            created: crate::time::rfc3339(crate::time::now_epoch()),
            state: State::Created,
            pid: None,
            pid_start: None,
            monitor: Some(Process::current()?),
            auto_remove: a.rm,
            exit_code: None,
            stop_signal: a.stop_signal.clone().or_else(|| cfg.stop_signal.clone()),
        },
    )?;
    let dir = containers.dir_of(&meta.id);
    let outcome = (|| -> Result<i32> {
        let [upper, work, rootfs] = ctx.layout.container_rootfs_dirs(&meta.id);
        for d in [&upper, &work, &rootfs] {
            std::fs::create_dir(d).with_context(|| format!("creating `{}`", d.display()))?;
        }
        let hostname = if hostname.is_empty() {
            meta.id[..12].to_string()
        } else {
            hostname.clone()
        };
        let etc = crate::runtime::rootfs::write_etc_files(&dir, &hostname, &a.add_host, &a.dns)?;
        if a.dns.is_empty() {
            net.fix_resolv_conf(&dir.join("resolv.conf"))?;
        }
        let mut env = env.clone();
        if !env.iter().any(|e| e.starts_with("HOSTNAME=")) {
            env.insert(1.min(env.len()), format!("HOSTNAME={hostname}"));
        }
        let cwd = a
            .workdir
            .clone()
            .or_else(|| cfg.working_dir.clone().filter(|w| !w.is_empty()))
            .unwrap_or("/".into());
        let spec = Spec {
            args: args.clone(),
            env,
            cwd,
            hostname,
            rootfs: spec::Rootfs {
                layers_dir: store.layers_dir(),
                lowerdirs: layers.iter().map(|c| c.hex().to_string()).collect(),
                upper,
                work,
                target: rootfs,
            },
            mounts: mounts.clone(),
            read_only: a.read_only,
            privileged: a.privileged,
            no_new_privs,
            caps: cap_set.clone(),
            seccomp: seccomp_progs.clone(),
            rlimits: rlimits.clone(),
            has_id_range: mapping.has_range(),
            uid: user.uid,
            gid: user.gid,
            groups: user.groups.clone(),
            new_netns,
            init: a.init,
            preserve_fds: a.preserve_fds,
        };
        let (tty_parent, tty_child) = if a.tty {
            let (p, c) =
                std::os::unix::net::UnixStream::pair().context("creating the terminal socket")?;
            (Some(p), Some(c))
        } else {
            (None, None)
        };
        let interactive = a.interactive;
        let before_exec = || -> Result<()> {
            match &tty_child {
                Some(sock) => crate::runtime::pty::child_setup(sock),
                // Without -i the container reads nothing of ours, as with podman.
                None if !interactive => {
                    let null = std::fs::File::open("/dev/null").context("opening /dev/null")?;
                    nix::unistd::dup2_stdin(&null).context("redirecting stdin")?;
                    Ok(())
                }
                None => Ok(()),
            }
        };
        // Lives until the container has exited; dropping it stops pasta.
        let mut net_helper = None;
        let mut on_created = |pid: nix::unistd::Pid| -> Result<()> {
            net_helper = net.attach(pid, &dir)?;
            let mut running = meta.clone();
            running.state = State::Running;
            running.pid = Some(pid.as_raw());
            // Not yet started (it waits for our go), so /proc has it.
            running.pid_start = Some(Process::of(pid.as_raw())?.start);
            containers.save(&running)
        };
        let result = monitor::run(Options {
            spec: &spec,
            etc: &etc,
            mapping: &mapping,
            sig_proxy: a.sig_proxy,
            on_created: &mut on_created,
            child_before_exec: &before_exec,
            tty: tty_parent.as_ref(),
            stdin_open: a.interactive,
        })?;
        drop(net_helper);
        match result {
            Ok(exit) => Ok(exit.0),
            Err(f) => {
                // Written by the container's side: it may quote the image.
                eprintln!("berth: {}", crate::term::escape(&f.message));
                Ok(f.code)
            }
        }
    })();
    let mut meta = meta;
    meta.state = State::Exited;
    meta.exit_code = outcome.as_ref().ok().copied();
    if a.rm {
        if let Err(e) = remove_tree(&dir) {
            log::warn!("removing container {}: {e:#}", meta.id);
        }
    } else {
        containers.save(&meta)?;
    }
    outcome
}

/// `-e K=V` as given; `-e K` takes K from berth's environment (dropped when unset).
fn env_value(e: &str) -> Option<String> {
    if e.contains('=') {
        Some(e.to_string())
    } else {
        std::env::var(e).ok().map(|v| format!("{e}={v}"))
    }
}

fn prepare_source(mut m: spec::Mount, named: bool) -> Result<spec::Mount> {
    if let spec::MountKind::Bind { source, .. } = &m.kind {
        if named {
            m.seed = !source.exists();
            std::fs::create_dir_all(source)
                .with_context(|| format!("creating volume `{}`", source.display()))?;
        } else if !source.exists() {
            return Err(anyhow!(
                "bind mount source `{}`: no such file or directory",
                source.display()
            ));
        }
    }
    Ok(m)
}
