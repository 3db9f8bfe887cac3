//! `berth image log REF`, `berth image rollback REF [--to N|ID]` and
//! `berth image prune [--expire D]`: the name history (`store::history`)
//! read, walked back and expired; and the command line it records, with
//! secrets left out.

use super::Ctx;
use super::output;
use crate::reference::Reference;
use crate::store::history::{Entry, Target};
use crate::template::{Template, default_header};
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::ffi::OsString;
use std::io::Write;

/// Flags whose value may be a secret (besides any `--*creds` and
/// `--*password`): recorded as `--flag …`, or `KEY=…` for `KEY=VALUE`
/// values (`--build-arg TOKEN=x` → `--build-arg TOKEN=…`).
const SECRET_FLAGS: &[&str] = &["--build-arg", "--env", "-e"];

fn is_secret(flag: &str) -> bool {
    SECRET_FLAGS.contains(&flag)
        || (flag.starts_with("--") && (flag.ends_with("creds") || flag.ends_with("password")))
}
/// Global flags that say nothing about the change: left out.
const DROPPED_FLAGS: &[&str] = &["--root", "--log-level"];

/// The command line as the name history records it: `berth` and the
/// arguments as typed, values of [`SECRET_FLAGS`] hidden, quoted where a
/// shell would need it.
pub fn command_line(args: &[OsString]) -> String {
    let mut out = vec!["berth".to_string()];
    let mut args = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(a) = args.next() {
        if a == "--" {
            out.extend(args.by_ref().map(|a| quote(&a)));
            break;
        }
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v)),
            _ => (a.as_ref(), None),
        };
        if DROPPED_FLAGS.contains(&flag) {
            if inline.is_none() {
                args.next();
            }
            continue;
        }
        if is_secret(flag) {
            let value = match inline {
                Some(v) => Some(v.to_string()),
                None => args.next().map(|v| v.into_owned()),
            };
            let hidden = value.map(|v| match v.split_once('=') {
                Some((k, _)) => format!("{k}=…"),
                None => "…".into(),
            });
            match (inline, hidden) {
                (Some(_), Some(h)) => out.push(quote(&format!("{flag}={h}"))),
                (_, h) => {
                    out.push(flag.to_string());
                    out.extend(h.map(|h| quote(&h)));
                }
            }
            continue;
        }
        if a.len() > 2 && a.starts_with("-e") {
            // `-eKEY=VALUE`
            out.push(match a[2..].split_once('=') {
                Some((k, _)) => quote(&format!("-e{k}=…")),
                None => "-e…".into(),
            });
            continue;
        }
        out.push(quote(&a));
    }
    out.join(" ")
}

fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || "-_./:=@,+%…".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Show what a name pointed to over time, newest first
#[derive(clap::Args, Debug)]
pub struct LogArgs {
    /// The name (`app`, `localhost/app:1`)
    name: String,
    /// json, table, or a Go template (`{{.Index}} {{.New}} {{.Command}}`)
    #[arg(long, value_name = "FORMAT")]
    format: Option<String>,
    /// Show at most N entries
    #[arg(short = 'n', long = "max-count", value_name = "N")]
    max_count: Option<usize>,
    /// Show whole ids and commands
    #[arg(long)]
    no_trunc: bool,
}

/// Point a name back at what it named before (recorded like any change)
#[derive(clap::Args, Debug)]
pub struct RollbackArgs {
    /// The name (`app`, `localhost/app:1`)
    name: String,
    /// The entry to go back to: N entries back (`image log` numbers them; 0
    /// is now, the default 1 the target before the last change), or an
    /// image id or digest the name's history holds
    #[arg(long, value_name = "N|ID")]
    to: Option<String>,
}

/// Expire the name history, then remove unnamed images nothing uses and unreferenced layers
#[derive(clap::Args, Debug)]
pub struct PruneArgs {
    /// Accepted for compatibility: berth never asks
    #[arg(short, long)]
    force: bool,
    #[command(flatten)]
    expire: ExpireArg,
}

// `--expire`, shared by `image prune` and `system prune` (a plain comment:
// a doc comment here would become the about of a deferred verb that flattens it).
#[derive(clap::Args, Debug)]
pub struct ExpireArg {
    /// Drop name-history entries older than this (`30d`, `12h`, `90m`,
    /// `now` or `0` for all, `never`); the images only they kept go with them
    #[arg(long, value_name = "DURATION", default_value = "30d")]
    expire: String,
}

impl ExpireArg {
    /// The time before which entries go, or None for `never`.
    pub fn cutoff(&self) -> Result<Option<i64>> {
        expire_cutoff(&self.expire, crate::time::now_wall())
    }
}

