//! `berth events`: the event log or the journal (see `events`), filtered,
//! as podman prints it; `-f` follows it until Ctrl-C or `--until`.

use super::Ctx;
use crate::events::{self, Event};
use crate::template::Template;
use anyhow::{Context, Result, bail};
use std::io::Write;

/// Show events: container lifecycle, health status, image pulls, tags, builds
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Follow: print new events as they are recorded (until Ctrl-C or --until)
    #[arg(short = 'f', long = "stream", alias = "follow")]
    stream: bool,
    /// Only events at or after this time (RFC 3339, Unix seconds, or a duration ago: 10m)
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only events before this time (same forms); ends -f there
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Only events matching KEY=VALUE: type, event, container, image, label
    /// (repeated: the same key ORs, different keys AND)
    #[arg(long, value_name = "KEY=VALUE")]
    filter: Vec<String>,
    /// json (one object a line), or a Go template (`{{.Status}} {{.Name}}`)
    #[arg(long, value_name = "FORMAT")]
    format: Option<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let since = a
        .since
        .as_deref()
        .map(|s| parse_time(s, "--since"))
        .transpose()?;
    let until = a
        .until
        .as_deref()
        .map(|s| parse_time(s, "--until"))
        .transpose()?;
    let filters = parse_filters(&a.filter)?;
    let template = match a.format.as_deref() {
        None | Some("json") => None,
        Some(f) => Some(Template::parse(f).with_context(|| format!("--format `{f}`"))?),
    };
    let json = a.format.as_deref() == Some("json");
    let print = |e: &Event| -> Result<bool> {
        if since.is_some_and(|s| e.time < s) || !matches(&filters, e) {
            return Ok(true);
        }
        let mut out = std::io::stdout().lock();
        let line = if json {
            serde_json::to_string(e)?
        } else if let Some(t) = &template {
            let text = t.render(&template_value(e)?)?;
            text.trim_end_matches('\n').to_string()
        } else {
            e.human()
        };
        // Names and images come from users and images: escaped.
        writeln!(out, "{}", crate::term::escape(&line))?;
        out.flush()?;
        Ok(true)
    };
    let mut each = |e: &Event| print(e);
    events::replay(&ctx.layout, a.stream, since, until, &mut each)?;
    Ok(0)
}

/// Records a container event (from the verbs that are not the monitor's).
pub(super) fn container(ctx: &Ctx, status: &str, m: &crate::container::Meta) {
    let mut e = Event::container(status, &m.id, &m.name, &m.image);
    e.attributes = m.labels.clone();
    events::record(&ctx.layout, e);
}

/// Records an image event: `name` is the reference it concerns.
pub(super) fn image(ctx: &Ctx, status: &str, id: &str, name: &str) {
    events::record(&ctx.layout, Event::image(status, id, name));
}

/// The event for a template: every field present, as podman's struct has
/// them (`{{.ContainerExitCode}}` is 0 on a create).
fn template_value(e: &Event) -> Result<serde_json::Value> {
    let mut v = serde_json::to_value(e)?;
    let defaults = serde_json::json!({
        "ID": "", "Image": "", "Name": "", "ContainerExitCode": 0,
        "health_status": "", "HealthStatus": e.health_status.clone().unwrap_or_default(),
        "Attributes": {},
    });
    if let (Some(obj), Some(d)) = (v.as_object_mut(), defaults.as_object()) {
        for (k, val) in d {
            obj.entry(k.clone()).or_insert_with(|| val.clone());
        }
    }
    Ok(v)
}

type Filters = std::collections::BTreeMap<String, Vec<String>>;

fn parse_filters(specs: &[String]) -> Result<Filters> {
    let mut out = Filters::new();
    for f in specs {
        let Some((k, v)) = f.split_once('=') else {
            bail!("invalid --filter `{f}`: use KEY=VALUE");
        };
        let k = match k {
            "status" => "event",
            "type" | "event" | "container" | "image" | "label" => k,
            _ => bail!("invalid --filter `{f}`: use type, event, container, image or label"),
        };
        out.entry(k.to_string()).or_default().push(v.to_string());
    }
    Ok(out)
}

fn matches(filters: &Filters, e: &Event) -> bool {
    filters.iter().all(|(k, values)| {
        values.iter().any(|v| match k.as_str() {
            "type" => e.kind == *v,
            "event" => e.status == *v,
            "container" => {
                e.kind == "container"
                    && (e.name == *v || (!v.is_empty() && e.id.starts_with(v.as_str())))
            }
            "image" => {
                let name = if e.kind == "image" { &e.name } else { &e.image };
                *name == *v || (!v.is_empty() && e.id.starts_with(v.as_str()))
            }
            "label" => match v.split_once('=') {
                Some((lk, lv)) => e.attributes.get(lk).is_some_and(|x| x == lv),
                None => e.attributes.contains_key(v),
            },
            _ => false,
        })
    })
}

/// A time in nanoseconds since the epoch: RFC 3339, Unix seconds
/// (fractional), or a Go duration before now.
fn parse_time(s: &str, flag: &str) -> Result<i64> {
    if let Some(secs) = crate::time::parse_rfc3339(s) {
        return Ok(secs * 1_000_000_000 + crate::time::fraction_nanos(s) as i64);
    }
    if let Ok(secs) = s.parse::<f64>() {
        return Ok((secs * 1e9) as i64);
    }
    if let Some(d) = crate::container::health::parse_duration(s) {
        return Ok(events::now_nanos() - d.as_nanos() as i64);
    }
    bail!("invalid {flag} `{s}`: use an RFC 3339 time, Unix seconds, or a duration such as 10m")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_select_by_type_event_container_and_label() {
        let mut e = Event::container("start", "abcdef", "web", "busybox");
        e.attributes.insert("app".into(), "x".into());
        let f = |s: &[&str]| {
            parse_filters(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>()).unwrap()
        };
        assert!(matches(&f(&["type=container", "event=start"]), &e));
        assert!(matches(&f(&["container=abc", "label=app=x"]), &e));
        assert!(matches(&f(&["event=died", "event=start"]), &e));
        assert!(!matches(&f(&["event=died"]), &e));
        assert!(!matches(&f(&["type=image"]), &e));
        assert!(parse_filters(&["bogus=1".into()]).is_err());
    }

    #[test]
    fn a_container_event_reads_as_podmans_line() {
        let mut e = Event::container("died", "abc", "web", "busybox");
        e.time = 1_700_000_000_000_000_001;
        e.exit_code = Some(3);
        assert_eq!(
            e.human(),
            "2023-11-14 22:13:20.000000001 +0000 UTC container died abc (image=busybox, name=web, containerExitCode=3)"
        );
    }
}
