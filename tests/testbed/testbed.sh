#!/usr/bin/env bash
# The test bed: Docker engine, the project's docker network, local images (no registry),
# an SSH key for test hosts and the artifact mirror.
#
#   testbed.sh up        start/build whatever is missing (cached; seconds when all is there)
#   testbed.sh down      remove test containers, the network and stop the mirror
#   testbed.sh status    show what is there
set -euo pipefail
# shellcheck source=tests/testbed/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
HERE="$PRONK8S_ROOT/tests/testbed"
RUN_DIR="$PRONK8S_CACHE/run"
mkdir -p "$PRONK8S_CACHE/rootfs" "$RUN_DIR" "$PRONK8S_MIRROR_DIR" "$(dirname "$PRONK8S_SSH_KEY")"

log() { printf '[testbed] %s\n' "$*"; }

start_dockerd() {
  if docker info >/dev/null 2>&1; then log "docker engine answering"; return; fi
  log "starting dockerd (no systemd on this host)"
  # setsid: the engine must outlive this script; its PID is recorded so `down --engine` ends only it.
  setsid dockerd >"$RUN_DIR/dockerd.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/dockerd.pid"
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && return; sleep 1; done
  log "dockerd did not answer within 60 s; see $RUN_DIR/dockerd.log"; exit 1
}

# arm64 binaries (debootstrap's second stage, the Pi containers) run through qemu-user via binfmt_misc;
# with no systemd on the host nothing mounts or enables it.
ensure_binfmt() {
  [[ -f /proc/sys/fs/binfmt_misc/status ]] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  [[ -f /proc/sys/fs/binfmt_misc/qemu-aarch64 ]] || update-binfmts --enable qemu-aarch64
  grep -q enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 || { log "qemu-aarch64 binfmt not enabled"; exit 1; }
}

ensure_network() {
  docker network inspect "$PRONK8S_NETWORK" >/dev/null 2>&1 && return
  log "creating docker network $PRONK8S_NETWORK ($PRONK8S_SUBNET)"
  # Dynamic addresses come from the lower half; the upper half is free for fixed ones (the demo fleet: .250-.252).
  docker network create --subnet "$PRONK8S_SUBNET" --ip-range "${PRONK8S_SUBNET%.*}.0/25" \
    --gateway "$PRONK8S_GATEWAY" "$PRONK8S_NETWORK" >/dev/null
}

image_label() { docker image inspect -f '{{ index .Config.Labels "pronk8s.inputs" }}' "$1" 2>/dev/null || true; }

# Hash of everything an image is built from, so a changed Dockerfile rebuilds and nothing else does.
inputs_hash() { (cd "$HERE" && cat "$@" | sha256sum | cut -c1-16); }

# debootstrap a rootfs once (cached as a tarball) and import it.
rootfs_image() {
  local arch=$1 tag=$2 include=$3
  local want tarball="$PRONK8S_CACHE/rootfs/bookworm-$arch.tar"
  want=$(echo "$arch $include v1" | sha256sum | cut -c1-16)
  [[ "$(image_label "$tag")" == "$want" ]] && { log "image $tag cached"; return; }
  if [[ ! -s "$tarball" || "$(cat "$tarball.inputs" 2>/dev/null)" != "$want" ]]; then
    log "debootstrap bookworm/$arch (about 1 min native, 3-4 min emulated)"
    local dir
    dir=$(mktemp -d "$PRONK8S_CACHE/rootfs/build-XXXX")
    if ! debootstrap --variant=minbase --arch="$arch" --include="$include" bookworm "$dir" http://deb.debian.org/debian >"$RUN_DIR/debootstrap-$arch.log" 2>&1; then
      log "debootstrap failed; last lines of $RUN_DIR/debootstrap-$arch.log:"; tail -5 "$RUN_DIR/debootstrap-$arch.log"
      rm -rf "$dir"; exit 1
    fi
    tar -C "$dir" -c . >"$tarball.tmp" && mv "$tarball.tmp" "$tarball"
    echo "$want" >"$tarball.inputs"
    rm -rf "$dir"
  fi
  log "importing $tag"
  docker import --change "LABEL pronk8s.inputs=$want" --change "LABEL pronk8s.arch=$arch" "$tarball" "$tag" >/dev/null
  [[ "$arch" == amd64 ]] || set_image_arch "$tag" "$arch"
}

