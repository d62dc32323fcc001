# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Verify upstream signatures over artifacts, on the controller, with libraries (no hand-written crypto).

This is private to the pronk8s.platform collection (controller side only: the pin and mirror flows).

- Sigstore (kubectl): the PyPI ``sigstore`` library's ``Verifier`` and ``Bundle`` against the production
  trusted root that its wheel ships, read from the wheel itself: no TUF refresh, no network, the same
  answer on an air-gapped controller. The policy is the catalog's certificate identity and OIDC issuer.
- OpenPGP (helm): Debian's ``gpgv`` against a keyring made only of the keys whose fingerprints the
  catalog pins (taken from upstream's KEYS file); the signer's primary key must be one of them.

Neither library is needed until a signature level is: a controller without them gets a clear error then.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
from importlib import resources

from ansible_collections.pronk8s.platform.plugins.module_utils import _openpgp

SIGSTORE_PRODUCTION_ROOT = ("_store", "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev", "trusted_root.json")


class SignatureError(Exception):
    """The signature material does not prove the artifact came from the pinned signer."""


class VerifierMissing(SignatureError):
    """The controller lacks the library or program a signature level needs."""


# ---- Sigstore -------------------------------------------------------------------------------------------

def _sigstore():
    try:
        from sigstore.hashes import Hashed
        from sigstore.models import Bundle, TrustedRoot
        from sigstore.verify import Verifier, policy
        from sigstore_models.common.v1 import HashAlgorithm
    except ImportError as exc:
        raise VerifierMissing(
            "verifying a Sigstore signature needs the Python package 'sigstore' on the controller "
            f"(pip install sigstore; it is in meta/ee-requirements.txt): {exc}") from exc
    return Hashed, Bundle, TrustedRoot, Verifier, policy, HashAlgorithm


def production_trusted_root_path() -> str:
    """The Sigstore production trusted root shipped inside the installed sigstore wheel."""
    _sigstore()
    path = resources.files("sigstore").joinpath(*SIGSTORE_PRODUCTION_ROOT)
    if not path.is_file():
        raise VerifierMissing(f"the installed sigstore package ships no production trusted root at {path}")
    return str(path)


def verify_sigstore_bundle(bundle_json: bytes, sha256: str, identity: str, issuer: str,
                           trusted_root: str | None = None) -> str:
    """Verify a Sigstore bundle over the artifact whose digest is ``sha256``; returns a one-line account.

    Offline: the bundle carries the certificate, the signature and the transparency-log entry with its
    inclusion proof and signed timestamp; the trusted root pins Fulcio's CA and Rekor's key.
    """
    hashed_cls, bundle_cls, root_cls, verifier_cls, policy, hash_algorithm = _sigstore()
    try:
        bundle = bundle_cls.from_json(bundle_json)
    except Exception as exc:  # the library raises several types for malformed bundles
        raise SignatureError(f"not a Sigstore bundle: {exc}") from exc
    root = root_cls.from_file(trusted_root or production_trusted_root_path())
    verifier = verifier_cls(trusted_root=root)
    hashed = hashed_cls(algorithm=hash_algorithm.SHA2_256, digest=bytes.fromhex(sha256))
    try:
        verifier.verify_artifact(hashed, bundle, policy.Identity(identity=identity, issuer=issuer))
    except Exception as exc:  # VerificationError and its kin: every failure is a refusal
        raise SignatureError(
            f"Sigstore verification failed for sha256 {sha256} (expected identity {identity}, issuer {issuer}): {exc}"
        ) from exc
    return f"Sigstore bundle verified offline: identity {identity}, issuer {issuer}"


def sigstore_bundle_from_parts(signature: bytes, certificate: bytes, sha256: str, rekor_url: str) -> bytes:
    """Complete a detached signature and certificate into a bundle with their Rekor entry (needs network).

    The entry is looked up by content (signature, certificate, digest) through the library's Rekor client.
    """
    hashed_cls, bundle_cls, _root, _verifier, _policy, hash_algorithm = _sigstore()
    import rekor_types
    from cryptography import x509
    from sigstore._internal.rekor.client import RekorClient

    try:
        cert = x509.load_pem_x509_certificate(_pem_or_base64(certificate))
        sig = base64.b64decode(b"".join(signature.split()), validate=True)
        client = RekorClient(rekor_url)
        hashed = hashed_cls(algorithm=hash_algorithm.SHA2_256, digest=bytes.fromhex(sha256))
        expected = rekor_types.Hashedrekord.model_validate(dict(client._build_hashed_rekord_request(hashed, sig, cert)))
        entry = client.log.entries.retrieve.post(expected)
        if entry is None:
            raise SignatureError(f"{rekor_url} has no transparency-log entry for this signature and certificate")
        return bundle_cls.from_parts(cert, sig, entry).to_json().encode()
    except SignatureError:
        raise
    except Exception as exc:  # malformed .sig/.cert, Rekor unreachable or answering nonsense: all refusals
        raise SignatureError(f"cannot complete the signature and certificate into a bundle with {rekor_url}: {exc}") from exc


def _pem_or_base64(data: bytes) -> bytes:
    """kubectl.cert is a base64-encoded PEM certificate; accept plain PEM too."""
    text = data.strip()
    if text.startswith(b"-----BEGIN"):
        return text
    try:
        return base64.b64decode(b"".join(text.split()), validate=True)
    except ValueError as exc:
        raise SignatureError("the certificate is neither PEM nor base64-encoded PEM") from exc


# ---- OpenPGP --------------------------------------------------------------------------------------------

def _frame(tag: int, body: bytes) -> bytes:
    """One packet in the new format with a five-octet length: gpgv reads it whatever the original framing."""
    return bytes([0xC0 | tag, 0xFF]) + len(body).to_bytes(4, "big") + body


def pinned_keyring(keys: bytes, fingerprints: list[str]) -> tuple[bytes, list[str]]:
    """A binary keyring holding only the keys (with their packets) whose primary fingerprint is pinned.

    ``keys`` is a KEYS file (armored blocks with text between them) or binary keys. Returns the keyring
    and the pinned fingerprints found; a pinned fingerprint missing from ``keys`` is an error.
    """
    wanted = {_openpgp.normalize_fingerprint(f) for f in fingerprints}
    keyring, found, keep = bytearray(), set(), False
    for tag, body in _openpgp.iter_packets(_openpgp.dearmor(keys)):
        if tag == _openpgp.TAG_PUBLIC_KEY:
            fingerprint = _openpgp.key_fingerprint(body)[0]
            keep = fingerprint in wanted
            if keep:
                found.add(fingerprint)
        elif tag in (_openpgp.TAG_SECRET_KEY, _openpgp.TAG_SECRET_SUBKEY):
            raise SignatureError("the key file holds SECRET key material; refusing it")
        if keep:
            keyring += _frame(tag, body)
    missing = sorted(wanted - found)
    if missing:
        raise SignatureError(f"pinned key(s) {', '.join(missing)} not found in the key file")
    return bytes(keyring), sorted(found)


def gpgv_path() -> str:
    path = shutil.which("gpgv")
    if not path:
        raise VerifierMissing("verifying an OpenPGP signature needs 'gpgv' on the controller "
                              "(Debian/Ubuntu: apt-get install gpgv; it is in meta/ee-bindep.txt)")
    return path


def verify_openpgp(data_path: str, signature: bytes, keys: bytes, fingerprints: list[str]) -> str:
    """Verify a detached signature over the file at ``data_path``; returns the signer's primary fingerprint."""
    keyring = pinned_keyring(keys, fingerprints)[0]
    wanted = {_openpgp.normalize_fingerprint(f) for f in fingerprints}
    with tempfile.TemporaryDirectory(prefix="pronk8s-gpgv-") as home:
        ring = os.path.join(home, "pinned.gpg")
        sig = os.path.join(home, "artifact.sig")
        with open(ring, "wb") as handle:
            handle.write(keyring)
        with open(sig, "wb") as handle:
            handle.write(signature)
        proc = subprocess.run([gpgv_path(), "--homedir", home, "--status-fd", "1", "--keyring", ring, sig, data_path],
                              capture_output=True, text=True, env={"LC_ALL": "C", "PATH": os.environ.get("PATH", "")},
                              check=False)
    status = [line.split()[1:] for line in proc.stdout.splitlines() if line.startswith("[GNUPG:] ")]
    valid = [words for words in status if words and words[0] == "VALIDSIG"]
    if proc.returncode != 0 or not valid:
        reason = " ".join(" ".join(w) for w in status if w and w[0] in ("BADSIG", "NO_PUBKEY", "ERRSIG", "NODATA"))
        raise SignatureError(
            f"OpenPGP signature not valid for {os.path.basename(data_path)} with the pinned keys "
            f"({', '.join(sorted(wanted))}): {reason or proc.stderr.strip() or 'gpgv refused it'}")
    # VALIDSIG <signing key fpr> ... <primary key fpr> (the last field when a subkey signed).
    primary = valid[0][-1] if len(valid[0]) >= 11 else valid[0][1]
    if primary.upper() not in wanted:
        raise SignatureError(f"signed by key {primary}, which is not pinned ({', '.join(sorted(wanted))})")
    return primary.upper()
