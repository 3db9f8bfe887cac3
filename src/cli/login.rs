//! `berth login [-u USER] [-p PASS | --password-stdin] [--get-login] REGISTRY`
//! and `berth logout [REGISTRY | --all]`: podman's verbs, on podman's auth
//! file, so either tool uses the other's login.

use crate::registry::{
    self, Access, AuthFiles, Client, Credentials, Endpoint, ErrorKind, Registries,
};
use anyhow::{Context, Result, anyhow, bail};
use nix::sys::termios::{self, LocalFlags, SetArg, SpecialCharacterIndices, Termios};
use std::io::{BufRead, IsTerminal, Read, Write};
use std::os::fd::AsFd;
use std::path::PathBuf;

/// Log in to a registry: check the credentials with it, then store them
#[derive(clap::Args, Debug)]
pub struct LoginArgs {
    /// The registry: host[:port], or a URL (its scheme and path are ignored)
    registry: String,
    /// User name (asked for on a terminal when not given)
    #[arg(short, long, value_name = "USER")]
    username: Option<String>,
    /// Password (other users can see it in the process list: prefer --password-stdin)
    #[arg(short, long, value_name = "PASS", conflicts_with = "password_stdin")]
    password: Option<String>,
    /// Read the password from stdin (its first line)
    #[arg(long)]
    password_stdin: bool,
    /// Print the user name stored for REGISTRY; log in to nothing
    #[arg(long, conflicts_with_all = ["username", "password", "password_stdin"])]
    get_login: bool,
    /// The auth file to read and write
    /// [default: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json]
    #[arg(long, value_name = "FILE")]
    authfile: Option<PathBuf>,
    /// Verify the registry's TLS certificate; false also allows plain HTTP
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    tls_verify: Option<bool>,
    /// A directory of CA certificates (*.crt) and a client certificate
    /// (*.cert with its *.key) for the registry
    /// [default: certs.d/HOST under $XDG_CONFIG_HOME/containers, /etc/containers, /etc/docker]
    #[arg(long, value_name = "DIR")]
    cert_dir: Option<PathBuf>,
}

/// Remove a registry's stored credentials
#[derive(clap::Args, Debug)]
pub struct LogoutArgs {
    /// The registry: host[:port], or a URL (its scheme and path are ignored)
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    registry: Option<String>,
    /// Remove the credentials of every registry
    #[arg(short, long)]
    all: bool,
    /// The auth file to edit
    /// [default: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json]
    #[arg(long, value_name = "FILE")]
    authfile: Option<PathBuf>,
}

pub fn run_login(a: LoginArgs) -> Result<i32> {
    let host = registry_host(&a.registry)?;
    let files = AuthFiles::new(a.authfile.clone());
    if a.get_login {
        return match files.credentials(&host)? {
            Some(c) => {
                println!("{}", crate::term::escape(&c.username));
                Ok(0)
            }
            None => bail!("not logged in to {host}"),
        };
    }
    let registries = Registries::load()?;
    let endpoint = registries
        .registry_endpoint(&host)
        .with_context(|| format!("logging in to {host}"))?;
    let mut out = std::io::stdout().lock();
    let nothing_given = a.username.is_none() && a.password.is_none() && !a.password_stdin;
    if nothing_given && let Some(stored) = files.credentials(&host)? {
        // As podman: a login that is still good is not asked for again.
        writeln!(out, "Authenticating with existing credentials for {host}")?;
        if verify(&host, &endpoint, &a, stored).is_ok() {
            writeln!(
                out,
                "Existing credentials are valid. Already logged in to {host}"
            )?;
            return Ok(0);
        }
        writeln!(
            out,
            "Existing credentials are invalid, please enter valid username and password"
        )?;
    }
    let username = match &a.username {
        Some(u) => u.clone(),
        None if a.password_stdin => {
            bail!("logging in to {host}: --password-stdin needs --username")
        }
        None => match prompt_line("Username: ")? {
            Some(u) => u,
            None => return Ok(130),
        },
    };
    if username.is_empty() {
        bail!("logging in to {host}: the user name is empty");
    }
    if username.contains(':') {
        bail!("logging in to {host}: a user name cannot contain `:`");
    }
    let secret = if a.password_stdin {
        read_stdin_password()?
    } else if let Some(p) = &a.password {
        log::warn!(
            "--password is visible to other users in the process list; use --password-stdin"
        );
        p.clone()
    } else {
        match prompt_password("Password: ")? {
            Some(p) => p,
            None => return Ok(130),
        }
    };
    if secret.is_empty() {
        bail!("logging in to {host}: the password is empty");
    }
    let creds = Credentials { username, secret };
    verify(&host, &endpoint, &a, creds.clone())?;
    files
        .store(&host, &creds)
        .with_context(|| format!("storing the credentials for {host}"))?;
    writeln!(out, "Login Succeeded!")?;
    Ok(0)
}

pub fn run_logout(a: LogoutArgs) -> Result<i32> {
    let files = AuthFiles::new(a.authfile);
    let Some(registry) = a.registry.filter(|_| !a.all) else {
        files.remove_all().context("removing all credentials")?;
        println!("Removed login credentials for all registries");
        return Ok(0);
    };
    let host = registry_host(&registry)?;
    if files
        .remove(&host)
        .with_context(|| format!("logging out of {host}"))?
    {
        println!("Removed login credentials for {host}");
        return Ok(0);
    }
    // Credentials in another file are the user's doing; say where they are.
    match files.lookup(&host)? {
        Some((_, from)) => bail!(
            "not logged in to {host} in `{}`; the credentials berth uses for it are in {from}, which logout leaves alone",
            files.write_path().display()
        ),
        None => bail!("not logged in to {host}"),
    }
}

