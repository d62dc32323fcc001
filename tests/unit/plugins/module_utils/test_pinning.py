"""The pin flow (one code path for the pin playbook and scripts/refresh_catalog.py), against a local mirror.

Signature material is real (Sigstore production bundle) or made here by the real gpg; see
tests/testbed/signed_catalog.py. Nothing reaches the internet: the mirror listens on 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import signed_catalog
from ansible_collections.pronk8s.platform.plugins.module_utils import _catalog, _pinning
from gpg_keys import make_key
from mirror import MirrorServer


@pytest.fixture(scope="module")
def cat(tmp_path_factory):
    return signed_catalog.build(tmp_path_factory.mktemp("cat") / "catalog", make_key)


@pytest.fixture
def mirror(tmp_path):
    with MirrorServer(tmp_path / "mirror") as server:
        yield server


def tool(cat, name):
    return _catalog.tool(name, cat.root)


def pin(cat, mirror, name, version, minimum="signature", existing=None):
    return _pinning.pin_one(tool(cat, name), version, "amd64", _pinning.Fetcher(base_url=mirror.url), minimum, existing)


def test_sigstore_pin_keeps_the_bundle(cat, mirror):
    digest = cat.publish_sigtool(mirror, "1.2.0")
    result = pin(cat, mirror, "sigtool", "v1.2.0")
    assert result.level == "signature" and result.sha256 == digest
    assert list(result.evidence) == ["sigtool-linux-amd64.sigstore.json"]
    assert signed_catalog.PROD_ID in result.account
    assert result.source == f"https://{signed_catalog.HOST}/sigtool/v1.2.0/sigtool-linux-amd64.sha256"


def test_sigstore_pin_refuses_a_tampered_artifact(cat, mirror):
    cat.publish_sigtool(mirror, "1.2.0")
    mirror.publish(f"{signed_catalog.HOST}/sigtool/v1.2.0/sigtool-linux-amd64.sha256", ("ab" * 32 + "\n").encode())
    with pytest.raises(_pinning.PinError, match="REFUSED, Sigstore verification failed for sha256 " + "ab" * 32):
        pin(cat, mirror, "sigtool", "1.2.0")


def test_openpgp_pin(cat, mirror):
    digest = cat.publish_pgptool(mirror, "2.0.0", b"archive 2.0.0" * 1000)
    result = pin(cat, mirror, "pgptool", "2.0.0")
    assert (result.level, result.sha256) == ("signature", digest)
    assert list(result.evidence) == ["pgptool-v2.0.0-linux-amd64.tar.gz.asc"]
    assert cat.pinned_key.fingerprint in result.account


def test_openpgp_pin_refuses_an_unpinned_signer(cat, mirror):
    cat.publish_pgptool(mirror, "2.0.0", b"archive" * 10, signer=cat.other_key)
    with pytest.raises(_pinning.PinError, match="REFUSED, OpenPGP signature not valid.*NO_PUBKEY"):
        pin(cat, mirror, "pgptool", "2.0.0", minimum="checksum-file")


def test_archive_that_differs_from_its_checksum_file_is_refused(cat, mirror):
    cat.publish_pgptool(mirror, "2.0.0", b"archive" * 10)
    mirror.publish(f"{signed_catalog.HOST}/pgptool/pgptool-v2.0.0-linux-amd64.tar.gz", b"other bytes")
    with pytest.raises(_pinning.PinError, match="but its checksum file says"):
        pin(cat, mirror, "pgptool", "2.0.0", minimum="checksum-file")


def test_missing_signature_refused_at_signature_accepted_at_checksum_file(cat, mirror):
    digest = cat.publish_pgptool(mirror, "2.1.0", b"unsigned" * 10, signature=False)
    mirror.reset_stats()
    with pytest.raises(_pinning.PinError, match="reached level 'checksum-file' .*below the minimum 'signature'"):
        pin(cat, mirror, "pgptool", "2.1.0")
    archive = "/releases.pronk8s.invalid/pgptool/pgptool-v2.1.0-linux-amd64.tar.gz"
    assert archive not in mirror.stats()["requests"], "no archive download without a signature"
    result = pin(cat, mirror, "pgptool", "2.1.0", minimum="checksum-file")
    assert (result.level, result.sha256, result.evidence) == ("checksum-file", digest, {})


def test_republished_artifact_is_refused_with_both_sums(cat, mirror):
    new = cat.publish_plaintool(mirror, "3.0.0", b"republished")
    old = _catalog.Pin(sha256="c" * 64, level="checksum-file", source="https://x/old.sha256sum")
    with pytest.raises(_pinning.PinError) as err:
        pin(cat, mirror, "plaintool", "3.0.0", minimum="checksum-file", existing=old)
    assert "republished or tampered with" in str(err.value) and "c" * 64 in str(err.value) and new in str(err.value)


def test_no_checksum_file(cat, mirror):
    with pytest.raises(_pinning.PinError, match="no checksum from .*plaintool-linux-amd64.sha256sum"):
        pin(cat, mirror, "plaintool", "9.9.9", minimum="checksum-file")


def test_write_then_read_through_the_catalog(cat, mirror, tmp_path):
    cat.publish_sigtool(mirror, "1.2.0")
    cat.publish_plaintool(mirror, "3.0.0", b"plain")
    results = [pin(cat, mirror, "sigtool", "1.2.0"), pin(cat, mirror, "plaintool", "3.0.0", minimum="checksum-file")]
    pins_dir = tmp_path / "pins"
    written = _pinning.write_pinned(str(pins_dir), results)
    assert str(pins_dir / "sigtool/evidence/1.2.0/amd64/sigtool-linux-amd64.sigstore.json") in written
    req = _catalog.Request(pins_dir=str(pins_dir), minimum="signature")
    art = _catalog.find_artifact("sigtool", "1.2.0", "amd64", req, cat.root)
    assert (art.pin_origin, art.verification_level) == ("pinned", "signature")
    assert Path(art.evidence[0]).is_file()
    # The stored evidence re-verifies offline (what the mirror playbook does).
    account = _pinning.reverify(tool(cat, "sigtool"), art.sha256, "", art.evidence)
    assert signed_catalog.PROD_ID in account
    with pytest.raises(_catalog.CatalogError, match="plaintool 3.0.0 amd64 is pinned at verification level 'checksum-file'"):
        _catalog.find_artifact("plaintool", "3.0.0", "amd64", req, cat.root)
    assert _catalog.find_artifact("plaintool", "3.0.0", "amd64", _catalog.Request(pins_dir=str(pins_dir)), cat.root)


def test_reverify_openpgp_and_a_tampered_archive(cat, mirror, tmp_path):
    data = b"archive 2.2.0" * 50
    cat.publish_pgptool(mirror, "2.2.0", data)
    result = pin(cat, mirror, "pgptool", "2.2.0")
    _pinning.write_pinned(str(tmp_path / "pins"), [result])
    evidence = [str(tmp_path / "pins/pgptool/evidence/2.2.0/amd64/pgptool-v2.2.0-linux-amd64.tar.gz.asc")]
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(data)
    assert cat.pinned_key.fingerprint in _pinning.reverify(tool(cat, "pgptool"), result.sha256, str(archive), evidence)
    archive.write_bytes(data + b"!")
    with pytest.raises(_pinning.PinError, match="has sha256 .*the pin says"):
        _pinning.reverify(tool(cat, "pgptool"), result.sha256, str(archive), evidence)
