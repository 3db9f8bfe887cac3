//! A tiny stderr logger for the `log` facade: `berth: warning: …` lines,
//! level from `--log-level` or `$BERTH_LOG`.

use log::{Level, LevelFilter, Log, Metadata, Record};

struct Logger;

impl Log for Logger {
    fn enabled(&self, m: &Metadata) -> bool {
        m.level() <= log::max_level() && !wire_dump(m)
    }

    fn log(&self, r: &Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let tag = match r.level() {
            Level::Error => "error",
            Level::Warn => "warning",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        };
        // A warning may quote an image or a container (a path, a message).
        let text = r.args().to_string();
        eprintln!("berth: {tag}: {}", crate::term::escape(&text));
    }

    fn flush(&self) {}
}

/// ureq's trace level is a hex dump of the bytes on the wire, request
/// headers included: `Authorization: Basic …` (the password, base64) and
/// bearer tokens. Its debug level redacts them; trace is never shown.
fn wire_dump(m: &Metadata) -> bool {
    m.level() == Level::Trace && m.target().starts_with("ureq")
}

pub fn init(level: Option<&str>) -> Result<(), String> {
    let env = std::env::var("BERTH_LOG").ok();
    let filter = match level.or(env.as_deref()).unwrap_or("warn") {
        "off" => LevelFilter::Off,
        "error" => LevelFilter::Error,
        "warn" | "warning" => LevelFilter::Warn,
        "info" => LevelFilter::Info,
        "debug" => LevelFilter::Debug,
        "trace" => LevelFilter::Trace,
        other => {
            return Err(format!(
                "invalid log level `{other}`: use error, warn, info, debug or trace"
            ));
        }
    };
    let _ = log::set_logger(&Logger);
    log::set_max_level(filter);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ureq_wire_dumps_are_never_logged() {
        let m = |level, target| Metadata::builder().level(level).target(target).build();
        assert!(wire_dump(&m(
            Level::Trace,
            "ureq::unversioned::transport::io"
        )));
        assert!(wire_dump(&m(Level::Trace, "ureq_proto::client")));
        assert!(!wire_dump(&m(Level::Debug, "ureq::run")));
        assert!(!wire_dump(&m(Level::Trace, "berth::registry::client")));
    }
}
