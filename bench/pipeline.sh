#!/usr/bin/env bash
# bench/pipeline.sh: bytes through `berth run -i` in a shell pipeline, against
# plain `cat` (the floor) and `podman run -i`.
#
#   bash bench/pipeline.sh                # as root: makes user berthbench, reruns as it
#   BERTH_BIN=… bash bench/pipeline.sh    # a given binary (default target/release/berth)
#   RUNS=5 SIZE_MB=1024 bash bench/pipeline.sh
#
# Each command sits between two pipes, as in a script:
#   head -c SIZE /dev/zero | CMD | wc -c
# with CMD one of
#   busybox cat                                           (the floor)
#   cat                                                   (GNU coreutils)
#   berth run -i --rm --network none busybox cat
#   podman run -i --rm --network none localhost/busybox cat
# The floor is the very cat the image holds (the host's /bin/busybox, which
# .ci/lib.sh make_busybox_tar packs), run without a container: what berth
# adds is what the ratio shows. GNU cat is another program (twice busybox's
# 64 KiB buffer) and is shown beside it, not taken as the floor.
# Its wall time is the median of $RUNS runs, shown as MB/s; berth's
# throughput is a ratio to each (target: ≥ 0.9× the floor, ≥ 1× podman).
# The floor, GNU cat and berth take turns, run by run, so that the
# machine's drift (this 2-core VM's pipelines vary by ±30% from minute to
# minute) falls on all three alike; podman, ~30 s a run, comes after.
# Every run checks that all SIZE bytes came out.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=.ci/lib.sh
source "$HERE/.ci/lib.sh"
RUNS=${RUNS:-5}
SIZE_MB=${SIZE_MB:-1024}

if [ "$(id -u)" = 0 ]; then
  bench_as_user pipeline RUNS="$RUNS" SIZE_MB="$SIZE_MB"
fi

BERTH=${BERTH_BIN:-$HERE/target/release/berth}
die() { echo "bench/pipeline.sh: $*" >&2; exit 1; }
[ -x "$BERTH" ] || die "no berth binary at $BERTH (cargo build --release, or set BERTH_BIN)"
command -v podman >/dev/null || die "podman is not installed"
[ "$RUNS" -ge 1 ] 2>/dev/null || die "RUNS must be a number"
[ "$SIZE_MB" -ge 1 ] 2>/dev/null || die "SIZE_MB must be a number"

W=$(mktemp -d /tmp/berth-bench-pipeline.XXXXXX)
chmod 0755 "$W"
PEER=$W/peer
private_peer "$PEER" "$W"
podman_() { "${PEER_ENV[@]}" podman "$@"; }
BROOT=$W/berth-root
berth_() { "$BERTH" --root "$BROOT" "$@"; }

cleanup() {
  set +e
  podman_ rm -af -t 0 >/dev/null 2>&1
  podman_ system reset -f >/dev/null 2>&1
  podman_ unshare rm -rf "$PEER/home/.local/share/containers" "$PEER/run/containers" >/dev/null 2>&1
  if [ -f "$PEER/run/libpod/tmp/pause.pid" ]; then
    kill "$(cat "$PEER/run/libpod/tmp/pause.pid")" 2>/dev/null
  fi
  berth_ system reset -f >/dev/null 2>&1
  rm -rf "$W" 2>/dev/null || say "warning: could not remove all of $W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "making the busybox image and importing it into berth and podman"
make_busybox_tar "$W/busybox.tar"
berth_ import "$W/busybox.tar" busybox >/dev/null
podman_ import -q "$W/busybox.tar" localhost/busybox >/dev/null

BYTES=$((SIZE_MB * 1024 * 1024))
# one NAME CMD…: one timed run of the pipeline around CMD, in ms; checks the count.
one() {
  local name=$1 t0 t1 n
  shift
  t0=$EPOCHREALTIME
  n=$(head -c "$BYTES" /dev/zero | "$@" | wc -c)
  t1=$EPOCHREALTIME
  [ "$n" = "$BYTES" ] || die "$name passed $n bytes of $BYTES"
  echo $(((${t1/./} - ${t0/./}) / 1000))
}
# median: the median of the numbers on stdin, one a line.
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

B_CMD=("$BERTH" --root "$BROOT" run -i --rm --network none busybox cat)
say "timing $SIZE_MB MiB through each, $RUNS runs, the floor, GNU cat and berth in turn"
one floor /bin/busybox cat >/dev/null
one gnu cat >/dev/null
one berth "${B_CMD[@]}" >/dev/null
for ((i = 0; i < RUNS; i++)); do
  one floor /bin/busybox cat >>"$W/floor.ms"
  one gnu cat >>"$W/gnu.ms"
  one berth "${B_CMD[@]}" >>"$W/berth.ms"
done
F_MS=$(median <"$W/floor.ms")
G_MS=$(median <"$W/gnu.ms")
B_MS=$(median <"$W/berth.ms")
one podman "${PEER_ENV[@]}" podman run -i --rm --network none localhost/busybox cat >/dev/null
for ((i = 0; i < RUNS; i++)); do
  one podman "${PEER_ENV[@]}" podman run -i --rm --network none localhost/busybox cat
done >"$W/podman.ms"
P_MS=$(median <"$W/podman.ms")

mbs() { awk -v ms="$1" -v mb="$SIZE_MB" 'BEGIN { printf "%.0f", mb * 1000 / ms }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.2f×", b / a; else print "n/a" }'; }
echo
echo "berth pipeline benchmark: $SIZE_MB MiB, median of $RUNS runs, $(nproc) cores, load $(cut -d" " -f1-3 /proc/loadavg), $(uname -r), $(date -u +%Y-%m-%d)"
echo "as $(id -un), rootless; berth: $BERTH; each: head -c SIZE /dev/zero | CMD | wc -c"
printf '%-58s %9s %8s %10s\n' command "median ms" "MiB/s" "berth is"
printf '%-58s %9s %8s %10s\n' "busybox cat, no container (the floor)" "$F_MS" "$(mbs "$F_MS")" "$(ratio "$B_MS" "$F_MS")"
printf '%-58s %9s %8s %10s\n' "cat (GNU coreutils)" "$G_MS" "$(mbs "$G_MS")" "$(ratio "$B_MS" "$G_MS")"
printf '%-58s %9s %8s\n' "berth run -i --rm --network none busybox cat" "$B_MS" "$(mbs "$B_MS")"
printf '%-58s %9s %8s %10s\n' "podman run -i --rm --network none localhost/busybox cat" "$P_MS" "$(mbs "$P_MS")" "$(ratio "$B_MS" "$P_MS")"
echo "berth throughput: $(ratio "$B_MS" "$F_MS") the floor (target ≥ 0.90×), $(ratio "$B_MS" "$P_MS") podman's (target ≥ 1×)"
