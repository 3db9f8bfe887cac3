//! `berth network ls|inspect|exists`: the networks a container can join, in
//! podman's shapes, so scripts written for podman find them. berth has no
//! user-defined networks: the list is what `--network` takes — `private`
//! (each container its own network through pasta, the default), `host` and
//! `none` — and never changes.

use super::Ctx;
use super::output;
use anyhow::{Context, Result, bail};
use sha2::{Digest as _, Sha256};

#[derive(clap::Subcommand, Debug)]
/// List the networks containers can join (berth's are fixed: private, host, none)
#[command(defer = true)]
pub enum Verb {
    /// List networks
    #[command(visible_alias = "list")]
    Ls {
        /// Print network names only
        #[arg(short, long)]
        quiet: bool,
        /// name=TEXT (part of the name) or driver=DRIVER; repeated filters must all match
        #[arg(short, long, value_name = "FILTER")]
        filter: Vec<String>,
        /// json, table, or a Go template (`{{.Name}}\t{{.Driver}}`)
        #[arg(long, value_name = "FORMAT")]
        format: Option<String>,
        /// Print full network ids in the table
        #[arg(long)]
        no_trunc: bool,
    },
    /// Show networks as JSON
    Inspect {
        /// A Go template to render each network with instead
        #[arg(short, long, value_name = "FORMAT")]
        format: Option<String>,
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Exit 0 if the network exists, 1 if not (for scripts; no output)
    Exists { name: String },
}

/// One network: its `--network` name and podman's driver word for it.
struct Network {
    name: &'static str,
    driver: &'static str,
    /// What it is, for `inspect`.
    about: &'static str,
}

const NETWORKS: &[Network] = &[
    Network {
        name: "private",
        driver: "pasta",
        about: "the default: a network namespace of the container's own, connected by pasta \
                (--network private, pasta, default or bridge)",
    },
    Network {
        name: "host",
        driver: "host",
        about: "the host's network namespace",
    },
    Network {
        name: "none",
        driver: "null",
        about: "a network namespace with only the loopback interface",
    },
];

impl Network {
    /// podman's id scheme for its default network: the SHA-256 of the name.
    fn id(&self) -> String {
        hex::encode(Sha256::digest(self.name.as_bytes()))
    }

    /// podman's `network inspect` object (netavark's keys).
    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "id": self.id(),
            "driver": self.driver,
            "subnets": [],
            "ipv6_enabled": false,
            "internal": self.name == "none",
            "dns_enabled": false,
            "options": {},
            "labels": {},
            "description": self.about,
        })
    }

    /// The object a template sees: podman's struct field names too.
    fn template_value(&self) -> serde_json::Value {
        let mut v = self.json();
        if let Some(o) = v.as_object_mut() {
            o.insert("Name".into(), self.name.into());
            o.insert("ID".into(), self.id().into());
            o.insert("Driver".into(), self.driver.into());
            o.insert("Internal".into(), (self.name == "none").into());
            o.insert("Labels".into(), serde_json::json!({}));
        }
        v
    }
}

/// A network by its name, an alias `--network` takes, or an id prefix.
fn find(name: &str) -> Option<&'static Network> {
    let name = match name {
        "pasta" | "default" | "bridge" => "private",
        n => n,
    };
    NETWORKS
        .iter()
        .find(|n| n.name == name || (name.len() >= 3 && n.id().starts_with(name)))
}

pub fn run(_ctx: &Ctx, v: Verb) -> Result<i32> {
    match v {
        Verb::Ls {
            quiet,
            filter,
            format,
            no_trunc,
        } => ls(quiet, &filter, format.as_deref(), no_trunc),
        Verb::Inspect { format, names } => inspect(&names, format.as_deref()),
        Verb::Exists { name } => Ok(if find(&name).is_some() { 0 } else { 1 }),
    }
}

fn ls(quiet: bool, filter: &[String], format: Option<&str>, no_trunc: bool) -> Result<i32> {
    let mut keep: Vec<&Network> = NETWORKS.iter().collect();
    for f in filter {
        let (k, v) = f
            .split_once('=')
            .with_context(|| format!("invalid filter `{f}`: expected KEY=VALUE"))?;
        match k {
            "name" => keep.retain(|n| n.name.contains(v)),
            "driver" => keep.retain(|n| n.driver == v),
            _ => bail!("invalid filter `{f}`: berth filters networks by name and driver"),
        }
    }
    let (kind, template) = output::format_or_template(format)?;
    if kind == output::Format::Json {
        return output::json(&keep.iter().map(|n| n.json()).collect::<Vec<_>>()).map(|_| 0);
    }
    if let Some(t) = template {
        let items: Vec<serde_json::Value> = keep.iter().map(|n| n.template_value()).collect();
        let text = t
            .render_all(&items, &crate::template::default_header)
            .with_context(|| format!("--format `{}`", format.unwrap_or_default()))?;
        std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
        return Ok(0);
    }
    if quiet {
        return output::lines(keep.iter().map(|n| n.name.to_string())).map(|_| 0);
    }
    let rows: Vec<Vec<String>> = keep
        .iter()
        .map(|n| {
            let id = n.id();
            let id = if no_trunc { id } else { id[..12].to_string() };
            vec![id, n.name.to_string(), n.driver.to_string()]
        })
        .collect();
    output::table(&["NETWORK ID", "NAME", "DRIVER"], &rows)?;
    Ok(0)
}

fn inspect(names: &[String], format: Option<&str>) -> Result<i32> {
    let template = format
        .filter(|f| *f != "json")
        .map(|f| crate::template::Template::parse(f).with_context(|| format!("--format `{f}`")))
        .transpose()?;
    let mut found = Vec::new();
    let mut code = 0;
    for n in names {
        match find(n) {
            Some(net) if template.is_some() => found.push(net.template_value()),
            Some(net) => found.push(net.json()),
            None => {
                code = super::report(&anyhow::anyhow!(
                    "no such network `{n}`: berth's networks are private, host and none"
                ))
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_aliases_and_an_id_prefix_find_a_network() {
        assert_eq!(find("bridge").unwrap().name, "private");
        let host = &NETWORKS[1];
        assert_eq!(find(&host.id()[..12]).unwrap().name, "host");
        assert!(find("lan").is_none());
    }
}
