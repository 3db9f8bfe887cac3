//! `berth run [OPTIONS] IMAGE [COMMAND [ARG…]]`

use super::Ctx;
use super::container_opts::ContainerFlags;
use super::progress::Progress;
use super::registry_opts::AccessFlags;
use crate::container::{Containers, Meta, Process, State};
use crate::helper::remove_tree;
use crate::ident::idmap::IdMapping;
use crate::image::pull::{self, PullPolicy};
use crate::image::unpack::ensure_layers;
use crate::spec::launch::{self, Launch, Stdio};
use crate::spec::{self, Placement, Prepared};
use anyhow::{Context, Result};
use std::path::Path;

/// Run a command in a new container, as a child of this process
#[derive(clap::Args, Debug)]
#[command(trailing_var_arg = true)]
pub struct Args {
    /// Remove the container when it exits
    #[arg(long)]
    rm: bool,
    #[command(flatten)]
    container: ContainerFlags,
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
    /// The image
    image: String,
    /// Command and arguments (default: the image's entrypoint and cmd)
    #[arg(allow_hyphen_values = true)]
    command: Vec<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let flags = &a.container;
    let opts = flags.options(a.command.clone(), &ctx.layout.volumes())?;
    crate::runtime::binary_guard::ensure()?;
    let store = ctx.store()?;
    let image = pull::ensure(
        &store,
        &a.image,
        a.pull,
        &a.access.pull_options(a.platform.as_deref())?,
        &Progress::new(a.quiet),
    )?;
    let layers: Vec<String> = (ensure_layers(&store, &image)?.iter())
        .map(|c| c.hex().to_string())
        .collect();
    let cfg = &image.config.config;
    let source = spec::Image {
        name: &a.image,
        config: cfg,
        layers_dir: store.layers_dir(),
        lowerdirs: layers,
    };
    let prepared = spec::prepare(source, opts, IdMapping::for_current_user()?)?;

    // The record. What a killed berth left behind goes first (a few small reads).
    let containers = Containers::new(&ctx.layout);
    super::rm::sweep(&containers);
    let meta = containers.create(
        flags.name.as_deref(),
        Meta {
            id: String::new(),
            name: String::new(),
            image: a.image.clone(),
            image_id: image.id().hex().to_string(),
            command: prepared.args.clone(),
            created: crate::time::rfc3339(crate::time::now_epoch()),
            state: State::Created,
            pid: None,
            pid_start: None,
            monitor: Some(Process::current()?),
            auto_remove: a.rm,
            exit_code: None,
            stop_signal: flags
                .stop_signal
                .clone()
                .or_else(|| cfg.stop_signal.clone()),
        },
    )?;
    let dir = containers.dir_of(&meta.id);
    let outcome = start(&prepared, flags, &containers, &meta, &dir);
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

/// Makes the container's directories, gives it its spec and runs it.
fn start(
    prepared: &Prepared,
    flags: &ContainerFlags,
    containers: &Containers,
    meta: &Meta,
    dir: &Path,
) -> Result<i32> {
    let [upper, work, rootfs] = containers.layout().container_rootfs_dirs(&meta.id);
    for d in [&upper, &work, &rootfs] {
        std::fs::create_dir(d).with_context(|| format!("creating `{}`", d.display()))?;
    }
    let (spec, extensions) = prepared.finish(&Placement {
        etc_dir: dir,
        upper,
        work,
        rootfs,
        default_hostname: &meta.id[..12],
    })?;
    let mut on_created = |pid: nix::unistd::Pid| -> Result<()> {
        let mut running = meta.clone();
        running.state = State::Running;
        running.pid = Some(pid.as_raw());
        // Not yet started (it waits for our go), so /proc has it.
        running.pid_start = Some(Process::of(pid.as_raw())?.start);
        containers.save(&running)
    };
    let launch = Launch {
        stdio: Stdio::Caller {
            interactive: flags.interactive,
        },
        sig_proxy: flags.sig_proxy,
        network: &prepared.opts.network,
        dir,
        on_created: &mut on_created,
    };
    match launch::run(&spec, &extensions, launch)? {
        Ok(code) => Ok(code),
        Err(f) => {
            // Written by the container's side: it may quote the image.
            eprintln!("berth: {}", crate::term::escape(&f.message));
            Ok(f.code)
        }
    }
}
