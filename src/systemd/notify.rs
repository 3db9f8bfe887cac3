//! An sd_notify client without libsystemd: one datagram per message to
//! $NOTIFY_SOCKET (a path, or `@name` for an abstract address), and the
//! relay of a container's own messages (`--sdnotify=container`) with
//! MAINPID set to berth.

use anyhow::{Context, Result, bail};
use std::ffi::OsStr;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// The variable systemd sets for a `Type=notify` service.
pub const SOCKET_ENV: &str = "NOTIFY_SOCKET";

/// The most of one message berth relays (systemd reads at most a page's
/// worth per datagram too).
const MESSAGE_MAX: usize = 4096;

/// The service manager's notify socket.
pub struct Notifier {
    sock: UnixDatagram,
    addr: SocketAddr,
}

impl Notifier {
    /// From $NOTIFY_SOCKET, when it is set.
    pub fn from_env() -> Result<Option<Notifier>> {
        std::env::var_os(SOCKET_ENV)
            .filter(|v| !v.is_empty())
            .map(|v| Notifier::new(&v))
            .transpose()
    }

    pub fn new(addr: &OsStr) -> Result<Notifier> {
        let bytes = addr.as_bytes();
        let addr = match bytes.strip_prefix(b"@") {
            Some(name) => SocketAddr::from_abstract_name(name),
            None if bytes.starts_with(b"/") => SocketAddr::from_pathname(addr),
            None => bail!(
                "{SOCKET_ENV}=`{}`: neither a path nor an @abstract address",
                addr.to_string_lossy()
            ),
        }
        .with_context(|| format!("{SOCKET_ENV}=`{}`", addr.to_string_lossy()))?;
        let sock = UnixDatagram::unbound().context("creating the notify socket")?;
        // The wait loop must never stall on a manager that does not read:
        // a full queue drops the message (the next ping comes anyway).
        sock.set_nonblocking(true)
            .context("making the notify socket non-blocking")?;
        Ok(Notifier { sock, addr })
    }

    /// A second handle on the same socket (the wait loop's).
    pub fn try_clone(&self) -> Result<Notifier> {
        Ok(Notifier {
            sock: self
                .sock
                .try_clone()
                .context("duplicating the notify socket")?,
            addr: self.addr.clone(),
        })
    }

    /// Sends one message (newline-separated `KEY=VALUE`s); one the
    /// manager's full queue has no room for is dropped.
    pub fn send(&self, msg: &str) -> Result<()> {
        match self.sock.send_to_addr(msg.as_bytes(), &self.addr) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                log::debug!("{SOCKET_ENV} is full: dropped `{}`", shown(msg));
                Ok(())
            }
            r => r
                .map(|_| ())
                .with_context(|| format!("sending `{}` to {SOCKET_ENV}", shown(msg))),
        }
    }

    /// The unit's main process is `mainpid` and the service is up.
    pub fn notify_ready(&self, mainpid: u32) -> Result<()> {
        self.send(&format!("MAINPID={mainpid}\nREADY=1"))
    }

    /// The unit's main process is `mainpid` (ready comes later).
    pub fn main_pid(&self, mainpid: u32) -> Result<()> {
        self.send(&format!("MAINPID={mainpid}"))
    }

    /// One watchdog ping.
    pub fn watchdog(&self) -> Result<()> {
        self.send("WATCHDOG=1")
    }

    /// Passes on what the container sent to `proxy` since the last call,
    /// with its MAINPID (a pid of its own namespace) replaced by `mainpid`.
    /// `proxy` is non-blocking; fds sent with a message are dropped. At
    /// most [`RELAY_BATCH`] messages a call: a container that sends without
    /// pause must not keep the caller from its other duties (signals, the
    /// watchdog); the rest wait in the socket for the next call.
    pub fn relay(&self, proxy: &UnixDatagram, mainpid: u32) -> Result<()> {
        let mut buf = [0u8; MESSAGE_MAX];
        for _ in 0..RELAY_BATCH {
            let n = match proxy.recv(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).context("reading the container's notify socket"),
            };
            if let Some(msg) = relayed(&buf[..n], mainpid) {
                self.send(&msg)?;
            }
        }
        Ok(())
    }
}

