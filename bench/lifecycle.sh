#!/usr/bin/env bash
# bench/lifecycle.sh: detached containers, berth against podman.
#
#   bash bench/lifecycle.sh                 # as root: makes user berthbench, reruns as it
#   BERTH_BIN=… bash bench/lifecycle.sh     # a given binary (default target/release/berth)
#   RUNS=10 WARMUP=2 COMMIT_RUNS=5 bash bench/lifecycle.sh
#   ONLY=commit bash bench/lifecycle.sh     # some parts: memory,run-d,exec,commit
#
# One busybox rootfs tar (.ci/lib.sh make_busybox_tar) imported into berth
# and, rootless with a private config and overlay storage, into podman (as
# bench/run.sh does). Every container has --network none: no network helper
# is measured. In one run:
#   memory   what stays alive for one detached `sleep` container: berth's
#            monitor, podman's conmon — each with any other process under it
#            but the container's own (its pid 1 and what that starts). VmRSS
#            and Pss (/proc/PID/smaps_rollup), summed. Podman's per-user
#            pause process is shown, not counted (catatonit counts only with
#            --init, which neither uses here).
#   run -d   `run -d … sleep 1000` until it returns (both return once the
#            container's command runs); the container removed between runs.
#   exec     `exec c true` into one running container.
#   commit   commit of a fresh container whose upper dir holds one 50 MB
#            random file (`sh -c 'head -c 50000000 /dev/urandom > /big'`),
#            the container made anew before each run (a committed one is not
#            the same work), against podman commit and against the floor:
#            `tar -cf - -C DIR . | sha256sum` of a directory with a 50 MB file.
# Times are medians of $RUNS runs ($COMMIT_RUNS for commit) after $WARMUP
# untimed ones (one for commit), wall clock from bash's $EPOCHREALTIME (no
# process of its own); the untimed preparation runs before each. Targets
# (issue 11): memory ≤ 0.5× podman and ≤ 1.5 MB; commit ≤ 0.3× podman and
# ≤ 1.3× the floor; exec ≤ 0.2× podman; run -d has none.
#
# As root the measuring runs as the unprivileged user in a private mount
# namespace without /sys/fs/cgroup/unified (crun refuses hybrid cgroups,
# ../shared/PEERS.md); berth runs there too, so both see the same system.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=.ci/lib.sh
source "$HERE/.ci/lib.sh"
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
COMMIT_RUNS=${COMMIT_RUNS:-5}
ONLY=${ONLY:-}
# wants PART: whether $ONLY (a comma list; empty: all) names PART.
wants() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }

if [ "$(id -u)" = 0 ]; then
  bench_as_user lifecycle RUNS="$RUNS" WARMUP="$WARMUP" COMMIT_RUNS="$COMMIT_RUNS" ONLY="$ONLY"
fi

BERTH=${BERTH_BIN:-$HERE/target/release/berth}
die() { echo "bench/lifecycle.sh: $*" >&2; exit 1; }
[ -x "$BERTH" ] || die "no berth binary at $BERTH (cargo build --release, or set BERTH_BIN)"
for v in exec commit; do
  "$BERTH" "$v" --help >/dev/null 2>&1 || die "$BERTH has no '$v' (a stale build? rebuild it)"
done
"$BERTH" run --help 2>/dev/null | grep -q -- '--detach' || die "$BERTH has no 'run -d'"
for t in podman tar sha256sum pgrep; do
  command -v "$t" >/dev/null || die "$t is not installed"
done
for n in "$RUNS" "$WARMUP" "$COMMIT_RUNS"; do
  [ "$n" -ge 0 ] 2>/dev/null || die "RUNS, WARMUP and COMMIT_RUNS must be numbers"
done
[ "$RUNS" -ge 1 ] && [ "$COMMIT_RUNS" -ge 1 ] || die "RUNS and COMMIT_RUNS must be at least 1"
if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
  say "warning: /sys/fs/cgroup/unified is mounted; crun and podman refuse hybrid cgroups (run this as root)"
fi

W=$(mktemp -d /tmp/berth-bench-lifecycle.XXXXXX)
chmod 0755 "$W"
PEER=$W/peer
private_peer "$PEER" "$W"
# `podman commit` (buildah's code) fails with "runroot must be set" unless
# storage.conf names both roots: the ones rootless podman uses anyway.
printf 'runroot = "%s"\ngraphroot = "%s"\n' "$PEER/run/containers" \
  "$PEER/home/.local/share/containers/storage" >>"$PEER/home/.config/containers/storage.conf"
