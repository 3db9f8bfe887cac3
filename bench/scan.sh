#!/usr/bin/env bash
# bench/scan.sh: berth sbom and berth scan of a Debian image (issue 13).
#
#   bash bench/scan.sh                    # as root: reruns as user berthbench (or $BENCH_USER)
#   BERTH_BIN=… bash bench/scan.sh        # a given binary (default target/release/berth)
#   RUNS=10 RECORDS=50000 DEB_TAR=/path/to/rootfs.tar bash bench/scan.sh
#
# The image: a `mmdebstrap --variant=minbase bookworm` rootfs tar ($DEB_TAR,
# default /work/fixtures/debian-bookworm.tar; made here, as root, when
# absent), imported with `berth import`. In one run:
#   import   `berth import` of the tar into an empty root: what cataloguing
#            the layer as it streams in (for sbom and scan) costs the import.
#   sbom     `berth sbom deb --format json` against the floor of reading the
#            same dpkg database: `dpkg-query --admindir=<its var/lib/dpkg> -W`
#            (target ≤ 2×). "After import" is the user's path: the import
#            left the layer's facts in <root>/sbom, so no blob is read.
#            "Cold" removes them first: the layer blob is streamed and every
#            entry looked at, as for a layer that entered the store before
#            berth catalogued on the way in (reported, not the target).
#   scan     `berth scan deb` against a synthetic OSV Debian:12 database of
#            $RECORDS records (generated here: each of the image's source
#            packages named by a few records, some fixed below its version,
#            some above; the rest spread over 10,000 made-up names), laid out
#            as gsutil leaves an export (one JSON file a record) and as one
#            all.zip. Cold: no index and no cached result (the index is
#            built, then the scan); warm: the index kept, the cached result
#            removed (the matching is done again); cached: the gate's case,
#            same image and database version. Target < 1 s.
#   Syft, Grype and Trivy are compared only where Debian 12 or PyPI has
#   them; they are in neither, and the script says so.
# Times are medians of $RUNS runs after one untimed, wall clock from bash's
# $EPOCHREALTIME; `uptime` is printed, since others may load the machine.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=.ci/lib.sh
source "$HERE/.ci/lib.sh"
RUNS=${RUNS:-10}
RECORDS=${RECORDS:-50000}
DEB_TAR=${DEB_TAR:-/work/fixtures/debian-bookworm.tar}
die() { echo "bench/scan.sh: $*" >&2; exit 1; }

if [ "$(id -u)" = 0 ]; then
  if [ ! -s "$DEB_TAR" ]; then
    command -v mmdebstrap >/dev/null || install_packages mmdebstrap
    DEB_TAR=/tmp/berth-bench-debian-bookworm.tar
    if [ ! -s "$DEB_TAR" ]; then
      say "making $DEB_TAR with mmdebstrap (needs Debian's mirror)"
      mmdebstrap --variant=minbase bookworm "$DEB_TAR.tmp" >&2
      mv "$DEB_TAR.tmp" "$DEB_TAR"
    fi
  fi
  chmod 0644 "$DEB_TAR"
  BENCH_USER=${BENCH_USER:-berthbench} bench_as_user scan RUNS="$RUNS" RECORDS="$RECORDS" DEB_TAR="$DEB_TAR"
fi

BERTH=${BERTH_BIN:-$HERE/target/release/berth}
[ -x "$BERTH" ] || die "no berth binary at $BERTH (cargo build --release, or set BERTH_BIN)"
"$BERTH" scan --help >/dev/null 2>&1 || die "$BERTH has no 'scan' (a stale build? rebuild it)"
for t in dpkg-query python3 tar; do
  command -v "$t" >/dev/null || die "$t is not installed"
done
[ -r "$DEB_TAR" ] || die "cannot read the Debian rootfs tar $DEB_TAR"
[ "$RUNS" -ge 1 ] 2>/dev/null || die "RUNS must be a number ≥ 1"

W=$(mktemp -d /tmp/berth-bench-scan.XXXXXX)
trap 'rm -rf "$W"' EXIT
BROOT=$W/root
berth_() { "$BERTH" --root "$BROOT" "$@"; }

say "importing $DEB_TAR"
berth_ import "$DEB_TAR" deb >/dev/null
mkdir -p "$W/rootfs"
tar -xf "$DEB_TAR" -C "$W/rootfs" ./var/lib/dpkg 2>/dev/null || tar -xf "$DEB_TAR" -C "$W/rootfs" var/lib/dpkg
ADMIN=$W/rootfs/var/lib/dpkg
[ -s "$ADMIN/status" ] || die "$DEB_TAR has no var/lib/dpkg/status"
PKGS=$(dpkg-query --admindir="$ADMIN" -W | wc -l)

# time_ms CMD…: one run's wall time in ms.
time_ms() {
  local t0 t1
  t0=$EPOCHREALTIME
  "$@" >/dev/null 2>&1 || die "failed: $*"
  t1=$EPOCHREALTIME
  python3 -c "print(f'{($t1 - $t0) * 1000:.1f}')"
}
# median PREP CMD…: the median over $RUNS runs of CMD in ms, PREP (a shell
# function name, or :) untimed before each, one untimed run first.
median() {
  local prep=$1 i out=()
  shift
  "$prep"; "$@" >/dev/null 2>&1 || die "failed: $*"
  for ((i = 0; i < RUNS; i++)); do
    "$prep"
    out+=("$(time_ms "$@")")
  done
  printf '%s\n' "${out[@]}" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m}'
}
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

