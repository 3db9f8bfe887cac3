#!/usr/bin/env bash
# bench/run.sh: `berth run` against podman, crun and the floor.
#
#   bash bench/run.sh                 # as root: makes user berthbench, reruns as it
#   BERTH_BIN=… bash bench/run.sh     # a given binary (default target/release/berth)
#   RUNS=50 WARMUP=5 PHASE_RUNS=5 bash bench/run.sh
#
# One busybox rootfs tar (.ci/lib.sh make_busybox_tar) is imported into berth
# and, rootless with a private config and overlay storage, into podman; a crun
# bundle is the same tar extracted plus `crun spec --rootless` running `true`.
# Timed, each as the median of $RUNS runs taken in turns (hyperfine -N, after $WARMUP warm-up
# runs; a date +%s%N loop when hyperfine is missing):
#   berth --root R run --rm --network none busybox true
#   podman run --rm --network none localhost/busybox true
#   crun --root S run --bundle B bench
#   unshare -Urmpf --mount-proc true            (the floor)
# berth and podman both get --network none so no network helper (pasta,
# slirp4netns) is measured; crun's spec has a network namespace too. berth's
# time is printed as a ratio to each. Targets: ≤ 0.3× podman (issue 4),
# ≤ 1.0× crun (issue 11). Then the resident memory of berth's monitor (the berth process
# itself) while a `sleep 5` container runs, next to podman's conmon and pause
# process for the same container. Last, where the time of one berth run
# goes: $PHASE_RUNS runs with BERTH_TRACE_PHASES=1, each phase's median
# time since berth's main started (and since the phase before), next to the
# wall time the caller sees (which adds exec, loading and exit).
#
# crun refuses hybrid cgroups while /sys/fs/cgroup/unified is visible
# (../shared/PEERS.md), so as root the whole measuring half runs as the
# unprivileged user in a private mount namespace without that mount; berth
# runs there too, so all four see the same system.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=.ci/lib.sh
source "$HERE/.ci/lib.sh"
RUNS=${RUNS:-30}
WARMUP=${WARMUP:-3}
PHASE_RUNS=${PHASE_RUNS:-5}

if [ "$(id -u)" = 0 ]; then
  bench_as_user run RUNS="$RUNS" WARMUP="$WARMUP" PHASE_RUNS="$PHASE_RUNS"
fi

BERTH=${BERTH_BIN:-$HERE/target/release/berth}
die() { echo "bench/run.sh: $*" >&2; exit 1; }
[ -x "$BERTH" ] || die "no berth binary at $BERTH (cargo build --release, or set BERTH_BIN)"
"$BERTH" run --help 2>/dev/null | grep -q -- '--network' ||
  die "$BERTH has no 'run --network' (a stale build? rebuild it)"
for t in podman crun unshare; do
  command -v "$t" >/dev/null || die "$t is not installed"
done
[ "$RUNS" -ge 1 ] 2>/dev/null || die "RUNS must be a number"
[ "$PHASE_RUNS" -ge 0 ] 2>/dev/null || die "PHASE_RUNS must be a number"
if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
  say "warning: /sys/fs/cgroup/unified is mounted; crun and podman refuse hybrid cgroups (run this as root)"
fi

W=$(mktemp -d /tmp/berth-bench-run.XXXXXX)
chmod 0755 "$W"
PEER=$W/peer
private_peer "$PEER" "$W"
podman_() { "${PEER_ENV[@]}" podman "$@"; }
BROOT=$W/berth-root
berth_() { "$BERTH" --root "$BROOT" "$@"; }
CROOT=$W/crun-state
BUNDLE=$W/bundle
CRUN_ID=berth-bench-$$
CHILDREN=()

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
  for p in "${CHILDREN[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  crun --root "$CROOT" delete -f "$CRUN_ID" >/dev/null 2>&1
  podman_ rm -af -t 0 >/dev/null 2>&1
  podman_ system reset -f >/dev/null 2>&1
  # Whatever reset left (files owned by subuids): only podman's user
  # namespace may remove them. This restarts the pause process; killed below.
  podman_ unshare rm -rf "$PEER/home/.local/share/containers" "$PEER/run/containers" >/dev/null 2>&1
  if [ -f "$PEER/run/libpod/tmp/pause.pid" ]; then
    kill "$(cat "$PEER/run/libpod/tmp/pause.pid")" 2>/dev/null
  fi
  # Any other process of this podman (a conmon still exiting, a second pause
  # process) has our private XDG_RUNTIME_DIR: wait for it, then end it.
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
    echo "bench/run.sh: $name failed: $*" >&2
    sed 's/^/  /' "$W/check.log" >&2
    exit 1
  fi
}

