"""The pin playbook end to end, and the air-gapped re-verification of its evidence with the network cut.

Everything runs through ansible-playbook against the test bed's mirror (tests/testbed/mirror.py), which
serves checksum and signature files in upstream's host/path layout. Signature material: the REAL Sigstore
production bundle vendored from sigstore-python, and OpenPGP signatures by a gpg-made key. Upstream's own
kubectl and helm signers cannot sign for this test, so a copy of the shipped catalog names these signers
instead (tests/testbed/signed_catalog.py): a test double of the trust roots only; the playbooks, plugins,
verification libraries (sigstore, gpgv) and file layouts are the real ones.
The air-gapped run is a real network cut: ansible-playbook runs in a new, empty network namespace (unshare -n).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import signed_catalog
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "unit" / "plugins" / "module_utils"))
from gpg_keys import make_key  # noqa: E402  (throwaway keys made by the real gpg)

LOCAL = "localhost ansible_connection=local ansible_python_interpreter={python}\n"


@pytest.fixture
def cat(tmp_path):
    return signed_catalog.shipped_with_test_signers(tmp_path / "catalog", make_key)


@pytest.fixture
def inv(tmp_path):
    directory = tmp_path / "inventory"
    directory.mkdir()
    (directory / "hosts.ini").write_text(LOCAL.format(python=sys.executable))
    return directory / "hosts.ini"


def pin(ansible, cat, inv, mirror, tool, versions, *args, **extra):
    return ansible.playbook(ROOT / "playbooks" / "pin.yml", inv, *args, env={"PRONK8S_CATALOG_DIR": str(cat.root)},
                            extra_vars={"pin_tool": tool, "pin_versions": versions, "pin_arches": ["amd64"],
                                        "pin_from_url": mirror.url, **extra})


def pins(inv: Path, tool: str) -> dict:
    path = inv.parent / "pronk8s-pins" / tool / "pins.yml"
    return yaml.safe_load(path.read_text())["pins"] if path.is_file() else {}


def test_new_versions_pinned_with_evidence(ansible, mirror, cat, inv):
    kubectl_sha = signed_catalog.publish_kubectl(mirror, "9.0.0")
    helm_sha = signed_catalog.publish_helm(mirror, cat, "9.0.0", b"helm 9.0.0 archive" * 1000)

    res = pin(ansible, cat, inv, mirror, "kubectl", ["v9.0.0"])
    assert res.rc == 0, res.stdout[-3000:]
    done = res.task("Pin kubectl v9.0.0")
    assert done["changed"] and done["pinned"][0]["level"] == "signature"
    entry = pins(inv, "kubectl")["9.0.0"]["amd64"]
    assert (entry["sha256"], entry["level"]) == (kubectl_sha, "signature")
    assert entry["source"] == "https://dl.k8s.io/release/v9.0.0/bin/linux/amd64/kubectl.sha256"
    assert (inv.parent / "pronk8s-pins" / "kubectl" / entry["evidence"][0]).is_file()

    res = pin(ansible, cat, inv, mirror, "helm", ["9.0.0"])
    assert res.rc == 0, res.stdout[-3000:]
    entry = pins(inv, "helm")["9.0.0"]["amd64"]
    assert (entry["sha256"], entry["level"]) == (helm_sha, "signature")
    assert entry["evidence"] == ["evidence/9.0.0/amd64/helm-v9.0.0-linux-amd64.tar.gz.asc"]
    assert cat.pinned_key.fingerprint in res.task("Pin helm 9.0.0")["msg"]

    again = pin(ansible, cat, inv, mirror, "helm", ["9.0.0"])
    assert again.rc == 0 and not again.task("Pin helm 9.0.0")["changed"]


def test_republished_artifact_refused_with_both_sums(ansible, mirror, cat, inv):
    first = signed_catalog.publish_helm(mirror, cat, "9.1.0", b"original" * 100)
    assert pin(ansible, cat, inv, mirror, "helm", ["9.1.0"]).rc == 0
    before = (inv.parent / "pronk8s-pins" / "helm" / "pins.yml").read_text()
    second = signed_catalog.publish_helm(mirror, cat, "9.1.0", b"republished" * 100)  # validly signed, yet different
    res = pin(ansible, cat, inv, mirror, "helm", ["9.1.0"])
    assert res.rc != 0
    assert "republished or tampered with" in res.stdout and first in res.stdout and second in res.stdout
    assert "nothing was written" in res.stdout
    assert (inv.parent / "pronk8s-pins" / "helm" / "pins.yml").read_text() == before


def test_bad_signatures_are_refused_and_nothing_is_written(ansible, mirror, cat, inv):
    signed_catalog.publish_helm(mirror, cat, "9.2.0", b"by another key" * 100, signer=cat.other_key)
    res = pin(ansible, cat, inv, mirror, "helm", ["9.2.0"], pin_minimum_level="checksum-file")
    assert res.rc != 0 and "NO_PUBKEY" in res.stdout
    kubectl_sha = signed_catalog.publish_kubectl(mirror, "9.2.0")
    mirror.publish("dl.k8s.io/release/v9.2.0/bin/linux/amd64/kubectl", b"tampered")
    mirror.publish("dl.k8s.io/release/v9.2.0/bin/linux/amd64/kubectl.sha256", ("0" * 64 + "\n").encode())
    res = pin(ansible, cat, inv, mirror, "kubectl", ["9.2.0"])
    assert res.rc != 0 and "Sigstore verification failed for sha256 " + "0" * 64 in res.stdout
    assert kubectl_sha not in res.stdout
    assert not (inv.parent / "pronk8s-pins").exists()


def test_missing_signature_refused_at_signature_accepted_at_checksum_file(ansible, mirror, cat, inv):
    digest = signed_catalog.publish_helm(mirror, cat, "9.3.0", b"unsigned" * 100, signature=False)
    res = pin(ansible, cat, inv, mirror, "helm", ["9.3.0"])
    assert res.rc != 0 and "reached level 'checksum-file'" in res.stdout and "below the minimum 'signature'" in res.stdout
    assert not (inv.parent / "pronk8s-pins").exists()
    res = pin(ansible, cat, inv, mirror, "helm", ["9.3.0"], pin_minimum_level="checksum-file")
    assert res.rc == 0, res.stdout[-3000:]
    entry = pins(inv, "helm")["9.3.0"]["amd64"]
    assert (entry["sha256"], entry["level"], entry.get("evidence")) == (digest, "checksum-file", None)


def test_kind_reaches_checksum_file_and_says_so(ansible, mirror, cat, inv):
    mirror.publish("github.com/kubernetes-sigs/kind/releases/download/v0.34.0/kind-linux-amd64.sha256sum",
                   ("7" * 64 + "  kind-linux-amd64\n").encode())
    check = pin(ansible, cat, inv, mirror, "kind", ["0.34.0"], "--check", "--diff")
    assert check.rc == 0 and check.task("Pin kind 0.34.0")["changed"], check.stdout[-3000:]
    assert check.task("Pin kind 0.34.0")["written"] == [] and not (inv.parent / "pronk8s-pins").exists()
    res = pin(ansible, cat, inv, mirror, "kind", ["0.34.0"])
    assert res.rc == 0, res.stdout[-3000:]
    assert "kind publishes no signature: its pins are at level checksum-file at best" in res.task("Pin kind 0.34.0")["msg"]
    assert pins(inv, "kind")["0.34.0"]["amd64"]["level"] == "checksum-file"


def test_air_gapped_run_reverifies_stored_evidence_with_the_network_cut(ansible, mirror, cat, inv, tmp_path):
    signed_catalog.publish_kubectl(mirror, "9.4.0")
    signed_catalog.publish_helm(mirror, cat, "9.4.0", b"helm 9.4.0" * 1000)
    for tool in ("kubectl", "helm"):
        assert pin(ansible, cat, inv, mirror, tool, ["9.4.0"]).rc == 0
    env = {"PRONK8S_CATALOG_DIR": str(cat.root)}
    local = tmp_path / "artifacts"
    mirror_vars = {"mirror_dir": str(local), "mirror_tools": ["kubectl", "helm"], "kubectl_version": "9.4.0",
                   "helm_version": "9.4.0", "kubectl_arch": "amd64", "helm_arch": "amd64",
                   "pronk8s_artifact_minimum_verification": "signature"}
    filled = ansible.playbook(ROOT / "playbooks" / "mirror.yml", inv, env=env,
                              extra_vars={**mirror_vars, "mirror_from_url": mirror.url})
    assert filled.rc == 0, filled.stdout[-3000:]
    bundle = local / "dl.k8s.io/release/v9.4.0/bin/linux/amd64/kubectl.sigstore.json"
    asc = local / "github.com/helm/helm/releases/download/v9.4.0/helm-v9.4.0-linux-amd64.tar.gz.asc"
    assert bundle.is_file() and asc.is_file()
    evidence = filled.task("Store and re-verify each artifact's signature evidence")["results"]
    assert [r["level"] for r in evidence] == ["signature", "signature"]

    # The same playbook, and preflight, with no network at all: both re-verify the signatures offline.
    def cut(playbook, extra):
        argv = ["unshare", "-n", "ansible-playbook", "-i", str(inv), str(playbook), "-e", __import__("json").dumps(extra)]
        return subprocess.run(argv, capture_output=True, text=True, env={**ansible.env, **env}, cwd=ROOT, check=False)

    offline = cut(ROOT / "playbooks" / "mirror.yml", mirror_vars)
    assert offline.returncode == 0, offline.stdout[-3000:]
    assert offline.stdout.count("OpenPGP signature by pinned key") == 1 and "Sigstore bundle verified offline" in offline.stdout
    preflight = tmp_path / "preflight.yml"
    preflight.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False, "roles": [{
        "role": "pronk8s.platform.preflight", "preflight_tools": ["kubectl", "helm"], "preflight_min_free_mb": 1}]}]))
    local_vars = {**mirror_vars, "pronk8s_artifact_source": "local", "pronk8s_artifact_local_dir": str(local)}
    ok = cut(preflight, local_vars)
    assert ok.returncode == 0, ok.stdout[-3000:]
    assert "Sigstore bundle verified offline" in ok.stdout and "OpenPGP signature by pinned key" in ok.stdout

    # Stored evidence that was tampered with is caught, offline, before anything changes.
    shutil.copy(ROOT / "tests/unit/fixtures/sigstore/bundle_v3.txt.sigstore", bundle)
    asc.write_bytes(cat.other_key.gpg("--armor", "--detach-sign", "--local-user", cat.other_key.fingerprint,
                                      data=(local / "get.helm.sh/helm-v9.4.0-linux-amd64.tar.gz").read_bytes()))
    bad = cut(preflight, local_vars)
    assert bad.returncode != 0
    assert "Preflight found 2 problem(s)" in bad.stdout
    assert "stored evidence does not verify: Sigstore verification failed" in bad.stdout and "NO_PUBKEY" in bad.stdout
