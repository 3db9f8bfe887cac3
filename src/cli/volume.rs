//! `berth volume create|ls|inspect|rm|prune|exists`: the named volumes
//! `-v NAME:/path` makes (see `container::volume`), as podman lists them.

use super::Ctx;
use super::output;
use crate::container::Containers;
use crate::container::volume::{Volume, Volumes, users};
use crate::helper::remove_tree;
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::io::IsTerminal;

#[derive(clap::Subcommand, Debug)]
/// Manage named volumes
#[command(defer = true)]
pub enum Verb {
    /// Create a volume and print its name (a generated one when none is given)
    Create {
        /// Set a label on the volume (KEY=VALUE, or KEY for an empty value)
        #[arg(short, long, value_name = "KEY=VALUE")]
        label: Vec<String>,
        /// Driver options: berth's volumes are plain directories and take
        /// none (podman's type=, device= and o= mount a filesystem)
        #[arg(short, long, value_name = "OPTION")]
        opt: Vec<String>,
        /// The volume driver: only `local`
        #[arg(short, long, default_value = "local")]
        driver: String,
        /// Print the name of an existing volume instead of failing (its
        /// labels are left as they are)
        #[arg(long)]
        ignore: bool,
        /// Letters, digits, `_`, `.` and `-`, starting with a letter or digit
        name: Option<String>,
    },
    /// List volumes
    #[command(visible_alias = "list")]
    Ls {
        /// Print volume names only
        #[arg(short, long)]
        quiet: bool,
        /// name=TEXT (part of the name), label=KEY[=VALUE], dangling=true|false
        /// (used by no container); repeated filters must all match
        #[arg(short, long, value_name = "FILTER")]
        filter: Vec<String>,
        /// json, table, or a Go template (`{{.Name}}\t{{.Mountpoint}}`)
        #[arg(long, value_name = "FORMAT")]
        format: Option<String>,
    },
    /// Show volumes as JSON
    Inspect {
        /// A Go template to render each volume with instead
        #[arg(short, long, value_name = "FORMAT")]
        format: Option<String>,
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Remove volumes no container uses
    #[command(visible_alias = "remove")]
    Rm {
        /// Also remove the containers that use them (running ones are killed)
        #[arg(short, long)]
        force: bool,
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Remove every volume no container uses, printing their names
    Prune {
        /// Do not ask (without it, berth asks on a terminal and refuses otherwise)
        #[arg(short, long)]
        force: bool,
    },
    /// Exit 0 if the volume exists, 1 if not (for scripts; no output)
    Exists { name: String },
}

pub fn run(ctx: &Ctx, v: Verb) -> Result<i32> {
    let volumes = Volumes::new(&ctx.layout);
    match v {
        Verb::Create {
            label,
            opt,
            driver,
            ignore,
            name,
        } => create(&volumes, &label, &opt, &driver, ignore, name),
        Verb::Ls {
            quiet,
            filter,
            format,
        } => ls(ctx, &volumes, quiet, &filter, format.as_deref()),
        Verb::Inspect { format, names } => inspect(&volumes, &names, format.as_deref()),
        Verb::Rm { force, names } => rm(ctx, &volumes, &names, force),
        Verb::Prune { force } => prune(ctx, &volumes, force),
        Verb::Exists { name } => Ok(if volumes.get(&name)?.is_some() { 0 } else { 1 }),
    }
}

fn create(
    volumes: &Volumes,
    label: &[String],
    opt: &[String],
    driver: &str,
    ignore: bool,
    name: Option<String>,
) -> Result<i32> {
    if driver != "local" {
        bail!("volume driver `{driver}`: berth has only the `local` driver");
    }
    if let Some(o) = opt.first() {
        bail!(
            "volume option `{o}` is not supported: berth's volumes are directories under its root, with no driver options (podman's type=, device= and o= mount a filesystem, which needs root)"
        );
    }
    let labels: BTreeMap<String, String> = label
        .iter()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or((l, ""));
            if k.is_empty() {
                bail!("invalid label `{l}`: expected KEY=VALUE");
            }
            Ok((k.to_string(), v.to_string()))
        })
        .collect::<Result<_>>()?;
    let name = match name {
        Some(n) => n,
        // podman's generated names: 64 hex digits, as container ids.
        None => hex::encode(random_bytes()?),
    };
    if ignore && volumes.get(&name)?.is_some() {
        println!("{name}");
        return Ok(0);
    }
    let v = volumes.create(&name, labels)?;
    println!("{}", v.name);
    Ok(0)
}

fn random_bytes() -> Result<[u8; 32]> {
    use std::io::Read;
    let mut buf = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .context("reading /dev/urandom")?;
    Ok(buf)
}

/// A parsed `--filter`.
enum Filter {
    Name(String),
    Label(String, Option<String>),
    Dangling(bool),
}

impl Filter {
    fn parse(f: &str) -> Result<Filter> {
        let (k, v) = f
            .split_once('=')
            .with_context(|| format!("invalid filter `{f}`: expected KEY=VALUE"))?;
        Ok(match k {
            "name" => Filter::Name(v.to_string()),
            "label" => match v.split_once('=') {
                Some((k, v)) => Filter::Label(k.to_string(), Some(v.to_string())),
                None => Filter::Label(v.to_string(), None),
            },
            "dangling" => Filter::Dangling(match v {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => bail!("invalid filter `{f}`: dangling takes true or false"),
            }),
            _ => bail!("invalid filter `{f}`: berth filters volumes by name, label and dangling"),
        })
    }