say "making the busybox image tar"
make_busybox_tar "$W/busybox.tar"

say "importing it into berth and podman, and extracting the crun bundle"
check "berth import" berth_ import "$W/busybox.tar" busybox
check "podman import" podman_ import -q "$W/busybox.tar" localhost/busybox
mkdir -p "$BUNDLE/rootfs" "$CROOT"
tar -C "$BUNDLE/rootfs" -xf "$W/busybox.tar"
(cd "$BUNDLE" && crun spec --rootless)
# crun's rootless spec: pid, network, ipc, uts, user and mount namespaces,
# read-only root, no seccomp. Run `true`, no terminal.
sed -i -e 's/"terminal": true/"terminal": false/' \
  -e '/"args": \[/,/\]/ s/"sh"/"true"/' "$BUNDLE/config.json"
grep -q '"terminal": false' "$BUNDLE/config.json" && grep -q '"true"' "$BUNDLE/config.json" ||
  die "could not edit $BUNDLE/config.json"

B_CMD=("$BERTH" --root "$BROOT" run --rm --network none busybox true)
P_CMD=(podman run --rm --network none localhost/busybox true)
C_CMD=(crun --root "$CROOT" run --bundle "$BUNDLE" "$CRUN_ID")
F_CMD=(unshare -Urmpf --mount-proc true)

say "checking each command once"
check "berth run" "${B_CMD[@]}"
check "podman run" "${PEER_ENV[@]}" "${P_CMD[@]}"
check "crun run" "${C_CMD[@]}"
check "the floor" "${F_CMD[@]}"

# sample NAME WARM N CMD...: N timed runs of CMD after WARM untimed ones,
# each run's wall time in ms appended to $W/NAME.ms. CMD's words must not
# contain spaces (hyperfine -N splits its command line on them).
sample() {
  local name=$1 warm=$2 n=$3 i t0 t1
  shift 3
  if command -v hyperfine >/dev/null; then
    if ! hyperfine -N --style basic --warmup "$warm" --runs "$n" \
      --export-json "$W/$name.json" -- "$*" >"$W/$name.log" 2>&1; then
      echo "bench/run.sh: hyperfine failed on: $*" >&2
      sed 's/^/  /' "$W/$name.log" >&2
      exit 1
    fi
    # The "times" array, one number a line.
    awk '/"times": \[/ { on = 1; next } on && /\]/ { exit } on { gsub(/[ ,]/, ""); printf "%.3f\n", $0 * 1000 }' \
      "$W/$name.json" >>"$W/$name.ms"
  else
    for ((i = 0; i < warm; i++)); do "$@" >/dev/null 2>&1; done
    for ((i = 0; i < n; i++)); do
      t0=$(date +%s%N)
      "$@" >/dev/null
      t1=$(date +%s%N)
      echo $(((t1 - t0) / 1000)) | awk '{ printf "%.3f\n", $1 / 1000 }' >>"$W/$name.ms"
    done
  fi
}
# median_ms NAME: the median of $W/NAME.ms, one decimal.
median_ms() {
  sort -n "$W/$1.ms" | awk '{ a[NR] = $1 } END { m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f\n", m }'
}