podman_() { "${PEER_ENV[@]}" podman "$@"; }
BROOT=$W/berth-root
berth_() { "$BERTH" --root "$BROOT" "$@"; }

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
  berth_ rm -af >/dev/null 2>&1
  podman_ rm -af -t 0 >/dev/null 2>&1
  podman_ system reset -f >/dev/null 2>&1
  # Files owned by subuids: only podman's user namespace may remove them.
  podman_ unshare rm -rf "$PEER/home/.local/share/containers" "$PEER/run/containers" >/dev/null 2>&1
  if [ -f "$PEER/run/libpod/tmp/pause.pid" ]; then
    kill "$(cat "$PEER/run/libpod/tmp/pause.pid")" 2>/dev/null
  fi
  for i in $(seq 1 30); do
    p=$(peer_pids)
    [ -z "$p" ] && break
    # shellcheck disable=SC2086
    [ "$i" -ge 20 ] && kill $p 2>/dev/null
    sleep 0.1
  done
  berth_ system reset -f >/dev/null 2>&1
  rm -rf "$W" 2>/dev/null || say "warning: could not remove all of $W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# check NAME CMD...: run CMD once and stop with its output if it fails.
check() {
  local name=$1
  shift
  if ! "$@" >"$W/check.log" 2>&1; then
    echo "bench/lifecycle.sh: $name failed: $*" >&2
    sed 's/^/  /' "$W/check.log" >&2
    exit 1
  fi
}

say "making the busybox image tar and importing it into berth and podman"
make_busybox_tar "$W/busybox.tar"
check "berth import" berth_ import "$W/busybox.tar" busybox
check "podman import" podman_ import -q "$W/busybox.tar" localhost/busybox

# ---- memory -------------------------------------------------------------

# kept_alive MONITOR PID1: MONITOR and every process under it but PID1 and
# what PID1 started, one pid a line.
kept_alive() {
  local p
  echo "$1"
  for p in $(pgrep -P "$1" || true); do
    [ "$p" = "$2" ] || kept_alive "$p" "$2"
  done
}
# sum_kb FILE FIELD PID…: FIELD (VmRSS in status, Pss in smaps_rollup) in kB,
# summed over the PIDs; "n/a" when one cannot be read.
sum_kb() {
  local file=$1 field=$2 p v total=0
  shift 2
  for p in "$@"; do
    v=$(awk -v f="$field:" '$1 == f { print $2; exit }' "/proc/$p/$file" 2>/dev/null || true)
    [ -n "$v" ] || { echo n/a; return; }
    total=$((total + v))
  done
  echo "$total"
}
ppid_of() { awk '$1 == "PPid:" { print $2 }' "/proc/$1/status"; }
comms() { local p; for p in "$@"; do printf '%s(%s) ' "$(cat "/proc/$p/comm" 2>/dev/null)" "$p"; done; }

# (Parts left out by $ONLY: not re-indented, so the diff stays small.)
if wants memory; then
say "memory of one detached sleep container"
check "berth run -d" berth_ run -d --name bench-mem --network none busybox sleep 1000
b_pid1=$(berth_ inspect -f '{{.State.Pid}}' bench-mem)
[ "${b_pid1:-0}" -gt 0 ] 2>/dev/null || die "berth inspect gave no pid for bench-mem: '$b_pid1'"
b_mon=$(ppid_of "$b_pid1")
mapfile -t B_SET < <(kept_alive "$b_mon" "$b_pid1")
B_RSS=$(sum_kb status VmRSS "${B_SET[@]}")
B_PSS=$(sum_kb smaps_rollup Pss "${B_SET[@]}")
B_ANON=$(sum_kb status RssAnon "${B_SET[@]}")
B_FILE=$(sum_kb status RssFile "${B_SET[@]}")
B_WHO=$(comms "${B_SET[@]}")

