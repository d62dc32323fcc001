"""kubectl's shape of signature: a detached .sig and .cert completed with their Rekor entry into a bundle.

Rekor cannot be reached here, so a loopback HTTP server stands in for it (test double of the service only):
it answers the entry search with the REAL transparency-log entry of the vendored production bundle
(tests/unit/fixtures/sigstore), in Rekor's v1 API shape. The signature, the certificate and the entry are
the real ones; the bundle the library builds from them must then verify offline, and a certificate that
does not match is refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from ansible_collections.pronk8s.platform.plugins.module_utils import _signature

ROOT = Path(__file__).resolve().parents[4]
SIGSTORE = ROOT / "tests" / "unit" / "fixtures" / "sigstore"
PROD_ID = "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
PROD_ISSUER = "https://token.actions.githubusercontent.com"


def b64hex(value: str) -> str:
    return base64.b64decode(value).hex()


def parts():
    """The bundle taken apart as upstream publishes kubectl's: .sig (base64), .cert (base64 PEM), Rekor entry."""
    bundle = json.loads((SIGSTORE / "bundle_v3_github.whl.sigstore").read_text())
    der = base64.b64decode(bundle["verificationMaterial"]["x509CertificateChain"]["certificates"][0]["rawBytes"])
    pem = b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"
    tlog = bundle["verificationMaterial"]["tlogEntries"][0]
    proof = tlog["inclusionProof"]
    entry = {"body": tlog["canonicalizedBody"], "integratedTime": int(tlog["integratedTime"]),
             "logID": b64hex(tlog["logId"]["keyId"]), "logIndex": int(tlog["logIndex"]),
             "verification": {"signedEntryTimestamp": tlog["inclusionPromise"]["signedEntryTimestamp"],
                              "inclusionProof": {"logIndex": int(proof["logIndex"]), "rootHash": b64hex(proof["rootHash"]),
                                                 "treeSize": int(proof["treeSize"]),
                                                 "hashes": [b64hex(h) for h in proof["hashes"]],
                                                 "checkpoint": proof["checkpoint"]["envelope"]}}}
    signature = bundle["messageSignature"]["signature"].encode()
    return signature, base64.b64encode(pem), {"pronk8s-test-uuid": entry}


class FakeRekor(BaseHTTPRequestHandler):
    answer: list = []
    searched: list = []

    def log_message(self, *args):  # quiet
        pass

    def do_POST(self):  # noqa: N802 - stdlib naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).searched.append(body)
        data = json.dumps(self.answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def rekor():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeRekor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_detached_signature_and_certificate_become_a_bundle_that_verifies_offline(rekor):
    signature, certificate, entry = parts()
    FakeRekor.answer, FakeRekor.searched = [entry], []
    digest = hashlib.sha256((SIGSTORE / "bundle_v3_github.whl").read_bytes()).hexdigest()
    bundle = _signature.sigstore_bundle_from_parts(signature, certificate, digest, rekor)
    # The search named the artifact by digest, with the signature and the certificate.
    spec = FakeRekor.searched[0]["entries"][0]["spec"]
    assert spec["data"]["hash"] == {"algorithm": "sha256", "value": digest}
    assert "offline" in _signature.verify_sigstore_bundle(bundle, digest, PROD_ID, PROD_ISSUER)


def test_no_entry_in_the_log_is_refused(rekor):
    signature, certificate = parts()[:2]
    FakeRekor.answer = []
    with pytest.raises(_signature.SignatureError, match="has no transparency-log entry"):
        _signature.sigstore_bundle_from_parts(signature, certificate, "a" * 64, rekor)


def test_an_entry_for_other_material_does_not_verify(rekor):
    signature, certificate, entry = parts()
    FakeRekor.answer = [entry]
    other = hashlib.sha256(b"another artifact").hexdigest()
    with pytest.raises(_signature.SignatureError):
        bundle = _signature.sigstore_bundle_from_parts(signature, certificate, other, rekor)
        _signature.verify_sigstore_bundle(bundle, other, PROD_ID, PROD_ISSUER)


def test_unreachable_rekor_and_bad_material_are_clear_refusals():
    signature, certificate = parts()[:2]
    with pytest.raises(_signature.SignatureError, match="cannot complete the signature and certificate into a bundle with http://127.0.0.1:9"):
        _signature.sigstore_bundle_from_parts(signature, certificate, "a" * 64, "http://127.0.0.1:9")
    with pytest.raises(_signature.SignatureError, match="neither PEM nor base64-encoded PEM"):
        _signature.sigstore_bundle_from_parts(signature, b"not a certificate!", "a" * 64, "http://127.0.0.1:9")
