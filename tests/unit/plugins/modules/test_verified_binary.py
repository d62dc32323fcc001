"""verified_binary run in-process against a real HTTP server on loopback and a temporary install dir.

The integration tests run the same module on real containers; these cover the decision table quickly.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.pronk8s.platform.plugins.modules import verified_binary
from mirror import MirrorServer


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


V1 = b"#!/bin/sh\necho 'tool v1'\n"
V2 = b"#!/bin/sh\necho 'tool v2'\n"


@pytest.fixture
def server(tmp_path):
    with MirrorServer(tmp_path / "mirror") as m:
        yield m


@pytest.fixture
def env(tmp_path, server):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    return {"dest": str(bindir / "tool"), "receipt_dir": str(tmp_path / "receipts"), "retries": 0}


def run(args: dict, check: bool = False, diff: bool = True) -> dict:
    with patch_module_args({**args, "_ansible_check_mode": check, "_ansible_diff": diff}):
        with pytest.raises(SystemExit):
            verified_binary.main()
    return RESULTS.pop()


RESULTS: list[dict] = []


@pytest.fixture(autouse=True)
def capture(monkeypatch):
    def exit_json(self, **kwargs):
        RESULTS.append(kwargs)
        raise SystemExit(0)

    def fail_json(self, **kwargs):
        RESULTS.append({**kwargs, "failed": True})
        raise SystemExit(1)

    monkeypatch.setattr(verified_binary.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(verified_binary.AnsibleModule, "fail_json", fail_json)


def state(env) -> tuple:
    dest, receipts = env["dest"], env["receipt_dir"]
    content = open(dest, "rb").read() if os.path.exists(dest) else None
    files = sorted(os.listdir(os.path.dirname(dest)))
    receipt = open(os.path.join(receipts, os.listdir(receipts)[0])).read() if os.path.isdir(receipts) and os.listdir(receipts) else None
    return content, files, receipt


def test_install_idempotent_check_and_repair(env, server):
    url = server.publish("v1/tool", V1)
    first = run({**env, "url": url, "checksum": sha(V1), "version": "1"})
    assert first["changed"] and first["outcome"] == "installed" and first["downloaded_bytes"] == len(V1)
    assert first["diff"] == {"before": "absent\n", "after": f"version: 1\nsha256: {sha(V1)}\n"}
    assert oct(os.stat(env["dest"]).st_mode & 0o777) == "0o755"
    receipt = json.load(open(first["receipt"]))
    assert receipt["sha256"] == sha(V1) and receipt["source"] == url and receipt["version"] == "1"

    server.reset_stats()
    second = run({**env, "url": url, "checksum": sha(V1), "version": "1"})
    assert not second["changed"] and second["outcome"] == "unchanged" and server.stats()["total_bytes"] == 0
    assert not run({**env, "url": url, "checksum": sha(V1)}, check=True)["changed"]

    with open(env["dest"], "ab") as handle:
        handle.write(b"# tampered\n")
    would = run({**env, "url": url, "checksum": sha(V1)}, check=True)
    assert would["changed"] and would["tampered"] and server.stats()["total_bytes"] == 0
    fixed = run({**env, "url": url, "checksum": sha(V1), "version": "1"})
    assert fixed["outcome"] == "repaired" and open(env["dest"], "rb").read() == V1


def test_adopts_an_identical_file_without_downloading(env, server):
    with open(env["dest"], "wb") as handle:
        handle.write(V1)
    os.chmod(env["dest"], 0o755)
    res = run({**env, "url": "http://127.0.0.1:9/never", "checksum": sha(V1)})
    assert not res["changed"] and res["outcome"] == "adopted" and os.listdir(env["receipt_dir"])


def test_mode_change_only(env, server):
    url = server.publish("v1/tool", V1)
    run({**env, "url": url, "checksum": sha(V1)})
    res = run({**env, "url": url, "checksum": sha(V1), "mode": "0700"})
    assert res["changed"] and res["outcome"] == "unchanged" and not res["artifact_needed"]
    assert oct(os.stat(env["dest"]).st_mode & 0o777) == "0o700"


@pytest.mark.parametrize("case", ["mismatch", "404", "validate", "validate_contains", "bad member"])
def test_failures_leave_everything_as_it_was(env, server, case):
    run({**env, "url": server.publish("v1/tool", V1), "checksum": sha(V1)})
    before = state(env)
    url2 = server.publish("v2/tool", V2)
    args = {
        "mismatch": {"url": url2, "checksum": "c" * 64},
        "404": {"url": url2 + ".missing", "checksum": sha(V2)},
        "validate": {"url": url2, "checksum": sha(V2), "validate": "false %s"},
        "validate_contains": {"url": url2, "checksum": sha(V2), "validate": "sh %s", "validate_contains": "tool v3"},
        "bad member": {"url": url2, "checksum": sha(V2), "archive_member": "../x"},
    }[case]
    res = run({**env, **args})
    assert res["failed"]
    expected = {
        "mismatch": (f"sha256 mismatch for {url2}: expected {'c' * 64}, got {sha(V2)} ({len(V2)} bytes received); "
                     f"{env['dest']} and its receipt were left unchanged"),
        "404": f"HTTP 404 Not Found fetching {url2}.missing (expected sha256:{sha(V2)}); {env['dest']} and its receipt were left unchanged",
        "validate": "failed its validation (false ",
        "validate_contains": "does not report 'tool v3'",
        "bad member": "archive_member '../x' must be a relative path without '..'",
    }[case]
    assert expected in res["msg"]
    assert state(env) == before


def test_archive_member_install_and_idempotence(env, server):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("linux-amd64/tool")
        info.size = len(V2)
        tar.addfile(info, io.BytesIO(V2))
    url = server.publish("t/tool.tar.gz", buf.getvalue())
    args = {**env, "url": url, "checksum": f"sha256:{sha(buf.getvalue())}", "archive_member": "linux-amd64/tool"}
    would = run(args, check=True)
    assert would["changed"] and would["diff"]["after"] == "version: unknown\nsha256: (known after extraction)\n"
    res = run(args)
    assert res["sha256"] == sha(V2) and res["artifact_sha256"] == sha(buf.getvalue())
    assert not run(args)["changed"]


def test_checksum_file_pin_is_idempotent_offline(env, server):
    url = server.publish("c/tool", V1)
    sums = server.publish("c/tool.sha256sum", f"{sha(V1)}  tool\n".encode())
    assert run({**env, "url": url, "checksum": sums})["changed"]
    server.reset_stats()
    assert not run({**env, "url": url, "checksum": sums})["changed"]
    assert server.stats()["total_bytes"] == 0


def test_src_on_the_host(env, tmp_path):
    src = tmp_path / "artifact"
    src.write_bytes(V1)
    res = run({**env, "src": str(src), "remote_src": True, "checksum": sha(V1), "origin": "https://up/tool"})
    assert res["changed"] and res["url"] == "https://up/tool"
    assert json.load(open(res["receipt"]))["source"] == "https://up/tool"


def test_missing_directory_is_created_and_a_file_in_its_place_refused(env, server):
    url = server.publish("v1/tool", V1)
    dest = os.path.join(os.path.dirname(env["dest"]), "opt", "bin", "tool")
    would = run({**env, "dest": dest, "url": url, "checksum": sha(V1)}, check=True)
    assert would["changed"] and not os.path.exists(os.path.dirname(dest))
    res = run({**env, "dest": dest, "url": url, "checksum": sha(V1)})
    assert res["changed"] and res["created_dirs"] == os.path.dirname(dest) and open(dest, "rb").read() == V1
    res = run({**env, "dest": dest + "/x", "url": url, "checksum": sha(V1)})
    assert res["failed"] and f"{dest}, the directory of dest, exists but is not a directory" in res["msg"]
