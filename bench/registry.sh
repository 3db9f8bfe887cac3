#!/usr/bin/env bash
# bench/registry.sh: `berth push` and `berth pull` against podman and skopeo,
# over one local registry.
#
#   bash bench/registry.sh              # as root: makes user berthbench, reruns as it
#   BERTH_BIN=… bash bench/registry.sh  # a given binary (default target/release/berth)
#   RUNS=5 MB_RANDOM=100 MB_TEXT=100 bash bench/registry.sh
#   ONLY='text.pull random.push*' bash bench/registry.sh   # some rows only
#
# Two one-layer images, each busybox plus ~100 MB: "random" adds one file of
# random bytes (incompressible), "text" a source-like tree (C headers, docs,
# Python sources from this machine, topped up with generated text), the same
# tar imported into berth and, rootless with a private config and storage
# (../shared/PEERS.md), into podman. The registry is Debian's docker-registry
# on 127.0.0.1 (plain http, storage in the temp dir), started by this script.
# Timed, each as the median of $RUNS runs (wall clock, warm page cache):
#   push:    berth push (compresses: gzip, its default) and podman push (gzip,
#            its default) of the imported image; a fresh registry before each
#            run, so every blob is uploaded.
#   push #2: berth pushes the image again (its compressed blobs are recorded
#            from the first push) to a fresh registry, against `skopeo copy
#            oci:DIR docker://…` of the same image with gzip blobs in an OCI
#            layout (neither compresses).
#   pull:    berth pull and podman pull of podman's push (gzip layers), the
#            store emptied before each run; `skopeo copy docker:// oci:` is
#            shown for reference.
# MB/s is the image's uncompressed size over the wall time. Targets (issue
# 10): berth pull ≥ 1.5× podman pull, berth push ≥ 1.5× podman push, berth's
# second push ≥ 1.0× skopeo copy (speed ratios: the other's time over
# berth's). berth's rows run only when the binary has `pull` and `push`.
# ONLY (space-separated globs over IMAGE.OP, OP one of push, push2, pull)
# times those rows alone, for profiling one of them.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=.ci/lib.sh
source "$HERE/.ci/lib.sh"
RUNS=${RUNS:-3}
MB_RANDOM=${MB_RANDOM:-100}
MB_TEXT=${MB_TEXT:-100}

if [ "$(id -u)" = 0 ]; then
  bench_as_user registry RUNS="$RUNS" MB_RANDOM="$MB_RANDOM" MB_TEXT="$MB_TEXT" ONLY="${ONLY:-}"
fi

REGISTRY_BIN=/usr/bin/docker-registry
BERTH=${BERTH_BIN:-$HERE/target/release/berth}
die() { echo "bench/registry.sh: $*" >&2; exit 1; }
[ -x "$BERTH" ] || die "no berth binary at $BERTH (cargo build --release, or set BERTH_BIN)"
for t in podman skopeo "$REGISTRY_BIN"; do
  command -v "$t" >/dev/null || die "$t is not installed"
done
[ "$RUNS" -ge 1 ] 2>/dev/null || die "RUNS must be a number"
HAVE_PUSH=0 HAVE_PULL=0
"$BERTH" push --help >/dev/null 2>&1 && HAVE_PUSH=1
"$BERTH" pull --help >/dev/null 2>&1 && HAVE_PULL=1

W=$(mktemp -d /tmp/berth-bench-registry.XXXXXX)
PEER=$W/peer
private_peer "$PEER" "$W"
printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' >"$PEER/policy.json"
podman_() { "${PEER_ENV[@]}" podman "$@"; }
skopeo_() { "${PEER_ENV[@]}" skopeo --policy "$PEER/policy.json" "$@"; }
BROOT=$W/berth-root
berth_() { "$BERTH" --root "$BROOT" "$@"; }
REG_PID='' REG_DRAIN='' REG=''

# stop_registry: kill the registry, if one runs, and reap it and its log reader.
stop_registry() {
  if [ -n "$REG_PID" ]; then
    kill "$REG_PID" 2>/dev/null || true
    wait "$REG_PID" 2>/dev/null || true
    wait "$REG_DRAIN" 2>/dev/null || true
  fi
  REG_PID='' REG_DRAIN='' REG=''
}

