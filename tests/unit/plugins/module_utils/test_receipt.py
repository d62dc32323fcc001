"""Install receipts: naming, shape checks, permissions, the per-dest lock."""

import json
import multiprocessing
import os
import stat
import time

import pytest
from ansible_collections.pronk8s.platform.plugins.module_utils import _receipt as receipts

SHA_A, SHA_B = "a" * 64, "b" * 64


def test_names_never_collide_and_stay_short(tmp_path):
    # /a/_b and /a_/b flattened to the same name before; the sha256 of the path cannot collide.
    a = receipts.receipt_path(str(tmp_path), "/a/_b")
    b = receipts.receipt_path(str(tmp_path), "/a_/b")
    assert a != b
    long_dest = "/opt/" + "/".join(["d" * 200] * 10) + "/" + "k" * 250
    name = os.path.basename(receipts.receipt_path(str(tmp_path), long_dest))
    assert len(name) <= 64 + 1 + 64 + len(".json")
    assert os.path.basename(receipts.receipt_path(str(tmp_path), "/usr/local/bin/kubectl")) == (
        "kubectl-" + __import__("hashlib").sha256(b"/usr/local/bin/kubectl").hexdigest() + ".json")


def test_a_long_dest_gets_a_receipt(tmp_path):
    long_dest = str(tmp_path / ("x" * 250))
    path = receipts.receipt_path(str(tmp_path / "r"), long_dest)
    receipts.write(path, receipts.Receipt(dest=long_dest, sha256=SHA_A, artifact_sha256=SHA_A))
    assert receipts.read_for(str(tmp_path / "r"), long_dest).sha256 == SHA_A


def test_round_trip_permissions_and_corruption(tmp_path):
    directory = tmp_path / "r"
    path = receipts.receipt_path(str(directory), "/x")
    receipt = receipts.Receipt(dest="/x", sha256=SHA_A, artifact_sha256=SHA_B, archive_member="m", version="1",
                               arch="arm64", pin_origin="catalog", verification_level="sha256")
    receipts.write(path, receipt)
    assert receipts.read(path) == receipt
    assert os.listdir(directory) == [os.path.basename(path)]  # no temp file left behind
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    with open(path, "w") as handle:
        handle.write("{not json")
    assert receipts.read(path) is None
    assert receipts.read(os.path.join(tmp_path, "missing.json")) is None


def test_an_old_0755_directory_is_tightened(tmp_path):
    directory = tmp_path / "r"
    directory.mkdir(mode=0o755)
    receipts.write(receipts.receipt_path(str(directory), "/x"), receipts.Receipt(dest="/x", sha256=SHA_A, artifact_sha256=SHA_A))
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700


@pytest.mark.parametrize("data", [
    [], "text", 3, {"dest": "/x"}, {"dest": "/x", "sha256": 5, "artifact_sha256": SHA_A},
    {"dest": "/x", "sha256": "short", "artifact_sha256": SHA_A},
    {"dest": "/x", "sha256": SHA_A, "artifact_sha256": SHA_A, "version": ["1"]},
    {"dest": "/x", "sha256": SHA_A, "artifact_sha256": SHA_A, "format": "1"},
])
def test_valid_json_of_the_wrong_shape_is_no_receipt(tmp_path, data):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    assert receipts.read(str(path)) is None


def test_receipt_of_another_dest_is_ignored(tmp_path):
    path = receipts.receipt_path(str(tmp_path), "/x")
    receipts.write(path, receipts.Receipt(dest="/y", sha256=SHA_A, artifact_sha256=SHA_A))
    assert receipts.read(path, "/x") is None and receipts.read(path, "/y") is not None


def test_old_receipts_still_read_and_migrate(tmp_path):
    """A receipt written by 1.0 (legacy name, no provenance keys) is used, then moved to the new name."""
    legacy = receipts.legacy_receipt_path(str(tmp_path), "/usr/local/bin/kubectl")
    assert legacy.endswith("usr_local_bin_kubectl.json")
    old = {"dest": "/usr/local/bin/kubectl", "sha256": SHA_A, "artifact_sha256": SHA_A, "archive_member": None,
           "name": "kubectl", "version": "1.35.2", "source": "https://dl.k8s.io/x", "checksum_source": None,
           "installed_at": "2026-01-01T00:00:00+00:00", "format": 1}
    with open(legacy, "w") as handle:
        json.dump(old, handle)
    found = receipts.read_for(str(tmp_path), "/usr/local/bin/kubectl")
    assert found is not None and found.arch is None and found.version == "1.35.2"
    receipts.write(receipts.receipt_path(str(tmp_path), "/usr/local/bin/kubectl"), found)
    assert not os.path.exists(legacy)


def test_receipt_json_keys_are_stable(tmp_path):
    path = receipts.receipt_path(str(tmp_path), "/x")
    receipts.write(path, receipts.Receipt(dest="/x", sha256=SHA_A, artifact_sha256=SHA_A))
    assert sorted(json.load(open(path))) == sorted([
        "dest", "sha256", "artifact_sha256", "archive_member", "name", "version", "source", "checksum_source",
        "installed_at", "format", "arch", "pin_origin", "verification_level"])


def test_describes():
    r = receipts.Receipt(dest="/x", sha256=SHA_A, artifact_sha256=SHA_B, archive_member=None, checksum_source="https://s")
    assert r.describes(SHA_B, None, None)
    assert not r.describes("c" * 64, None, None)
    assert not r.describes(SHA_B, "linux-amd64/helm", None)
    assert r.describes(None, None, "https://s") and not r.describes(None, None, "https://other")


def _hold(path: str, seconds: float, queue) -> None:
    with receipts.dest_lock(path):
        queue.put(("in", time.monotonic()))
        time.sleep(seconds)
        queue.put(("out", time.monotonic()))


def test_dest_lock_serialises_processes(tmp_path):
    path = receipts.receipt_path(str(tmp_path / "r"), "/x")
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_hold, args=(path, 0.5, queue)) for _n in range(2)]
    for p in procs:
        p.start()
    events = [queue.get(timeout=10) for _n in range(4)]
    for p in procs:
        p.join()
    assert [e[0] for e in events] == ["in", "out", "in", "out"]
    assert stat.S_IMODE(os.stat(path[:-5] + ".lock").st_mode) == 0o600


def test_dest_lock_refuses_a_symlink_and_never_truncates(tmp_path):
    path = receipts.receipt_path(str(tmp_path / "r"), "/x")
    os.makedirs(tmp_path / "r", mode=0o700)
    victim = tmp_path / "victim"
    victim.write_text("precious")
    os.symlink(victim, path[:-5] + ".lock")
    with pytest.raises(OSError, match="is a symbolic link"):
        with receipts.dest_lock(path):
            pass
    assert victim.read_text() == "precious"
