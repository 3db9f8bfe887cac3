//! `berth create [OPTIONS] IMAGE [COMMAND [ARG…]]`: the container's record
//! and bundle, nothing running; prints its id.

use super::Ctx;
use super::container_opts::ContainerFlags;
use super::progress::Progress;
use super::registry_opts::AccessFlags;
use crate::container::log::Driver;
use crate::container::{Containers, Meta, Process};
use crate::ident::idmap::IdMapping;
use crate::image::pull::{self, PullPolicy};
use crate::image::unpack::ensure_layers;
use crate::lifecycle::create::{Created, Record};
use crate::spec;
use anyhow::{Context, Result, bail};

/// Create a container without starting it
#[derive(clap::Args, Debug)]
#[command(trailing_var_arg = true)]
pub struct Args {
    /// Remove the container when it exits
    #[arg(long)]
    rm: bool,
    #[command(flatten)]
    pub(super) image: ImageFlags,
}

/// The flags `run` and `create` share: the container's, the image's pull,
/// the image and the command.
#[derive(clap::Args, Debug)]
pub struct ImageFlags {
    #[command(flatten)]
    pub container: ContainerFlags,
    /// When to pull the image: always, missing, never, newer
    #[arg(long, default_value = "missing", value_name = "POLICY", num_args = 0..=1,
          default_missing_value = "always", value_parser = super::registry_opts::pull_policy)]
    pull: PullPolicy,
    /// The platform of the image to pull, as os/arch[/variant] [default: this machine's]
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    platform: Option<String>,
    /// Print nothing while pulling the image
    #[arg(short, long)]
    quiet: bool,
    #[command(flatten)]
    access: AccessFlags,
    #[command(flatten)]
    gate: ScanGate,
    /// The image
    image: String,
    /// Command and arguments (default: the image's entrypoint and cmd)
    #[arg(allow_hyphen_values = true)]
    pub(super) command: Vec<String>,
}

/// `--scan-gate SEVERITY [--scan-db DB]`, shared by `run`, `create` and `push`.
#[derive(clap::Args, Debug)]
pub struct ScanGate {
    /// Refuse the image when it has known vulnerabilities at or above this
    /// severity in the OSV database (see `berth scan`)
    #[arg(long, value_name = "LOW|MEDIUM|HIGH|CRITICAL", value_parser = super::scan::parse_severity)]
    scan_gate: Option<crate::vuln::Severity>,
    /// The OSV database --scan-gate reads [default: <root>/osv, as `berth scan --db-update` fills it]
    #[arg(long, value_name = "DIR|ZIP", requires = "scan_gate")]
    scan_db: Option<std::path::PathBuf>,
}

impl ScanGate {
    /// Refuses `image` (named `reference`) when the gate is set and finds
    /// something at or above it.
    pub(super) fn check(
        &self,
        ctx: &Ctx,
        store: &crate::store::Store,
        image: &crate::store::images::Image,
        reference: &str,
    ) -> Result<()> {
        let Some(min) = self.scan_gate else {
            return Ok(());
        };
        let db = self.scan_db.clone().unwrap_or_else(|| ctx.layout.osv_db());
        crate::vuln::gate::check(&ctx.layout, store, image, reference, &db, min)
    }
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let containers = Containers::new(&ctx.layout);
    // As podman: a container that may run detached keeps its output.
    let created = create(
        ctx,
        &containers,
        &a.image,
        a.rm,
        Driver::K8sFile,
        false,
        None,
    )?;
    println!("{}", created.meta.id);
    Ok(0)
}

