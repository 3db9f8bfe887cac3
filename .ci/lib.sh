# shellcheck shell=bash
# Shared by .ci/run, .ci/demo and bench/store.sh: system packages, the
# unprivileged users the suite runs as, and the busybox rootfs tar.
# Everything here is idempotent: a second run on the same machine is a no-op.

# Debian 12 packages: the test suite needs busybox-static (the test image),
# uidmap (newuidmap/newgidmap), fuse3 (/dev/fuse and fusermount3),
# passt/slirp4netns (rootless networking), and the reference tools the interop
# tests and the benchmark compare against. The registry tests start their own
# docker-registry and need htpasswd (apache2-utils) for Basic auth and openssl
# for the TLS certificate and the token issuer's signatures; the unit tests
# check generated units with systemd-analyze (systemd). The SBOM tests
# import a minimal Debian made by mmdebstrap and check berth's SPDX and
# CycloneDX output with validators pip installs into a venv (python3-venv).
BERTH_PACKAGES=(
  bzip2 xz-utils tar systemd
  build-essential pkg-config ca-certificates git curl
  uidmap busybox-static fuse3 passt slirp4netns
  docker-registry podman skopeo umoci buildah crun oci-image-tool
  zstd apache2-utils openssl hyperfine
  man-db
  mmdebstrap python3-venv
)

say() { printf '==> %s\n' "$*" >&2; }

install_packages() {
  export DEBIAN_FRONTEND=noninteractive
  say "apt-get update"
  apt-get update -qq
  say "apt-get install ${BERTH_PACKAGES[*]}"
  apt-get install -y -qq --no-install-recommends "${BERTH_PACKAGES[@]}" >/dev/null
  # docker-registry's package starts a system service on :5000; the tests
  # start their own on 127.0.0.1 and do not want it.
  if command -v systemctl >/dev/null && systemctl is-active -q docker-registry 2>/dev/null; then
    systemctl stop docker-registry || true
  fi
}