/// Checks `creds` with the registry: its `/v2/` must accept them.
fn verify(host: &str, endpoint: &Endpoint, a: &LoginArgs, creds: Credentials) -> Result<()> {
    let access = Access {
        tls_verify: a.tls_verify,
        cert_dir: a.cert_dir.clone(),
        authfile: None,
        credentials: Some(creds),
    };
    let result = Client::connect(endpoint, &access).and_then(|c| c.ping());
    result.map_err(|e| match e.downcast_ref::<registry::Error>() {
        // The client's message already names the host, and its advice to
        // run `berth login` is no help to someone doing just that.
        Some(re) => {
            let hint = format!(": run `berth login {host}`");
            let msg = re.message.strip_suffix(&hint).unwrap_or(&re.message);
            match re.kind {
                ErrorKind::Unauthorized => anyhow!("logging in to {host}: unauthorized: {msg}"),
                _ => anyhow!("logging in to {host}: {msg}"),
            }
        }
        None => e.context(format!("logging in to {host}")),
    })
}

/// The registry host in what the user typed: `docker.io`,
/// `https://index.docker.io/v1/` (→ `docker.io`), `localhost:5000/ns`.
fn registry_host(arg: &str) -> Result<String> {
    let rest = arg
        .strip_prefix("https://")
        .or_else(|| arg.strip_prefix("http://"))
        .unwrap_or(arg);
    let host = rest.split('/').next().unwrap_or("");
    let valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b));
    if !valid {
        bail!("`{arg}` is not a registry: expected host[:port] or a URL");
    }
    // podman stores Docker Hub as `docker.io`, whatever it was called.
    Ok(match host {
        "index.docker.io" | "registry-1.docker.io" => "docker.io".to_string(),
        h => h.to_string(),
    })
}

/// The first line of stdin, without its line ending (as podman reads
/// `--password-stdin`).
fn read_stdin_password() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let trimmed = line.trim_end_matches(['\n', '\r']).len();
    line.truncate(trimmed);
    Ok(line)
}

/// Asks on the terminal; None if the user ended input (^D).
fn prompt_line(prompt: &str) -> Result<Option<String>> {
    if !std::io::stdin().is_terminal() {
        bail!("no user name: give --username, or run on a terminal");
    }
    eprint!("{prompt}");
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line)? == 0 {
        eprintln!();
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\n', '\r']).to_string()))
}

/// Puts the terminal back as it was when dropped, on every way out of the
/// password prompt.
struct Restore {
    saved: Termios,
}

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(std::io::stdin().as_fd(), SetArg::TCSAFLUSH, &self.saved);
    }
}

/// Reads a password on the terminal without echo; None on ^C or ^D.
///
/// Canonical mode and signals are off too, so berth reads the keys itself:
/// a ^C that killed berth here would leave the user's terminal without echo.
fn prompt_password(prompt: &str) -> Result<Option<String>> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("no password: give --password-stdin, or run on a terminal");
    }
    let saved = termios::tcgetattr(stdin.as_fd()).context("reading the terminal's settings")?;
    let mut quiet = saved.clone();
    quiet
        .local_flags
        .remove(LocalFlags::ECHO | LocalFlags::ICANON | LocalFlags::ISIG | LocalFlags::IEXTEN);
    quiet.control_chars[SpecialCharacterIndices::VMIN as usize] = 1;
    quiet.control_chars[SpecialCharacterIndices::VTIME as usize] = 0;
    termios::tcsetattr(stdin.as_fd(), SetArg::TCSAFLUSH, &quiet)
        .context("turning the terminal's echo off")?;
    let restore = Restore { saved };
    // The prompt comes after echo is off: what is typed once it shows is
    // neither echoed nor flushed away.
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut typed: Vec<u8> = Vec::new();
    let mut input = stdin.lock();
    let mut byte = [0u8; 1];
    let done = loop {
        if input.read(&mut byte)? == 0 {
            break false;
        }
        match byte[0] {
            b'\r' | b'\n' => break true,
            0x03 => break false,                     // ^C
            0x04 if typed.is_empty() => break false, // ^D
            0x15 => typed.clear(),                   // ^U
            0x7f | 0x08 => {
                // Backspace takes a whole UTF-8 character.
                while let Some(b) = typed.pop() {
                    if b & 0xc0 != 0x80 {
                        break;
                    }
                }
            }
            b => typed.push(b),
        }
    };
    drop(restore);
    eprintln!();
    if !done {
        return Ok(None);
    }
    String::from_utf8(typed)
        .map(Some)
        .map_err(|_| anyhow!("the password is not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registry_may_be_given_as_a_host_or_a_url() {
        for (arg, host) in [
            ("docker.io", "docker.io"),
            ("https://index.docker.io/v1/", "docker.io"),
            ("registry-1.docker.io", "docker.io"),
            ("localhost:5000", "localhost:5000"),
            ("http://127.0.0.1:5000/v2/", "127.0.0.1:5000"),
            ("quay.io/ns/repo", "quay.io"),
        ] {
            assert_eq!(registry_host(arg).unwrap(), host, "{arg}");
        }
        for bad in ["", "https://", "a b", "/x"] {
            assert!(registry_host(bad).is_err(), "{bad}");
        }
    }
}