# fresh_registry: a new registry with empty storage; sets REG=127.0.0.1:PORT.
# It binds port 0 and logs `listening on 127.0.0.1:PORT` once it listens:
# its stderr comes through a fifo, read up to that line, then drained into a
# log by cat (a full pipe would stall it).
fresh_registry() {
  local r=$W/registry line port='' fd
  stop_registry
  rm -rf "$r"
  mkdir -p "$r/storage"
  cat >"$r/config.yml" <<CONF
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $r/storage
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:0
  secret: bench-$$
CONF
  mkfifo "$r/stderr"
  "$REGISTRY_BIN" serve "$r/config.yml" >/dev/null 2>"$r/stderr" &
  REG_PID=$!
  exec {fd}<"$r/stderr"
  while IFS= read -r line <&"$fd"; do
    printf '%s\n' "$line" >>"$r/log"
    case $line in
      *"listening on 127.0.0.1:"*)
        port=${line##*listening on 127.0.0.1:}
        port=${port%%[!0-9]*}
        break
        ;;
    esac
  done
  if [ -z "$port" ]; then
    exec {fd}<&-
    wait "$REG_PID" 2>/dev/null || true
    REG_PID=''
    die "docker-registry did not start: $(cat "$r/log")"
  fi
  cat <&"$fd" >>"$r/log" &
  REG_DRAIN=$!
  exec {fd}<&-
  REG=127.0.0.1:$port
}

cleanup() {
  set +e
  stop_registry
  podman_ system reset -f >/dev/null 2>&1
  if [ -f "$PEER/run/libpod/tmp/pause.pid" ]; then
    kill "$(cat "$PEER/run/libpod/tmp/pause.pid")" 2>/dev/null
  fi
  "$BERTH" --root "$BROOT" system reset -f >/dev/null 2>&1
  rm -rf "$W" 2>/dev/null
}
trap cleanup EXIT

# text_tree DIR MB: ~MB of source-like text under DIR: regular files from
# /usr/include, /usr/share/doc and /usr/lib/python3 (no compressed ones), in
# name order up to MB, then generated C-like text for what is missing.
text_tree() {
  local dir=$1 mb=$2 have i
  mkdir -p "$dir"
  find /usr/include /usr/share/doc /usr/lib/python3 -type f ! -name '*.gz' \
    ! -name '*.bz2' ! -name '*.xz' ! -name '*.pyc' -readable -printf '%s\t%p\n' 2>/dev/null |
    sort -t "$(printf '\t')" -k2,2 |
    awk -F '\t' -v max=$((mb * 1000000)) '{ s += $1; if (s <= max) print substr($2, 2) }' \
    >"$W/text.list"
  tar -C / -cf - --no-recursion -T "$W/text.list" | tar -C "$dir" -xf -
  chmod -R u+w "$dir"
  have=$(du -sb "$dir" | cut -f1)
  i=0
  while [ "$have" -lt $((mb * 1000000)) ]; do
    i=$((i + 1))
    # seq dies of SIGPIPE when head has enough; that is the point.
    { seq -f "static int field_%g(struct item *it) { return it->count + %g; } /* generated */" 1 1000000 || true; } |
      head -c 2M >"$dir/generated$i.c"
    have=$((have + 2000000))
  done
}

# wanted IMG.OP: whether ONLY asks for that row (everything without ONLY).
wanted() {
  local g
  [ -z "${ONLY:-}" ] && return 0
  for g in $ONLY; do
    # shellcheck disable=SC2053 # a glob, on purpose
    [[ $1 == $g ]] && return 0
  done
  return 1
}
# wanted_image IMG: whether any row of IMG is wanted.
wanted_image() { wanted "$1.push" || wanted "$1.push2" || wanted "$1.pull"; }

