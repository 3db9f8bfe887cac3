//! `berth login` and `berth logout` against a real docker-registry (Basic
//! auth, TLS, Bearer tokens), podman reading berth's login and berth
//! podman's, credential helpers, the password prompt on a terminal, and the
//! registries.conf rules login obeys.
//!
//! Every berth here runs with HOME, XDG_RUNTIME_DIR and XDG_CONFIG_HOME in
//! the test's dir and its own registries.conf, so the user's real
//! credentials and configuration are neither read nor touched.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::util::peer::Peer;
use crate::util::registry::{Mode, Registry};
use crate::util::{Cmd, TestEnv, assert_fails_125, assert_ok, berth_bin, tool_or_skip, wait_exit};

const USER: &str = "berth-user";
const PASS: &str = "pa:ss w0rd-for-login";

/// A registry with htpasswd Basic auth for USER/PASS (None after a skip).
fn basic_registry() -> Option<Registry> {
    Registry::available().then(|| Registry::start(Mode::basic(USER, PASS)))
}

/// The private world berth's credentials live in for one test.
struct World {
    home: PathBuf,
    run: PathBuf,
    config: PathBuf,
    registries_conf: PathBuf,
    path: Option<String>,
}

impl World {
    fn new(env: &TestEnv) -> World {
        World::at(
            env,
            env.path("home"),
            env.path("run"),
            env.path("home/.config"),
        )
    }

    /// The same files podman uses in `peer`.
    fn of_peer(env: &TestEnv, peer: &Peer) -> World {
        let home = peer.dir().join("home");
        World::at(
            env,
            home.clone(),
            peer.dir().join("run"),
            home.join(".config"),
        )
    }

    fn at(env: &TestEnv, home: PathBuf, run: PathBuf, config: PathBuf) -> World {
        for d in [&home, &run, &config] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
        let registries_conf = env.write("registries.conf", "");
        World {
            home,
            run,
            config,
            registries_conf,
            path: None,
        }
    }

    fn auth_json(&self) -> PathBuf {
        self.run.join("containers/auth.json")
    }

    /// The environment berth runs with in this world.
    fn vars(&self) -> Vec<(&str, OsString)> {
        let mut v = vec![
            ("HOME", self.home.clone().into()),
            ("XDG_RUNTIME_DIR", self.run.clone().into()),
            ("XDG_CONFIG_HOME", self.config.clone().into()),
            ("REGISTRY_AUTH_FILE", OsString::new()),
            ("DOCKER_CONFIG", OsString::new()),
            ("BERTH_REGISTRIES_CONF", self.registries_conf.clone().into()),
        ];
        if let Some(p) = &self.path {
            v.push(("PATH", p.into()));
        }
        v
    }

    fn berth(&self, env: &TestEnv, args: &[&str]) -> Cmd {
        let mut c = env.berth(args);
        for (k, v) in self.vars() {
            c.env(k, v);
        }
        c
    }

    fn login(&self, env: &TestEnv, host: &str, user: &str, pass: &str) -> crate::util::Run {
        self.berth(env, &["login", "-u", user, "--password-stdin", host])
            .stdin(format!("{pass}\n"))
            .run()
    }
}

fn auths(world: &World) -> serde_json::Value {
    let bytes = std::fs::read(world.auth_json()).unwrap();
    serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["auths"].clone()
}

berthtest!(
    login_checks_the_credentials_stores_them_0600_and_logout_removes_them,
    |env| {
        let Some(reg) = basic_registry() else {
            return;
        };
        let w = World::new(&env);
        let host = reg.host();
        let host = host.as_str();
        let out = w.login(&env, host, USER, PASS);
        assert_ok(&out);
        eqnice!("Login Succeeded!\n", out.stdout());
        assert!(!out.stderr().contains(PASS), "{}", out.stderr());
        let mode = std::fs::metadata(w.auth_json())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(auths(&w)[host]["auth"].is_string(), "{}", auths(&w));

        eqnice!(
            format!("{USER}\n"),
            w.berth(&env, &["login", "--get-login", host]).ok()
        );
        // Logged in already: no prompt, no new password needed.
        let out = w.berth(&env, &["login", host]).ok();
        assert!(out.contains("Already logged in"), "{out}");

        eqnice!(
            format!("Removed login credentials for {host}\n"),
            w.berth(&env, &["logout", host]).ok()
        );
        assert_eq!(auths(&w), serde_json::json!({}));
        assert_fails_125(&w.berth(&env, &["logout", host]).run(), "not logged in to");
        assert_fails_125(
            &w.berth(&env, &["login", "--get-login", host]).run(),
            &format!("not logged in to {host}"),
        );
    }
);