check "podman run -d" podman_ run -d --name bench-mem --network none localhost/busybox sleep 1000
read -r p_pid1 p_conmon < <(podman_ inspect -f '{{.State.Pid}} {{.State.ConmonPid}}' bench-mem)
[ "${p_conmon:-0}" -gt 0 ] 2>/dev/null || die "podman inspect gave no conmon pid: '$p_conmon'"
mapfile -t P_SET < <(kept_alive "$p_conmon" "$p_pid1")
P_RSS=$(sum_kb status VmRSS "${P_SET[@]}")
P_PSS=$(sum_kb smaps_rollup Pss "${P_SET[@]}")
P_ANON=$(sum_kb status RssAnon "${P_SET[@]}")
P_FILE=$(sum_kb status RssFile "${P_SET[@]}")
P_WHO=$(comms "${P_SET[@]}")
PAUSE_RSS=n/a PAUSE_PSS=n/a
if [ -f "$PEER/run/libpod/tmp/pause.pid" ]; then
  pause=$(cat "$PEER/run/libpod/tmp/pause.pid")
  PAUSE_RSS=$(sum_kb status VmRSS "$pause")
  PAUSE_PSS=$(sum_kb smaps_rollup Pss "$pause")
fi
check "berth rm -f" berth_ rm -f bench-mem
check "podman rm -f" podman_ rm -f -t 0 bench-mem
fi

# ---- timings ------------------------------------------------------------

# measure NAME RUNS WARMUP PREPARE CMD...: the median wall time of CMD in ms
# (one decimal) over RUNS runs after WARMUP untimed ones; PREPARE (a command,
# untimed, `:` for none) runs before each. A failure stops the script with
# its output.
measure() {
  local name=$1 runs=$2 warmup=$3 prep=$4 i t0 t1 times=()
  shift 4
  say "timing $name: $runs runs"
  for ((i = 0; i < warmup + runs; i++)); do
    if ! $prep >"$W/prep.log" 2>&1; then
      echo "bench/lifecycle.sh: preparing $name failed ($prep):" >&2
      sed 's/^/  /' "$W/prep.log" >&2
      exit 1
    fi
    t0=$EPOCHREALTIME
    if ! "$@" >/dev/null 2>"$W/cmd.log"; then
      echo "bench/lifecycle.sh: $name failed: $*" >&2
      sed 's/^/  /' "$W/cmd.log" >&2
      exit 1
    fi
    t1=$EPOCHREALTIME
    ((i < warmup)) || times+=($((${t1/./} - ${t0/./})))
  done
  printf '%s\n' "${times[@]}" | sort -n |
    awk '{ a[NR] = $1 } END { m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f\n", m / 1000 }'
}

declare -A T
for k in berth_d podman_d berth_exec podman_exec berth_commit podman_commit floor_commit; do
  T[$k]=n/a
done

# run -d until the command runs; the last one removed first.
if wants run-d; then
prep_berth_d() { berth_ rm -f bench-d >/dev/null 2>&1 || true; }
prep_podman_d() { podman_ rm -f -t 0 bench-d >/dev/null 2>&1 || true; }
T[berth_d]=$(measure "berth run -d" "$RUNS" "$WARMUP" prep_berth_d \
  berth_ run -d --name bench-d --network none busybox sleep 1000)
T[podman_d]=$(measure "podman run -d" "$RUNS" "$WARMUP" prep_podman_d \
  podman_ run -d --name bench-d --network none localhost/busybox sleep 1000)
prep_berth_d
prep_podman_d
fi

# exec into one running container each.
if wants exec; then
check "berth run -d" berth_ run -d --name bench-exec --network none busybox sleep 1000
check "podman run -d" podman_ run -d --name bench-exec --network none localhost/busybox sleep 1000
T[berth_exec]=$(measure "berth exec" "$RUNS" "$WARMUP" : berth_ exec bench-exec true)
T[podman_exec]=$(measure "podman exec" "$RUNS" "$WARMUP" : podman_ exec bench-exec true)
check "berth rm -f" berth_ rm -f bench-exec
check "podman rm -f" podman_ rm -f -t 0 bench-exec
fi

if wants commit; then
# commit: a fresh container with a 50 MB upper dir before each run; the
# last run's container and image removed first.
BIG='head -c 50000000 /dev/urandom > /big'
prep_berth_commit() {
  berth_ rm -f bench-commit || true
  berth_ rmi localhost/bench-commit || true
  berth_ run --name bench-commit --network none busybox sh -c "$BIG"
}
prep_podman_commit() {
  podman_ rm -f -t 0 bench-commit || true
  podman_ rmi localhost/bench-commit || true
  podman_ run --name bench-commit --network none localhost/busybox sh -c "$BIG"
}
mkdir "$W/floor"
head -c 50000000 /dev/urandom >"$W/floor/big"
floor_commit() { tar -cf - -C "$W/floor" . | sha256sum; }
T[berth_commit]=$(measure "berth commit" "$COMMIT_RUNS" 1 prep_berth_commit \
  berth_ commit -q bench-commit localhost/bench-commit)
