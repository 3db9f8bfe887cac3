//! `berth ps` and container `inspect`: podman's JSON shapes, Go templates,
//! filters, `-q`, `-l`, `-n` (issue 11).

use crate::util::{Running, TestEnv, assert_fails_125, assert_ok};
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A container held running by a `berth run` in the background: its shell
/// says it is up through a fifo, then waits on another until [`Up::finish`].
struct Up {
    berth: Option<Running>,
    block: PathBuf,
}

impl Up {
    fn start(env: &TestEnv, name: &str, opts: &[&str]) -> Up {
        let dir = env.path(&format!("sync-{name}"));
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777))
            .unwrap();
        for n in ["ready", "block"] {
            let st = Command::new("mkfifo")
                .args(["-m", "666"])
                .arg(dir.join(n))
                .status()
                .unwrap();
            assert!(st.success(), "mkfifo {n}");
        }
        let mut cmd = env.berth(&["run", "--network", "none", "--name", name, "-v"]);
        cmd.arg(format!("{}:/s", dir.display())).args(opts).args(&[
            "busybox",
            "sh",
            "-c",
            ": > /s/ready; exec cat /s/block",
        ]);
        let berth = cmd.spawn();
        wait_closed(&dir.join("ready"));
        Up {
            berth: Some(berth),
            block: dir.join("block"),
        }
    }

    /// Lets the container's `cat` see end of file: it exits 0.
    fn finish(mut self) {
        drop(
            std::fs::OpenOptions::new()
                .write(true)
                .open(&self.block)
                .unwrap(),
        );
        let out = self.berth.take().unwrap().wait();
        assert_ok(&out);
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        // A failed test: berth's end takes the container along (pdeathsig).
        if let Some(b) = self.berth.take() {
            let _ = Command::new("kill")
                .args(["-KILL", &b.pid().to_string()])
                .status();
            let _ = b.wait();
        }
    }
}

/// Blocks until a writer has opened and closed `fifo`.
fn wait_closed(fifo: &Path) {
    let (tx, rx) = std::sync::mpsc::channel();
    let fifo = fifo.to_path_buf();
    std::thread::spawn(move || {
        let mut s = String::new();
        let r = std::fs::File::open(&fifo).and_then(|mut f| f.read_to_string(&mut s));
        let _ = tx.send(r);
    });
    rx.recv_timeout(Duration::from_secs(300))
        .expect("the container never became ready")
        .expect("reading the ready fifo");
}

fn ps_json(env: &TestEnv, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["ps", "--format", "json"];
    all.extend_from_slice(args);
    let out = env.berth(&all).run();
    assert_ok(&out);
    out.json().as_array().expect("an array").clone()
}

fn by_name<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter()
        .find(|c| c["Names"][0] == name)
        .unwrap_or_else(|| panic!("no `{name}` in {list:#?}"))
}

/// An exited container `done` (code 3), then a running `up` labelled k=v.
fn scene(env: &TestEnv) -> Up {
    env.import_busybox();
    let out = env
        .berth(&[
            "run",
            "--network",
            "none",
            "--name",
            "done",
            "busybox",
            "sh",
            "-c",
            "exit 3",
        ])
        .run();
    assert_eq!(out.code(), Some(3), "{}", out.stderr());
    Up::start(env, "up", &["--label", "k=v", "--label", "tier=web"])
}