/// Pulls the image when the policy says so, checks the options against it
/// and makes the container (`--replace`: in place of the one of its name;
/// `--cidfile`: its id written once it exists). `notify_proxy`: see
/// [`spec::ContainerOptions`]; `monitor`: see [`Record::monitor`].
pub(super) fn create(
    ctx: &Ctx,
    containers: &Containers,
    a: &ImageFlags,
    auto_remove: bool,
    default_log: Driver,
    notify_proxy: bool,
    monitor: Option<Process>,
) -> Result<Created> {
    let flags = &a.container;
    let mut opts = flags.options(a.command.clone(), &ctx.layout.volumes())?;
    opts.notify_proxy = notify_proxy;
    opts.seccomp_cache = Some(ctx.layout.seccomp_cache());
    if let Some(f) = &flags.cidfile
        && f.symlink_metadata().is_ok()
    {
        // As podman: never over another container's id.
        bail!("--cidfile `{}` exists: remove it first", f.display());
    }
    let log = flags.log_config(default_log)?;
    let health = flags.health();
    // Checked before anything is pulled.
    health.resolve(None)?;
    let labels = parse_labels(&flags.labels)?;
    crate::runtime::binary_guard::ensure()?;
    let store = ctx.store()?;
    let image = pull::ensure(
        &store,
        &a.image,
        a.pull,
        &a.access.pull_options(a.platform.as_deref())?,
        &Progress::new(a.quiet),
    )?;
    crate::logger::phase("image");
    a.gate.check(ctx, &store, &image, &a.image)?;
    let layers: Vec<String> = (ensure_layers(&store, &image)?.iter())
        .map(|c| c.hex().to_string())
        .collect();
    crate::logger::phase("layers");
    let cfg = &image.config.config;
    if flags.publish_all {
        let exposed: Vec<String> = (cfg.exposed_ports.iter().flatten())
            .map(|(k, _)| k.clone())
            .collect();
        opts.network
            .publish_all(&flags.exposed(Some(&exposed))?)
            .context("--publish-all")?;
    }
    let source = spec::Image {
        name: &a.image,
        config: cfg,
        layers_dir: store.layers_dir(),
        lowerdirs: layers,
    };
    let prepared = spec::prepare(source, opts, IdMapping::for_current_user()?)?;
    crate::logger::phase("prepare");
    // What a killed berth left behind goes first (a few small reads).
    super::rm::sweep(containers);
    crate::logger::phase("sweep");
    if flags.replace
        && let Some(name) = &flags.name
    {
        crate::lifecycle::stop::remove_named(containers, name)
            .with_context(|| format!("--replace: removing container {name}"))?;
    }
    let mut all_labels = cfg.labels.clone().unwrap_or_default();
    all_labels.extend(labels);
    crate::lifecycle::create::create(
        containers,
        &prepared,
        Record {
            name: flags.name.as_deref(),
            image: &a.image,
            image_id: image.id().hex().to_string(),
            entrypoint: spec::process::command(
                cfg.entrypoint.as_deref(),
                None,
                flags.entrypoint.as_deref(),
                &[],
            ),
            auto_remove,
            stop_signal: flags
                .stop_signal
                .clone()
                .or_else(|| cfg.stop_signal.clone()),
            stop_timeout: flags.stop_timeout,
            labels: all_labels.into_iter().collect(),
            restart: flags.restart,
            log,
            healthcheck: health.resolve(cfg.extra.get("Healthcheck"))?,
            create_command: std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            monitor,
        },
    )
    .and_then(|c| {
        let meta = write_cidfile(containers, flags.cidfile.as_deref(), c.meta)?;
        Ok(Created { meta, ..c })
    })
    .inspect(|c| {
        let m = &c.meta;
        let mut e = crate::events::Event::container("create", &m.id, &m.name, &m.image);
        e.attributes = m.labels.clone();
        crate::events::record(&ctx.layout, e);
    })
}

/// `--cidfile`: the id, once the container exists; without it the
/// container is undone.
fn write_cidfile(
    containers: &Containers,
    file: Option<&std::path::Path>,
    mut meta: Meta,
) -> Result<Meta> {
    let Some(file) = file else {
        return Ok(meta);
    };
    let written = crate::layout::write_new(file, meta.id.as_bytes()).and_then(|()| {
        // Recorded so that whoever removes the container (its monitor,
        // under `-d --rm`) removes the file too.
        meta.cidfile = Some(std::path::absolute(file)?);
        containers.save(&meta)
    });
    if let Err(e) = written {
        let _ = crate::lifecycle::remove_dir(containers, &meta.id);
        return Err(e.context(format!("writing --cidfile `{}`", file.display())));
    }
    Ok(meta)
}

/// `KEY=VALUE` labels (a bare `KEY` is an empty value, as podman).
fn parse_labels(raw: &[String]) -> Result<Vec<(String, String)>> {
    raw.iter()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or((l, ""));
            if k.is_empty() {
                bail!("invalid label `{l}`: the key is empty");
            }
            Ok((k.to_string(), v.to_string()))
        })
        .collect()
}