T[podman_commit]=$(measure "podman commit" "$COMMIT_RUNS" 1 prep_podman_commit \
  podman_ commit -q bench-commit localhost/bench-commit)
T[floor_commit]=$(measure "tar | sha256sum" "$COMMIT_RUNS" 1 : floor_commit)
fi

# ---- report -------------------------------------------------------------

mb() { awk -v k="$1" 'BEGIN { if (k ~ /^[0-9]+$/) printf "%.2f MB", k / 1024; else print "n/a" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b > 0) printf "%.2f×", a / b; else print "n/a" }'; }
# verdict A B T: whether A/B ≤ T.
verdict() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { if (a ~ /^[0-9.]+$/ && b > 0) print (a / b <= t ? "met" : "missed"); else print "n/a" }'; }
row() { printf '%-46s %9s %9s %9s  %s\n' "$@"; }
hw="$(nproc) cores, load $(cut -d" " -f1-3 /proc/loadavg), $(uname -r), $(date -u +%Y-%m-%d)"
echo
echo "berth lifecycle benchmark: medians of $RUNS runs ($WARMUP warm-up), commit $COMMIT_RUNS runs (1 warm-up); $hw"
echo "as $(id -un), rootless; berth: $BERTH ($(($(stat -c %s "$BERTH") / 1024)) KiB); --network none throughout"
row operation "berth ms" "other ms" "berth is" target
row "run -d … sleep 1000  vs podman run -d" "${T[berth_d]}" "${T[podman_d]}" "$(ratio "${T[berth_d]}" "${T[podman_d]}")" ""
row "exec c true          vs podman exec" "${T[berth_exec]}" "${T[podman_exec]}" "$(ratio "${T[berth_exec]}" "${T[podman_exec]}")" "≤ 0.20×"
row "commit (50 MB upper) vs podman commit" "${T[berth_commit]}" "${T[podman_commit]}" "$(ratio "${T[berth_commit]}" "${T[podman_commit]}")" "≤ 0.30×"
row "commit (50 MB upper) vs tar | sha256sum" "${T[berth_commit]}" "${T[floor_commit]}" "$(ratio "${T[berth_commit]}" "${T[floor_commit]}")" "≤ 1.30×"
if wants memory; then
echo
echo "memory kept alive for one detached sleep container (the container's own processes not counted):"
echo "  berth monitor (+ helpers): $B_WHO RSS $(mb "$B_RSS") (anon $(mb "$B_ANON"), file $(mb "$B_FILE")), PSS $(mb "$B_PSS")"
echo "  podman conmon (+ helpers): $P_WHO RSS $(mb "$P_RSS") (anon $(mb "$P_ANON"), file $(mb "$P_FILE")), PSS $(mb "$P_PSS")"
echo "            (its pause process, one per user, not counted: RSS $(mb "$PAUSE_RSS"), PSS $(mb "$PAUSE_PSS"))"
echo "  berth is $(ratio "$B_RSS" "$P_RSS") of podman by RSS, $(ratio "$B_PSS" "$P_PSS") by PSS (target ≤ 0.50×)"
fi
echo
echo "targets:"
wants memory && echo "  memory vs podman (RSS) ≤ 0.5×: $(verdict "$B_RSS" "$P_RSS" 0.5); (PSS): $(verdict "$B_PSS" "$P_PSS" 0.5)"
wants memory && echo "  memory ≤ 1.5 MB (RSS): $(verdict "$B_RSS" 1536 1); (PSS): $(verdict "$B_PSS" 1536 1)"
echo "  exec vs podman ≤ 0.2×: $(verdict "${T[berth_exec]}" "${T[podman_exec]}" 0.2)"
echo "  commit vs podman ≤ 0.3×: $(verdict "${T[berth_commit]}" "${T[podman_commit]}" 0.3)"
echo "  commit vs the floor ≤ 1.3×: $(verdict "${T[berth_commit]}" "${T[floor_commit]}" 1.3)"
