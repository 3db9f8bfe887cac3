//! Healthchecks run by the container's monitor: status in `ps` and
//! `inspect`, `--health-on-failure`, `berth healthcheck run` (issue 12).
//! Waiting is on the event log (`events -f`), never on a timer.

use crate::events::Follower;
use crate::util::{TestEnv, assert_fails_125};

fn run_d(env: &TestEnv, args: &[&str]) -> String {
    let mut all = vec!["run", "-d", "--network", "none"];
    all.extend_from_slice(args);
    env.berth(&all).ok().trim().to_string()
}

fn inspect(env: &TestEnv, name: &str) -> serde_json::Value {
    env.berth(&["inspect", name]).run().json()[0].clone()
}

berthtest!(
    a_passing_check_makes_the_container_healthy_in_ps_and_inspect,
    |env| {
        env.import_busybox();
        run_d(
            &env,
            &[
                "--name",
                "ok",
                "--health-cmd",
                "echo fine",
                "--health-interval",
                "300ms",
                "busybox",
                "sleep",
                "300",
            ],
        );
        let f = Follower::start(&env, &["--filter", "container=ok"]);
        f.until("health_status", Some("healthy"));
        let ps = env
            .berth(&["ps", "--format", "{{.Names}} {{.Status}}"])
            .ok();
        assert!(
            ps.starts_with("ok Up ") && ps.trim_end().ends_with("(healthy)"),
            "{ps}"
        );
        let healthy = env.berth(&["ps", "-q", "--filter", "health=healthy"]).ok();
        assert_eq!(healthy.lines().count(), 1, "{healthy}");
        let state = &inspect(&env, "ok")["State"];
        assert_eq!(state["Health"]["Status"], "healthy", "{state:#}");
        assert_eq!(state["Health"]["FailingStreak"], 0);
        let log = state["Health"]["Log"].as_array().unwrap();
        assert!(!log.is_empty() && log.len() <= 5, "{log:#?}");
        assert_eq!(log[0]["ExitCode"], 0);
        assert_eq!(log[0]["Output"], "fine\n");
        assert_eq!(state["Healthcheck"], state["Health"]);
        let run = env.berth(&["healthcheck", "run", "ok"]).run();
        assert_eq!(run.code(), Some(0), "{}", run.stderr());
        env.berth(&["rm", "-f", "ok"]).ok();
    }
);

berthtest!(
    a_failing_check_turns_unhealthy_after_the_retries_and_restart_restarts_it,
    |env| {
        env.import_busybox();
        let id = run_d(
            &env,
            &[
                "--name",
                "bad",
                "--health-cmd",
                "echo nope; exit 2",
                "--health-interval",
                "300ms",
                "--health-retries",
                "2",
                "--health-on-failure",
                "restart",
                "busybox",
                "sleep",
                "300",
            ],
        );
        let f = Follower::start(&env, &["--filter", "container=bad"]);
        f.until("health_status", Some("unhealthy"));
        let died = f.until("died", None);
        assert_eq!(died["ContainerExitCode"], 137, "{died:#}");
        f.until("start", None);
        let rec = inspect(&env, &id);
        assert!(rec["RestartCount"].as_u64().unwrap() >= 1, "{rec:#}");
        assert_eq!(rec["State"]["Status"], "running", "{rec:#}");
        // Each run starts over.
        let again = f.until("health_status", Some("unhealthy"));
        assert_eq!(again["ID"], id.as_str());
        env.berth(&["rm", "-f", "bad"]).ok();
    }
);

berthtest!(
    healthcheck_run_exits_1_when_unhealthy_and_times_a_check_out,
    |env| {
        env.import_busybox();
        run_d(
            &env,
            &[
                "--name",
                "hc",
                "--health-cmd",
                "sleep 100",
                "--health-timeout",
                "200ms",
                "--health-retries",
                "1",
                "--health-interval",
                "1h",
                "busybox",
                "sleep",
                "300",
            ],
        );
        let run = env.berth(&["healthcheck", "run", "hc"]).run();
        assert_eq!(run.code(), Some(1), "{}", run.stderr());
        assert_eq!(run.stdout(), "unhealthy\n");
        let h = &inspect(&env, "hc")["State"]["Health"];
        assert_eq!(h["Status"], "unhealthy", "{h:#}");
        assert_eq!(h["FailingStreak"], 1);
        assert!(
            h["Log"][0]["Output"]
                .as_str()
                .unwrap()
                .contains("timed out"),
            "{h:#}"
        );
        run_d(&env, &["--name", "plain", "busybox", "sleep", "300"]);
        assert_fails_125(
            &env.berth(&["healthcheck", "run", "plain"]).run(),
            "has no healthcheck",
        );
        env.berth(&["rm", "-f", "hc", "plain"]).ok();
    }
);

berthtest!(
    bad_health_flags_are_refused_before_anything_is_made,
    |env| {
        env.import_busybox();
        let out = env
            .berth(&["create", "--health-interval", "soon", "busybox"])
            .run();
        assert_fails_125(&out, "--health-interval");
        let out = env
            .berth(&["create", "--health-on-failure", "explode", "busybox"])
            .run();
        assert_fails_125(&out, "--health-on-failure");
        assert_eq!(env.berth(&["ps", "-a", "-q"]).ok(), "");
    }
);

// A check that prints without end must not take memory until its timeout:
// its output stops at the 4 KiB kept, and the check ends there.
berthtest!(
    a_check_that_prints_without_end_is_cut_at_the_kept_output,
    |env| {
        env.import_busybox();
        run_d(
            &env,
            &[
                "--name",
                "loud",
                "--health-cmd",
                "yes",
                "--health-timeout",
                "60s",
                "--health-retries",
                "1",
                "--health-interval",
                "1h",
                "busybox",
                "sleep",
                "300",
            ],
        );
        let run = env.berth(&["healthcheck", "run", "loud"]).run();
        assert_eq!(run.code(), Some(1), "{}", run.stderr());
        let h = &inspect(&env, "loud")["State"]["Health"];
        let out = h["Log"][0]["Output"].as_str().unwrap();
        assert_eq!(out.len(), 4096, "{h:#}");
        assert!(out.starts_with("y\ny\n"), "{h:#}");
        assert!(!out.contains("timed out"), "ended at the bound: {h:#}");
        env.berth(&["rm", "-f", "loud"]).ok();
    }
);