# cargo comes from rustup, which puts it in ~/.cargo/bin.
cargo_on_path() {
  if [ -d "$HOME/.cargo/bin" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  command -v cargo >/dev/null || { echo "cargo not found (install rustup)" >&2; exit 1; }
}

# next_subid_start FILE: the first id after every range in FILE (>= 100000).
next_subid_start() {
  awk -F: 'BEGIN { m = 100000 } NF >= 3 { e = $2 + $3; if (e > m) m = e } END { print m }' "$1"
}

# ensure_user_with_range NAME: a user with a 65536-id subuid and subgid range.
ensure_user_with_range() {
  local u=$1 f start
  id -u "$u" >/dev/null 2>&1 || useradd -m -s /bin/bash "$u"
  for f in /etc/subuid /etc/subgid; do
    touch "$f"
    if ! awk -F: -v u="$u" '$1 == u && $3 >= 65536 { ok = 1 } END { exit !ok }' "$f"; then
      sed -i "/^$u:/d" "$f"
      start=$(next_subid_start "$f")
      echo "$u:$start:65536" >>"$f"
    fi
  done
  ensure_runtime_dir "$u"
}

# ensure_user_without_range NAME: a user with no subuid/subgid range at all.
ensure_user_without_range() {
  local u=$1
  id -u "$u" >/dev/null 2>&1 || useradd -m -s /bin/bash -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$u"
  sed -i "/^$u:/d" /etc/subuid /etc/subgid 2>/dev/null || true
  ensure_runtime_dir "$u"
}

# XDG_RUNTIME_DIR for USER, as logind would make it: /tmp/run-UID, 0700.
ensure_runtime_dir() {
  local u=$1 uid
  uid=$(id -u "$u")
  install -d -m 0700 -o "$u" -g "$(id -g "$u")" "/tmp/run-$uid"
}

# /dev/fuse and /dev/net/tun are 0600 root on these machines.
open_devices() {
  local d
  for d in /dev/fuse /dev/net/tun; do
    [ -e "$d" ] && chmod 666 "$d"
  done
  return 0
}

# as_user USER CMD...: run CMD as USER with a login-like environment.
as_user() {
  local u=$1 uid home
  shift
  uid=$(id -u "$u")
  home=$(getent passwd "$u" | cut -d: -f6)
  runuser -u "$u" -- env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
    HOME="$home" USER="$u" LOGNAME="$u" XDG_RUNTIME_DIR="/tmp/run-$uid" \
    LANG=C.UTF-8 "$@"
}

# make_busybox_tar OUT [EXTRA_DIR]: the test image's rootfs as a tar, the same
# layout tests/util makes: /bin/busybox and one symlink per applet, passwd and
# group with root and nobody, /tmp 1777, empty /root /proc /dev /sys; sorted,
# owned by 0:0, mtimes fixed. EXTRA_DIR's content, if given, is added under /.
make_busybox_tar() {
  local out=$1 extra=${2:-} stage a
  stage=$(mktemp -d)
  chmod 0755 "$stage"
  mkdir -p "$stage"/{bin,etc,tmp,root,proc,dev,sys}
  cp /bin/busybox "$stage/bin/busybox"
  for a in $(/bin/busybox --list); do
    [ "$a" = busybox ] || ln -s busybox "$stage/bin/$a"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$stage/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$stage/etc/group"
  chmod 1777 "$stage/tmp"
  chmod 0700 "$stage/root"
  if [ -n "$extra" ]; then
    cp -a "$extra"/. "$stage"/
  fi
  tar -C "$stage" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    --format=pax --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -cf "$out" .
  rm -rf "$stage"
}

# bench_as_user NAME [VAR=VALUE…]: as root, re-runs bench/NAME.sh as the
# unprivileged bench user ($BENCH_USER, default berthbench, with a subuid
# range), from a world-readable stage holding the berth binary ($BERTH_BIN,
# else target/release/berth, built if missing), in a private mount namespace
# without the cgroup2 mount (crun and podman refuse hybrid cgroups, see
# ../shared/PEERS.md). The VARs are passed on. Does not return.
bench_as_user() {
  local name=$1 here bin stage user
  shift
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  user=${BENCH_USER:-berthbench}
  bin=${BERTH_BIN:-$here/target/release/berth}
  if [ ! -x "$bin" ]; then
    cargo_on_path
    (cd "$here" && cargo build --locked --release)
  fi
  ensure_user_with_range "$user"
  open_devices
  stage=$(mktemp -d "/tmp/berth-bench-$name-stage.XXXXXX")
  chmod 0755 "$stage"
  install -d -m 0755 "$stage/.ci" "$stage/bench"
  install -m 0755 "$bin" "$stage/berth"
  install -m 0644 "$here/.ci/lib.sh" "$stage/.ci/lib.sh"
  install -m 0755 "$here/bench/$name.sh" "$stage/bench/$name.sh"
  cd "$stage"
  # Slave propagation: the host keeps its mounts.
  local rc=0
  unshare -m --propagation slave sh -c '
    if mountpoint -q /sys/fs/cgroup/unified; then umount -l /sys/fs/cgroup/unified; fi
    mount --make-rshared /
    exec "$@"' sh \
    runuser -u "$user" -- env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
    HOME="$(getent passwd "$user" | cut -d: -f6)" USER="$user" LOGNAME="$user" \
    XDG_RUNTIME_DIR="/tmp/run-$(id -u "$user")" LANG=C.UTF-8 \
    BERTH_BIN="$stage/berth" "$@" \
    bash "$stage/bench/$name.sh" || rc=$?
  cd /
  rm -rf "$stage"
  exit $rc
}

# private_peer DIR TMPDIR: a private rootless podman/buildah setup under DIR
# (../shared/PEERS.md settings; storage under DIR/home, runtime dir DIR/run:
# rootless podman ignores graphroot/runroot). Sets PEER_ENV, the `env …`
# prefix that runs a peer tool with it.
private_peer() {
  local peer=$1 tmp=$2
  mkdir -p "$peer/home/.config/containers" "$peer/run"
  chmod 0700 "$peer/run"
  cat >"$peer/home/.config/containers/containers.conf" <<CONF
[containers]
cgroups = "disabled"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "crun"
CONF
  cat >"$peer/home/.config/containers/storage.conf" <<CONF
[storage]
driver = "overlay"
CONF
  PEER_ENV=(env HOME="$peer/home" XDG_RUNTIME_DIR="$peer/run" XDG_CONFIG_HOME="$peer/home/.config"
    CONTAINERS_CONF="$peer/home/.config/containers/containers.conf"
    CONTAINERS_STORAGE_CONF="$peer/home/.config/containers/storage.conf" TMPDIR="$tmp")
}