berthtest!(
    ps_format_json_lists_running_and_exited_containers_as_podman,
    |env| {
        let up = scene(&env);
        let all = ps_json(&env, &["-a"]);
        assert_eq!(all.len(), 2, "{all:#?}");
        let (u, d) = (by_name(&all, "up"), by_name(&all, "done"));
        assert_eq!(
            (u["State"].as_str(), u["ExitCode"].as_i64()),
            (Some("running"), Some(0))
        );
        assert_eq!(u["Exited"], false);
        let pid = u["Pid"].as_u64().expect("a pid");
        assert!(Path::new(&format!("/proc/{pid}")).exists(), "pid {pid}");
        assert!(u["Status"].as_str().unwrap().starts_with("Up "), "{u:#}");
        assert_eq!(u["Labels"]["k"], "v");
        assert_eq!(u["Image"], "busybox");
        assert_eq!(
            u["Command"],
            serde_json::json!(["sh", "-c", ": > /s/ready; exec cat /s/block"])
        );
        assert_eq!(u["Id"].as_str().map(str::len), Some(64));
        assert!(u["Created"].as_i64().is_some_and(|t| t > 1_600_000_000));
        assert_eq!(
            (d["State"].as_str(), d["ExitCode"].as_i64()),
            (Some("exited"), Some(3))
        );
        assert_eq!(
            (d["Exited"].as_bool(), d["Pid"].as_i64()),
            (Some(true), Some(0))
        );
        assert!(
            d["Status"].as_str().unwrap().starts_with("Exited (3) "),
            "{d:#}"
        );
        // Without -a, the running one only.
        let running = ps_json(&env, &[]);
        assert_eq!(running.len(), 1);
        assert_eq!(running[0]["Names"][0], "up");

        // inspect of the running container: its pid, its labels.
        let pid_text = env.berth(&["inspect", "-f", "{{.State.Pid}}", "up"]).ok();
        assert_eq!(pid_text, format!("{pid}\n"));
        let v = env.berth(&["inspect", "up"]).run().json();
        let c = &v[0];
        assert_eq!(
            (c["Name"].as_str(), c["State"]["Running"].as_bool()),
            (Some("up"), Some(true))
        );
        assert_eq!(c["State"]["Status"], "running");
        assert_eq!(c["Config"]["Labels"]["tier"], "web");
        assert_eq!(c["Id"], u["Id"]);
        assert_eq!(c["ImageName"], "busybox");
        let s = env
            .berth(&[
                "inspect",
                "--format",
                "{{.Name}} {{json .Config.Labels}}",
                "up",
                "done",
            ])
            .ok();
        assert_eq!(s, "up {\"k\":\"v\",\"tier\":\"web\"}\ndone {}\n");
        let d = &env
            .berth(&["inspect", "--type", "container", "done"])
            .run()
            .json()[0];
        assert_eq!(
            (
                d["State"]["ExitCode"].as_i64(),
                d["State"]["Running"].as_bool()
            ),
            (Some(3), Some(false))
        );
        assert_fails_125(
            &env.berth(&["inspect", "--type", "image", "up"]).run(),
            "`up`",
        );
        // Not a container: the image.
        let img = env.berth(&["inspect", "busybox"]).run().json();
        assert!(img[0]["RepoTags"].is_array(), "{img:#}");

        up.finish();
        let u = by_name(&ps_json(&env, &["-a"]), "up").clone();
        assert_eq!(
            (u["State"].as_str(), u["ExitCode"].as_i64()),
            (Some("exited"), Some(0))
        );
        assert!(
            u["Status"].as_str().unwrap().starts_with("Exited (0) "),
            "{u:#}"
        );
    }
);

