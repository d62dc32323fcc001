"""Install receipts."""

import os

from ansible_collections.pronk8s.platform.plugins.module_utils import _receipt as receipts


def test_paths_are_unique_per_destination(tmp_path):
    a = receipts.receipt_path(str(tmp_path), "/usr/local/bin/kube_ctl")
    b = receipts.receipt_path(str(tmp_path), "/usr/local/bin_kube/ctl")
    assert a != b and a.endswith("usr_local_bin_kube__ctl.json")


def test_round_trip_and_corruption(tmp_path):
    path = os.path.join(tmp_path, "r", "x.json")
    receipt = receipts.Receipt(dest="/x", sha256="a" * 64, artifact_sha256="b" * 64, archive_member="m", version="1")
    receipts.write(path, receipt)
    assert receipts.read(path) == receipt
    assert os.listdir(os.path.dirname(path)) == ["x.json"]  # no temp file left behind
    with open(path, "w") as handle:
        handle.write("{not json")
    assert receipts.read(path) is None
    assert receipts.read(os.path.join(tmp_path, "missing.json")) is None


def test_describes():
    r = receipts.Receipt(dest="/x", sha256="a" * 64, artifact_sha256="b" * 64, archive_member=None, checksum_source="https://s")
    assert r.describes("b" * 64, None, None)
    assert not r.describes("c" * 64, None, None)
    assert not r.describes("b" * 64, "linux-amd64/helm", None)
    assert r.describes(None, None, "https://s") and not r.describes(None, None, "https://other")