/// A message for berth's own log: relayed ones are the container's words,
/// so escaped for the terminal, on one line.
fn shown(msg: &str) -> String {
    crate::term::escape(&msg.replace('\n', " ")).into_owned()
}

/// The most messages one [`Notifier::relay`] call passes on.
const RELAY_BATCH: usize = 64;

/// A container's message as berth passes it on: its own MAINPID dropped,
/// berth's first; None when nothing is left. Split where systemd splits a
/// message, at a newline and at a carriage return: a MAINPID after a `\r`
/// is a line of its own to the manager. One with a NUL is dropped whole
/// (systemd ignores it).
fn relayed(msg: &[u8], mainpid: u32) -> Option<String> {
    if msg.contains(&0) {
        return None;
    }
    let text = String::from_utf8_lossy(msg);
    let lines: Vec<&str> = (text.split(['\n', '\r']))
        .filter(|l| !l.is_empty() && !l.starts_with("MAINPID="))
        .collect();
    if lines.is_empty() {
        return None;
    }
    Some(format!("MAINPID={mainpid}\n{}", lines.join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_reach_a_path_socket_and_an_abstract_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let rx = UnixDatagram::bind(&path).unwrap();
        Notifier::new(path.as_os_str())
            .unwrap()
            .notify_ready(7)
            .unwrap();
        let mut buf = [0u8; 256];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"MAINPID=7\nREADY=1");

        let name = format!("berth-notify-test-{}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let rx = UnixDatagram::bind_addr(&addr).unwrap();
        let n = Notifier::new(OsStr::new(&format!("@{name}"))).unwrap();
        n.watchdog().unwrap();
        let got = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..got], b"WATCHDOG=1");
        assert!(Notifier::new(OsStr::new("relative")).is_err());
    }

    #[test]
    fn a_message_shown_in_berths_log_carries_no_terminal_controls() {
        let s = shown("STATUS=\x1b]0;owned\x07\nREADY=1");
        assert!(
            !s.contains('\x1b') && !s.contains('\x07') && !s.contains('\n'),
            "{s}"
        );
    }

    #[test]
    fn a_relayed_message_names_berth_as_the_main_process() {
        assert_eq!(
            relayed(b"READY=1\nMAINPID=1\nSTATUS=up", 99).as_deref(),
            Some("MAINPID=99\nREADY=1\nSTATUS=up")
        );
        assert_eq!(relayed(b"MAINPID=1\n", 99), None);
    }

    #[test]
    fn a_container_cannot_name_another_main_process_after_a_carriage_return() {
        // systemd splits at \r too: this MAINPID would be a line of its own.
        assert_eq!(
            relayed(b"READY=1\rMAINPID=4242\r\nSTATUS=x", 99).as_deref(),
            Some("MAINPID=99\nREADY=1\nSTATUS=x")
        );
        assert_eq!(relayed(b"READY=1\0MAINPID=4242", 99), None);
    }

    #[test]
    fn a_flooding_container_does_not_hold_the_relay() {
        let dir = tempfile::tempdir().unwrap();
        let manager = UnixDatagram::bind(dir.path().join("manager")).unwrap();
        manager.set_nonblocking(true).unwrap();
        let n = Notifier::new(dir.path().join("manager").as_os_str()).unwrap();
        let (proxy, container) = UnixDatagram::pair().unwrap();
        proxy.set_nonblocking(true).unwrap();
        container.set_nonblocking(true).unwrap();
        let mut queued = 0;
        while container.send(b"STATUS=busy").is_ok() {
            queued += 1;
        }
        assert!(queued > RELAY_BATCH, "{queued}");
        // One call passes on a batch and returns with the rest still queued.
        n.relay(&proxy, 7).unwrap();
        let mut buf = [0u8; 64];
        assert!(proxy.recv(&mut buf).is_ok(), "the relay drained the queue");
    }
}