berthtest!(ps_templates_render_as_podmans, |env| {
    let up = scene(&env);
    let id = by_name(&ps_json(&env, &[]), "up")["Id"]
        .as_str()
        .unwrap()
        .to_string();
    // Newest first.
    eqnice!(
        "up\ndone\n",
        env.berth(&["ps", "-a", "--format", "{{.Names}}"]).ok()
    );
    let table = env
        .berth(&["ps", "--format", r"table {{.ID}}\t{{.Status}}"])
        .ok();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "CONTAINER ID  STATUS", "{table}");
    assert!(
        lines[1].starts_with(&format!("{}  Up ", &id[..12])),
        "{table}"
    );
    assert_eq!(lines.len(), 2, "{table}");
    eqnice!(
        "v\n",
        env.berth(&["ps", "--format", r#"{{index .Labels "k"}}"#])
            .ok()
    );
    eqnice!(
        "map[k:v tier:web]\n",
        env.berth(&["ps", "--format", "{{.Labels}}"]).ok()
    );
    let all: Value =
        serde_json::from_str(&env.berth(&["ps", "--format", "{{json .}}"]).ok()).unwrap();
    assert_eq!(all["Id"], id.as_str());
    let default = env.berth(&["ps", "-a"]).ok();
    assert!(
        default.starts_with("CONTAINER ID  IMAGE       COMMAND  "),
        "{default}"
    );
    assert!(
        default.lines().nth(1).unwrap().ends_with(" up"),
        "{default}"
    );
    assert!(default.contains(" Exited (3) "), "{default}");
    up.finish();
});

berthtest!(ps_filters_quiet_latest_and_last, |env| {
    let up = scene(&env);
    let all = ps_json(&env, &["-a"]);
    let short = |n: &str| by_name(&all, n)["Id"].as_str().unwrap()[..12].to_string();
    let (u, d) = (short("up"), short("done"));
    let q = |args: &[&str]| {
        let mut a = vec!["ps", "-q"];
        a.extend_from_slice(args);
        env.berth(&a).ok()
    };
    eqnice!(format!("{u}\n"), q(&[]));
    eqnice!(format!("{u}\n{d}\n"), q(&["-a"]));
    eqnice!(format!("{d}\n"), q(&["-a", "--filter", "status=exited"]));
    // The same key ORs, different keys AND.
    eqnice!(
        format!("{u}\n{d}\n"),
        q(&["-a", "-f", "status=exited", "-f", "status=running"])
    );
    eqnice!("", q(&["-a", "-f", "status=exited", "-f", "name=up"]));
    eqnice!(format!("{u}\n"), q(&["-a", "-f", "label=k=v"]));
    eqnice!(format!("{u}\n"), q(&["-a", "-f", "label=tier"]));
    eqnice!("", q(&["-a", "-f", "label=k=other"]));
    eqnice!(format!("{u}\n{d}\n"), q(&["-a", "-f", "ancestor=busybox"]));
    eqnice!(format!("{d}\n"), q(&["-a", "-f", "exited=3"]));
    eqnice!(
        format!("{d}\n"),
        q(&["-a", "-f", &format!("id={}", &d[..6])])
    );
    eqnice!(format!("{u}\n"), q(&["-l"]));
    eqnice!(format!("{u}\n{d}\n"), q(&["-n", "2"]));
    eqnice!(format!("{u}\n"), q(&["-n", "1"]));
    let full = env.berth(&["ps", "-q", "--no-trunc"]).ok();
    assert_eq!(full.trim().len(), 64, "{full}");
    assert_fails_125(&env.berth(&["ps", "-f", "colour=red"]).run(), "colour=red");
    assert_fails_125(
        &env.berth(&["ps", "-f", "status=gone"]).run(),
        "status=gone",
    );
    up.finish();
});

berthtest!(an_unknown_template_field_fails_125_naming_it, |env| {
    env.import_busybox();
    env.berth(&["run", "--network", "none", "--name", "c", "busybox", "true"])
        .ok();
    let out = env.berth(&["ps", "-a", "--format", "{{.Nope}}"]).run();
    assert_fails_125(&out, "can't evaluate field Nope");
    assert_eq!(out.stdout(), "");
    let out = env.berth(&["inspect", "-f", "{{.State.Nope}}", "c"]).run();
    assert_fails_125(&out, "can't evaluate field Nope");
    let out = env.berth(&["images", "--format", "{{.Nope}}"]).run();
    assert_fails_125(&out, "can't evaluate field Nope");
    // A template berth cannot read fails before anything is listed.
    let out = env.berth(&["ps", "--format", "{{range .}}{{end}}"]).run();
    assert_fails_125(&out, "`range` is not supported");
});

berthtest!(images_format_renders_templates, |env| {
    let id = env.import_busybox();
    let out = env
        .berth(&["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"])
        .ok();
    let short = id.trim_start_matches("sha256:")[..12].to_string();
    eqnice!(format!("docker.io/library/busybox:latest {short}\n"), out);
    let table = env
        .berth(&["images", "--format", r"table {{.Repository}}\t{{.ID}}"])
        .ok();
    assert!(
        table.starts_with("REPOSITORY                 IMAGE ID\n"),
        "{table}"
    );
    let json = env.berth(&["images", "--format", "json"]).run().json();
    assert!(json[0]["Id"].is_string());
});
