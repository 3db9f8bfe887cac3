//! A tiny stderr logger for the `log` facade: `berth: warning: …` lines,
//! level from `--log-level` or `$BERTH_LOG`.

use log::{Level, LevelFilter, Log, Metadata, Record};

struct Logger;

impl Log for Logger {
    fn enabled(&self, m: &Metadata) -> bool {
        m.level() <= log::max_level()
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