say "making the images: busybox + ${MB_RANDOM} MB random, busybox + ${MB_TEXT} MB text"
if wanted_image random; then
  mkdir -p "$W/extra-random/data"
  head -c "${MB_RANDOM}M" /dev/urandom >"$W/extra-random/data/random.bin"
  make_busybox_tar "$W/random.tar" "$W/extra-random"
fi
if wanted_image text; then
  text_tree "$W/extra-text/src" "$MB_TEXT"
  make_busybox_tar "$W/text.tar" "$W/extra-text"
fi
rm -rf "$W/extra-random" "$W/extra-text" "$W/text.list"

# measure KEY PREPARE CMD: T[KEY] = median wall time of CMD in ms over $RUNS
# runs; PREPARE (a function, untimed) runs before each. Not in a subshell:
# a PREPARE that starts a registry must leave it known to stop_registry.
# A failing PREPARE or CMD stops the script with its stderr.
measure() {
  local key=$1 prepare=$2 cmd=$3 i t0 t1 times=()
  for i in $(seq 1 "$RUNS"); do
    $prepare >/dev/null 2>"$W/prepare.err" || die "$prepare failed: $(cat "$W/prepare.err")"
    t0=$(date +%s%N)
    $cmd >/dev/null || die "$cmd failed"
    t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000000)))
  done
  T[$key]=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
}

# The operations; IMG names the image being measured.
IMG=''
prep_berth_image() { berth_ system reset -f; berth_ import "$W/$IMG.tar" "localhost/bench-$IMG"; fresh_registry; }
prep_podman_empty() { podman_ rmi -af; }
prep_berth_empty() { berth_ system reset -f; }
prep_skopeo_empty() { rm -rf "$W/skopeo-pull"; }
op_podman_push() { podman_ push -q --tls-verify=false "localhost/bench-$IMG" "docker://$REG/p-$IMG:1"; }
op_berth_push() { berth_ push "localhost/bench-$IMG" "docker://$REG/b-$IMG:1" --tls-verify=false; }
op_skopeo_push() { skopeo_ copy -q --dest-tls-verify=false "oci:$W/oci-$IMG:1" "docker://$REG/s-$IMG:1"; }
op_podman_pull() { podman_ pull -q --tls-verify=false "$REG/p-$IMG:1"; }
op_berth_pull() { berth_ pull -q "$REG/p-$IMG:1" --tls-verify=false; }
op_skopeo_pull() { skopeo_ copy -q --src-tls-verify=false "docker://$REG/p-$IMG:1" "oci:$W/skopeo-pull:1"; }

declare -A T
for IMG in random text; do
  wanted_image "$IMG" || continue
  T[$IMG.mb]=$(($(stat -c %s "$W/$IMG.tar") / 1000000))
  podman_ rmi -af >/dev/null 2>&1 || true
  podman_ import -q "$W/$IMG.tar" "localhost/bench-$IMG" >/dev/null
  if wanted "$IMG.push"; then
    say "$IMG: push"
    # podman's push of its own import, to a fresh registry each run.
    measure "$IMG.podman_push" fresh_registry op_podman_push
    if [ "$HAVE_PUSH" = 1 ]; then
      # First push: a fresh import each run, so nothing is compressed yet.
      measure "$IMG.berth_push" prep_berth_image op_berth_push
    fi
  fi
  if wanted "$IMG.push2"; then
    say "$IMG: push of compressed blobs (skopeo copy oci:)"
    if [ "$HAVE_PUSH" = 1 ]; then
      # Second push: the image's compressed blobs are known from a first.
      prep_berth_image >/dev/null
      op_berth_push >/dev/null
      measure "$IMG.berth_push2" fresh_registry op_berth_push
    fi
    # The OCI layout with gzip blobs: podman's push, copied back out.
    fresh_registry
    op_podman_push >/dev/null
    rm -rf "$W/oci-$IMG"
    skopeo_ copy -q --src-tls-verify=false "docker://$REG/p-$IMG:1" "oci:$W/oci-$IMG:1" >/dev/null
    measure "$IMG.skopeo_push" fresh_registry op_skopeo_push
  fi
  if wanted "$IMG.pull"; then
    say "$IMG: pull"
    # One registry holding podman's push (gzip layers) for every pull.
    fresh_registry
    op_podman_push >/dev/null
    measure "$IMG.podman_pull" prep_podman_empty op_podman_pull
    measure "$IMG.skopeo_pull" prep_skopeo_empty op_skopeo_pull
    if [ "$HAVE_PULL" = 1 ]; then
      measure "$IMG.berth_pull" prep_berth_empty op_berth_pull
    fi
    if [ ! -d "$W/oci-$IMG" ]; then
      skopeo_ copy -q --src-tls-verify=false "docker://$REG/p-$IMG:1" "oci:$W/oci-$IMG:1" >/dev/null
    fi
  fi
  if [ -d "$W/oci-$IMG" ]; then
    T[$IMG.gz_mb]=$(($(du -sb "$W/oci-$IMG/blobs" | cut -f1) / 1000000))
  fi
  stop_registry
  rm -rf "$W/oci-$IMG" "$W/skopeo-pull"