# The four take turns, $ROUNDS rounds of $RUNS/$ROUNDS runs each, so that
# the machine's drift over the minute this takes (±15% on this 2-core VM)
# falls on all of them alike; each is the median of all its runs.
ROUNDS=$((RUNS < 5 ? 1 : 5))
PER=$(((RUNS + ROUNDS - 1) / ROUNDS))
say "timing berth, podman, crun and the floor in turn: $ROUNDS rounds of $PER runs"
# Each round starts with what earlier work left dirty written back (sync,
# as bench/build.sh does): a writeback in progress stalls every directory
# and file berth makes and none of crun's (whose bundle is reused), and
# podman's storage writes plenty. Seen right after a CI run: create.bundle
# 0.4 → 3.0 ms, child.overlay 0.5 → 3.6 ms, 1.05× crun; the next run 0.72×.
for ((r = 0; r < ROUNDS; r++)); do
  warm=$((r == 0 ? WARMUP : 1))
  sync
  sample berth "$warm" "$PER" "${B_CMD[@]}"
  sample podman "$warm" "$PER" "${PEER_ENV[@]}" "${P_CMD[@]}"
  sample crun "$warm" "$PER" "${C_CMD[@]}"
  sample floor "$warm" "$PER" "${F_CMD[@]}"
done
B_MS=$(median_ms berth)
P_MS=$(median_ms podman)
C_MS=$(median_ms crun)
F_MS=$(median_ms floor)

# status_kb PID FIELD: FIELD (VmHWM, VmRSS) of PID in kB, "n/a" when gone.
status_kb() {
  awk -v f="$2:" '$1 == f { print $2; found = 1 } END { if (!found) print "n/a" }' "/proc/$1/status" 2>/dev/null ||
    echo n/a
}
mb() { awk -v k="$1" 'BEGIN { if (k ~ /^[0-9]+$/) printf "%.1f MB", k / 1024; else print "n/a" }'; }

say "berth's memory while a sleep 5 container runs"
"$BERTH" --root "$BROOT" run --rm --network none busybox sleep 5 &
bpid=$!
CHILDREN+=("$bpid")
# Up when berth's child (the container's pid 1) has exec'd sleep.
for _ in $(seq 1 50); do
  c=$(pgrep -P "$bpid" 2>/dev/null | head -n 1 || true)
  [ -n "$c" ] && [ "$(cat "/proc/$c/comm" 2>/dev/null)" = sleep ] && break
  sleep 0.1
done
sleep 0.5
B_HWM=$(status_kb "$bpid" VmHWM)
B_RSS=$(status_kb "$bpid" VmRSS)
wait "$bpid" || die "berth run … sleep 5 failed"