berthtest!(a_wrong_password_is_refused_and_nothing_is_stored, |env| {
    let Some(reg) = basic_registry() else {
        return;
    };
    let w = World::new(&env);
    let out = w.login(&env, &reg.host(), USER, "not-the-password");
    let line = assert_fails_125(&out, &format!("logging in to {}: unauthorized", reg.host()));
    assert!(!line.contains("not-the-password"), "{line}");
    assert!(!w.auth_json().exists(), "nothing written on failure");
    // A good login stays when a later one fails.
    assert_ok(&w.login(&env, &reg.host(), USER, PASS));
    let before = std::fs::read(w.auth_json()).unwrap();
    assert_fails_125(
        &w.login(&env, &reg.host(), "someone", "else"),
        "unauthorized",
    );
    assert_eq!(std::fs::read(w.auth_json()).unwrap(), before);
});

berthtest!(logout_all_keeps_the_files_other_settings, |env| {
    let w = World::new(&env);
    let file = env.write(
        "auth.json",
        r#"{"auths":{"a.example":{"auth":"dTpw"},"b.example":{"auth":"dTpw"}},"x-other":1}"#,
    );
    let f = file.to_str().unwrap();
    eqnice!(
        "Removed login credentials for all registries\n",
        w.berth(&env, &["logout", "--authfile", f, "--all"]).ok()
    );
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(doc, serde_json::json!({"auths": {}, "x-other": 1}));
});

berthtest!(podman_uses_berths_login_and_berth_uses_podmans, |env| {
    if !tool_or_skip("podman") {
        return;
    }
    let Some(reg) = basic_registry() else {
        return;
    };
    let peer = Peer::new(&env);
    let w = World::of_peer(&env, &peer);
    let host = reg.host();
    let host = host.as_str();

    // berth logs in; podman sees it in the same file and logs out of it.
    assert_ok(&w.login(&env, host, USER, PASS));
    eqnice!(
        format!("{USER}\n"),
        peer.podman(&["login", "--get-login", host]).ok()
    );
    peer.podman(&["logout", host]).ok();
    assert_fails_125(
        &w.berth(&env, &["login", "--get-login", host]).run(),
        "not logged in",
    );

    // podman logs in; berth reads its entry and logs out of it.
    peer.podman(&[
        "login",
        "--tls-verify=false",
        "-u",
        USER,
        "--password-stdin",
        host,
    ])
    .stdin(format!("{PASS}\n"))
    .ok();
    eqnice!(
        format!("{USER}\n"),
        w.berth(&env, &["login", "--get-login", host]).ok()
    );
    let out = w.berth(&env, &["login", host]).ok();
    assert!(
        out.contains("Already logged in"),
        "podman's credentials work: {out}"
    );
    w.berth(&env, &["logout", host]).ok();
    let out = peer.podman(&["login", "--get-login", host]).run();
    assert!(!out.status.success(), "podman sees the logout");
});

/// A `docker-credential-NAME` on PATH that keeps one credential in a file.
fn fake_helper(env: &TestEnv, w: &mut World) -> PathBuf {
    let kept = env.path("helper-kept.json");
    let script = format!(
        "#!/bin/sh\nkept='{}'\n\
         case \"$1\" in\n\
         store) cat > \"$kept\" ;;\n\
         get) cat >/dev/null; if [ -s \"$kept\" ]; then cat \"$kept\"; else echo 'credentials not found in native keychain'; exit 1; fi ;;\n\
         erase) cat >/dev/null; if [ -s \"$kept\" ]; then rm \"$kept\"; else echo 'credentials not found in native keychain'; exit 1; fi ;;\n\
         *) exit 2 ;;\n\
         esac\n",
        kept.display()
    );
    let bin = env.write("bin/docker-credential-berthtest", script);
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = std::env::var("PATH").unwrap_or_default();
    w.path = Some(format!("{}:{path}", env.path("bin").display()));
    kept
}

