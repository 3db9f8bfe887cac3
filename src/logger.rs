//! A tiny stderr logger for the `log` facade: `berth: warning: …` lines,
//! level from `--log-level` or `$BERTH_LOG`; and the phase trace
//! (`$BERTH_TRACE_PHASES`): where the time of a run goes.

use log::{Level, LevelFilter, Log, Metadata, Record};
use std::io::Write;
use std::sync::OnceLock;
use std::time::Instant;

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

/// The trace's origin and where its lines go, set once when
/// `$BERTH_TRACE_PHASES` asks for it; unset, [`phase`] is one atomic load.
static PHASES: OnceLock<(Instant, std::fs::File)> = OnceLock::new();

/// Turns the phase trace on when `$BERTH_TRACE_PHASES` is set (not to `0`
/// or empty); the times [`phase`] prints count from here, so this is called
/// first thing. Its lines go to a close-on-exec copy of stderr: they stay on
/// the caller's stderr after the container's child has pointed fd 2 at its
/// log, and the container never gets the fd.
pub fn init_phases() {
    let on = std::env::var_os("BERTH_TRACE_PHASES").is_some_and(|v| !v.is_empty() && v != "0");
    if !on {
        return;
    }
    let start = Instant::now();
    if let Ok(fd) = std::os::fd::AsFd::as_fd(&std::io::stderr()).try_clone_to_owned() {
        let _ = PHASES.set((start, std::fs::File::from(fd)));
    }
}

/// `phase NAME +X.XXX ms` (since [`init_phases`]) on stderr, when the trace
/// is on. No allocation and no lock, either way: it runs in the container's
/// child between clone and execve too, where the monitor's copy of a lock
/// may be held for ever.
pub fn phase(name: &str) {
    let Some((start, out)) = PHASES.get() else {
        return;
    };
    let mut buf = [0u8; 128];
    let len = format_phase(&mut buf, name, start.elapsed().as_micros());
    let _ = (&*out).write_all(&buf[..len]);
}

/// Writes the line into `buf` (a name too long for it is cut); its length.
fn format_phase(buf: &mut [u8], name: &str, micros: u128) -> usize {
    let mut c = std::io::Cursor::new(buf);
    let _ = writeln!(c, "phase {name} +{}.{:03} ms", micros / 1000, micros % 1000);
    c.position() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phase_line_names_the_phase_and_its_time_in_milliseconds() {
        let mut buf = [0u8; 128];
        let n = format_phase(&mut buf, "clone", 12_345);
        assert_eq!(&buf[..n], b"phase clone +12.345 ms\n");
        let n = format_phase(&mut buf, "start", 7);
        assert_eq!(&buf[..n], b"phase start +0.007 ms\n");
    }

    #[test]
    fn a_name_too_long_for_the_line_is_cut_not_a_panic() {
        let mut buf = [0u8; 16];
        let n = format_phase(&mut buf, "a-very-long-phase-name", 1);
        assert_eq!(n, 16);
    }

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
