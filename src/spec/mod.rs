//! The spec layer: one place that turns an image's config and the user's
//! typed options into what the runtime runs — an OCI runtime spec
//! (`oci_spec::runtime::Spec`) and berth's [`Extensions`] (podman's specgen,
//! youki's ContainerBuilder). `berth run` and the build's RUN steps use it;
//! so will `create`, `exec` and a bundle for a peer runtime ([`bundle`]).
//!
//! Two steps, because a container record is made between them: [`prepare`]
//! checks and resolves everything that can fail on bad input (command, user,
//! id mapping, capabilities, seccomp, volumes) before anything exists;
//! [`Prepared::finish`] then writes the container's /etc files into its
//! directory and gives the spec.

pub mod bundle;
pub mod confine;
pub mod launch;
pub mod mountpoints;
pub mod mounts;
pub mod process;
pub mod seccomp_cache;

pub use confine::Seccomp;
pub use mounts::{Mount, MountKind, parse_device, parse_mount, parse_volume, tmpfs};

use crate::ident::idmap::IdMapping;
use crate::ident::users::User;
use crate::runtime::extensions::{Extensions, Overlay};
use crate::runtime::network;
use crate::runtime::plan::{oci_caps, oci_id_mappings, oci_mount, standard_mounts};
use crate::store::oci::RunConfig;
use anyhow::{Context, Result, bail};
use oci_spec::runtime::{
    Capabilities, LinuxCapabilitiesBuilder, LinuxNamespace, LinuxNamespaceType, PosixRlimit,
    Process, Root, Spec,
};
use std::path::{Path, PathBuf};

/// The image a container starts from.
pub struct Image<'a> {
    /// As the user named it, for messages.
    pub name: &'a str,
    pub config: &'a RunConfig,
    /// `<root>/layers`.
    pub layers_dir: PathBuf,
    /// The image's layers (chain ids under `layers_dir`), top first.
    pub lowerdirs: Vec<String>,
}

/// The config.json annotation holding `-u` as the user gave it.
pub const USER_ANNOTATION: &str = "io.berth.user";

/// `--sdnotify=container`: where the container sees the directory holding
/// berth's notify proxy socket (podman's place), and the socket's name.
pub const NOTIFY_DIR: &str = "/run/notify";
pub const NOTIFY_SOCKET_NAME: &str = "notify.sock";

/// The host directory a container's spec mounts at [`NOTIFY_DIR`] (its
/// notify proxy's), when it has one.
pub fn notify_dir(spec: &Spec) -> Option<PathBuf> {
    (spec.mounts().iter().flatten())
        .find(|m| m.destination() == Path::new(NOTIFY_DIR))
        .and_then(|m| m.source().clone())
}

/// What the user asks of a container, typed (the CLI's flags or a RUN step).
#[derive(Debug, Clone)]
pub struct ContainerOptions {
    /// Replaces the image's CMD.
    pub command: Vec<String>,
    /// Replaces the image's ENTRYPOINT (and drops its CMD); empty clears it.
    pub entrypoint: Option<String>,
    /// `KEY=VALUE`s set over the image's environment, in order.
    pub env: Vec<String>,
    /// USER[:GROUP], names or numbers; the image's USER when unset.
    pub user: Option<String>,
    pub group_add: Vec<String>,
    /// `--userns keep-id`: the caller's ids are themselves in the container.
    pub keep_id: bool,
    pub workdir: Option<String>,
    /// The container's id (its first 12 characters) when unset.
    pub hostname: Option<String>,
    pub add_host: Vec<String>,
    pub dns: Vec<String>,
    /// Each with whether it is a named volume (created when missing).
    pub mounts: Vec<(Mount, bool)>,
    pub read_only: bool,
    pub privileged: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub seccomp: Seccomp,
    /// Where the compiled default profile is kept between runs
    /// (`<root>/seccomp`, see [`seccomp_cache`]); None: compiled each time.
    pub seccomp_cache: Option<PathBuf>,
    pub no_new_privs: bool,
    pub rlimits: Vec<PosixRlimit>,
    pub init: bool,
    pub preserve_fds: u32,
    pub tty: bool,
    pub network: network::Plan,
    /// `run` gives the process HOME and HOSTNAME when the image's
    /// environment has none; a build step does not.
    pub session_env: bool,
    /// `--sdnotify=container`: NOTIFY_SOCKET in the container names the
    /// proxy socket berth binds in a directory of the container's own,
    /// mounted read-only at [`NOTIFY_DIR`].
    pub notify_proxy: bool,
}

impl ContainerOptions {
    /// The image's own command, user and workdir, Docker's default
    /// confinement, no mounts, on `network`.
    pub fn new(network: network::Plan) -> ContainerOptions {
        ContainerOptions {
            command: Vec::new(),
            entrypoint: None,
            env: Vec::new(),
            user: None,
            group_add: Vec::new(),
            keep_id: false,
            workdir: None,
            hostname: None,
            add_host: Vec::new(),
            dns: Vec::new(),
            mounts: Vec::new(),
            read_only: false,
            privileged: false,
            cap_add: Vec::new(),
            cap_drop: Vec::new(),
            seccomp: Seccomp::Default,
            seccomp_cache: None,
            no_new_privs: true,
            rlimits: Vec::new(),
            init: false,
            preserve_fds: 0,
            tty: false,
            network,
            session_env: false,
            notify_proxy: false,
        }
    }
}

