"""The artifact and tool lookups: options, play variables (templated, as group_vars and vault give them), errors.

Run through Ansible's own plugin loader and Templar, and once through a real ansible-playbook run with an
inventory whose group_vars hold templated pins (the way users write them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import lookup_loader
from ansible.template import Templar, trust_as_template

ROOT = Path(__file__).resolve().parents[4]
KUBECTL_SHA = "924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277"


def run(terms, variables=None, plugin="pronk8s.platform.artifact", **kwargs):
    variables = variables or {}
    loader = DataLoader()
    lookup = lookup_loader.get(plugin, loader=loader, templar=Templar(loader=loader, variables=variables))
    return lookup.run(terms, variables=variables, **kwargs)


def test_kubectl_artifact_with_level_and_provenance():
    [a] = run(["kubectl"], version="v1.35.2", arch="x86_64")
    assert (a["sha256"], a["arch"], a["verification_level"], a["pin_origin"]) == (KUBECTL_SHA, "amd64", "copied", "shipped")
    assert a["url"] == "https://dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl"
    assert a["version_args"] == ["version", "--client"] and a["pin_checked"] == "cross-checked"


def test_several_tools_and_the_default_version():
    kubectl, kind = run(["kubectl", "kind"], arch="arm64")
    assert (kubectl["version"], kind["version"]) == ("1.37.1", "0.33.0")


def test_sources():
    [m] = run(["helm"], version="3.22.0", arch="amd64", source="mirror", mirror_url="http://m.lab:8080/")
    assert m["url"] == "http://m.lab:8080/get.helm.sh/helm-v3.22.0-linux-amd64.tar.gz"
    [loc] = run(["kind"], version="0.33.0", arch="amd64", source="local", local_dir="~/artifacts")
    assert loc["url"] is None
    assert loc["src"] == os.path.expanduser("~/artifacts/github.com/kubernetes-sigs/kind/releases/download/v0.33.0/kind-linux-amd64")


def test_templated_extra_pins_from_play_variables():
    # Regression (issue 12, item 16): "{{ helm_sha }}" from group_vars/vault was taken literally.
    variables = {"helm_sha": "a" * 64,
                 "pronk8s_artifact_extra_pins": {"helm": {"9.0.0": {"amd64": trust_as_template("{{ helm_sha }}")}}}}
    [a] = run(["helm"], variables, version="9.0.0", arch="amd64")
    assert (a["sha256"], a["pin_origin"], a["verification_level"]) == ("a" * 64, "user", "copied")


def test_templated_policy_and_pins_dir(tmp_path):
    (tmp_path / "kind").mkdir()
    (tmp_path / "kind" / "pins.yml").write_text(json.dumps({"pins": {"0.34.0": {"amd64": {
        "sha256": "d" * 64, "level": "checksum-file", "source": "https://x/kind-linux-amd64.sha256sum"}}}}))
    variables = {"base": str(tmp_path), "level": "checksum-file",
                 "pronk8s_artifact_pins_dir": trust_as_template("{{ base }}"),
                 "pronk8s_artifact_minimum_verification": {"default": trust_as_template("{{ level }}")}}
    [a] = run(["kind"], variables, version="0.34.0", arch="amd64")
    assert (a["pin_origin"], a["verification_level"]) == ("pinned", "checksum-file")
    with pytest.raises(AnsibleLookupError, match="kind 0.33.0 amd64 is pinned at verification level 'copied'.*below the minimum 'checksum-file'"):
        run(["kind"], variables, version="0.33.0", arch="amd64")


def test_pins_beside_the_inventory_are_found(tmp_path):
    (tmp_path / "pronk8s-pins" / "kind").mkdir(parents=True)
    (tmp_path / "pronk8s-pins" / "kind" / "pins.yml").write_text(json.dumps({"pins": {"0.34.0": {"amd64": {
        "sha256": "d" * 64, "level": "checksum-file", "source": "https://x/kind-linux-amd64.sha256sum"}}}}))
    [a] = run(["kind"], {"inventory_dir": str(tmp_path)}, version="0.34.0", arch="amd64")
    assert a["sha256"] == "d" * 64


def test_options_win_over_variables():
    variables = {"pronk8s_artifact_minimum_verification": "signature"}
    with pytest.raises(AnsibleLookupError, match="below the minimum 'signature'"):
        run(["kubectl"], variables, version="1.35.2", arch="amd64")
    assert run(["kubectl"], variables, version="1.35.2", arch="amd64", minimum_verification="copied")[0]["sha256"] == KUBECTL_SHA


@pytest.mark.parametrize("kwargs,message", [
    (dict(version="1.99.0", arch="amd64"), "kubectl 1.99.0 has no sha256 pin for amd64; pinned versions for amd64: 1.37.1, 1.37.0"),
    (dict(version="1.35.2", arch="mips"), "kubectl has no pins for architecture 'mips'"),
])
def test_errors_are_lookup_errors(kwargs, message):
    with pytest.raises(AnsibleLookupError, match=message):
        run(["kubectl"], **kwargs)


def test_override_warns_and_replaces():
    variables = {"pronk8s_artifact_extra_pins": {"kubectl": {"1.35.2": {"amd64": "b" * 64}}}}
    with pytest.raises(AnsibleLookupError, match="would replace the shipped pin"):
        run(["kubectl"], variables, version="1.35.2", arch="amd64")
    variables["pronk8s_artifact_unsafe_override_shipped_pins"] = True
    assert run(["kubectl"], variables, version="1.35.2", arch="amd64")[0]["sha256"] == "b" * 64


def test_tool_lookup():
    [kubectl, helm] = run(["kubectl", "helm"], plugin="pronk8s.platform.tool")
    assert kubectl["version_args"] == ["version", "--client"] and kubectl["signature_type"] == "sigstore"
    assert helm["archive_member"] == "linux-{arch}/helm" and helm["best_level"] == "signature"
    with pytest.raises(AnsibleLookupError, match="no tool 'flux' in the catalog"):
        run(["flux"], plugin="pronk8s.platform.tool")


def test_vault_style_group_vars_through_a_real_playbook(tmp_path):
    """The way users write it: the sha256 in one variable, the pins referring to it, in group_vars."""
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "all.yml").write_text(
        'helm_sha: "' + "c" * 64 + '"\npronk8s_artifact_extra_pins:\n  helm:\n    "9.1.0":\n      amd64: "{{ helm_sha }}"\n')
    (tmp_path / "hosts.ini").write_text("box ansible_connection=local\n")
    (tmp_path / "play.yml").write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.debug:\n"
        "        msg: \"{{ lookup('pronk8s.platform.artifact', 'helm', version='9.1.0', arch='amd64').sha256 }}\"\n")
    collections = os.environ.get("PRONK8S_COLLECTIONS", str(ROOT / ".cache" / "collections"))
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": collections, "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"}
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(tmp_path / "hosts.ini"),
                           str(tmp_path / "play.yml")], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["box"]
    assert result["msg"] == "c" * 64