fn expire_cutoff(s: &str, now: i64) -> Result<Option<i64>> {
    let secs = match s {
        "never" => return Ok(None),
        // Everything recorded up to now, this second included.
        "now" | "all" => return Ok(Some(now + 1)),
        _ => match s.strip_suffix('d').and_then(|d| d.parse::<i64>().ok()) {
            Some(days) => days.checked_mul(86_400),
            None => crate::container::health::parse_duration(s)
                .and_then(|d| i64::try_from(d.as_secs()).ok()),
        },
    };
    let Some(secs) = secs else {
        bail!("--expire `{s}`: not a duration (`30d`, `12h`, `now`, `never`)");
    };
    Ok(Some(if secs == 0 {
        now + 1
    } else {
        now.saturating_sub(secs)
    }))
}

fn full_name(spec: &str) -> Result<String> {
    let r = Reference::parse(spec)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("`{spec}`"))?;
    if r.digest.is_some() {
        bail!("`{spec}`: a name has a history, a digest does not");
    }
    Ok(r.to_string())
}

fn short(t: Option<&Target>, no_trunc: bool) -> String {
    match t {
        None => "<none>".into(),
        Some(t) if no_trunc => t.shown_id().to_string(),
        Some(t) => t.shown_id().hex().chars().take(12).collect(),
    }
}

pub fn run_log(ctx: &Ctx, a: LogArgs) -> Result<i32> {
    let template = match a.format.as_deref() {
        None | Some("table") | Some("json") => None,
        Some(f) => Some(Template::parse(f).with_context(|| format!("--format `{f}`"))?),
    };
    let name = full_name(&a.name)?;
    let history = match crate::store::Store::open_existing(ctx.root()) {
        Some(store) => store.history()?,
        None => Default::default(),
    };
    let entries = history.of(&name);
    if entries.is_empty() {
        bail!("`{name}` has no history");
    }
    let shown = entries.iter().take(a.max_count.unwrap_or(usize::MAX));
    let fields: Vec<Value> = shown
        .clone()
        .enumerate()
        .map(|(i, e)| fields(i, e))
        .collect();
    if let Some(t) = template {
        let text = t
            .render_all(&fields, &default_header)
            .with_context(|| format!("--format `{}`", a.format.as_deref().unwrap_or_default()))?;
        // Names and commands were typed by someone; a log is not theirs to
        // drive the terminal with.
        std::io::stdout()
            .lock()
            .write_all(crate::term::escape_output(&text).as_bytes())?;
        return Ok(0);
    }
    if a.format.as_deref() == Some("json") {
        let text = serde_json::to_string_pretty(&fields)?;
        println!("{}", crate::term::escape_json(&text));
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = shown
        .enumerate()
        .map(|(i, e)| {
            let mut cmd = e.command.clone();
            if !a.no_trunc && cmd.chars().count() > 60 {
                cmd = cmd.chars().take(57).collect::<String>() + "...";
            }
            vec![
                i.to_string(),
                crate::time::ago(e.time),
                short(e.old.as_ref(), a.no_trunc),
                short(e.new.as_ref(), a.no_trunc),
                cmd,
            ]
        })
        .collect();
    output::table(&["#", "CHANGED", "OLD", "NEW", "COMMAND"], &rows)?;
    Ok(0)
}

/// One entry as `--format json` and templates see it.
fn fields(i: usize, e: &Entry) -> Value {
    let id = |t: Option<&Target>| t.map(|t| t.shown_id().to_string());
    let digest = |t: Option<&Target>| t.map(|t| t.digest.to_string());
    json!({
        "Index": i,
        "Name": e.name,
        "Time": crate::time::rfc3339(e.time),
        "Changed": crate::time::ago(e.time),
        "Old": id(e.old.as_ref()),
        "New": id(e.new.as_ref()),
        "OldDigest": digest(e.old.as_ref()),
        "NewDigest": digest(e.new.as_ref()),
        "Command": e.command,
    })
}

pub fn run_rollback(ctx: &Ctx, a: RollbackArgs) -> Result<i32> {
    let name = full_name(&a.name)?;
    let what = || format!("rolling back `{name}`");
    let Some(store) = crate::store::Store::open_existing(ctx.root()) else {
        bail!("{}: `{name}` has no history", what());
    };
    let lock = store.lock()?;
    let history = store.history()?;
    let entries = history.of(&name);
    if entries.is_empty() {
        bail!("{}: `{name}` has no history", what());
    }
    let (n, target) = pick(&entries, a.to.as_deref()).with_context(what)?;
    let Some(target) = target else {
        let when = if n == entries.len() {
            "before its oldest entry".to_string()
        } else {
            format!("at entry {n}")
        };
        bail!(
            "{}: the name pointed to no image {when} (`--to N` picks another entry, `berth untag` removes a name)",
            what()
        );
    };
    let current = entries[0].new.as_ref();
    if current.map(|c| &c.digest) != Some(&target.digest) {
        store.target_complete(target).with_context(what)?;
        store.point_name(&lock, &name, target).with_context(what)?;
        super::events::image(ctx, "tag", target.shown_id().hex(), &name);
    }
    println!("{}", target.shown_id().hex());
    Ok(0)
}

/// The state `--to` names: entry N's target (N = the number of entries is
/// the state before the oldest one), or the newest entry naming the id or
/// digest given.
fn pick<'a>(entries: &[&'a Entry], to: Option<&str>) -> Result<(usize, Option<&'a Target>)> {
    let at = |n: usize| match entries.get(n) {
        Some(e) => e.new.as_ref(),
        None => entries.last().and_then(|e| e.old.as_ref()),
    };
    let to = to.unwrap_or("1");
    // Up to 4 digits is a count; an all-digit id prefix needs 5.
    if to.len() <= 4
        && let Ok(n) = to.parse::<usize>()
    {
        if n > entries.len() {
            bail!(
                "--to {n}: the history has entries 0 to {} (`berth image log`)",
                entries.len()
            );
        }
        return Ok((n, at(n)));
    }
    let hex = to.strip_prefix("sha256:").unwrap_or(to);
    if hex.len() < 3 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("--to `{to}`: neither an entry number nor an image id");
    }
    let hex = hex.to_ascii_lowercase();
    let matches =
        |t: &Target| t.digest.hex().starts_with(&hex) || t.shown_id().hex().starts_with(&hex);
    let mut found: Option<(usize, &Target)> = None;
    for n in 0..=entries.len() {
        if let Some(t) = at(n).filter(|t| matches(t)) {
            match found {
                Some((_, f)) if f.digest != t.digest => {
                    bail!("--to `{to}`: more than one image of the history starts so")
                }
                Some(_) => {}
                None => found = Some((n, t)),
            }
        }
    }
    match found {
        Some((n, t)) => Ok((n, Some(t))),
        None => bail!("--to `{to}`: no image of the name's history has this id"),
    }
}