say "generating $RECORDS OSV Debian:12 records"
dpkg-query --admindir="$ADMIN" -W -f '${source:Package} ${Version}\n' | sort -u >"$W/sources"
python3 - "$W/sources" "$W/db" "$RECORDS" <<'EOF'
import json, os, random, sys, zipfile
sources, db, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
random.seed(13)
real = [l.split()[0] for l in open(sources) if l.strip()]
vectors = ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
           "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
           "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
           "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N"]
os.makedirs(f"{db}/dir/Debian", exist_ok=True)
z = zipfile.ZipFile(f"{db}/all.zip", "w", zipfile.ZIP_DEFLATED)
for i in range(total):
    if i < len(real) * 4:
        name = real[i % len(real)]
        # Half fixed below anything installed, half in a release to come.
        fixed = "0.0.1-1" if i % 2 else "99:1.0-1"
    else:
        name = f"synthetic-{random.randrange(10000)}"
        fixed = f"{random.randrange(1, 9)}.{random.randrange(20)}-{random.randrange(1, 5)}"
    rid = f"DSA-{i:06d}-1"
    rec = {"schema_version": "1.6.0", "id": rid, "modified": "2024-06-01T00:00:00Z",
           "aliases": [f"CVE-2099-{i}"], "summary": f"synthetic record {i}",
           "severity": [{"type": "CVSS_V3", "score": vectors[i % 4]}],
           "affected": [{"package": {"ecosystem": "Debian:12", "name": name},
                         "ranges": [{"type": "ECOSYSTEM",
                                     "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]}
    text = json.dumps(rec)
    with open(f"{db}/dir/Debian/{rid}.json", "w") as f:
        f.write(text)
    z.writestr(f"{rid}.json", text)
z.close()
EOF

no_index() { rm -rf "$BROOT/osv-index" "$BROOT/scan-cache"; }
no_cache() { rm -rf "$BROOT/scan-cache"; }
no_facts() { rm -rf "$BROOT/sbom"; }
IROOT=$W/import-root
no_root() { "$BERTH" --root "$IROOT" system reset -f >/dev/null 2>&1 || true; }

say "measuring ($RUNS runs each)"
T_IMPORT=$(median no_root "$BERTH" --root "$IROOT" import "$DEB_TAR" deb)
no_root
T_FLOOR=$(median : dpkg-query --admindir="$ADMIN" -W)
T_SBOM=$(median : berth_ sbom deb --format json)
T_SBOM_COLD=$(median no_facts berth_ sbom deb --format json)
declare -A T
for form in dir all.zip; do
  db=$W/db/$form
  T[$form.cold]=$(median no_index berth_ scan --db "$db" deb)
  T[$form.warm]=$(median no_cache berth_ scan --db "$db" deb)
  T[$form.cached]=$(median : berth_ scan --db "$db" deb)
done
FOUND=$(berth_ scan --db "$W/db/dir" --format json deb | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')

echo "berth scan benchmark: median of $RUNS runs; $(nproc) cores; load:$(uptime | sed 's/.*load average://')"
echo "image: $DEB_TAR ($PKGS packages); database: $RECORDS synthetic Debian:12 records; $FOUND findings"
printf '%-52s %10s %8s  %s\n' command "median ms" ratio target
printf '%-52s %10s %8s  %s\n' "berth import (the Debian tar, empty root)" "$T_IMPORT" "" ""
printf '%-52s %10s %8s  %s\n' "dpkg-query --admindir=… -W (floor)" "$T_FLOOR" "" ""
printf '%-52s %10s %8s  %s\n' "berth sbom deb --format json, after import" "$T_SBOM" "$(ratio "$T_SBOM" "$T_FLOOR")×" "≤ 2× the floor"
printf '%-52s %10s %8s  %s\n' "berth sbom deb --format json, cold (facts removed)" "$T_SBOM_COLD" "$(ratio "$T_SBOM_COLD" "$T_FLOOR")×" ""
for form in dir all.zip; do
  label="OSV directory ($RECORDS files)"
  [ "$form" = all.zip ] && label="OSV all.zip"
  printf '%-52s %10s %8s  %s\n' "berth scan deb, $label, cold" "${T[$form.cold]}" "" "< 1000 ms"
  printf '%-52s %10s %8s  %s\n' "berth scan deb, $label, warm index" "${T[$form.warm]}" "" "< 1000 ms"
  printf '%-52s %10s %8s  %s\n' "berth scan deb, $label, cached result" "${T[$form.cached]}" "" ""
done
for tool in syft grype trivy; do
  if command -v "$tool" >/dev/null; then
    echo "$tool: installed but not compared by this script"
  else
    echo "$tool: not compared (not packaged in Debian 12, not on PyPI)"
  fi
done
