//! `berth start [-a] [-i] CONTAINER…`

use super::Ctx;
use crate::container::Containers;
use crate::lifecycle::start::{self, Foreground};
use anyhow::{Result, bail};

/// Start created or exited containers
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Stay attached: run the container in the foreground, its output on
    /// berth's, and exit with its exit code
    #[arg(short, long)]
    attach: bool,
    /// With --attach: the container's stdin is berth's
    #[arg(short, long)]
    interactive: bool,
    /// Forward signals berth receives to the container (with --attach)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    sig_proxy: bool,
    /// Containers by name, id or id prefix
    #[arg(required = true)]
    containers: Vec<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    crate::runtime::binary_guard::ensure()?;
    let containers = Containers::new(&ctx.layout);
    super::rm::sweep(&containers);
    if a.attach || a.interactive {
        let [one] = a.containers.as_slice() else {
            bail!("--attach and --interactive take one container");
        };
        let id = containers.find(one)?.id;
        // A unit's main process as `run` is: under a NOTIFY_SOCKET, READY=1
        // and MAINPID once the command runs, and the watchdog pinged
        // (`--sdnotify` is `run`'s; its `conmon` default applies here).
        let (sdnotify, notifier) = crate::systemd::SdNotify::resolve(None)?;
        let how = Foreground {
            interactive: a.interactive,
            sig_proxy: a.sig_proxy,
            sdnotify,
            notifier,
            pidfile: None,
            attach: Default::default(),
        };
        return Ok(match start::foreground(&containers, &id, how)? {
            Ok(code) => code,
            Err(n) => super::run::not_started(n),
        });
    }
    let mut code = 0;
    for spec in &a.containers {
        let result = containers
            .find(spec)
            .and_then(|m| start::detached(&containers, &m.id, None));
        match result {
            Ok(Ok(())) => println!("{spec}"),
            Ok(Err(n)) => {
                super::run::not_started(n);
                code = 125;
            }
            Err(e) => code = super::report(&e.context(format!("starting container `{spec}`"))),
        }
    }
    Ok(code)
}