pub fn run_prune(ctx: &Ctx, a: PruneArgs) -> Result<i32> {
    let _ = a.force;
    let cutoff = a.expire.cutoff()?;
    let Some(store) = crate::store::Store::open_existing(ctx.root()) else {
        return Ok(0);
    };
    let lock = store.lock()?;
    store.compact_history(&lock, cutoff)?;
    let history = store.history()?;
    let kept: std::collections::BTreeSet<_> = history
        .targets()
        .into_iter()
        .map(|t| t.digest.clone())
        .collect();
    let used: std::collections::BTreeSet<String> =
        crate::container::Containers::new(store.layout())
            .list()?
            .into_iter()
            .map(|c| c.image_id)
            .collect();
    for img in store.images()? {
        // Dangling: no name, no container, no history entry that may bring it back.
        if img.names.is_empty() && !used.contains(img.id().hex()) && !kept.contains(&img.digest) {
            store.remove_image(&lock, &img.digest)?;
            println!("{}", img.id().hex());
            super::events::image(ctx, "remove", img.id().hex(), "");
        }
    }
    super::system::collect_garbage(&store, &lock, false)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(args: &[&str]) -> String {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        command_line(&args)
    }

    #[test]
    fn the_recorded_command_hides_credentials_and_secret_values() {
        eqnice(
            "berth pull --creds … localhost:5000/a",
            &line(&[
                "/usr/bin/berth",
                "pull",
                "--creds",
                "u:p",
                "localhost:5000/a",
            ]),
        );
        eqnice(
            "berth push --dest-creds=… a",
            &line(&["berth", "push", "--dest-creds=u:p", "a"]),
        );
        eqnice(
            "berth build --build-arg TOKEN=… -t app .",
            &line(&[
                "berth",
                "--root",
                "/r",
                "build",
                "--build-arg",
                "TOKEN=s3",
                "-t",
                "app",
                ".",
            ]),
        );
        eqnice(
            "berth run -eKEY=… --env=A=… alpine 'echo hi'",
            &line(&["berth", "run", "-eKEY=v", "--env=A=b", "alpine", "echo hi"]),
        );
    }

    fn eqnice(want: &str, got: &str) {
        assert_eq!(want, got);
    }

    #[test]
    fn expire_reads_days_go_durations_now_and_never() {
        assert_eq!(expire_cutoff("never", 1000).unwrap(), None);
        assert_eq!(expire_cutoff("now", 1000).unwrap(), Some(1001));
        assert_eq!(expire_cutoff("0", 1000).unwrap(), Some(1001));
        assert_eq!(expire_cutoff("30d", 3_000_000).unwrap(), Some(408_000));
        assert_eq!(expire_cutoff("1h30m", 10_000).unwrap(), Some(4600));
        assert!(expire_cutoff("soon", 1).is_err());
    }
}