say "podman's memory while a sleep 5 container runs"
"${PEER_ENV[@]}" podman run --rm --network none --name berth-bench-rss localhost/busybox sleep 5 &
ppid_=$!
CHILDREN+=("$ppid_")
conmon=
for _ in $(seq 1 50); do
  st=$(podman_ container inspect --format '{{.State.Status}} {{.State.ConmonPid}}' berth-bench-rss 2>/dev/null || true)
  case $st in running\ *) conmon=${st#running } && break ;; esac
  sleep 0.1
done
sleep 0.5
C_HWM=n/a C_RSS=n/a PAUSE_RSS=n/a P_RSS=n/a
if [ -n "$conmon" ] && [ "$conmon" != 0 ]; then
  C_HWM=$(status_kb "$conmon" VmHWM)
  C_RSS=$(status_kb "$conmon" VmRSS)
fi
P_RSS=$(status_kb "$ppid_" VmRSS)
if [ -f "$PEER/run/libpod/tmp/pause.pid" ]; then
  PAUSE_RSS=$(status_kb "$(cat "$PEER/run/libpod/tmp/pause.pid")" VmRSS)
fi
wait "$ppid_" || die "podman run … sleep 5 failed"
CHILDREN=()

# Each traced run's `phase NAME +MS ms` lines, and its wall time as the
# caller sees it as the phase `(wall)`.
if [ "$PHASE_RUNS" -gt 0 ]; then
  say "where the time of berth run goes: $PHASE_RUNS traced runs"
  for ((i = 0; i < PHASE_RUNS; i++)); do
    t0=$EPOCHREALTIME
    BERTH_TRACE_PHASES=1 "${B_CMD[@]}" >/dev/null 2>"$W/phases.$i" ||
      die "traced berth run failed: $(cat "$W/phases.$i")"
    t1=$EPOCHREALTIME
    # Checked before the (wall) line is added, which would match too.
    grep -q '^phase ' "$W/phases.$i" ||
      die "$BERTH printed no phases with BERTH_TRACE_PHASES=1 (a stale build?): $(cat "$W/phases.$i")"
    awk -v us=$((${t1/./} - ${t0/./})) 'BEGIN { printf "phase (wall) +%.3f ms\n", us / 1000 }' >>"$W/phases.$i"
  done
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "n/a" }'; }
verdict() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { if (b > 0) print (a / b <= t ? "met" : "missed"); else print "n/a" }'; }
hw="$(nproc) cores, load $(cut -d" " -f1-3 /proc/loadavg), $(uname -r), $(date -u +%Y-%m-%d)"
echo
echo "berth run benchmark: median of $((ROUNDS * PER)) runs taken in $ROUNDS turns ($WARMUP warm-up), $hw"
echo "as $(id -un), rootless; berth: $BERTH ($(($(stat -c %s "$BERTH") / 1024)) KiB)"
echo "--network none for berth and podman: no network helper is measured"
echo "crun: \`crun spec --rootless\` (user, mount, pid, net, ipc, uts; no seccomp), running true"
printf '%-44s %10s %10s  %s\n' command "median ms" "berth is" target
printf '%-44s %10s\n' "berth run --rm --network none busybox true" "$B_MS"
printf '%-44s %10s %11s  %s\n' "podman run --rm --network none busybox true" "$P_MS" "$(ratio "$B_MS" "$P_MS")" "≤ 0.30×"
printf '%-44s %10s %11s  %s\n' "crun run --bundle B (rootless spec, true)" "$C_MS" "$(ratio "$B_MS" "$C_MS")" "≤ 1.00×"
printf '%-44s %10s %11s  %s\n' "unshare -Urmpf --mount-proc true (floor)" "$F_MS" "$(ratio "$B_MS" "$F_MS")" ""
echo "targets: vs podman $(verdict "$B_MS" "$P_MS" 0.3), vs crun $(verdict "$B_MS" "$C_MS" 1.0)"
echo
echo "memory while a 'sleep 5' container runs (--network none):"
echo "  berth monitor (the berth process): peak $(mb "$B_HWM"), now $(mb "$B_RSS")"
echo "  podman: conmon peak $(mb "$C_HWM"), now $(mb "$C_RSS"); pause process $(mb "$PAUSE_RSS"); attached podman CLI $(mb "$P_RSS")"
echo "  berth monitor vs conmon (peak): $(ratio "$B_HWM" "$C_HWM")"
if [ "$PHASE_RUNS" -gt 0 ]; then
  echo
  echo "where the time of 'berth ${B_CMD[*]:3}' goes (BERTH_TRACE_PHASES=1, median of $PHASE_RUNS runs;"
  echo "ms since berth's main started; child.* is the container's side, before its execve):"
  printf '  %-24s %10s %10s\n' phase "at ms" "took ms"
  # Medians per phase (mawk has no asort: sort does the ordering), then in
  # the order they happened.
  cat "$W"/phases.* | awk '$1 == "phase" { v = $3; sub(/^\+/, "", v); print $2, v }' |
    sort -k1,1 -k2,2g |
    awk '{ n[$1]++; v[$1, n[$1]] = $2 }
      END { for (k in n) { c = n[k]; print (c % 2 ? v[k, (c + 1) / 2] : (v[k, c / 2] + v[k, c / 2 + 1]) / 2), k } }' |
    sort -g |
    awk '{ printf "  %-24s %10.3f %10.3f\n", $2, $1, $1 - prev; prev = $1 }'
fi
