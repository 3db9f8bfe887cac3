//! Named volumes: a fresh volume on /etc does not receive berth's generated
//! files.

use crate::util::assert_ok;

// A fresh volume on /etc is filled from the image's /etc; berth's generated
// hostname, hosts and resolv.conf (bound over the image's /etc) never land
// in it.
berthtest!(
    a_fresh_volume_on_etc_gets_the_images_etc_and_not_berths_files,
    |env| {
        env.import_busybox();
        let image_etc = env
            .berth(&["run", "--rm", "busybox", "sh", "-c", "ls -A /etc"])
            .ok();
        let out = env
            .berth(&["run", "--rm", "-v", "etc:/etc", "busybox", "true"])
            .run();
        assert_ok(&out);
        let inside = crate::util::list_dir(&env.root.join("volumes/etc/_data"));
        let mut image: Vec<String> = image_etc
            .split_whitespace()
            .filter(|n| !["hostname", "hosts", "resolv.conf"].contains(n))
            .map(str::to_string)
            .collect();
        image.sort();
        eqnice!(image.join("\n"), inside.join("\n"));
        // Used again (no longer empty): still nothing of berth's made in it.
        let out = env
            .berth(&["run", "--rm", "-v", "etc:/etc", "busybox", "true"])
            .run();
        assert_ok(&out);
        let again = crate::util::list_dir(&env.root.join("volumes/etc/_data"));
        eqnice!(inside.join("\n"), again.join("\n"));
    }
);

// A volume somewhere else still sees berth's /etc files on top of the image.
berthtest!(
    a_volume_beside_etc_leaves_berths_etc_files_in_place,
    |env| {
        env.import_busybox();
        let out = env
            .berth(&[
                "run",
                "--rm",
                "--hostname",
                "hn",
                "-v",
                "d:/data",
                "busybox",
                "cat",
                "/etc/hostname",
            ])
            .run();
        assert_ok(&out);
        eqnice!("hn\n", out.stdout());
    }
);
