//! `berth logs [-f] [--tail N] [--since T] [--until T] [-t] [-n] CONTAINER…`

use super::Ctx;
use crate::container::journal_log;
use crate::container::log::{self, Driver, Entry, Filter, Follower, Reader, Render, Stamp, Stream};
use crate::container::{Containers, Meta};
use crate::sys::pidfd::PidFd;
use anyhow::{Context, Result, bail};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Show a container's output (its k8s-file log, or the journal's entries)
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Keep printing new output until the container's monitor has exited
    #[arg(short, long)]
    follow: bool,
    /// Only the last N lines (-1: all)
    #[arg(long, default_value_t = -1, value_name = "N", allow_hyphen_values = true)]
    tail: i64,
    /// Only output since TIME (RFC 3339, 2006-01-02, Unix seconds, or a duration before now: 10m)
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only output until TIME (as --since; a duration counts from now on, as podman)
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Show each line's timestamp
    #[arg(short, long)]
    timestamps: bool,
    /// With several containers, prefix lines with the container's name, not its id
    #[arg(short = 'n', long)]
    names: bool,
    /// Containers by name, id or id prefix
    #[arg(required = true)]
    containers: Vec<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let now = Stamp::now().nanos;
    let filter = Filter {
        since: (a.since.as_deref())
            .map(|s| log::parse_time_arg(s, true, now).context("--since"))
            .transpose()?,
        until: (a.until.as_deref())
            .map(|s| log::parse_time_arg(s, false, now).context("--until"))
            .transpose()?,
        tail: usize::try_from(a.tail).ok(),
    };
    let containers = Containers::new(&ctx.layout);
    let mut logs = Vec::new();
    for spec in &a.containers {
        let m = containers.find(spec)?;
        let source =
            log_source(&containers, &m).with_context(|| format!("reading the logs of `{spec}`"))?;
        logs.push((m, source));
    }
    // As podman: a prefix only when several containers share the output.
    let prefix = |m: &Meta| {
        (logs.len() > 1).then(|| {
            if a.names {
                m.name.clone()
            } else {
                m.id[..12].to_string()
            }
        })
    };
    let prefixes: Vec<Option<String>> = logs.iter().map(|(m, _)| prefix(m)).collect();
    let mut out = Output::new();
    let mut renders: Vec<Render> = logs.iter().map(|_| Render::new(a.timestamps)).collect();
    if !a.follow {
        for (i, (m, source)) in logs.iter().enumerate() {
            let mut print = |e: Entry| out.print(&mut renders[i], &e, prefixes[i].as_deref());
            match source {
                Source::File(file) => log::read_all(&mut Reader::new(file), &filter, &mut print)?,
                Source::Journal => {
                    journal_log::read_all(&m.id, &filter, &mut print)?;
                }
            }
        }
        return Ok(0);
    }
    if let [(m, Source::Journal)] = logs.as_slice() {
        journal_log::follow(&m.id, &filter, monitor(m), &mut |e| {
            out.print(&mut renders[0], &e, None)
        })?;
        return Ok(0);
    }
    // --tail applies to what is there now; what comes later is all shown.
    let mut followers = Vec::new();
    for (i, (m, source)) in logs.iter().enumerate() {
        let Source::File(file) = source else {
            bail!(
                "`{}` logs to the journal: follow it alone (berth logs -f {})",
                m.name,
                m.name
            );
        };
        let mut reader = Reader::new(file);
        if filter.tail.is_some() {
            log::read_all(&mut reader, &filter, &mut |e| {
                out.print(&mut renders[i], &e, prefixes[i].as_deref())
            })?;
        }
        followers.push(Follower {
            reader,
            filter: Filter {
                tail: None,
                ..filter
            },
            writer: monitor(m),
        });
    }
    log::follow(&mut followers, &mut |i, e| {
        out.print(&mut renders[i], &e, prefixes[i].as_deref())
    })?;
    Ok(0)
}

/// Where a container's logs are read from.
enum Source {
    File(PathBuf),
    /// The systemd journal (`--log-driver journald`).
    Journal,
}

/// Where the logs of `m` are, or why it has none.
fn log_source(containers: &Containers, m: &Meta) -> Result<Source> {
    match m.log.driver {
        Driver::Journald => Ok(Source::Journal),
        _ => log_file(containers, m).map(Source::File),
    }
}

/// The k8s-file log of `m`, or why it has none.
pub(super) fn log_file(containers: &Containers, m: &Meta) -> Result<PathBuf> {
    match m.log.driver {
        Driver::K8sFile => Ok(m.log.file(containers.layout().container_log(&m.id))),
        // podman's words.
        d => bail!(
            "this container is using the '{}' log driver, cannot read logs",
            d.name()
        ),
    }
}

/// A pidfd of the container's monitor, the process that writes its log,
/// while it lives.
pub(super) fn monitor(m: &Meta) -> Option<PidFd> {
    let p = m.monitor?;
    if !p.alive() {
        return None;
    }
    let fd = PidFd::open(p.pid).ok()?;
    // The pid may have been reused between the check and the open: the
    // pidfd names whatever has the pid now, so check again.
    p.alive().then_some(fd)
}

/// The caller's stdout and stderr: a container's stdout lines go to stdout
/// and its stderr lines to stderr, as podman does. Raw bytes to a pipe or a
/// file; on a terminal, control characters other than newline and tab are
/// escaped (see `term::escape_output`).
pub(super) struct Output {
    tty: [bool; 2],
}

impl Output {
    pub(super) fn new() -> Output {
        Output {
            tty: [
                std::io::stdout().is_terminal(),
                std::io::stderr().is_terminal(),
            ],
        }
    }

    pub(super) fn print(
        &mut self,
        render: &mut Render,
        e: &Entry,
        name: Option<&str>,
    ) -> Result<()> {
        let (prefix, newline) = render.piece(e, name);
        let tty = self.tty[usize::from(e.stream == Stream::Stderr)];
        let mut bytes = prefix.into_bytes();
        if tty {
            let text = String::from_utf8_lossy(&e.text);
            bytes.extend_from_slice(crate::term::escape_output(&text).as_bytes());
        } else {
            bytes.extend_from_slice(&e.text);
        }
        if newline {
            bytes.push(b'\n');
        }
        // Flushed at once: the two streams may be one terminal, and -f shows
        // a line as soon as it is logged.
        match e.stream {
            Stream::Stdout => {
                let mut o = std::io::stdout().lock();
                o.write_all(&bytes)?;
                o.flush()?;
            }
            Stream::Stderr => std::io::stderr().lock().write_all(&bytes)?,
        }
        Ok(())
    }
}