/// A container checked against its image, not yet given a place.
pub struct Prepared {
    /// The command line, ENTRYPOINT and CMD combined.
    pub args: Vec<String>,
    env: Vec<String>,
    user: User,
    mapping: IdMapping,
    caps: caps::CapsHashSet,
    seccomp: Vec<seccompiler::BpfProgram>,
    mounts: Vec<Mount>,
    cwd: String,
    layers_dir: PathBuf,
    lowerdirs: Vec<String>,
    pub opts: ContainerOptions,
}

/// Where a prepared container lives: directories its caller made.
pub struct Placement<'a> {
    /// Where its /etc/hostname, /etc/hosts and /etc/resolv.conf are written.
    pub etc_dir: &'a Path,
    pub upper: PathBuf,
    pub work: PathBuf,
    /// The overlay's mount point: the container's root.
    pub rootfs: PathBuf,
    /// The hostname when the options name none.
    pub default_hostname: &'a str,
    /// Where the shared layers of /etc mount points are kept (`<root>/
    /// mountpoints`); None: the container makes its own.
    pub mountpoints: Option<&'a Path>,
}

/// Resolves `opts` against `image`: everything that can fail on bad input
/// fails here, before the container exists. `base` is the caller's id
/// mapping (its subordinate range, or its one id).
pub fn prepare(image: Image<'_>, opts: ContainerOptions, base: IdMapping) -> Result<Prepared> {
    let cfg = image.config;
    let args = process::command(
        cfg.entrypoint.as_deref(),
        cfg.cmd.as_deref(),
        opts.entrypoint.as_deref(),
        &opts.command,
    );
    if args.is_empty() {
        bail!(
            "no command given and the image `{}` has no CMD or ENTRYPOINT",
            image.name
        );
    }
    let mut env = process::environment(cfg.env.as_deref(), &opts.env, opts.tty);
    let layers = process::layer_dirs(&image.layers_dir, &image.lowerdirs);
    let (user, mapping) = process::user_and_mapping(
        opts.user.as_deref(),
        cfg.user.as_deref().filter(|u| !u.is_empty()),
        &opts.group_add,
        opts.keep_id,
        base,
        &layers,
        image.name,
    )?;
    if opts.session_env && !process::has(&env, "HOME") {
        env.push(format!(
            "HOME={}",
            user.home.clone().unwrap_or_else(|| "/".into())
        ));
    }
    let (caps, seccomp) = confine::resolve(
        &opts.cap_add,
        &opts.cap_drop,
        opts.privileged,
        &opts.seccomp,
        opts.seccomp_cache.as_deref(),
    )?;
    mounts::refuse_duplicate_destinations(opts.mounts.iter().map(|(m, _)| m))?;
    let mounts = opts
        .mounts
        .iter()
        .map(|(m, named)| mounts::prepare_source(m.clone(), *named))
        .collect::<Result<_>>()?;
    let cwd = opts
        .workdir
        .clone()
        .or_else(|| cfg.working_dir.clone().filter(|w| !w.is_empty()))
        .unwrap_or_else(|| "/".into());
    Ok(Prepared {
        args,
        env,
        user,
        mapping,
        caps,
        seccomp,
        mounts,
        cwd,
        layers_dir: image.layers_dir,
        lowerdirs: image.lowerdirs,
        opts,
    })
}

