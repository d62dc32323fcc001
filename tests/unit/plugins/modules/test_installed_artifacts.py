"""installed_artifacts: receipts read by content (never by file name), files re-hashed, unmanaged executables found."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from dataclasses import fields

from ansible.module_utils.testing import patch_module_args
from ansible_collections.pronk8s.platform.plugins.module_utils._receipt import Receipt
from ansible_collections.pronk8s.platform.plugins.modules import installed_artifacts
from ansible_collections.pronk8s.platform.plugins.modules.installed_artifacts import InstalledArtifacts


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def install(bindir: Path, receipts: Path, name: str, data: bytes, receipt_name: str, **extra) -> Path:
    """A binary and its receipt as verified_binary leaves them (receipt file name deliberately arbitrary)."""
    dest = bindir / name
    dest.write_bytes(data)
    dest.chmod(0o755)
    receipts.mkdir(mode=0o700, exist_ok=True)
    receipt = {"dest": str(dest), "sha256": sha(data), "artifact_sha256": sha(b"archive-" + data), "name": name,
               "version": "1.0.0", "source": f"https://example.invalid/{name}", "installed_at": "2026-11-30T10:00:00Z",
               "format": 1, **extra}
    (receipts / receipt_name).write_text(json.dumps(receipt))
    (receipts / receipt_name).chmod(0o600)
    return dest


@pytest.fixture
def host(tmp_path: Path) -> tuple[Path, Path]:
    bindir, receipts = tmp_path / "bin", tmp_path / "receipts"
    bindir.mkdir()
    return bindir, receipts


def by_path(result: dict) -> dict:
    return {e["path"]: e for e in result["artifacts"]}


def test_ok_tampered_missing(host):
    bindir, receipts = host
    ok = install(bindir, receipts, "kubectl", b"kubectl bytes", "0f3a.json", arch="arm64", pin_origin="shipped",
                 verification_level="signature")
    bad = install(bindir, receipts, "helm", b"helm bytes", "x.json")
    gone = install(bindir, receipts, "kind", b"kind bytes", "usr_local_bin_kind.json")
    bad.write_bytes(b"helm bytes, then something else")
    gone.unlink()

    result = InstalledArtifacts(str(receipts), [str(bindir)]).run()
    entries = by_path(result)
    assert entries[str(ok)]["state"] == "ok"
    assert entries[str(ok)]["installed_sha256"] == sha(b"kubectl bytes")
    assert entries[str(ok)]["verified_at"] == result["verified_at"]
    # Fields a receipt format may add (arch, pin_origin, verification_level) pass through once _receipt reads them.
    known = {f.name for f in fields(Receipt)}
    for key, value in (("arch", "arm64"), ("pin_origin", "shipped"), ("verification_level", "signature")):
        assert entries[str(ok)][key] == (value if key in known else None)
    assert entries[str(bad)]["state"] == "tampered"
    assert entries[str(bad)]["installed_sha256"] == sha(b"helm bytes, then something else")
    assert sha(b"helm bytes") in entries[str(bad)]["message"]
    assert entries[str(gone)]["state"] == "missing" and entries[str(gone)]["installed_sha256"] is None
    # Receipts from before arch/pin_origin/verification_level existed: those fields are None, not an error.
    assert entries[str(bad)]["arch"] is None and entries[str(bad)]["verification_level"] is None
    assert result["unmanaged"] == []
    assert result["counts"] == {"ok": 1, "tampered": 1, "missing": 1, "receipt-malformed": 0, "unmanaged": 0}


def test_a_directory_where_the_binary_was_is_missing(host):
    bindir, receipts = host
    dest = install(bindir, receipts, "kind", b"kind", "a.json")
    dest.unlink()
    dest.mkdir()
    assert InstalledArtifacts(str(receipts), []).run()["artifacts"][0]["state"] == "missing"


@pytest.mark.parametrize("content, why", [
    ("{not json", "cannot be read as JSON"),
    ('["a", "list"]', "lacks an absolute installed path"),
    ('{"sha256": "' + "a" * 64 + '", "artifact_sha256": "b", "name": "kubectl"}', "lacks an absolute installed path"),
    ('{"dest": "relative/kubectl", "sha256": "a", "artifact_sha256": "b"}', "lacks an absolute installed path"),
    ('{"dest": "/usr/local/bin/kubectl", "sha256": 5, "artifact_sha256": "b"}', "lacks an absolute installed path"),
])
def test_malformed_receipts_are_reported_not_fatal(host, content, why):
    bindir, receipts = host
    install(bindir, receipts, "kubectl", b"k", "good.json")
    receipts.joinpath("broken.json").write_text(content)
    result = InstalledArtifacts(str(receipts), [str(bindir)]).run()
    broken = [e for e in result["artifacts"] if e["state"] == "receipt-malformed"]
    assert len(broken) == 1 and broken[0]["receipt"] == str(receipts / "broken.json")
    assert why in broken[0]["message"]
    assert result["counts"]["ok"] == 1 and result["counts"]["receipt-malformed"] == 1


def test_unmanaged_executables(host, tmp_path):
    bindir, receipts = host
    managed = install(bindir, receipts, "kubectl", b"k", "r.json")
    (bindir / "k9s").write_bytes(b"#!/bin/sh\n")
    (bindir / "k9s").chmod(0o755)
    (bindir / "README").write_text("not executable")
    (bindir / "kubectl-alias").symlink_to(managed)          # a link to a managed binary is managed
    elsewhere = tmp_path / "opt-tool"
    elsewhere.write_bytes(b"tool")
    elsewhere.chmod(0o755)
    (bindir / "tool").symlink_to(elsewhere)                 # a link elsewhere is not
    (bindir / "dangling").symlink_to(tmp_path / "nowhere")
    (bindir / "subdir").mkdir(mode=0o755)
    result = InstalledArtifacts(str(receipts), [str(bindir), str(tmp_path / "no-such-dir")]).run()
    assert [(u["tool"], u["sha256"], u["link_target"]) for u in result["unmanaged"]] == [
        ("k9s", sha(b"#!/bin/sh\n"), None), ("tool", sha(b"tool"), str(elsewhere))]
    assert all(u["state"] == "unmanaged" for u in result["unmanaged"])
    assert result["counts"]["unmanaged"] == 2
    unhashed = InstalledArtifacts(str(receipts), [str(bindir)], hash_unmanaged=False).run()
    assert [u["sha256"] for u in unhashed["unmanaged"]] == [None, None]


def test_no_receipt_dir_means_no_receipts(tmp_path):
    result = InstalledArtifacts(str(tmp_path / "absent"), [str(tmp_path)]).run()
    assert result["artifacts"] == [] and result["unmanaged"] == []


def run_module(args: dict, capsys) -> dict:
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            installed_artifacts.main()
    return json.loads(capsys.readouterr().out)


def test_module_changes_nothing_in_check_mode(host, capsys):
    bindir, receipts = host
    dest = install(bindir, receipts, "kubectl", b"k", "r.json")
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in [dest, *receipts.iterdir()]}
    for check in (False, True):
        out = run_module({"receipt_dir": str(receipts), "install_dirs": [str(bindir)], "_ansible_check_mode": check},
                         capsys)
        assert out["changed"] is False and out["artifacts"][0]["state"] == "ok"
    assert before == {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in [dest, *receipts.iterdir()]}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_receipt_dir_fails_clearly(host, capsys):
    bindir, receipts = host
    install(bindir, receipts, "kubectl", b"k", "r.json")
    receipts.chmod(0)
    try:
        out = run_module({"receipt_dir": str(receipts), "install_dirs": []}, capsys)
    finally:
        receipts.chmod(0o700)
    assert out["failed"] and f"cannot read the receipts in {receipts}" in out["msg"]
