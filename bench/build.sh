#!/usr/bin/env bash
# bench/build.sh: `berth build` against `buildah build`, uncached and cached.
#
#   bash bench/build.sh               # as root: makes user berthbench, reruns as it
#   BERTH_BIN=… bash bench/build.sh   # a given binary (default target/release/berth)
#   RUNS=10 WARMUP=1 bash bench/build.sh
#
# One busybox rootfs tar (.ci/lib.sh make_busybox_tar) is imported into berth
# and, rootless with a private config and overlay storage under a temp dir
# (../shared/PEERS.md), into containers-storage with `podman import`, which
# buildah shares: both see a local image busybox. The context is 10 MB of
# random data and this 5-step Dockerfile (no heredocs, no COPY --link: Debian's
# buildah 1.28 has neither):
#   FROM busybox / RUN echo one > /one / COPY data.bin /data.bin /
#   RUN wc -c /data.bin > /size / ENV A=b / CMD ["sh"]
# Timed, each as the median of $RUNS runs (hyperfine -N, after $WARMUP warm-up
# runs; a date +%s%N loop when hyperfine is missing):
#   uncached: berth build --no-cache, and buildah build --no-cache --layers
#     --isolation chroot; before each run (untimed, --prepare) the previous
#     result goes: the tagged image, the layers only it used and berth's build
#     cache (berth rmi + system prune + rm ROOT/cache; buildah rmi + rmi
#     --prune), then sync, so every run starts from the imported busybox alone.
#   cached: the same builds without --no-cache after one that filled the
#     cache; every step must report "Using cache" in both (checked first).
# buildah gets --pull=never (the base is local; berth never pulls in build)
# and --isolation chroot, so neither side starts an OCI runtime for RUN.
# berth's RUN steps get its default, a fresh network namespace with nothing
# in it (none); buildah's chroot isolation only allows the host network, so
# it makes no network namespace (a small advantage to buildah). berth's time
# is printed as a ratio to buildah's.
# Targets (issue 5): cached rebuild ≤ 0.2× buildah, uncached ≤ 0.7× buildah.
#
# As root the measuring half runs as the unprivileged user in a private mount
# namespace without /sys/fs/cgroup/unified, as bench/run.sh does: the result
# check runs the built image with podman, and crun refuses hybrid cgroups.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=.ci/lib.sh
source "$HERE/.ci/lib.sh"
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-1}

if [ "$(id -u)" = 0 ]; then
  bench_as_user build RUNS="$RUNS" WARMUP="$WARMUP"
fi

BERTH=${BERTH_BIN:-$HERE/target/release/berth}
die() { echo "bench/build.sh: $*" >&2; exit 1; }
[ -x "$BERTH" ] || die "no berth binary at $BERTH (cargo build --release, or set BERTH_BIN)"
"$BERTH" build --help 2>/dev/null | grep -q -- '--no-cache' ||
  die "$BERTH has no 'build --no-cache' (a stale build? rebuild it)"
for t in podman buildah; do
  command -v "$t" >/dev/null || die "$t is not installed"
done
[ "$RUNS" -ge 5 ] 2>/dev/null || die "RUNS must be a number ≥ 5"
[ "$WARMUP" -ge 1 ] 2>/dev/null || die "WARMUP must be a number ≥ 1 (the cached case needs a filled cache)"

W=$(mktemp -d /tmp/berth-bench-build.XXXXXX)
chmod 0755 "$W"
PEER=$W/peer
private_peer "$PEER" "$W"
podman_() { "${PEER_ENV[@]}" podman "$@"; }
buildah_() { "${PEER_ENV[@]}" buildah "$@"; }
BROOT=$W/berth-root
berth_() { "$BERTH" --root "$BROOT" "$@"; }
CTX=$W/context
TAG=localhost/bench-build

# peer_pids: the live (not zombie) processes of this user started by our podman.
peer_pids() {
  local d pid
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    [ -O "$d" ] || continue
    grep -qzx "XDG_RUNTIME_DIR=$PEER/run" "$d/environ" 2>/dev/null || continue
    [ "$(awk '$1 == "State:" { print $2 }' "$d/status" 2>/dev/null)" = Z ] && continue
    echo "$pid"
  done
}

