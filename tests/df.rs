//! `berth system df` and image sizes: every byte counted with the access it
//! needs (directories only container ids may read included), an item that
//! cannot be counted shown as such, and one size per image id however the
//! image came.

use crate::util::{self, TestEnv, assert_ok};

/// The busybox tar plus `/partial/`, 0700 and owned by 1000:1000 as Debian's
/// `var/cache/apt/archives/partial` is by `_apt`, holding 200 kB.
fn busybox_with_private_dir() -> Vec<u8> {
    let mut b = util::busybox_tar_builder();
    let mut h = tar::Header::new_ustar();
    h.set_uid(1000);
    h.set_gid(1000);
    h.set_mtime(util::FIXED_MTIME);
    h.set_entry_type(tar::EntryType::Directory);
    h.set_mode(0o700);
    h.set_size(0);
    b.append_data(&mut h, "partial/", std::io::empty()).unwrap();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mode(0o600);
    h.set_size(200_000);
    b.append_data(&mut h, "partial/big", &vec![7u8; 200_000][..])
        .unwrap();
    b.into_inner().unwrap()
}

fn df_rows(env: &TestEnv) -> Vec<serde_json::Value> {
    let out = env.berth(&["system", "df", "--format", "json"]).run();
    assert_ok(&out);
    assert!(!out.stderr().contains("not counted"), "{}", out.stderr());
    out.json().as_array().unwrap().clone()
}

fn row<'a>(rows: &'a [serde_json::Value], kind: &str) -> &'a serde_json::Value {
    rows.iter()
        .find(|r| r["Type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} row in {rows:?}"))
}

// With a subordinate range the 0700 directories below belong to a container
// id the user cannot read; without one they are the user's own. Either way
// every byte is counted, and nothing is an error turned into 0.
berthtest!(
    system_df_counts_unreadable_dirs_of_layers_containers_and_volumes,
    |env| {
        let tar = env.write("private.tar", busybox_with_private_dir());
        let id = env.import(&tar, "localhost/private", &[]);
        let out = env
            .berth(&[
                "run",
                "--name",
                "c1",
                "-v",
                "vol:/data",
                "localhost/private",
                "sh",
                "-c",
                "for d in /p /data/p; do mkdir $d && head -c 300000 /dev/zero > $d/f && \
             { chown -R 1000:1000 $d 2>/dev/null; chmod 700 $d; }; done",
            ])
            .run();
        assert_ok(&out);

        let rows = df_rows(&env);
        let images = row(&rows, "Images");
        assert_eq!(images["Total"], 1);
        assert_eq!(images["Active"], 1);
        assert_eq!(images["Uncounted"], 0);
        let image_size = env.inspect(&id)["Size"].as_u64().unwrap();
        assert_eq!(images["RawSize"].as_u64().unwrap(), image_size);
        assert!(image_size > 1_000_000 + 200_000, "{image_size}");

        let containers = row(&rows, "Containers");
        assert_eq!(
            (containers["Total"].clone(), containers["Active"].clone()),
            (1.into(), 0.into())
        );
        assert_eq!(containers["Uncounted"], 0);
        let size = containers["RawSize"].as_u64().unwrap();
        assert!(size >= 300_000, "the upper dir's file counted: {size}");
        assert_eq!(containers["RawReclaimable"].as_u64().unwrap(), size);

        let volumes = row(&rows, "Local Volumes");
        assert_eq!(
            (volumes["Total"].clone(), volumes["Active"].clone()),
            (1.into(), 1.into())
        );
        assert_eq!(volumes["Uncounted"], 0);
        assert!(volumes["RawSize"].as_u64().unwrap() >= 300_000, "{volumes}");

        // The table says the same, in podman's columns.
        let out = env.berth(&["system", "df"]).run();
        assert_ok(&out);
        let lines: Vec<&str> = out.stdout().lines().collect();
        let cols: Vec<&str> = lines[0].split_whitespace().collect();
        assert_eq!(cols, ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]);
        assert!(lines[1].starts_with("Images "), "{}", out.stdout());
        assert!(!out.stdout().contains("uncounted"), "{}", out.stdout());
        let out = env.berth(&["system", "df", "-v"]).run();
        assert_ok(&out);
        assert!(
            out.stdout().contains("Local Volumes space usage:"),
            "{}",
            out.stdout()
        );
        assert!(out.stdout().contains("\nvol "), "{}", out.stdout());
        eqnice!(
            "Images 1\nContainers 1\nLocal Volumes 1\nBuild Cache 0\n",
            env.berth(&["system", "df", "--format", "{{.Type}} {{.Total}}"])
                .ok()
        );
    }
);

// The same image id from a docker-archive (layers stored as plain tars) and
// from an oci-archive with gzipped layers (as skopeo writes it) has one
// size: the layers uncompressed plus the config, as podman shows.
berthtest!(images_size_is_the_same_for_both_archive_formats, |env| {
    if !util::tool_or_skip("skopeo") {
        return;
    }
    let id = env.import_busybox();
    let docker = env.path("d.tar");
    assert_ok(
        &env.berth(&["save", "-o", docker.to_str().unwrap(), "busybox"])
            .run(),
    );
    let oci = env.path("o.tar");
    let out = util::Cmd::new("skopeo")
        .args(&[
            "copy".to_string(),
            "-q".to_string(),
            format!("docker-archive:{}", docker.display()),
            format!("oci-archive:{}:busybox:latest", oci.display()),
        ])
        .run();
    assert_ok(&out);
    let sizes: Vec<(String, u64)> = [&docker, &oci]
        .iter()
        .map(|archive| {
            let other = TestEnv::new("images_size_archive");
            assert_ok(
                &other
                    .berth(&["load", "-i", archive.to_str().unwrap()])
                    .run(),
            );
            let listed = other.berth(&["images", "--format", "{{.Size}}"]).ok();
            let inspected = other.inspect(&id)["Size"].as_u64().unwrap();
            (listed, inspected)
        })
        .collect();
    assert_eq!(sizes[0], sizes[1], "docker-archive vs oci-archive");
    assert_eq!(sizes[0].1, env.inspect(&id)["Size"].as_u64().unwrap());
});
