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

# arm64 and armhf binaries (debootstrap's second stage, the Pi containers) run through qemu-user via
# binfmt_misc; with no systemd on the host nothing mounts or enables it. The playbook checks it again.
ensure_binfmt() {
  [[ -f /proc/sys/fs/binfmt_misc/status ]] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  local qemu
  for qemu in qemu-aarch64 qemu-arm; do
    [[ -f /proc/sys/fs/binfmt_misc/$qemu ]] || update-binfmts --enable "$qemu"
    grep -q enabled "/proc/sys/fs/binfmt_misc/$qemu" || { log "$qemu binfmt not enabled"; exit 1; }
  done
}

ensure_network() {
  docker network inspect "$PRONK8S_NETWORK" >/dev/null 2>&1 && return
  log "creating docker network $PRONK8S_NETWORK ($PRONK8S_SUBNET)"
  # Dynamic addresses come from the lower half; the upper half is free for fixed ones (the demo fleet: .250-.252).
  docker network create --subnet "$PRONK8S_SUBNET" --ip-range "${PRONK8S_SUBNET%.*}.0/25" \
    --gateway "$PRONK8S_GATEWAY" "$PRONK8S_NETWORK" >/dev/null
}

# Every image comes from the playbook users run for their own Molecule tests (one image builder):
# each is rebuilt only when the hash of its inputs (label pronk8s.inputs) changes.
build_images() {
  ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ansible-playbook "$PRONK8S_ROOT/playbooks/molecule_images.yml" \
    -e "molecule_images_cache_dir=$PRONK8S_CACHE" -e "molecule_images_prefix=$PRONK8S_IMAGE_PREFIX" -e "@$HERE/images.yml" >"$RUN_DIR/images.log" 2>&1 \
    || { log "image build failed; last lines of $RUN_DIR/images.log:"; tail -30 "$RUN_DIR/images.log"; exit 1; }
  grep -o "\"$PRONK8S_IMAGE_PREFIX/[^\"]*: [^\"]*\"" "$RUN_DIR/images.log" | tr -d '"' | sed 's/^/[testbed] image /'
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
  build_images
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
