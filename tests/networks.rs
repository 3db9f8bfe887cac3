//! `berth network ls|inspect|exists`: the fixed networks berth offers, in
//! podman's shapes, each one `--network` takes (issue 12).

use crate::util::assert_ok;

berthtest!(network_ls_lists_what_network_takes, |env| {
    env.import_busybox();
    let names = env.berth(&["network", "ls", "-q"]).ok();
    assert_eq!(names, "private\nhost\nnone\n");
    for n in names.lines() {
        let out = env
            .berth(&["run", "--rm", "--network", n, "busybox", "true"])
            .run();
        assert_ok(&out);
    }
    let table = env.berth(&["network", "ls"]).ok();
    assert!(
        table.starts_with("NETWORK ID    NAME     DRIVER\n"),
        "{table}"
    );
    assert!(table.contains("  private  pasta\n"), "{table}");
    let tmpl = env
        .berth(&[
            "network",
            "ls",
            "--filter",
            "driver=null",
            "--format",
            "{{.Name}} {{.ID}}",
        ])
        .ok();
    let id = env
        .berth(&["network", "inspect", "--format", "{{.id}}", "none"])
        .ok();
    assert_eq!(tmpl, format!("none {id}"));
    let json = env.berth(&["network", "ls", "--format", "json"]).run();
    assert_ok(&json);
    let v = json.json();
    assert_eq!(v[2]["name"], "none", "{v:#}");
    assert_eq!(v[2]["internal"], true, "{v:#}");
});

berthtest!(network_exists_answers_by_exit_code, |env| {
    assert_eq!(
        env.berth(&["network", "exists", "host"]).run().code(),
        Some(0)
    );
    // podman's name for the default bridge is one of berth's aliases.
    assert_eq!(
        env.berth(&["network", "exists", "bridge"]).run().code(),
        Some(0)
    );
    assert_eq!(
        env.berth(&["network", "exists", "lan"]).run().code(),
        Some(1)
    );
    let out = env.berth(&["network", "inspect", "lan"]).run();
    crate::util::assert_fails_125(&out, "no such network `lan`");
});
