"""The preflight that opens each site playbook: every problem listed at once, before anything changes."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KUBECTL = "dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl"
KUBECTL_SHA = "924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277"


def test_workstation_preflight_lists_missing_and_unpinned_artifacts(hosts, ansible, tmp_path):
    host = hosts.start("sshd", 1, prefix="pre")[0]
    empty = tmp_path / "artifacts"
    empty.mkdir()
    flat = json.loads(hosts.inventory().read_text())["all"]
    inventory = tmp_path / "inv.json"
    inventory.write_text(json.dumps({"all": {"children": {"workstations": flat}}}))
    res = ansible.playbook(ROOT / "playbooks" / "workstation.yml", inventory, extra_vars={
        # kubectl named explicitly: the test bed has the real 1.35.2 (the role default is the catalog's newest).
        "workstation_docker": False, "workstation_tools": ["kubectl", "helm"], "helm_version": "9.9.9", "kubectl_version": "1.35.2",
        "pronk8s_artifact_source": "local", "pronk8s_artifact_local_dir": str(empty)})
    assert res.rc != 0
    assert "Preflight found 2 problem(s)" in res.stdout
    assert (f"missing artifact {empty}/{KUBECTL}: download https://{KUBECTL} (sha256 {KUBECTL_SHA}) into it, "
            "or fill the directory with the pronk8s.platform.mirror playbook") in res.stdout
    assert "helm 9.9.9 has no sha256 pin for amd64; pinned versions for amd64: 4.3.0, 4.2.4" in res.stdout
    assert "Install verified" not in res.stdout
    assert host.exec("ls", "/usr/local/bin").stdout == ""


def test_preflight_refuses_pins_below_the_minimum_verification_and_changes_nothing(hosts, ansible, mirror, tmp_path):
    """The policy is checked before any change: tool, version, arch and level named, for every tool at once."""
    host = hosts.start("sshd", 1, prefix="pol")[0]
    mirror.publish(KUBECTL, b"never fetched: preflight stops first")
    flat = json.loads(hosts.inventory().read_text())["all"]
    inventory = tmp_path / "inv.json"
    inventory.write_text(json.dumps({"all": {"children": {"workstations": flat}}}))
    before = host.exec("sh", "-c", "ls -la /usr/local/bin; ls -la /var/lib/pronk8s 2>&1 || true").stdout
    mirror.reset_stats()
    res = ansible.playbook(ROOT / "playbooks" / "workstation.yml", inventory, extra_vars={
        "workstation_docker": False, "workstation_tools": ["kubectl", "helm", "kind"], "kubectl_version": "1.35.2",
        "pronk8s_artifact_source": "mirror", "pronk8s_artifact_mirror_url": mirror.url,
        "pronk8s_artifact_minimum_verification": {"default": "signature", "kind": "checksum-file"}})
    assert res.rc != 0
    assert "Preflight found 3 problem(s)" in res.stdout
    assert "kubectl 1.35.2 amd64 is pinned at verification level 'copied'" in res.stdout
    assert "below the minimum 'signature' (pronk8s_artifact_minimum_verification)" in res.stdout
    assert "helm 3.22.0 amd64 is pinned at verification level 'copied'" in res.stdout
    assert "kind 0.33.0 amd64 is pinned at verification level 'copied'" in res.stdout and "below the minimum 'checksum-file'" in res.stdout
    assert "Install verified" not in res.stdout and mirror.stats()["total_bytes"] == 0
    assert host.exec("sh", "-c", "ls -la /usr/local/bin; ls -la /var/lib/pronk8s 2>&1 || true").stdout == before