berthtest!(
    a_credential_helper_named_in_the_auth_file_keeps_the_secret,
    |env| {
        let Some(reg) = basic_registry() else {
            return;
        };
        let mut w = World::new(&env);
        let kept = fake_helper(&env, &mut w);
        let host = reg.host();
        let host = host.as_str();
        let credhelpers = format!(r#"{{"credHelpers":{{"{host}":"berthtest"}}}}"#);
        std::fs::create_dir_all(w.auth_json().parent().unwrap()).unwrap();
        std::fs::write(w.auth_json(), &credhelpers).unwrap();

        assert_ok(&w.login(&env, host, USER, PASS));
        let stored: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&kept).unwrap()).unwrap();
        assert_eq!(stored["Username"], USER);
        assert_eq!(stored["Secret"], PASS);
        assert_eq!(stored["ServerURL"], host);
        // The auth file holds no secret: the helper has it.
        assert_eq!(std::fs::read_to_string(w.auth_json()).unwrap(), credhelpers);

        eqnice!(
            format!("{USER}\n"),
            w.berth(&env, &["login", "--get-login", host]).ok()
        );
        w.berth(&env, &["logout", host]).ok();
        assert!(!kept.exists(), "the helper erased it");
        assert_fails_125(
            &w.berth(&env, &["login", "--get-login", host]).run(),
            "not logged in",
        );
    }
);