impl Prepared {
    /// Writes the container's /etc files and gives its spec.
    pub fn finish(&self, at: &Placement<'_>) -> Result<(Spec, Extensions)> {
        let o = &self.opts;
        let hostname = o.hostname.as_deref().unwrap_or(at.default_hostname);
        let etc = mounts::write_etc_files(at.etc_dir, hostname, &o.add_host, &o.dns)?;
        // A user's mount of /etc/hosts (say) replaces berth's. The others
        // go after the user's mounts, as Docker sorts them: a volume on /etc
        // is filled from the image before berth's files are bound over it,
        // so it never receives them.
        let user_dests: std::collections::BTreeSet<PathBuf> = self
            .mounts
            .iter()
            .map(|m| Path::new(&m.dest).components().collect())
            .collect();
        let etc: Vec<_> = etc
            .into_iter()
            .filter(|m| !user_dests.contains(m.destination()))
            .collect();
        let etc_count = etc.len();
        let mountpoints = at.mountpoints.and_then(|dir| self.mountpoints(dir, &etc));
        let standard = standard_mounts(self.mapping.has_range());
        // Seeding belongs to a mount, not to a destination: indices into the
        // spec's mounts, after the standard set.
        let first_user_mount = standard.len();
        let first_generated = first_user_mount + self.mounts.len();
        if o.dns.is_empty() {
            o.network.fix_resolv_conf(&at.etc_dir.join("resolv.conf"))?;
        }
        let mut env = self.env.clone();
        if o.session_env && !process::has(&env, "HOSTNAME") {
            env.insert(1.min(env.len()), format!("HOSTNAME={hostname}"));
        }
        let mut notify = Vec::new();
        if o.notify_proxy {
            // Beside the /etc files, in the container's own directory.
            let dir = at.etc_dir.join("notify");
            std::fs::create_dir(&dir).with_context(|| format!("creating `{}`", dir.display()))?;
            notify.push(oci_mount(NOTIFY_DIR, "bind", dir, &["rbind", "ro"]));
            process::set_env(
                &mut env,
                format!("NOTIFY_SOCKET={NOTIFY_DIR}/{NOTIFY_SOCKET_NAME}"),
            );
        }
        let mut spec = Spec::default();
        spec.set_version("1.0.2".into())
            .set_hostname(Some(hostname.to_string()))
            .set_annotations(o.user.as_ref().map(|u| {
                // `-u` as given (`commit` makes it the image's USER, as
                // podman does); the spec has only the ids it resolved to.
                [(USER_ANNOTATION.to_string(), u.clone())].into()
            }))
            .set_process(Some(self.process(env)?))
            .set_root(Some({
                let mut r = Root::default();
                r.set_path(at.rootfs.clone())
                    .set_readonly(Some(o.read_only));
                r
            }))
            .set_mounts(Some(
                standard
                    .into_iter()
                    .chain(self.mounts.iter().map(mounts::to_oci))
                    .chain(etc)
                    .chain(notify)
                    .collect(),
            ))
            .set_linux(Some(self.linux()?));
        let extensions = Extensions {
            overlay: Overlay {
                layers_dir: self.layers_dir.clone(),
                lowerdirs: self.lowerdirs.clone(),
                upper: at.upper.clone(),
                work: at.work.clone(),
                // Decided by `create`, which knows the container's policies.
                volatile: false,
                mountpoints,
            },
            seccomp: self.seccomp.clone(),
            init: o.init,
            preserve_fds: o.preserve_fds,
            seed: (self.mounts.iter().enumerate())
                .filter(|(_, m)| m.seed)
                .map(|(i, _)| first_user_mount + i)
                .collect(),
            generated: (first_generated..first_generated + etc_count).collect(),
        };
        Ok((spec, extensions))
    }

    /// The shared layer under `dir` with the mount points of `etc` (berth's
    /// /etc files the user did not mount over), unless a user's mount
    /// covers /etc: it would be seeded from the layer's empty files.
    fn mountpoints(&self, dir: &Path, etc: &[oci_spec::runtime::Mount]) -> Option<PathBuf> {
        let covers_etc = self.mounts.iter().any(|m| {
            let dest: PathBuf = Path::new(&m.dest).components().collect();
            Path::new("/etc").starts_with(dest)
        });
        if covers_etc {
            return None;
        }
        let layers = process::layer_dirs(&self.layers_dir, &self.lowerdirs);
        mountpoints::ensure(dir, &layers, &self.mapping, &mountpoints::names(etc))
    }

    fn process(&self, env: Vec<String>) -> Result<Process> {
        let caps = oci_caps(&self.caps)?;
        let mut p = Process::default();
        p.set_terminal(Some(self.opts.tty))
            .set_args(Some(self.args.clone()))
            .set_env(Some(env))
            .set_cwd(self.cwd.clone().into())
            .set_capabilities(Some(
                LinuxCapabilitiesBuilder::default()
                    .bounding(caps.clone())
                    .effective(caps.clone())
                    .permitted(caps)
                    .inheritable(Capabilities::new())
                    .ambient(Capabilities::new())
                    .build()
                    .context("building the capability sets")?,
            ))
            .set_rlimits(Some(self.opts.rlimits.clone()))
            .set_no_new_privileges(Some(self.opts.no_new_privs));
        let u = p.user_mut();
        u.set_uid(self.user.uid)
            .set_gid(self.user.gid)
            .set_additional_gids(Some(self.user.groups.clone()));
        Ok(p)
    }

    fn linux(&self) -> Result<oci_spec::runtime::Linux> {
        use LinuxNamespaceType as T;
        let mut types = vec![T::User, T::Mount, T::Pid, T::Uts, T::Ipc, T::Cgroup];
        if self.opts.network.new_netns() {
            types.push(T::Network);
        }
        let namespaces = types
            .into_iter()
            .map(|t| {
                let mut n = LinuxNamespace::default();
                n.set_typ(t);
                n
            })
            .collect();
        let paths = |p: &[&str]| Some(p.iter().map(|s| s.to_string()).collect());
        let mut l = oci_spec::runtime::Linux::default();
        l.set_resources(None)
            .set_namespaces(Some(namespaces))
            .set_uid_mappings(Some(oci_id_mappings(&self.mapping.uids)?))
            .set_gid_mappings(Some(oci_id_mappings(&self.mapping.gids)?));
        if self.opts.privileged {
            l.set_masked_paths(None).set_readonly_paths(None);
        } else {
            l.set_masked_paths(paths(mounts::MASKED))
                .set_readonly_paths(paths(mounts::READONLY));
        }
        Ok(l)
    }
}
