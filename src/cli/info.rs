//! `berth info [--format json|TEMPLATE]`: the host as berth sees it
//! (rootless mode, id mapping, overlay, network helper, seccomp, kernel,
//! cgroups), the store (paths, sizes, counts) and berth's version, shaped like
//! `podman info` where they overlap (`host.*`, `store.*`, `version.*`); then
//! the preflight's problems, one line each with what to do.

use super::Ctx;
use super::output;
use crate::container::{Containers, State};
use crate::template::{Template, default_header};
use anyhow::{Context, Result};
use serde_json::{Value, json};
use std::io::Write;

/// Show how berth runs here: mode, id mapping, store, and problems found
#[derive(clap::Args, Debug)]
pub struct Args {
    /// json, or a Go template (`{{.Host.Security.Rootless}}`, `{{json .Store}}`)
    #[arg(short, long, value_name = "FORMAT")]
    format: Option<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let template = match a.format.as_deref() {
        None | Some("json") => None,
        Some(f) => Some(Template::parse(f).with_context(|| format!("--format `{f}`"))?),
    };
    let info = gather(ctx)?;
    if let Some(t) = template {
        let text = t
            .render_all(std::slice::from_ref(&info), &default_header)
            .with_context(|| format!("--format `{}`", a.format.unwrap_or_default()))?;
        std::io::stdout().lock().write_all(text.as_bytes())?;
        return Ok(0);
    }
    if a.format.is_some() {
        output::json(&info)?;
        return Ok(0);
    }
    // Plain text: the same tree, one `key: value` a line, indented (podman
    // prints YAML; this is that shape without a YAML writer).
    let mut out = String::new();
    text_tree(&info, 0, &mut out);
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(0)
}

fn text_tree(v: &Value, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let k = crate::term::escape(k);
                match v {
                    Value::Object(_) | Value::Array(_) if !is_empty(v) => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        text_tree(v, depth + 1, out);
                    }
                    _ => out.push_str(&format!("{pad}{k}: {}\n", scalar(v))),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(_) => {
                        let mut inner = String::new();
                        text_tree(item, depth + 1, &mut inner);
                        let inner = inner.trim_start().to_string();
                        out.push_str(&format!("{pad}- {inner}"));
                    }
                    _ => out.push_str(&format!("{pad}- {}\n", scalar(item))),
                }
            }
        }
        _ => out.push_str(&format!("{pad}{}\n", scalar(v))),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// A value for the terminal: escaped, as paths and names may hold anything.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => crate::term::escape(s).into_owned(),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
        other => other.to_string(),
    }
}

fn gather(ctx: &Ctx) -> Result<Value> {
    let root = ctx.root();
    let rootless = !nix::unistd::geteuid().is_root();
    let mapping = crate::ident::idmap::IdMapping::for_current_user()?;
    let ranges = |rs: &[crate::ident::idmap::IdRange]| -> Value {
        rs.iter()
            .map(|r| json!({"container_id": r.container, "host_id": r.host, "size": r.size}))
            .collect()
    };
    let id_mode = if !rootless {
        "root: every id maps to itself"
    } else if mapping.has_range() {
        "subuid range (newuidmap/newgidmap)"
    } else {
        "single id: container root is you, other ids are not mapped (no subuid range)"
    };
    let uname = nix::sys::utsname::uname().ok();
    let kernel = uname
        .as_ref()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default();
    let hostname = uname
        .as_ref()
        .map(|u| u.nodename().to_string_lossy().into_owned())
        .unwrap_or_default();
    let cgroup_v2 = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    let pasta = crate::ident::idmap::find_tool("pasta");
    let pasta_version = pasta.as_ref().and_then(|p| {
        let out = std::process::Command::new(p)
            .arg("--version")
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        Some(text.lines().next().unwrap_or("").trim().to_string())
    });
    let containers = Containers::new(&ctx.layout);
    let (mut running, mut stopped, mut total) = (0, 0, 0);
    for mut m in containers.list().unwrap_or_default() {
        let _ = containers.settle(&mut m);
        total += 1;
        match m.state {
            State::Running | State::Orphaned => running += 1,
            // As podman counts: every container not running is stopped.
            State::Exited | State::Created => stopped += 1,
        }
    }
    let images = crate::store::Store::open_existing(root)
        .map(|s| s.images().map(|i| i.len()))
        .transpose()?
        .unwrap_or(0);
    let size = |p: std::path::PathBuf| crate::layer::disk_usage(&p).unwrap_or(0);
    let problems = super::preflight::problems(root);
    let runtime_dir = std::env::var("XDG_RUNTIME_DIR").unwrap_or_default();
    Ok(json!({
        "host": {
            "arch": crate::store::oci::host_arch(),
            "os": "linux",
            "kernel": kernel,
            "hostname": hostname,
            "cgroupVersion": if cgroup_v2 { "v2" } else { "v1" },
            "cgroupManager": "none",
            "ociRuntime": {"name": "berth", "package": "built in", "version": env!("CARGO_PKG_VERSION")},
            "overlay": "kernel overlayfs, mounted in the container's user namespace",
            "networkHelper": {
                "name": "pasta",
                "path": pasta.map(|p| p.display().to_string()).unwrap_or_default(),
                "version": pasta_version.unwrap_or_default(),
            },
            "runtimeDir": runtime_dir,
            "security": {
                "rootless": rootless,
                "seccompEnabled": true,
                "seccompProfilePath": "built in (Docker's default profile)",
                "selinuxEnabled": false,
                "apparmorEnabled": false,
                "idMode": id_mode,
            },
            "idMappings": {
                "uidmap": ranges(&mapping.uids),
                "gidmap": ranges(&mapping.gids),
            },
        },
        "store": {
            "graphRoot": root.display().to_string(),
            "graphDriverName": "overlay",
            "imageStore": {"number": images, "path": ctx.layout.store().display().to_string()},
            "containerStore": {
                "number": total,
                "running": running,
                "stopped": stopped,
                "paused": 0,
                "path": ctx.layout.containers().display().to_string(),
            },
            "sizes": {
                "store": size(ctx.layout.store()),
                "layers": size(ctx.layout.layers()),
                "containers": size(ctx.layout.containers()),
                "volumes": size(ctx.layout.volumes()),
            },
        },
        "version": {
            "Version": env!("CARGO_PKG_VERSION"),
            "OsArch": format!("linux/{}", crate::store::oci::host_arch()),
        },
        "problems": problems,
    }))
}
