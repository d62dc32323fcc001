#!/usr/bin/env bash
# The main job: a local simulated fleet (one amd64 workstation; two "Raspberry Pi" nodes under emulation,
# pi-1 Debian 12 arm64 and pi-2 Debian 13 armhf, the 32-bit userland) provisioned
# by `ansible-playbook -i inventories/demo pronk8s.platform.site`, then a summary.
#   demo.sh up      set up everything (packages, engine, images, artifacts), start the fleet, run site
#   demo.sh down    remove the fleet
#   demo.sh audit   audit the running fleet (the last step of `up`)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../testbed/env.sh"
cd "$PRONK8S_ROOT"
DEMO_DIR="$PRONK8S_CACHE/demo-artifacts"
IMAGES="$PRONK8S_CACHE/demo-images"
HELM_PIN=$(awk '/amd64:/ {print $2}' inventories/demo/group_vars/all.yml)
CAPS=(AUDIT_CONTROL AUDIT_WRITE BLOCK_SUSPEND CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID IPC_LOCK IPC_OWNER KILL
      LEASE LINUX_IMMUTABLE MAC_ADMIN MAC_OVERRIDE MKNOD NET_ADMIN NET_BIND_SERVICE NET_BROADCAST NET_RAW SETFCAP SETGID
      SETPCAP SETUID SYSLOG SYS_ADMIN SYS_BOOT SYS_CHROOT SYS_MODULE SYS_NICE SYS_PACCT SYS_PTRACE SYS_RAWIO
      SYS_TTY_CONFIG WAKE_ALARM)

log() { printf '[demo] %s\n' "$*"; }

running() { [[ "$(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" == true ]]; }

start_workstation() {
  local name=pronk8s-demo-workstation
  running "$name" && return
  docker rm -f "$name" >/dev/null 2>&1 || true
  local caps=()
  for c in "${CAPS[@]}"; do caps+=(--cap-add "$c"); done
  docker run -d --name "$name" --hostname workstation --label pronk8s.testbed=demo \
    --network "$PRONK8S_NETWORK" --ip 172.30.90.250 "${caps[@]}" \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined --cgroupns host \
    -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock --tmpfs /var/lib/docker:exec,size=3g \
    -v "$PRONK8S_SSH_KEY.pub:/root/.ssh/authorized_keys:ro" -v "$IMAGES:/var/tmp/pronk8s-images:ro" \
    --stop-signal SIGRTMIN+3 "$PRONK8S_IMAGE_SYSTEMD" >/dev/null
}

start_pi() {
  local n=$1 image=$2 name="pronk8s-demo-pi-$1"
  running "$name" && return
  docker rm -f "$name" >/dev/null 2>&1 || true
  # A Pi 4's /proc/cpuinfo (runc allows this mount): pi_facts reads the model there when no device tree exists.
  docker run -d --name "$name" --hostname "pi-$n" --label pronk8s.testbed=demo \
    --network "$PRONK8S_NETWORK" --ip "172.30.90.25$n" \
    -v "$PRONK8S_ROOT/roles/molecule_images/files/pi/proc/cpuinfo-pi4-model-b:/proc/cpuinfo:ro" \
    -v "$PRONK8S_SSH_KEY.pub:/root/.ssh/authorized_keys:ro" "$image" >/dev/null
}

wait_ssh() {
  for ip in 172.30.90.250 172.30.90.251 172.30.90.252; do
    for _ in $(seq 1 120); do
      ssh -i "$PRONK8S_SSH_KEY" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
        -o ConnectTimeout=3 "root@$ip" true 2>/dev/null && continue 2
      sleep 1
    done
    log "no SSH answer from $ip"; exit 1
  done
}

up() {
  bash tests/testbed/bootstrap.sh
  bash tests/testbed/testbed.sh up
  log "filling the air-gapped artifact directory $DEMO_DIR"
  python tests/testbed/real_artifacts.py "$DEMO_DIR" "$HELM_PIN"
  mkdir -p "$IMAGES"
  [[ -s "$IMAGES/debian-bookworm.tar" ]] || docker save -o "$IMAGES/debian-bookworm.tar" "$PRONK8S_IMAGE_BASE"
  log "starting the fleet (workstation amd64, pi-1 arm64 Debian 12, pi-2 armhf Debian 13, both Pis emulated)"
  start_workstation; start_pi 1 "$PRONK8S_IMAGE_PI"; start_pi 2 "$PRONK8S_IMAGE_PI_ARMHF"
  wait_ssh
  log "running: ansible-playbook -i inventories/demo pronk8s.platform.site"
  local out="$PRONK8S_CACHE/run/demo-site.log"
  ANSIBLE_PIPELINING=true ANSIBLE_FORKS=5 ANSIBLE_CALLBACK_RESULT_FORMAT=yaml \
    ansible-playbook -i inventories/demo pronk8s.platform.site | tee "$out"
  if grep -E '^[a-z0-9-]+ +: ok=' "$out" | grep -vq 'changed=0 '; then
    log "changes were made (above). Run 'make demo' again: the second run changes nothing."
  else
    log "second run: nothing changed on any host; every binary re-hashed against its receipt and still verified."
  fi
  log "remove the fleet with: make demo-teardown"
}

down() {
  docker rm -f pronk8s-demo-workstation pronk8s-demo-pi-1 pronk8s-demo-pi-2 >/dev/null 2>&1 || true
  log "fleet removed"
}

# The demo ends with the fleet audit: every binary re-hashed against its receipt, compared with the inventory
# and the catalog; the matrix printed here, the reports (JSON, Markdown, one HTML page) kept on disk.
audit() {
  local dir="$PRONK8S_CACHE/run/demo-audit" out="$PRONK8S_CACHE/run/demo-audit.log"
  mkdir -p "$dir"
  log "running: ansible-playbook -i inventories/demo pronk8s.platform.audit -e audit_report_dir=$dir"
  ANSIBLE_PIPELINING=true ANSIBLE_FORKS=5 ansible-playbook -i inventories/demo pronk8s.platform.audit \
    -e "audit_report_dir=$dir" >"$out" || { tail -n 40 "$out"; log "the audit failed (log: $out)"; exit 1; }
  PYTHONPATH="$PRONK8S_COLLECTIONS" python -c 'import json, sys
from ansible_collections.pronk8s.platform.plugins.plugin_utils._audit_report import to_text
sys.stdout.write(to_text(json.load(open(sys.argv[1]))))' "$dir/audit.json"
  log "audit report: $dir/audit.html (also audit.md, audit.json)"
}

case "${1:-up}" in
  up) up; audit ;;
  audit) audit ;;
  down) down ;;
  *) echo "usage: $0 up|audit|down" >&2; exit 2 ;;
esac