    fn matches(&self, v: &Volume, used: &BTreeMap<String, Vec<String>>) -> bool {
        match self {
            Filter::Name(n) => v.name.contains(n.as_str()),
            Filter::Label(k, want) => v
                .labels
                .get(k)
                .is_some_and(|got| want.as_ref().is_none_or(|w| w == got)),
            Filter::Dangling(d) => used.contains_key(&v.name) != *d,
        }
    }
}

fn ls(
    ctx: &Ctx,
    volumes: &Volumes,
    quiet: bool,
    filter: &[String],
    format: Option<&str>,
) -> Result<i32> {
    let filters: Vec<Filter> = filter
        .iter()
        .map(|f| Filter::parse(f))
        .collect::<Result<_>>()?;
    let template = match format {
        None | Some("table" | "json") => None,
        Some(f) => {
            Some(crate::template::Template::parse(f).with_context(|| format!("--format `{f}`"))?)
        }
    };
    let used = if filters.iter().any(|f| matches!(f, Filter::Dangling(_))) {
        users(&Containers::new(&ctx.layout))?
    } else {
        BTreeMap::new()
    };
    let list: Vec<Volume> = volumes
        .list()?
        .into_iter()
        .filter(|v| filters.iter().all(|f| f.matches(v, &used)))
        .collect();
    if format == Some("json") {
        return output::json(&list.iter().map(Volume::inspect).collect::<Vec<_>>()).map(|_| 0);
    }
    if let Some(t) = template {
        let items: Vec<serde_json::Value> = list.iter().map(Volume::inspect).collect();
        let text = t
            .render_all(&items, &crate::template::default_header)
            .with_context(|| format!("--format `{}`", format.unwrap_or_default()))?;
        std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
        return Ok(0);
    }
    if quiet {
        return output::lines(list.into_iter().map(|v| v.name)).map(|_| 0);
    }
    let rows: Vec<Vec<String>> = list
        .into_iter()
        .map(|v| vec!["local".to_string(), v.name])
        .collect();
    output::table(&["DRIVER", "VOLUME NAME"], &rows)?;
    Ok(0)
}

fn inspect(volumes: &Volumes, names: &[String], format: Option<&str>) -> Result<i32> {
    let template = format
        .filter(|f| *f != "json")
        .map(|f| crate::template::Template::parse(f).with_context(|| format!("--format `{f}`")))
        .transpose()?;
    let mut found = Vec::new();
    let mut code = 0;
    for n in names {
        match volumes.get(n) {
            Ok(Some(v)) => found.push(v.inspect()),
            Ok(None) => code = super::report(&anyhow::anyhow!("no such volume `{n}`")),
            Err(e) => code = super::report(&e.context(format!("inspecting volume `{n}`"))),
        }
    }
    match template {
        Some(t) => {
            let text = t
                .render_all(&found, &crate::template::default_header)
                .with_context(|| format!("--format `{}`", format.unwrap_or_default()))?;
            std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
        }
        None => output::json(&found)?,
    }
    Ok(code)
}

fn rm(ctx: &Ctx, volumes: &Volumes, names: &[String], force: bool) -> Result<i32> {
    let containers = Containers::new(&ctx.layout);
    let mut code = 0;
    for n in names {
        let result = (|| -> Result<()> {
            let v = volumes
                .get(n)?
                .with_context(|| format!("no such volume `{n}`"))?;
            // Settled first: a `--rm` container whose berth died is no user.
            super::rm::sweep(&containers);
            let used = users(&containers)?;
            if let Some(by) = used.get(&v.name) {
                if !force {
                    bail!(
                        "volume `{n}` is used by container(s) {}: remove them first, or use -f",
                        by.join(", ")
                    );
                }
                // podman's -f: the containers go first (running ones killed).
                if super::rm::remove_forced(ctx, by) != 0 {
                    bail!("volume `{n}`: its containers could not all be removed");
                }
            }
            remove_tree(&volumes.detach(&v)?)
        })();
        match result {
            Ok(()) => println!("{n}"),
            Err(e) => code = super::report(&e.context(format!("removing volume `{n}`"))),
        }
    }
    Ok(code)
}

fn prune(ctx: &Ctx, volumes: &Volumes, force: bool) -> Result<i32> {
    if !force {
        // podman asks; without a terminal to ask on, berth refuses rather
        // than read a script's stdin as the answer.
        if !std::io::stdin().is_terminal() {
            bail!("refusing to remove unused volumes without -f (stdin is not a terminal)");
        }
        eprint!("Remove every volume no container uses? [y/N] ");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            return Ok(0);
        }
    }
    let containers = Containers::new(&ctx.layout);
    super::rm::sweep(&containers);
    let used = users(&containers)?;
    let mut code = 0;
    for v in volumes.list()? {
        if used.contains_key(&v.name) {
            continue;
        }
        match volumes.detach(&v).and_then(|p| remove_tree(&p)) {
            Ok(()) => println!("{}", v.name),
            Err(e) => code = super::report(&e.context(format!("removing volume `{}`", v.name))),
        }
    }
    Ok(code)
}
