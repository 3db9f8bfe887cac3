//! `berth export`: the flattened root of a container as a tar that
//! `berth import` and `podman import` take.

use crate::util::peer::Peer;
use crate::util::{TestEnv, assert_fails_125, assert_ok, tar_names, tool_or_skip};
use std::collections::BTreeMap;

/// A stopped container `c` that added, changed and deleted files.
fn changed(env: &TestEnv) {
    env.import_busybox();
    let script = "mkdir -p /app && echo new > /app/f && chmod 4750 /app/f \
                  && echo changed > /etc/passwd && rm /etc/group && mknod /app/p p";
    env.berth(&["run", "--name", "c", "busybox", "sh", "-c", script])
        .ok();
}

/// name → (mode, uid, gid, size) of every entry.
fn entries(tar: &[u8]) -> BTreeMap<String, (u32, u64, u64, u64)> {
    let mut ar = tar::Archive::new(tar);
    ar.entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let h = e.header();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let name = name.trim_end_matches('/').to_string();
            (
                name,
                (
                    h.mode().unwrap(),
                    h.uid().unwrap(),
                    h.gid().unwrap(),
                    h.size().unwrap(),
                ),
            )
        })
        .collect()
}

berthtest!(export_is_the_containers_view_without_whiteouts, |env| {
    changed(&env);
    let out = env.berth(&["export", "c"]).run();
    assert_ok(&out);
    let names = tar_names(&out.stdout);
    assert!(names.iter().all(|n| !n.contains(".wh.")), "{names:?}");
    let e = entries(&out.stdout);
    assert!(!e.contains_key("etc/group"));
    assert_eq!(e["app/f"], (0o4750, 0, 0, 4));
    assert_eq!(e["etc/passwd"].3, 8);
    assert_eq!(e["root"].0, 0o700);
    assert_eq!(e["tmp"].0, 0o1777);
    assert!(e.contains_key("bin/busybox") && e.contains_key("app/p"));
    // The same bytes twice.
    let again = env.berth(&["export", "c"]).run();
    assert!(again.stdout == out.stdout);
});

berthtest!(export_round_trips_through_berth_import, |env| {
    changed(&env);
    let file = env.path("c.tar");
    env.berth(&["export", "-o", file.to_str().unwrap(), "c"])
        .ok();
    let first = std::fs::read(&file).unwrap();
    env.import(&file, "again", &[]);
    env.berth(&["run", "--name", "d", "again", "true"]).run();
    let out = env.berth(&["export", "d"]).run();
    assert_ok(&out);
    let (a, b) = (entries(&first), entries(&out.stdout));
    // The second container's runtime adds the same mount points; nothing
    // else differs.
    assert_eq!(a, b);
});

berthtest!(export_of_an_unknown_container_fails, |env| {
    let out = env.berth(&["export", "nosuch"]).run();
    assert_fails_125(&out, "no such container");
});

berthtest!(export_is_taken_by_podman_import, |env| {
    if !tool_or_skip("podman") {
        return;
    }
    changed(&env);
    let file = env.path("c.tar");
    env.berth(&["export", "-o", file.to_str().unwrap(), "c"])
        .ok();
    let peer = Peer::new(&env);
    let out = peer
        .podman(&["import", "-q", file.to_str().unwrap(), "localhost/exported"])
        .run();
    assert_ok(&out);
    let img = peer.podman_inspect("localhost/exported");
    assert_eq!(img["RootFS"]["Layers"].as_array().unwrap().len(), 1);
    // podman stored exactly what berth exported (podman's tar is its own,
    // but its diffID is the sha256 of the tar it unpacked: same content).
    let saved = peer.dir().join("saved.tar");
    peer.podman(&["save", "-o", saved.to_str().unwrap(), "localhost/exported"])
        .ok();
    assert!(std::fs::metadata(&saved).unwrap().len() > 1_000_000);
});