# Engine 20.10 ignores `docker import --platform`: rewrite the architecture in the saved image.
set_image_arch() {
  local tag=$1 arch=$2 tmp
  tmp=$(mktemp -d)
  docker save "$tag" | tar -C "$tmp" -x
  python3 "$HERE/set_image_arch.py" "$tmp" "$arch"
  tar -C "$tmp" -c . | docker load >/dev/null
  rm -rf "$tmp"
}

built_image() {
  local name=$1 tag=$2 from=$3 want
  # The image's own inputs plus its base's label: a rebuilt base rebuilds what is built on it.
  want="$(inputs_hash "images/$name/Dockerfile" $(cd "$HERE" && find "images/$name" -type f ! -name Dockerfile | sort))-$(image_label "$from" | cut -c1-8)"
  [[ "$(image_label "$tag")" == "$want" ]] && { log "image $tag cached"; return; }
  log "building $tag"
  docker build -q --build-arg "BASE=$from" --label "pronk8s.inputs=$want" -t "$tag" "$HERE/images/$name" >/dev/null
  local arch
  arch=$(docker image inspect -f '{{ index .Config.Labels "pronk8s.arch" }}' "$from")
  if [[ "$arch" != amd64 && "$(docker image inspect -f '{{ .Architecture }}' "$tag")" != "$arch" ]]; then
    set_image_arch "$tag" "$arch"
  fi
}

ssh_key() {
  [[ -f "$PRONK8S_SSH_KEY" ]] && return
  log "generating test SSH key $PRONK8S_SSH_KEY"
  ssh-keygen -q -t ed25519 -N '' -C pronk8s-testbed -f "$PRONK8S_SSH_KEY"
}

start_mirror() {
  local pidfile="$RUN_DIR/mirror.pid"
  if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then log "mirror running at $PRONK8S_MIRROR_URL"; return; fi
  log "starting artifact mirror at $PRONK8S_MIRROR_URL serving $PRONK8S_MIRROR_DIR"
  setsid "$PRONK8S_VENV/bin/python" "$HERE/mirror.py" --bind "$PRONK8S_GATEWAY" --port "$PRONK8S_MIRROR_PORT" \
    --root "$PRONK8S_MIRROR_DIR" >"$RUN_DIR/mirror.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  for _ in $(seq 1 50); do curl -fsS "$PRONK8S_MIRROR_URL/_stats" >/dev/null 2>&1 && return; sleep 0.1; done
  log "mirror did not start; see $RUN_DIR/mirror.log"; exit 1
}

stop_pidfile() {
  local pidfile=$1
  [[ -f "$pidfile" ]] || return 0
  kill "$(cat "$pidfile")" 2>/dev/null || true
  rm -f "$pidfile"
}

up() {
  local t0=$SECONDS
  start_dockerd
  ensure_binfmt
  ensure_network
  rootfs_image amd64 "$PRONK8S_IMAGE_BASE" python3,ca-certificates
  # openssh-server and sudo go in at debootstrap time: installing them later under emulation is slow.
  rootfs_image arm64 "$PRONK8S_IMAGE_ARM64" python3,ca-certificates,python3-apt,openssh-server,sudo,iproute2,procps
  built_image systemd "$PRONK8S_IMAGE_SYSTEMD" "$PRONK8S_IMAGE_BASE"
  built_image sshd "$PRONK8S_IMAGE_SSHD" "$PRONK8S_IMAGE_BASE"
  built_image pi "$PRONK8S_IMAGE_PI" "$PRONK8S_IMAGE_ARM64"
  ssh_key
  start_mirror
  log "ready in $((SECONDS - t0)) s"
}

down() {
  local ids
  ids=$(docker ps -aq --filter label=pronk8s.testbed 2>/dev/null || true)
  [[ -n "$ids" ]] && { log "removing test containers"; docker rm -f $ids >/dev/null; }
  docker network rm "$PRONK8S_NETWORK" >/dev/null 2>&1 || true
  stop_pidfile "$RUN_DIR/mirror.pid"
  if [[ "${1:-}" == "--engine" ]]; then stop_pidfile "$RUN_DIR/dockerd.pid"; fi
  log "down"
}

status() {
  docker info --format 'engine {{.ServerVersion}}' 2>/dev/null || echo "engine not running"
  docker image ls --filter reference='pronk8s/*' --format '{{.Repository}}:{{.Tag}} {{.Size}}' 2>/dev/null || true
  docker ps --filter label=pronk8s.testbed --format '{{.Names}} {{.Status}}' 2>/dev/null || true
}

case "${1:-up}" in
  up) up ;;
  down) shift; down "$@" ;;
  status) status ;;
  *) echo "usage: $0 up|down [--engine]|status" >&2; exit 2 ;;
esac
