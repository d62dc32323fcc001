"""A test catalog (catalog/<tool>/tool.yml layout) whose tools have signature material that can be had here.

Adding a tool is adding data: these tools exist only as catalog files, no code knows them.
- ``sigtool``: a Sigstore-signed tool whose artifact and bundle are REAL production material (the
  rfc8785 wheel and its bundle from sigstore/sigstore-python, tests/unit/fixtures/sigstore/PROVENANCE.md),
  so the identity pinned is that wheel's signing workflow.
- ``pgptool``: an OpenPGP-signed release archive; the pinned key is a throwaway key made by the real gpg
  (tests/unit/plugins/module_utils/gpg_keys.py), its KEYS file also holds an unpinned key.
- ``plaintool``: checksum files only (like kind).
The mirror publishes them in upstream's host/path layout (tests/testbed/mirror.py).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIGSTORE = ROOT / "tests" / "unit" / "fixtures" / "sigstore"
PROD_ID = "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
PROD_ISSUER = "https://token.actions.githubusercontent.com"
HOST = "releases.pronk8s.invalid"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tool(directory: Path, data: dict) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "tool.yml").write_text(json.dumps(data, indent=1))


def _publish_sigstore_signed(mirror, path: str, bundle: bool) -> str:
    """The real signed wheel at `path`, with a bare .sha256 file and (unless bundle is false) its Sigstore bundle."""
    artifact = (SIGSTORE / "bundle_v3_github.whl").read_bytes()
    mirror.publish(path, artifact)
    mirror.publish(path + ".sha256", (sha(artifact) + "\n").encode())
    if bundle:
        mirror.publish(path + ".sigstore.json", (SIGSTORE / "bundle_v3_github.whl.sigstore").read_bytes())
    return sha(artifact)


def _publish_openpgp_signed(mirror, path: str, asc_path: str, data: bytes, key) -> str:
    """`data` at `path` with a GNU .sha256sum beside it, and a detached signature by `key` at `asc_path` (None: unsigned)."""
    name = path.rsplit("/", 1)[-1]
    mirror.publish(path, data)
    mirror.publish(f"{path}.sha256sum", f"{sha(data)}  {name}\n".encode())
    if key is not None:
        mirror.publish(asc_path, key.gpg("--armor", "--detach-sign", "--local-user", key.fingerprint, data=data))
    return sha(data)


@dataclass
class SignedCatalog:
    root: Path
    pinned_key: object
    other_key: object

    def publish_sigtool(self, mirror, version: str, arch: str = "amd64", bundle: bool = True) -> str:
        return _publish_sigstore_signed(mirror, f"{HOST}/sigtool/v{version}/sigtool-linux-{arch}", bundle)

    def publish_pgptool(self, mirror, version: str, data: bytes, arch: str = "amd64", signer=None,
                        signature: bool = True) -> str:
        name = f"pgptool-v{version}-linux-{arch}.tar.gz"
        return _publish_openpgp_signed(mirror, f"{HOST}/pgptool/{name}", f"{HOST}/pgptool/signatures/v{version}/{name}.asc",
                                       data, (signer or self.pinned_key) if signature else None)

    def publish_plaintool(self, mirror, version: str, data: bytes, arch: str = "amd64") -> str:
        name = f"plaintool-linux-{arch}"
        mirror.publish(f"{HOST}/plaintool/v{version}/{name}", data)
        mirror.publish(f"{HOST}/plaintool/v{version}/{name}.sha256sum", f"{sha(data)}  {name}\n".encode())
        return sha(data)


def build(root: Path, make_key) -> SignedCatalog:
    """Write the catalog under `root`; `make_key(home, uid)` is gpg_keys.make_key."""
    pinned = make_key(root.parent / "gpg-pinned", "pinned release key <pinned@pronk8s.invalid>")
    other = make_key(root.parent / "gpg-other", "unpinned key <other@pronk8s.invalid>")
    common = {"arches": ["amd64", "arm64"], "version_args": ["--version"]}
    _tool(root / "sigtool", {**common, "name": "sigtool", "default_version": "1.0.0",
                             "artifact": {"url": f"https://{HOST}/sigtool/v{{version}}/sigtool-linux-{{arch}}",
                                          "checksum_url": "{url}.sha256", "archive_member": None},
                             "signature": {"type": "sigstore", "bundle_url": "{url}.sigstore.json",
                                           "signature_url": "{url}.sig", "certificate_url": "{url}.cert",
                                           "identity": PROD_ID, "issuer": PROD_ISSUER,
                                           "rekor_url": "http://127.0.0.1:9"}})
    _tool(root / "pgptool", {**common, "name": "pgptool", "default_version": "1.0.0",
                             "artifact": {"url": f"https://{HOST}/pgptool/pgptool-v{{version}}-linux-{{arch}}.tar.gz",
                                          "checksum_url": "{url}.sha256sum", "archive_member": "linux-{arch}/pgptool"},
                             "signature": {"type": "openpgp", "keys": "trust/KEYS",
                                           "signature_url": f"https://{HOST}/pgptool/signatures/v{{version}}/{{filename}}.asc",
                                           "fingerprints": [pinned.fingerprint]}})
    (root / "pgptool" / "trust").mkdir()
    (root / "pgptool" / "trust" / "KEYS").write_bytes(b"release keys\n" + pinned.armored + b"\n" + other.armored)
    _tool(root / "plaintool", {**common, "name": "plaintool", "default_version": "1.0.0",
                               "artifact": {"url": f"https://{HOST}/plaintool/v{{version}}/plaintool-linux-{{arch}}",
                                            "checksum_url": "{url}.sha256sum", "archive_member": None},
                               "signature": None})
    return SignedCatalog(root=root, pinned_key=pinned, other_key=other)


def copy_shipped(dest: Path) -> Path:
    shutil.copytree(ROOT / "catalog", dest)
    return dest


def shipped_with_test_signers(dest: Path, make_key) -> SignedCatalog:
    """A copy of the shipped catalog whose kubectl and helm signers are ones whose material exists here.

    Test double of upstream's signers (theirs cannot sign for this test): kubectl's Sigstore identity becomes
    the one of the REAL production bundle vendored from sigstore-python, helm's pinned key a gpg-made key.
    Everything else (URL layouts, pins, the code) is the shipped catalog's.
    """
    import yaml

    copy_shipped(dest)
    pinned = make_key(dest.parent / "gpg-pinned", "pinned release key <pinned@pronk8s.invalid>")
    other = make_key(dest.parent / "gpg-other", "unpinned key <other@pronk8s.invalid>")
    kubectl = yaml.safe_load((dest / "kubectl" / "tool.yml").read_text())
    kubectl["signature"].update(identity=PROD_ID, issuer=PROD_ISSUER, rekor_url="http://127.0.0.1:9")
    (dest / "kubectl" / "tool.yml").write_text(yaml.safe_dump(kubectl))
    helm = yaml.safe_load((dest / "helm" / "tool.yml").read_text())
    helm["signature"]["fingerprints"] = [pinned.fingerprint]
    (dest / "helm" / "tool.yml").write_text(yaml.safe_dump(helm))
    (dest / "helm" / "trust" / "KEYS").write_bytes(pinned.armored + b"\n" + other.armored)
    return SignedCatalog(root=dest, pinned_key=pinned, other_key=other)


def publish_kubectl(mirror, version: str, bundle: bool = True) -> str:
    """The real signed wheel, published where kubectl VERSION amd64 would be (with .sha256 and bundle)."""
    return _publish_sigstore_signed(mirror, f"dl.k8s.io/release/v{version}/bin/linux/amd64/kubectl", bundle)


def publish_helm(mirror, cat: SignedCatalog, version: str, data: bytes, signature: bool = True, signer=None) -> str:
    name = f"helm-v{version}-linux-amd64.tar.gz"
    return _publish_openpgp_signed(mirror, f"get.helm.sh/{name}", f"github.com/helm/helm/releases/download/v{version}/{name}.asc",
                                   data, (signer or cat.pinned_key) if signature else None)
