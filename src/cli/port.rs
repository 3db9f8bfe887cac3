//! `berth port CONTAINER [PRIVATE[/PROTO]]`: the container's published
//! ports, in podman's words.

use super::Ctx;
use crate::container::Containers;
use crate::runtime::network::Proto;
use anyhow::{Result, bail};
use std::io::Write;

/// List a container's published ports, or the host address of one
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Every container's ports, each line after its short id
    #[arg(short, long, conflicts_with_all = ["container", "port"])]
    all: bool,
    /// The container (name, id or id prefix)
    #[arg(required_unless_present = "all")]
    container: Option<String>,
    /// A container port: print only the host address it is published on
    #[arg(value_name = "PRIVATE[/PROTO]")]
    port: Option<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let containers = Containers::new(&ctx.layout);
    let wanted = a.port.as_deref().map(Proto::parse_port).transpose()?;
    let targets = match &a.container {
        Some(c) => vec![containers.find(c)?],
        None => super::rm::sweep(&containers),
    };
    let mut out = String::new();
    for m in &targets {
        let net = super::ps::net_of(&containers, &m.id);
        let prefix = if a.all {
            format!("{}\t", &m.id[..12])
        } else {
            String::new()
        };
        match wanted {
            None => {
                for p in &net.ports {
                    out += &format!(
                        "{prefix}{}/{} -> {}\n",
                        p.container_port,
                        p.protocol,
                        p.host_addr()
                    );
                }
            }
            Some((port, proto)) => {
                let Some(p) = net
                    .ports
                    .iter()
                    .find(|p| p.container_port == port && p.protocol == proto.name())
                else {
                    bail!(
                        "failed to find published port `{}`",
                        a.port.as_deref().unwrap_or_default()
                    );
                };
                out += &format!("{prefix}{}\n", p.host_addr());
            }
        }
    }
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(0)
}
