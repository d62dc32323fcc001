"""verified_binary run in-process against a real HTTP server on loopback and a temporary install dir.

The integration tests run the same module on real containers; these cover the decision table quickly.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
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
def capture(module_exits, monkeypatch):
    # run() pops from RESULTS: point it at this test's record of exit_json/fail_json (conftest.py).
    monkeypatch.setattr(sys.modules[__name__], "RESULTS", module_exits)


def state(env) -> tuple:
    dest, receipts = env["dest"], env["receipt_dir"]
    content = open(dest, "rb").read() if os.path.exists(dest) else None
    files = sorted(os.listdir(os.path.dirname(dest)))
    names = sorted(n for n in os.listdir(receipts) if n.endswith(".json")) if os.path.isdir(receipts) else []
    receipt = [open(os.path.join(receipts, n)).read() for n in names]
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


# ---- issue 12 regressions ----------------------------------------------------------------------------

DEAD = "http://127.0.0.1:9/never"  # nothing listens: any download attempt fails


def targz(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_a_crash_between_rename_and_receipt_is_adopted_not_tampered(env, server):
    run({**env, "url": server.publish("v1/tool", V1), "checksum": sha(V1), "version": "1"})
    with open(env["dest"], "wb") as handle:  # v2 renamed into place, then the run died before its receipt
        handle.write(V2)
    res = run({**env, "url": DEAD, "checksum": sha(V2), "version": "2"})
    assert not res.get("failed"), res.get("msg")
    assert res["outcome"] == "adopted" and not res["tampered"] and not res.get("warnings")
    assert json.load(open(res["receipt"]))["sha256"] == sha(V2)


def test_a_crash_after_an_archive_install_is_adopted_not_tampered(env, server):
    a1, a2 = targz("tool", V1), targz("tool", V2)
    run({**env, "url": server.publish("a/1.tar.gz", a1), "checksum": sha(a1), "archive_member": "tool"})
    with open(env["dest"], "wb") as handle:
        handle.write(V2)
    res = run({**env, "url": server.publish("a/2.tar.gz", a2), "checksum": sha(a2), "archive_member": "tool"})
    assert res["outcome"] == "adopted" and not res["tampered"] and not res["changed"]


@pytest.mark.parametrize("content", ['[]', '"text"', '{"dest": 1}', '{"sha256": null}'])
def test_a_receipt_of_the_wrong_shape_is_no_receipt(env, server, content):
    url = server.publish("v1/tool", V1)
    first = run({**env, "url": url, "checksum": sha(V1)})
    with open(first["receipt"], "w") as handle:
        handle.write(content)
    res = run({**env, "url": url, "checksum": sha(V1)})
    assert not res.get("failed") and res["outcome"] == "adopted"


def test_receipts_of_look_alike_paths_do_not_collide(tmp_path, server):
    # /x/a/_b and /x/a_/b shared one receipt before: each run saw the other's sha256 and "repaired" forever.
    pins = {tmp_path / "a" / "_b": (server.publish("v1/tool", V1), sha(V1)),
            tmp_path / "a_" / "b": (server.publish("v2/tool", V2), sha(V2))}
    base = {"receipt_dir": str(tmp_path / "receipts"), "retries": 0}
    for _run in range(2):
        for dest, (url, digest) in pins.items():
            res = run({**base, "dest": str(dest), "url": url, "checksum": digest})
            assert not res["tampered"] and not res.get("warnings"), res
            assert res["outcome"] == ("installed" if _run == 0 else "unchanged")


def test_a_long_dest_gets_its_receipt(tmp_path, server):
    deep = tmp_path.joinpath(*["d" * 100] * 3)
    dest = deep / ("t" * 200)
    res = run({"dest": str(dest), "receipt_dir": str(tmp_path / "r"), "retries": 0,
               "url": server.publish("v1/tool", V1), "checksum": sha(V1)})
    assert not res.get("failed"), res.get("msg")
    assert os.path.isfile(res["receipt"]) and len(os.path.basename(res["receipt"])) < 255


def test_secrets_in_urls_are_redacted_in_result_receipt_and_errors(env, server):
    url = server.publish("v1/tool", V1).replace("http://", "http://alice:pw-alice@") + "?X-Amz-Signature=deadbeef42"
    sums = server.publish("v1/tool.sha256", f"{sha(V1)}  tool\n".encode()) + "?X-Amz-Signature=cafebabe42"
    res = run({**env, "url": url, "checksum": sums})
    receipt = open(res["receipt"]).read()
    for text in (json.dumps(res), receipt):
        assert "pw-alice" not in text and "deadbeef42" not in text and "cafebabe42" not in text
    assert res["url"].endswith("/v1/tool?REDACTED") and "REDACTED@" in res["url"]
    assert not run({**env, "url": url, "checksum": sums})["changed"]  # same (redacted) checksum source: no change
    bad = run({**env, "url": url.replace("v1/tool", "v1/missing"), "checksum": "c" * 64})
    assert bad["failed"] and "pw-alice" not in bad["msg"] and "deadbeef42" not in bad["msg"]


def test_receipts_are_private(env, server):
    res = run({**env, "url": server.publish("v1/tool", V1), "checksum": sha(V1)})
    assert oct(os.stat(res["receipt"]).st_mode & 0o777) == "0o600"
    assert oct(os.stat(env["receipt_dir"]).st_mode & 0o777) == "0o700"


def _age(path) -> None:
    os.utime(path, (1, 1), follow_symlinks=False)


def test_the_stale_temp_sweep_is_safe(env, server, tmp_path):
    bindir = os.path.dirname(env["dest"])
    stale = os.path.join(bindir, ".pronk8s-tool-artifact-abcd1234")  # what mkstemp names an interrupted download
    user_file = os.path.join(bindir, ".pronk8s-tool-notes")
    victim = tmp_path / "victim"
    victim.write_text("keep")
    link = os.path.join(bindir, ".pronk8s-tool-new-link0000")
    subdir = os.path.join(bindir, ".pronk8s-tool-new-dir00000")
    for path in (stale, user_file):
        open(path, "w").close()
    os.symlink(victim, link)
    os.mkdir(subdir)
    os.mkdir(os.path.join(bindir, ".pronk8s-tool-artifact-x1234567"))
    for path in (stale, user_file, link, subdir):
        _age(path)
    url = server.publish("v1/tool", V1)
    assert run({**env, "url": url, "checksum": sha(V1)}, check=True)["changed"]
    assert os.path.exists(stale), "check mode must not delete anything"
    res = run({**env, "url": url, "checksum": sha(V1)})
    assert not res.get("failed"), res.get("msg")
    assert not os.path.exists(stale)
    assert os.path.exists(user_file) and os.path.islink(link) and os.path.isdir(subdir) and victim.read_text() == "keep"


@pytest.mark.parametrize("output,wanted,ok", [
    ("tool v1.34.11", "v1.34.1", False),
    ("tool v1.34.1.2", "v1.34.1", False),
    ("tool v1.34.1-rc.1", "v1.34.1", False),
    ("tool v11.34.1", "1.34.1", False),
    ("tool v1.34.1", "v1.34.1", True),
    ("Client Version: v1.34.1\nKustomize Version: v5.7.1", "v1.34.1", True),
    ("v1.34.1+g0a1b2c3", "v1.34.1", True),
    ("Docker version 1.34.1, build 068a01e", "1.34.1", True),
    ("tool v1.34.1", "1.34.1", True),
    ("tool v1.34.11 and v1.34.1.", "v1.34.1", True),
    ("tool v2", "tool v2", True),
])
def test_validate_contains_is_a_whole_token(output, wanted, ok):
    assert verified_binary.contains_token(output, wanted) is ok


def test_validate_contains_refuses_a_longer_version(env, server):
    data = b"#!/bin/sh\necho 'tool v1.34.11'\n"
    res = run({**env, "url": server.publish("v/tool", data), "checksum": sha(data), "validate": "sh %s",
               "validate_contains": "v1.34.1"})
    assert res["failed"] and "does not report 'v1.34.1'" in res["msg"] and not os.path.exists(env["dest"])


def test_provenance_is_recorded_and_returned(env, server):
    url = server.publish("v1/tool", V1)
    prov = {"arch": "arm64", "pin_origin": "shipped", "verification_level": "sha256"}
    first = run({**env, "url": url, "checksum": sha(V1), "provenance": prov})
    assert first["provenance"] == prov
    assert {k: json.load(open(first["receipt"]))[k] for k in prov} == prov
    again = run({**env, "url": url, "checksum": sha(V1)})
    assert not again["changed"] and again["provenance"] == prov
    better = {**prov, "verification_level": "signature"}
    refreshed = run({**env, "url": url, "checksum": sha(V1), "provenance": better})
    assert not refreshed["changed"] and json.load(open(first["receipt"]))["verification_level"] == "signature"


def _concurrent_run(args: dict, queue) -> None:
    try:
        queue.put(run(args))
    except BaseException as exc:  # reported to the parent
        queue.put({"failed": True, "msg": repr(exc)})


def test_two_concurrent_runs_on_one_dest_take_turns(env, server):
    import multiprocessing

    url = server.publish("v1/tool", V1)
    # validate sleeps, so both runs are inside the module at the same time
    args = {**env, "url": url, "checksum": sha(V1), "validate": "sh -c 'sleep 1' %s"}
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_concurrent_run, args=(args, queue)) for _n in range(2)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=30) for _p in procs]
    for p in procs:
        p.join()
    assert sorted(r["outcome"] for r in results) == ["installed", "unchanged"], results
    assert server.stats()["requests"] == {"/v1/tool": 1}


def test_a_symlinked_dest_is_replaced_never_followed(env, server, tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    os.symlink(victim, env["dest"])
    res = run({**env, "url": server.publish("v1/tool", V1), "checksum": sha(V1)})
    assert res["outcome"] == "installed" and not os.path.islink(env["dest"])
    assert open(env["dest"], "rb").read() == V1 and victim.read_bytes() == b"precious"


def test_a_receipt_that_cannot_be_written_is_reported_as_such(env, server, monkeypatch):
    def refuse(path, receipt):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(verified_binary.receipts, "write", refuse)
    res = run({**env, "url": server.publish("v1/tool", V1), "checksum": sha(V1)})
    assert res["failed"] and res["changed"] and open(env["dest"], "rb").read() == V1
    assert "is the verified artifact, but its receipt" in res["msg"] and "left unchanged" not in res["msg"]
