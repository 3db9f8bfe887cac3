#!/usr/bin/env bash
# bench/store.sh: berth's store against podman and against the floor.
#
#   bash bench/store.sh            # as root: makes user berthbench, reruns as it
#   BERTH_BIN=… bash bench/store.sh  # as any user with podman set up
#
# A ~200 MB image (busybox plus 100 MB of incompressible and 100 MB of
# compressible files) is imported, saved and loaded by berth; podman imports,
# saves and loads the same tar and archive as the same unprivileged user, with
# a private rootless config (../shared/PEERS.md). The floor is what any store
# must at least spend on those bytes: sha256sum + gzip -1 of the same tar.
# Each figure is the median of 3 runs (wall clock, warm page cache); berth's
# time is printed as a ratio to podman's and to the floor.
# Targets (issue 3): ≤ 0.5× podman and ≤ 1.5× the floor.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=.ci/lib.sh
source "$HERE/.ci/lib.sh"
RUNS=${RUNS:-3}
MB_RANDOM=${MB_RANDOM:-100}
MB_TEXT=${MB_TEXT:-100}

if [ "$(id -u)" = 0 ]; then
  bench_as_user store RUNS="$RUNS" MB_RANDOM="$MB_RANDOM" MB_TEXT="$MB_TEXT"
fi

BERTH=${BERTH_BIN:-$HERE/target/release/berth}
[ -x "$BERTH" ] || { echo "no berth binary at $BERTH (cargo build --release, or set BERTH_BIN)" >&2; exit 1; }
command -v podman >/dev/null || { echo "podman is not installed" >&2; exit 1; }

W=$(mktemp -d /tmp/berth-bench.XXXXXX)
PEER=$W/peer
private_peer "$PEER" "$W"
podman_() { "${PEER_ENV[@]}" podman "$@"; }
berth_() { "$BERTH" --root "$W/root" "$@"; }
cleanup() {
  podman_ system reset -f >/dev/null 2>&1 || true
  if [ -f "$PEER/run/libpod/tmp/pause.pid" ]; then
    kill "$(cat "$PEER/run/libpod/tmp/pause.pid")" 2>/dev/null || true
  fi
  "$BERTH" --root "$W/root" system reset -f >/dev/null 2>&1 || true
  rm -rf "$W" 2>/dev/null || true
}
trap cleanup EXIT

say "making the image: busybox + ${MB_RANDOM} MB random + ${MB_TEXT} MB text"
extra=$W/extra
mkdir -p "$extra/data/random" "$extra/data/text"
for i in $(seq 1 $((MB_RANDOM / 10))); do
  head -c 10M /dev/urandom >"$extra/data/random/blob$i.bin"
done
for i in $(seq 1 $((MB_TEXT / 10))); do
  # seq dies of SIGPIPE when head has enough; that is the point.
  { seq -f "line %g of a compressible log file, file $i, and some padding text" 1 200000 || true; } |
    head -c 10M >"$extra/data/text/log$i.txt"
done
make_busybox_tar "$W/image.tar" "$extra"
rm -rf "$extra"
SIZE_MB=$(($(stat -c %s "$W/image.tar") / 1000000))

# measure PREPARE CMD: median wall time of CMD in ms over $RUNS runs; PREPARE
# runs untimed before each.
measure() {
  local prepare=$1 cmd=$2 i t0 t1 times=()
  for i in $(seq 1 "$RUNS"); do
    eval "$prepare" >/dev/null 2>&1 || true
    t0=$(date +%s%N)
    eval "$cmd" >/dev/null
    t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

say "floor: sha256sum + gzip -1 of the image tar"
FLOOR_TAR=$(measure : "sha256sum '$W/image.tar' && gzip -1 -c '$W/image.tar' >/dev/null")

say "import"
B_IMPORT=$(measure "berth_ system reset -f" "berth_ import '$W/image.tar' localhost/bench")
P_IMPORT=$(measure "podman_ rmi -af" "podman_ import -q '$W/image.tar' localhost/bench")

say "save (docker-archive)"
berth_ system reset -f >/dev/null 2>&1 || true
berth_ import "$W/image.tar" localhost/bench >/dev/null
podman_ rmi -af >/dev/null 2>&1 || true
podman_ import -q "$W/image.tar" localhost/bench >/dev/null
B_SAVE=$(measure "rm -f '$W/b-save.tar'" "berth_ save -o '$W/b-save.tar' localhost/bench")
P_SAVE=$(measure "rm -f '$W/p-save.tar'" "podman_ save -q --format docker-archive -o '$W/p-save.tar' localhost/bench")

say "load (podman's docker-archive, the same archive for both)"
ARCHIVE=$W/p-save.tar
FLOOR_ARCHIVE=$(measure : "sha256sum '$ARCHIVE' && gzip -1 -c '$ARCHIVE' >/dev/null")
B_LOAD=$(measure "berth_ system reset -f" "berth_ load -i '$ARCHIVE'")
P_LOAD=$(measure "podman_ rmi -af" "podman_ load -q -i '$ARCHIVE'")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "n/a" }'; }
echo
echo "berth store benchmark: ${SIZE_MB} MB image, median of $RUNS runs, $(nproc) cores, $(date -u +%Y-%m-%d)"
printf '%-8s %10s %10s %10s %12s %12s\n' op "berth ms" "podman ms" "floor ms" "vs podman" "vs floor"
printf '%-8s %10s %10s %10s %12s %12s\n' import "$B_IMPORT" "$P_IMPORT" "$FLOOR_TAR" "$(ratio "$B_IMPORT" "$P_IMPORT")" "$(ratio "$B_IMPORT" "$FLOOR_TAR")"
printf '%-8s %10s %10s %10s %12s %12s\n' save "$B_SAVE" "$P_SAVE" "$FLOOR_TAR" "$(ratio "$B_SAVE" "$P_SAVE")" "$(ratio "$B_SAVE" "$FLOOR_TAR")"
printf '%-8s %10s %10s %10s %12s %12s\n' load "$B_LOAD" "$P_LOAD" "$FLOOR_ARCHIVE" "$(ratio "$B_LOAD" "$P_LOAD")" "$(ratio "$B_LOAD" "$FLOOR_ARCHIVE")"
echo "targets: ≤ 0.50× podman, ≤ 1.50× floor (floor = sha256sum + gzip -1 of the same bytes)"