cleanup() {
  local p i
  set +e
  podman_ rm -af -t 0 >/dev/null 2>&1
  buildah_ rm -a >/dev/null 2>&1
  podman_ system reset -f >/dev/null 2>&1
  # Whatever reset left (files owned by subuids): only the user namespace of
  # podman/buildah may remove them. This restarts the pause process; killed below.
  podman_ unshare rm -rf "$PEER/home/.local/share/containers" "$PEER/run/containers" \
    "$PEER/run/libpod" "$PEER/run/buildah" >/dev/null 2>&1
  if [ -f "$PEER/run/libpod/tmp/pause.pid" ]; then
    kill "$(cat "$PEER/run/libpod/tmp/pause.pid")" 2>/dev/null
  fi
  # Any other process of this podman (a second pause process) has our
  # private XDG_RUNTIME_DIR: wait for it, then end it.
  for i in $(seq 1 30); do
    p=$(peer_pids)
    [ -z "$p" ] && break
    # shellcheck disable=SC2086
    [ "$i" -ge 20 ] && kill $p 2>/dev/null
    sleep 0.1
  done
  berth_ system reset -f >/dev/null 2>&1
  rm -rf "$W" 2>/dev/null || {
    buildah_ unshare rm -rf "$W" >/dev/null 2>&1
    rm -rf "$W" 2>/dev/null || say "warning: could not remove all of $W"
  }
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# check NAME CMD...: run CMD once and stop with its output if it fails; the
# output stays in $W/check.log.
check() {
  local name=$1
  shift
  if ! "$@" >"$W/check.log" 2>&1; then
    echo "bench/build.sh: $name failed: $*" >&2
    sed 's/^/  /' "$W/check.log" >&2
    exit 1
  fi
}

say "making the busybox image tar"
make_busybox_tar "$W/busybox.tar"

say "importing it into berth and into podman/buildah storage"
check "berth import" berth_ import "$W/busybox.tar" busybox
check "podman import" podman_ import -q "$W/busybox.tar" localhost/busybox
check "buildah sees busybox" buildah_ inspect --type image busybox

say "making the context: 10 MB of random data and a 5-step Dockerfile"
mkdir -p "$CTX"
head -c 10M /dev/urandom >"$CTX/data.bin"
cat >"$CTX/Dockerfile" <<'EOF'
FROM busybox
RUN echo one > /one
COPY data.bin /data.bin
RUN wc -c /data.bin > /size
ENV A=b
CMD ["sh"]
EOF

B_UNCACHED=("$BERTH" --root "$BROOT" build --no-cache -t "$TAG" "$CTX")
B_CACHED=("$BERTH" --root "$BROOT" build -t "$TAG" "$CTX")
P_UNCACHED=("${PEER_ENV[@]}" buildah build --no-cache --layers --isolation chroot --pull=never -t "$TAG" "$CTX")
P_CACHED=("${PEER_ENV[@]}" buildah build --layers --isolation chroot --pull=never -t "$TAG" "$CTX")

# The prepare scripts of the uncached case: drop the previous result (the
# image, the layers only it used, berth's step cache), keep busybox, sync.
q() { printf '%q ' "$@"; }
cat >"$W/prepare-berth.sh" <<EOF
$(q "$BERTH" --root "$BROOT") rmi $(q "$TAG") >/dev/null 2>&1 || true
$(q "$BERTH" --root "$BROOT") system prune >/dev/null 2>&1 || true
rm -rf $(q "$BROOT/cache")
sync
EOF
cat >"$W/prepare-buildah.sh" <<EOF
$(q "${PEER_ENV[@]}") buildah rm -a >/dev/null 2>&1 || true
$(q "${PEER_ENV[@]}") buildah rmi -f $(q "$TAG") >/dev/null 2>&1 || true
$(q "${PEER_ENV[@]}") buildah rmi --prune >/dev/null 2>&1 || true
sync
EOF

say "checking each build once (and that the images are right)"
check "berth build --no-cache" "${B_UNCACHED[@]}"
check "berth run of the result" berth_ run --rm --network none "$TAG" cat /size /one
grep -q '^10485760 /data.bin$' "$W/check.log" && grep -q '^one$' "$W/check.log" ||
  { sed 's/^/  /' "$W/check.log" >&2; die "berth's image has the wrong /size or /one"; }
check "berth build (cached)" "${B_CACHED[@]}"
[ "$(grep -c -- '--> Using cache' "$W/check.log")" -ge 3 ] ||
  { sed 's/^/  /' "$W/check.log" >&2; die "berth's rebuild did not take all three RUN/COPY steps from the cache"; }
check "buildah build --no-cache" "${P_UNCACHED[@]}"
check "podman run of buildah's result" podman_ run --rm --network none "$TAG" cat /size /one
grep -q '^10485760 /data.bin$' "$W/check.log" && grep -q '^one$' "$W/check.log" ||
  { sed 's/^/  /' "$W/check.log" >&2; die "buildah's image has the wrong /size or /one"; }
check "buildah build (cached)" "${P_CACHED[@]}"
[ "$(grep -c -- '--> Using cache' "$W/check.log")" -ge 5 ] ||
  { sed 's/^/  /' "$W/check.log" >&2; die "buildah's rebuild did not take every step from the cache"; }

# measure NAME PREPARE CMD...: median wall time of CMD in ms (one decimal)
# over $RUNS runs after $WARMUP untimed ones; PREPARE (a script) runs untimed
# before each. CMD's words must not contain spaces (hyperfine -N splits its
# command line on them).
measure() {
  local name=$1 prepare=$2 i t0 t1 times=()
  shift 2
  say "timing $name: $RUNS runs"
  if command -v hyperfine >/dev/null; then
    if ! hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" \
      --prepare "bash $prepare" --export-json "$W/$name.json" -- "$*" >"$W/$name.log" 2>&1; then
      echo "bench/build.sh: hyperfine failed on: $*" >&2
      sed 's/^/  /' "$W/$name.log" >&2
      exit 1
    fi
    sed -n 's/^ *"median": *\([0-9.eE+-]*\),*$/\1/p' "$W/$name.json" | head -n 1 |
      awk '{ printf "%.1f\n", $1 * 1000 }'
  else
    for ((i = 0; i < WARMUP; i++)); do bash "$prepare"; "$@" >/dev/null 2>&1; done
    for ((i = 0; i < RUNS; i++)); do
      bash "$prepare"
      t0=$(date +%s%N)
      "$@" >/dev/null 2>&1
      t1=$(date +%s%N)
      times+=($((t1 - t0)))
    done
    printf '%s\n' "${times[@]}" | sort -n |
      awk '{ a[NR] = $1 } END { m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f\n", m / 1e6 }'
  fi
}
printf 'sync\n' >"$W/prepare-sync.sh"

B_UN_MS=$(measure berth-uncached "$W/prepare-berth.sh" "${B_UNCACHED[@]}")
P_UN_MS=$(measure buildah-uncached "$W/prepare-buildah.sh" "${P_UNCACHED[@]}")
# The warm-up run of each refills the cache the uncached prepare emptied.
B_CA_MS=$(measure berth-cached "$W/prepare-sync.sh" "${B_CACHED[@]}")
P_CA_MS=$(measure buildah-cached "$W/prepare-sync.sh" "${P_CACHED[@]}")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "n/a" }'; }
verdict() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { if (b > 0) print (a / b <= t ? "met" : "missed"); else print "n/a" }'; }
hw="$(nproc) cores, load $(cut -d" " -f1-3 /proc/loadavg), $(uname -r), $(date -u +%Y-%m-%d)"
echo
echo "berth build benchmark: median of $RUNS runs ($WARMUP warm-up), $hw"
echo "as $(id -un), rootless; berth: $BERTH ($(($(stat -c %s "$BERTH") / 1024)) KiB); $(buildah_ --version | cut -d' ' -f1-3)"
echo "Dockerfile: FROM busybox; RUN echo one > /one; COPY data.bin (10 MB random); RUN wc -c; ENV; CMD"
echo "buildah: --layers --isolation chroot --pull=never (RUN on the host network); berth: RUN with network none"
printf '%-10s %14s %14s %10s  %s\n' build "berth ms" "buildah ms" "berth is" target
printf '%-10s %14s %14s %11s  %s\n' uncached "$B_UN_MS" "$P_UN_MS" "$(ratio "$B_UN_MS" "$P_UN_MS")" "≤ 0.70×"
printf '%-10s %14s %14s %11s  %s\n' cached "$B_CA_MS" "$P_CA_MS" "$(ratio "$B_CA_MS" "$P_CA_MS")" "≤ 0.20×"
echo "targets: uncached $(verdict "$B_UN_MS" "$P_UN_MS" 0.7), cached $(verdict "$B_CA_MS" "$P_CA_MS" 0.2)"
