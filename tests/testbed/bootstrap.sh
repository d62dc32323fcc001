#!/usr/bin/env bash
# Host set-up for the test bed and the demo: Debian packages, the project virtualenv and the
# dependency collections. Idempotent: every step checks before it acts, so a second run
# takes seconds.
set -euo pipefail
# shellcheck source=tests/testbed/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

log() { printf '[bootstrap] %s\n' "$*"; }

host_packages() {
  # chromium: the audit report test opens the HTML page in a real headless browser.
  # gpgv verifies OpenPGP signatures of pins; gnupg makes the throwaway keys of the signature tests.
  local wanted=(docker.io debootstrap qemu-user-static binfmt-support vagrant openssh-client python3-venv chromium gpgv gnupg)
  local missing=()
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    # --no-install-recommends: vagrant alone drags in ~400 packages otherwise.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    log "Debian packages present"
  fi
}

python_env() {
  local stamp="$PRONK8S_VENV/.requirements.sha256"
  local want
  want=$(sha256sum "$PRONK8S_ROOT/requirements-dev.txt" | cut -d' ' -f1)
  if [[ -x "$PRONK8S_VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    log "virtualenv up to date ($PRONK8S_VENV)"
    return
  fi
  log "creating virtualenv $PRONK8S_VENV"
  python3 -m venv "$PRONK8S_VENV"
  "$PRONK8S_VENV/bin/pip" install -q --disable-pip-version-check -r "$PRONK8S_ROOT/requirements-dev.txt"
  echo "$want" >"$stamp"
}

# Galaxy is unreachable here: take the four collections (and community.docker's own dependency)
# out of the `ansible` wheel from PyPI. Real users run `ansible-galaxy collection install -r requirements.yml`.
collections() {
  local dest="$PRONK8S_COLLECTIONS/ansible_collections"
  local needed=(community/docker community/library_inventory_filtering_v1 kubernetes/core ansible/posix community/general)
  local ok=1
  for c in "${needed[@]}"; do [[ -f "$dest/$c/MANIFEST.json" ]] || ok=0; done
  if ((ok == 0)); then
    log "extracting dependency collections from the ansible wheel (PyPI)"
    local tmp
    tmp=$(mktemp -d)
    "$PRONK8S_VENV/bin/pip" download -q --disable-pip-version-check --no-deps -d "$tmp" 'ansible>=12,<13'
    local patterns=()
    for c in "${needed[@]}"; do patterns+=("ansible_collections/$c/*"); done
    mkdir -p "$PRONK8S_COLLECTIONS"
    (cd "$PRONK8S_COLLECTIONS" && python3 -m zipfile -e "$tmp"/ansible-*.whl "$tmp/x" >/dev/null &&
      for c in "${needed[@]}"; do rm -rf "ansible_collections/$c"; mkdir -p "ansible_collections/$(dirname "$c")"; cp -a "$tmp/x/ansible_collections/$c" "ansible_collections/$c"; done)
    rm -rf "$tmp"
  else
    log "dependency collections present"
  fi
  # The collection itself, by FQCN, straight from the working tree.
  mkdir -p "$dest/pronk8s"
  ln -sfn "$PRONK8S_ROOT" "$dest/pronk8s/platform"
}

host_packages
python_env
collections
