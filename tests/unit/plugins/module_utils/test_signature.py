"""Signature verification with real material, offline.

Sigstore: REAL bundles signed by Sigstore's production and staging instances (vendored from
sigstore/sigstore-python, see tests/unit/fixtures/sigstore/PROVENANCE.md), verified against the production
trusted root shipped in the installed sigstore wheel, with no network.
OpenPGP: helm's real KEYS file (catalog/helm/trust/KEYS, see its PROVENANCE.md) for the pinned
fingerprints; the signature flow with throwaway keys made by the real gpg, checked by the real gpgv.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from ansible_collections.pronk8s.platform.plugins.module_utils import _catalog, _openpgp, _signature
from gpg_keys import make_key

ROOT = Path(__file__).resolve().parents[4]
SIGSTORE = ROOT / "tests" / "unit" / "fixtures" / "sigstore"
PROD_ID = "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
PROD_ISSUER = "https://token.actions.githubusercontent.com"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def prod():
    artifact = (SIGSTORE / "bundle_v3_github.whl").read_bytes()
    return sha(artifact), (SIGSTORE / "bundle_v3_github.whl.sigstore").read_bytes()


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any socket connection is a test failure: verification must be offline."""
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("network access during offline verification")
    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_production_bundle_verifies_offline(prod):
    digest, bundle = prod
    account = _signature.verify_sigstore_bundle(bundle, digest, PROD_ID, PROD_ISSUER)
    assert PROD_ID in account and "offline" in account


def test_trusted_root_is_the_one_in_the_wheel():
    path = _signature.production_trusted_root_path()
    assert "site-packages/sigstore/_store/" in path and path.endswith("tuf-repo-cdn.sigstore.dev/trusted_root.json")


def test_tampered_artifact_is_refused(prod):
    bundle = prod[1]
    tampered = sha((SIGSTORE / "bundle_v3_github.whl").read_bytes() + b"\0")
    with pytest.raises(_signature.SignatureError, match="Sigstore verification failed for sha256 " + tampered):
        _signature.verify_sigstore_bundle(bundle, tampered, PROD_ID, PROD_ISSUER)


@pytest.mark.parametrize("identity,issuer", [
    ("krel-staging@k8s-releng-prod.iam.gserviceaccount.com", PROD_ISSUER),  # kubectl's identity: not this signer
    (PROD_ID.replace("v0.1.2", "v0.1.3"), PROD_ISSUER),
    (PROD_ID, "https://accounts.google.com"),  # right identity, wrong issuer
])
def test_wrong_identity_or_issuer_is_refused(prod, identity, issuer):
    digest, bundle = prod
    with pytest.raises(_signature.SignatureError, match="expected identity"):
        _signature.verify_sigstore_bundle(bundle, digest, identity, issuer)


def test_staging_bundle_is_refused_by_the_production_root():
    artifact = (SIGSTORE / "bundle_v3.txt").read_bytes()
    bundle = (SIGSTORE / "bundle_v3.txt.sigstore").read_bytes()
    with pytest.raises(_signature.SignatureError, match="Sigstore verification failed"):
        _signature.verify_sigstore_bundle(bundle, sha(artifact), "william@yossarian.net", "https://github.com/login/oauth")


def test_not_a_bundle():
    with pytest.raises(_signature.SignatureError, match="not a Sigstore bundle"):
        _signature.verify_sigstore_bundle(b"{}", "a" * 64, PROD_ID, PROD_ISSUER)


def test_missing_sigstore_library_is_a_clear_error(monkeypatch, prod):
    import builtins
    real_import = builtins.__import__

    def no_sigstore(name, *args, **kwargs):
        if name.startswith("sigstore"):
            raise ImportError(f"No module named '{name}'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_sigstore)
    with pytest.raises(_signature.VerifierMissing, match="needs the Python package 'sigstore' on the controller"):
        _signature.verify_sigstore_bundle(prod[1], prod[0], PROD_ID, PROD_ISSUER)


# ---- OpenPGP ---------------------------------------------------------------------------------------------

def test_pinned_helm_fingerprints_are_in_helms_real_keys_file():
    helm = _catalog.tool("helm")
    keys = (helm.directory / helm.signature["keys"]).read_bytes()
    in_file = {k.fingerprint for k in _openpgp.read_public_keys(_openpgp.dearmor(keys))}
    assert len(in_file) >= 10
    assert set(helm.signature["fingerprints"]) <= in_file
    keyring, found = _signature.pinned_keyring(keys, helm.signature["fingerprints"])
    assert found == sorted(helm.signature["fingerprints"])
    assert {k.fingerprint for k in _openpgp.read_public_keys(keyring)} == set(found)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    base = tmp_path_factory.mktemp("gpg")
    return make_key(base / "pinned", "pinned signer <pinned@pronk8s.invalid>"), \
        make_key(base / "other", "unpinned signer <other@pronk8s.invalid>")


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "helm-v9.9.9-linux-amd64.tar.gz"
    path.write_bytes(b"release archive bytes\n" * 100)
    return path


def detached(key, path: Path) -> bytes:
    return key.gpg("--armor", "--detach-sign", "--local-user", key.fingerprint, data=path.read_bytes())


def test_signature_by_a_pinned_key_is_accepted(keys, archive):
    pinned, other = keys
    keyring = pinned.armored + b"\n" + other.armored  # a KEYS file holding both
    signer = _signature.verify_openpgp(str(archive), detached(pinned, archive), keyring, [pinned.fingerprint])
    assert signer == pinned.fingerprint


def test_signature_refused_when_the_key_is_not_pinned(keys, archive):
    pinned, other = keys
    with pytest.raises(_signature.SignatureError, match="not found in the key file"):
        _signature.verify_openpgp(str(archive), detached(pinned, archive), other.armored, [other.fingerprint, pinned.fingerprint])
    with pytest.raises(_signature.SignatureError, match="OpenPGP signature not valid.*NO_PUBKEY"):
        _signature.verify_openpgp(str(archive), detached(pinned, archive), pinned.armored + other.armored, [other.fingerprint])


def test_tampered_archive_is_refused(keys, archive):
    pinned = keys[0]
    signature = detached(pinned, archive)
    archive.write_bytes(archive.read_bytes() + b"x")
    with pytest.raises(_signature.SignatureError, match="BADSIG"):
        _signature.verify_openpgp(str(archive), signature, pinned.armored, [pinned.fingerprint])


def test_second_unpinned_key_in_the_same_keyring_is_refused(keys, archive):
    pinned, other = keys
    both = pinned.armored + other.armored
    with pytest.raises(_signature.SignatureError, match="NO_PUBKEY"):
        _signature.verify_openpgp(str(archive), detached(other, archive), both, [pinned.fingerprint])


def test_missing_gpgv_is_a_clear_error(monkeypatch, keys, archive):
    pinned = keys[0]
    monkeypatch.setattr(_signature.shutil, "which", lambda name: None)
    with pytest.raises(_signature.VerifierMissing, match="needs 'gpgv' on the controller"):
        _signature.verify_openpgp(str(archive), detached(pinned, archive), pinned.armored, [pinned.fingerprint])
