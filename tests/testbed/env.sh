# Environment shared by every test-bed script. Sourced, never executed.
# shellcheck shell=bash
PRONK8S_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PRONK8S_ROOT
export PRONK8S_VENV="${PRONK8S_VENV:-$PRONK8S_ROOT/.venv}"
# Caches that must survive a clean checkout (CI) live outside the repository.
export PRONK8S_CACHE="${PRONK8S_CACHE:-/var/cache/pronk8s}"
export PRONK8S_COLLECTIONS="${PRONK8S_COLLECTIONS:-$PRONK8S_ROOT/.cache/collections}"
export ANSIBLE_COLLECTIONS_PATH="$PRONK8S_COLLECTIONS"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
# Molecule 26 prefers extensions/molecule/ for collections and warns about a top-level molecule/;
# naming the glob explicitly keeps the scenarios where the issue wants them, without the warning.
export MOLECULE_GLOB="molecule/*/molecule.yml"
export ANSIBLE_FORCE_COLOR="${ANSIBLE_FORCE_COLOR:-0}"
export VAGRANT_CHECKPOINT_DISABLE=1
export PATH="$PRONK8S_VENV/bin:$PATH"

# The docker network every test container joins; the artifact mirror listens on its gateway.
export PRONK8S_NETWORK="${PRONK8S_NETWORK:-pronk8s-net}"
export PRONK8S_SUBNET="${PRONK8S_SUBNET:-172.30.90.0/24}"
export PRONK8S_GATEWAY="${PRONK8S_GATEWAY:-172.30.90.1}"
export PRONK8S_MIRROR_PORT="${PRONK8S_MIRROR_PORT:-8690}"
export PRONK8S_MIRROR_URL="http://$PRONK8S_GATEWAY:$PRONK8S_MIRROR_PORT"
export PRONK8S_MIRROR_DIR="${PRONK8S_MIRROR_DIR:-$PRONK8S_CACHE/mirror}"

# Local images, built with no registry by pronk8s.platform.molecule_images (tests/testbed/images.yml).
export PRONK8S_IMAGE_PREFIX="pronk8s"
export PRONK8S_IMAGE_BASE="pronk8s/debian:bookworm"
export PRONK8S_IMAGE_SYSTEMD="pronk8s/systemd:bookworm"
export PRONK8S_IMAGE_SSHD="pronk8s/sshd:bookworm"
export PRONK8S_IMAGE_ARM64="pronk8s/debian-arm64:bookworm"
export PRONK8S_IMAGE_PI="pronk8s/pi:bookworm"
# Debian 13: a systemd host, an arm64 Pi and a 32-bit (armhf) Pi.
export PRONK8S_IMAGE_SYSTEMD_TRIXIE="pronk8s/systemd:trixie"
export PRONK8S_IMAGE_PI_TRIXIE="pronk8s/pi:trixie"
export PRONK8S_IMAGE_PI_ARMHF="pronk8s/pi:trixie-armhf"
export PRONK8S_SSH_KEY="$PRONK8S_CACHE/ssh/id_ed25519"
