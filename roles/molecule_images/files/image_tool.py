"""Controller-side helpers of the molecule_images role (run with the controller's Python).

  python3 image_tool.py inputs DIR         print the hash of a build context (its Dockerfile, then
                                           every other file by sorted path): an image is rebuilt
                                           only when it changes
  python3 image_tool.py set-arch TAG ARCH  rewrite the architecture of a local image in place

Docker engine 20.10 ignores `docker import --platform`, so an arm64 or armhf rootfs is imported as
amd64. Rewriting the image config (and renaming it to its new digest in manifest.json) between
`docker save` and `docker load` makes the engine, and Ansible facts inside the container, see the
right architecture.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# Docker's names for the variants of arm; arm64 needs none.
VARIANTS = {"armhf": ("arm", "v7"), "armel": ("arm", "v5"), "arm64": ("arm64", "v8")}


def inputs_hash(context: Path) -> str:
    """Hash of a build context: the Dockerfile first, then the other files by sorted relative path."""
    files = [context / "Dockerfile"]
    files += sorted(p for p in context.rglob("*") if p.is_file() and p.name != "Dockerfile")
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def set_arch(tree: Path, arch: str) -> None:
    """Set the architecture in every image config of a `docker save` tree."""
    docker_arch, variant = VARIANTS.get(arch, (arch, None))
    manifest_path = tree / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for entry in manifest:
        old = tree / entry["Config"]
        config = json.loads(old.read_text())
        config["architecture"] = docker_arch
        if variant and docker_arch == "arm":
            config["variant"] = variant
        data = json.dumps(config).encode()
        new_name = hashlib.sha256(data).hexdigest() + ".json"
        (tree / new_name).write_bytes(data)
        if new_name != entry["Config"]:
            old.unlink()
        entry["Config"] = new_name
    manifest_path.write_text(json.dumps(manifest))


def set_image_arch(tag: str, arch: str) -> None:
    with tempfile.TemporaryDirectory(prefix="pronk8s-image-") as tmp:
        tree = Path(tmp)
        saved = subprocess.run(["docker", "save", tag], check=True, capture_output=True).stdout
        archive = tree / "image.tar"
        archive.write_bytes(saved)
        with tarfile.open(archive) as tar:
            tar.extractall(tree / "t", filter="data")
        archive.unlink()
        set_arch(tree / "t", arch)
        with tarfile.open(archive, "w") as tar:
            for path in sorted((tree / "t").iterdir()):
                tar.add(path, arcname=path.name)
        subprocess.run(["docker", "load", "-q", "-i", str(archive)], check=True, capture_output=True)


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "inputs":
        print(inputs_hash(Path(argv[1])))
        return 0
    if len(argv) == 3 and argv[0] == "set-arch":
        set_image_arch(argv[1], argv[2])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
