//! `ADD <url>` downloads from berth's own network namespace, the host's: a
//! Dockerfile alone must not reach services bound to the host's loopback
//! through it, as `RUN --network=host` cannot (security review of ADD).
//! A redirect to such an address is refused by the same check: every hop's
//! addresses come from the agent's resolver (unit tests in src/net/fetch.rs).

use crate::util::{TestEnv, assert_fails_125, assert_ok};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::JoinHandle;

const SECRET: &str = "host-loopback-secret\n";

/// An HTTP server on 127.0.0.1 answering one request with `SECRET`.
/// Returns its address and the thread; `stop` ends it whatever happened.
fn serve_secret() -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let Ok((mut conn, _)) = listener.accept() else {
            return;
        };
        // Read the request head; `stop`'s connection sends nothing.
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match conn.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let _ = write!(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{SECRET}",
            SECRET.len()
        );
    });
    (addr, server)
}

/// Unblocks the server if the build never connected, then joins it.
fn stop(addr: SocketAddr, server: JoinHandle<()>) {
    drop(TcpStream::connect(addr));
    server.join().unwrap();
}

fn build(env: &TestEnv, dockerfile: &str, extra: &[&str]) -> crate::util::Run {
    let ctx = env.path("ctx");
    env.write("ctx/Dockerfile", dockerfile);
    let mut args: Vec<String> = vec!["build".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(ctx.display().to_string());
    env.berth(&args).run()
}

berthtest!(build_add_url_refuses_host_loopback_without_consent, |env| {
    env.import_busybox();
    let before = env.snapshot();
    let (addr, server) = serve_secret();
    let url = format!("http://{addr}/secret.txt");
    let df = format!("FROM busybox\n\nADD {url} /s\nRUN cat /s\n");
    let out = build(&env, &df, &["-q", "-t", "localhost/add"]);
    stop(addr, server);
    let line = assert_fails_125(&out, "network.host is not allowed");
    assert_eq!(
        line,
        format!(
            "berth: Dockerfile:3: ADD {url}: 127.0.0.1 is a host-only address: \
             network.host is not allowed (use `berth build --allow network.host` to allow it)"
        )
    );
    assert!(!out.stderr().contains(SECRET.trim()), "{}", out.stderr());
    eqnice!(before, env.snapshot(), "the store is unchanged");
});

berthtest!(build_add_url_reaches_host_loopback_with_consent, |env| {
    env.import_busybox();
    let (addr, server) = serve_secret();
    let df = format!("FROM busybox\nADD http://{addr}/secret.txt /s\n");
    let out = build(
        &env,
        &df,
        &["--allow", "network.host", "-t", "localhost/add"],
    );
    stop(addr, server);
    assert_ok(&out);
    let got = env
        .berth(&[
            "run",
            "--rm",
            "--network",
            "none",
            "localhost/add",
            "cat",
            "/s",
        ])
        .ok();
    assert_eq!(got, SECRET);
});