done

mbps() { awk -v mb="$1" -v ms="$2" 'BEGIN { if (ms > 0) printf "%.0f", mb * 1000 / ms; else print "n/a" }'; }
# speed ratio: the other's time over berth's (≥ 1 means berth is faster).
ratio() { awk -v b="$1" -v o="$2" 'BEGIN { if (b > 0) printf "%.2f×", o / b; else print "n/a" }'; }
row() {
  local img=$1 op=$2 tool=$3 key=$4
  if [ -n "${T[$img.$key]:-}" ]; then
    printf '%-7s %-8s %-26s %9s %8s\n' "$img" "$op" "$tool" "${T[$img.$key]}" "$(mbps "${T[$img.mb]}" "${T[$img.$key]}")"
  elif [ -z "${ONLY:-}" ]; then
    printf '%-7s %-8s %-26s %9s %8s\n' "$img" "$op" "$tool" "-" "(no berth $5)"
  fi
}

echo
echo "berth registry benchmark: median of $RUNS runs, $(nproc) cores, $(date -u +%Y-%m-%d), plain http on 127.0.0.1"
for IMG in random text; do
  wanted_image "$IMG" || continue
  echo "$IMG: ${T[$IMG.mb]} MB uncompressed, ${T[$IMG.gz_mb]} MB as podman pushes it (gzip)"
done
printf '%-7s %-8s %-26s %9s %8s\n' image op tool ms MB/s
for IMG in random text; do
  wanted_image "$IMG" || continue
  row "$IMG" push "podman push" podman_push
  row "$IMG" push "berth push" berth_push push
  row "$IMG" "push #2" "skopeo copy oci: -> reg" skopeo_push
  row "$IMG" "push #2" "berth push (again)" berth_push2 push
  row "$IMG" pull "podman pull" podman_pull
  row "$IMG" pull "skopeo copy reg -> oci:" skopeo_pull
  row "$IMG" pull "berth pull" berth_pull pull
done
echo
printf '%-7s %-26s %10s %8s\n' image "speed ratio" berth target
# ratio_row IMG WHAT BERTH_KEY OTHER_KEY TARGET: when both were timed.
ratio_row() {
  [ -n "${T[$1.$3]:-}" ] && [ -n "${T[$1.$4]:-}" ] || return 0
  printf '%-7s %-26s %10s %8s\n' "$1" "$2" "$(ratio "${T[$1.$3]}" "${T[$1.$4]}")" "$5"
}
for IMG in random text; do
  ratio_row "$IMG" "pull vs podman pull" berth_pull podman_pull "≥ 1.50×"
  ratio_row "$IMG" "push vs podman push" berth_push podman_push "≥ 1.50×"
  ratio_row "$IMG" "push #2 vs skopeo copy" berth_push2 skopeo_push "≥ 1.00×"
done
[ "$HAVE_PULL" = 1 ] || echo "($BERTH has no 'pull' yet: berth's pull rows are left out)"
[ "$HAVE_PUSH" = 1 ] || echo "($BERTH has no 'push' yet: berth's push rows are left out)"
