"""The batch module: each item goes through the one install engine, independently, with one summary."""

from __future__ import annotations

import hashlib
import json
import os
import sys

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.pronk8s.platform.plugins.modules import verified_binaries
from mirror import MirrorServer


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


A = b"#!/bin/sh\necho 'a v1'\n"
B = b"#!/bin/sh\necho 'b v1'\n"
RESULTS: list[dict] = []


@pytest.fixture(autouse=True)
def capture(module_exits, monkeypatch):
    # run() pops from RESULTS: point it at this test's record of exit_json/fail_json (conftest.py).
    monkeypatch.setattr(sys.modules[__name__], "RESULTS", module_exits)


@pytest.fixture
def server(tmp_path):
    with MirrorServer(tmp_path / "mirror") as m:
        yield m


def run(artifacts: list[dict], check: bool = False, **options) -> dict:
    with patch_module_args({"artifacts": artifacts, **options, "_ansible_check_mode": check, "_ansible_diff": True}):
        with pytest.raises(SystemExit):
            verified_binaries.main()
    return RESULTS.pop()


def items(tmp_path, server, b_digest: str | None = None) -> list[dict]:
    receipts = str(tmp_path / "receipts")
    return [
        {"name": "a", "url": server.publish("a", A), "checksum": sha(A), "dest": str(tmp_path / "bin" / "a"),
         "receipt_dir": receipts, "retries": 0, "validate": "%s", "validate_contains": "v1"},
        {"name": "b", "url": server.publish("b", B), "checksum": b_digest or sha(B), "dest": str(tmp_path / "bin" / "b"),
         "receipt_dir": receipts, "retries": 0},
    ]


def test_probe_install_and_warm_run(tmp_path, server):
    batch = items(tmp_path, server)
    probe = run(batch, check=True)
    assert probe["changed"] and [r["artifact_needed"] for r in probe["results"]] == [True, True]
    assert not (tmp_path / "bin" / "a").exists()
    assert [d["before_header"] for d in probe["diff"]] == [batch[0]["dest"], batch[1]["dest"]]

    cold = run(batch)
    assert [r["outcome"] for r in cold["results"]] == ["installed", "installed"] and cold["failed_items"] == []
    assert (tmp_path / "bin" / "a").read_bytes() == A and (tmp_path / "bin" / "b").read_bytes() == B

    warm = run(batch, check=True)
    assert not warm["changed"] and not any(r["artifact_needed"] for r in warm["results"])


def test_a_failed_item_leaves_its_dest_and_says_which(tmp_path, server):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "b").write_bytes(b"old b\n")
    result = run(items(tmp_path, server, b_digest=sha(b"something else")))
    assert result["failed"] and result["failed_items"] == ["b"]
    assert result["msg"].startswith("1 of 2 artifacts failed (b: sha256 mismatch")
    assert (tmp_path / "bin" / "b").read_bytes() == b"old b\n"
    assert sorted(os.listdir(tmp_path / "bin")) == ["a", "b"], "no temporary file is left behind"
    assert (tmp_path / "bin" / "a").read_bytes() == A, "the other items are still installed"


def test_the_same_dest_twice_is_refused_before_anything_changes(tmp_path, server):
    batch = items(tmp_path, server)
    batch[1]["dest"] = batch[0]["dest"]
    result = run(batch)
    assert result["failed"] and "same dest" in result["msg"]
    assert not (tmp_path / "bin").exists()


def test_item_rules_are_the_single_modules(tmp_path, server):
    batch = items(tmp_path, server)
    batch[0]["src"] = "/nowhere"
    result = run(batch)
    assert result["failed"] and "mutually exclusive" in result["msg"]


# ---- local facts, written by the module in the same round trip -------------------------------------------

def test_local_facts_are_merged_and_left_alone_when_current(tmp_path, server):
    facts_dir = tmp_path / "facts.d"
    facts_dir.mkdir()
    other = '{"collection": "pronk8s.platform", "format": 1, "tools": {"kind": {"version": "0.1"}}}'
    (facts_dir / "pronk8s.fact").write_text(other)
    check = run(items(tmp_path, server), check=True, local_facts_dir=str(facts_dir))
    assert check["changed"] and check["local_facts"]["changed"]
    assert (facts_dir / "pronk8s.fact").read_text() == other, "check mode writes nothing"

    cold = run(items(tmp_path, server), local_facts_dir=str(facts_dir))
    assert cold["local_facts"]["changed"] and not cold.get("failed")
    written = json.loads((facts_dir / "pronk8s.fact").read_text())
    assert set(written["tools"]) == {"a", "b", "kind"}, "tools recorded by other runs stay listed"
    assert written["tools"]["a"]["sha256"] == sha(A) and written["tools"]["a"]["path"] == str(tmp_path / "bin" / "a")
    assert any(d.get("after_header") == str(facts_dir / "pronk8s.fact") for d in cold["diff"])
    before = os.stat(facts_dir / "pronk8s.fact")

    warm = run(items(tmp_path, server), local_facts_dir=str(facts_dir))
    assert not warm["changed"] and warm["local_facts"] == {"path": str(facts_dir / "pronk8s.fact"), "changed": False}
    assert os.stat(facts_dir / "pronk8s.fact").st_mtime_ns == before.st_mtime_ns


def test_local_facts_file_of_junk_is_rewritten_and_a_failed_item_is_not_recorded(tmp_path, server):
    facts_dir = tmp_path / "facts.d"
    facts_dir.mkdir()
    (facts_dir / "pronk8s.fact").write_text("{ truncated")
    result = run(items(tmp_path, server, b_digest="0" * 64), local_facts_dir=str(facts_dir))
    assert result["failed"] and result["failed_items"] == ["b"]
    assert set(json.loads((facts_dir / "pronk8s.fact").read_text())["tools"]) == {"a"}


def test_local_facts_that_cannot_be_written_fail_the_task_and_say_the_install_stands(tmp_path, server):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    result = run(items(tmp_path, server), local_facts_dir=str(blocker))
    assert result["failed"] and "installed and verified" in result["msg"] and str(blocker) in result["msg"]
    assert (tmp_path / "bin" / "a").read_bytes() == A


def test_catalog_tools_reaching_the_module_unresolved_are_refused(tmp_path):
    result = run([{"tool": "kubectl", "dest": str(tmp_path / "kubectl")}])
    assert result["failed"] and "resolved by the action plugin" in result["msg"]
    assert not (tmp_path / "kubectl").exists()
