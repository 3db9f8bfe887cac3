//! `berth generate systemd [--new] CONTAINER`: a systemd unit for a container,
//! as podman's `generate systemd` writes one (the text and why it differs
//! are in `unit/systemd.rs`).

use super::Ctx;
use crate::container::Containers;
use crate::unit::systemd::{self, RESTART_POLICIES, Unit};
use anyhow::{Context, Result, bail};

#[derive(clap::Subcommand, Debug)]
/// Generate configuration for other tools
#[command(defer = true)]
pub enum Verb {
    Systemd(Args),
}

/// A systemd unit that runs a container
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A unit that creates the container anew at each start (`berth run` of
    /// its create command) and removes it at the end
    #[arg(long)]
    new: bool,
    /// Name the unit after the container's name, not its id
    #[arg(short, long)]
    name: bool,
    /// The unit's Restart=
    #[arg(long, value_name = "POLICY", default_value = "on-failure",
          value_parser = clap::builder::PossibleValuesParser::new(RESTART_POLICIES))]
    restart_policy: String,
    /// The unit's RestartSec=
    #[arg(long, value_name = "SECONDS")]
    restart_sec: Option<u32>,
    /// Seconds `stop` waits before SIGKILL [default: the container's
    /// --stop-timeout, else 10]
    #[arg(short = 't', long, value_name = "SECONDS")]
    stop_timeout: Option<u32>,
    /// Write the unit to PREFIX-NAME.service in the current directory and
    /// print its path
    #[arg(short, long)]
    files: bool,
    /// The unit file name's prefix
    #[arg(long, value_name = "PREFIX", default_value = "container")]
    container_prefix: String,
    /// Between the prefix and the name
    #[arg(long, value_name = "SEP", default_value = "-")]
    separator: String,
    /// The container, by name, id or id prefix
    container: String,
}

pub fn run(ctx: &Ctx, v: Verb) -> Result<i32> {
    let Verb::Systemd(a) = v;
    let meta = Containers::new(&ctx.layout).find(&a.container)?;
    let berth = std::env::current_exe().context("finding the berth binary")?;
    let berth = berth.display().to_string();
    let default_root = crate::layout::Layout::pick(None);
    let global: Vec<String> = if default_root.root() == ctx.root() {
        Vec::new()
    } else {
        vec!["--root".to_string(), ctx.root().display().to_string()]
    };
    let ident = if a.name || a.new {
        &meta.name
    } else {
        &meta.id
    };
    let file_name = format!("{}{}{ident}.service", a.container_prefix, a.separator);
    let args;
    let new = if a.new {
        args = new_run_args(&meta.create_command)
            .with_context(|| format!("container `{}`", meta.name))?;
        Some((args.as_slice(), meta.name.as_str()))
    } else {
        None
    };
    let text = systemd::render(&Unit {
        file_name: &file_name,
        berth: &berth,
        global: &global,
        container: ident,
        restart: &a.restart_policy,
        restart_sec: a.restart_sec,
        stop_timeout: a.stop_timeout.or(meta.stop_timeout).unwrap_or(10),
        root: &ctx.root().display().to_string(),
        new,
    });
    if a.files {
        let path = std::env::current_dir()
            .context("finding the current directory")?
            .join(&file_name);
        std::fs::write(&path, text.as_bytes())
            .with_context(|| format!("writing `{}`", path.display()))?;
        println!("{}", path.display());
    } else {
        print!("{text}");
    }
    Ok(0)
}

/// The `berth run` arguments of a `--new` unit from the recorded create
/// command: clap finds where the image is (everything after it is the
/// command), the flags the unit sets itself are removed.
fn new_run_args(argv: &[String]) -> Result<Vec<String>> {
    if argv.is_empty() {
        bail!("no create command recorded (made by an older berth): create it again for --new");
    }
    let cli = <super::Cli as clap::Parser>::try_parse_from(argv)
        .context("the recorded create command no longer parses")?;
    let image = match cli.verb {
        super::Verb::Run(r) => r.image,
        super::Verb::Create(c) => c.image,
        super::Verb::Container(super::container::Verb::Run(r)) => r.image,
        super::Verb::Container(super::container::Verb::Create(c)) => c.image,
        _ => bail!("the recorded create command is not `run` or `create`"),
    };
    let image_at = argv.len() - image.command.len() - 1;
    let verb_at = (argv[1..image_at].iter())
        .position(|a| a == "run" || a == "create")
        .map(|i| i + 1)
        .context("the recorded create command has no verb")?;
    Ok(systemd::run_args(argv, verb_at, image_at))
}