berthtest!(a_missing_credential_helper_is_named, |env| {
    let w = World::new(&env);
    std::fs::create_dir_all(w.auth_json().parent().unwrap()).unwrap();
    std::fs::write(w.auth_json(), r#"{"credsStore":"berth-no-such-helper"}"#).unwrap();
    assert_fails_125(
        &w.berth(&env, &["login", "--get-login", "r.example"]).run(),
        "docker-credential-berth-no-such-helper",
    );
});

berthtest!(
    login_to_a_blocked_registry_is_refused_before_asking,
    |env| {
        let w = World::new(&env);
        std::fs::write(
            &w.registries_conf,
            "[[registry]]\nlocation = \"blocked.example\"\nblocked = true\n",
        )
        .unwrap();
        let out = w
            .berth(
                &env,
                &["login", "-u", "u", "--password-stdin", "blocked.example"],
            )
            .stdin("p\n")
            .run();
        assert_fails_125(
            &out,
            "logging in to blocked.example: registry `blocked.example` is blocked",
        );
        assert!(!w.auth_json().exists());
    }
);

berthtest!(a_broken_registries_conf_is_one_line_naming_it, |env| {
    let w = World::new(&env);
    std::fs::write(&w.registries_conf, "[[registry]\nlocation = 1\n").unwrap();
    let out = w
        .berth(&env, &["login", "-u", "u", "--password-stdin", "r.example"])
        .stdin("p\n")
        .run();
    let line = assert_fails_125(&out, "registries.conf");
    assert!(line.contains("line 1"), "{line}");
});

berthtest!(
    without_a_terminal_login_asks_for_flags_instead_of_prompting,
    |env| {
        let w = World::new(&env);
        assert_fails_125(
            &w.berth(&env, &["login", "r.example"]).run(),
            "give --username",
        );
        assert_fails_125(
            &w.berth(&env, &["login", "-u", "u", "r.example"]).run(),
            "give --password-stdin",
        );
        assert_fails_125(
            &w.berth(&env, &["login", "--password-stdin", "r.example"])
                .stdin("p\n")
                .run(),
            "--password-stdin needs --username",
        );
    }
);

/// `berth login HOST` with a terminal (a pty) as stdin, typing `keys` at
/// the password prompt: (berth's exit code, what the terminal showed,
/// whether its echo was on again afterwards).
fn login_on_a_terminal(env: &TestEnv, w: &World, host: &str, keys: &[u8]) -> (i32, String, bool) {
    use nix::sys::termios::{LocalFlags, tcgetattr};
    use std::io::{Read, Write};
    let pty = nix::pty::openpty(None, None).expect("openpty");
    let mut child = Command::new(berth_bin())
        .arg("--root")
        .arg(&env.root)
        .args(["login", host])
        .envs(w.vars())
        .current_dir(env.dir())
        .stdin(Stdio::from(pty.slave.try_clone().unwrap()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn berth");
    let mut master = std::fs::File::from(pty.master);
    let mut stderr = child.stderr.take().unwrap();
    // Waits for berth's prompt on stderr (no sleeps: the read blocks).
    let mut wait_for = |prompt: &str| {
        let mut seen = Vec::new();
        let mut b = [0u8; 1];
        while !String::from_utf8_lossy(&seen).ends_with(prompt) {
            assert_eq!(stderr.read(&mut b).unwrap(), 1, "berth said {seen:?}");
            seen.push(b[0]);
        }
    };
    wait_for("Username: ");
    master.write_all(format!("{USER}\n").as_bytes()).unwrap();
    wait_for("Password: ");
    master.write_all(keys).unwrap();
    if !wait_exit(child.id(), Duration::from_secs(60)) {
        let _ = child.kill();
        let _ = child.wait();
        panic!("berth still waits for input after {keys:?}");
    }
    let status = child.wait().unwrap();
    let echo_on = tcgetattr(&pty.slave)
        .unwrap()
        .local_flags
        .contains(LocalFlags::ECHO);
    drop(pty.slave);
    // What the terminal echoed; the master reads EIO once the slave side is
    // closed and drained.
    let mut shown = Vec::new();
    let _ = master.read_to_end(&mut shown);
    let code = status.code().unwrap_or(-1);
    (code, String::from_utf8_lossy(&shown).into_owned(), echo_on)
}

berthtest!(
    login_prompts_on_a_terminal_without_echoing_the_password,
    |env| {
        let Some(reg) = basic_registry() else {
            return;
        };
        let w = World::new(&env);
        // A typo fixed with backspace, then Enter.
        let keys = format!("{PASS}x\x7f\r");
        let (code, shown, echo_on) = login_on_a_terminal(&env, &w, &reg.host(), keys.as_bytes());
        assert_eq!(code, 0, "login succeeded");
        assert!(shown.contains(USER), "the user name is echoed: {shown:?}");
        assert!(!shown.contains("w0rd"), "the password is not: {shown:?}");
        assert!(echo_on, "echo is back on");
        eqnice!(
            format!("{USER}\n"),
            w.berth(&env, &["login", "--get-login", &reg.host()]).ok()
        );
    }
);

berthtest!(
    ctrl_c_at_the_password_prompt_puts_the_terminal_back,
    |env| {
        let w = World::new(&env);
        let (code, shown, echo_on) = login_on_a_terminal(&env, &w, "r.example", b"secr\x03");
        assert_eq!(code, 130);
        assert!(!shown.contains("secr"), "{shown:?}");
        assert!(echo_on, "echo is back on");
        assert!(!w.auth_json().exists());
    }
);

berthtest!(login_over_tls_trusts_the_cert_dir_it_is_given, |env| {
    if !Registry::available() {
        return;
    }
    let reg = Registry::start(Mode::Tls);
    let w = World::new(&env);
    let host = reg.host();
    let cert_dir = reg.cert_dir();
    let login = |extra: &[&str]| {
        let mut args = vec!["login", "-u", USER, "--password-stdin"];
        args.extend(extra);
        args.push(&host);
        w.berth(&env, &args).stdin(format!("{PASS}\n")).run()
    };
    // An unknown CA is refused, and nothing is stored.
    assert_fails_125(&login(&[]), &format!("logging in to {host}"));
    assert!(!w.auth_json().exists());
    let out = login(&["--cert-dir", cert_dir.to_str().unwrap()]);
    assert_ok(&out);
    eqnice!("Login Succeeded!\n", out.stdout());
});

berthtest!(
    login_through_the_token_flow_checks_the_password_with_the_issuer,
    |env| {
        if !Registry::available() {
            return;
        }
        let reg = Registry::start(Mode::token(USER, PASS));
        let w = World::new(&env);
        let host = reg.host();
        assert_fails_125(&w.login(&env, &host, USER, "wrong"), "unauthorized");
        assert!(!w.auth_json().exists());
        assert_ok(&w.login(&env, &host, USER, PASS));
        eqnice!(
            format!("{USER}\n"),
            w.berth(&env, &["login", "--get-login", &host]).ok()
        );
    }
);

berthtest!(
    a_helper_with_nothing_for_the_host_lets_the_next_file_answer,
    |env| {
        let mut w = World::new(&env);
        fake_helper(&env, &mut w);
        std::fs::create_dir_all(w.auth_json().parent().unwrap()).unwrap();
        std::fs::write(
            w.auth_json(),
            r#"{"credHelpers":{"r.example":"berthtest"}}"#,
        )
        .unwrap();
        // base64("docker-user:pw")
        env.write(
            "home/.docker/config.json",
            r#"{"auths":{"r.example":{"auth":"ZG9ja2VyLXVzZXI6cHc="}}}"#,
        );
        eqnice!(
            "docker-user\n",
            w.berth(&env, &["login", "--get-login", "r.example"]).ok()
        );
    }
);
