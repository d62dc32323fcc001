"""Rewrite the architecture of a `docker save` tree in place.

Docker engine 20.10 ignores `docker import --platform`, so an arm64 rootfs is imported as amd64.
Rewriting the image config (and renaming it to its new digest in manifest.json) before
`docker load` makes the engine, and Ansible facts inside the container, see the right arch.
"""

import hashlib
import json
import sys
from pathlib import Path


def set_arch(tree: Path, arch: str) -> None:
    manifest_path = tree / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for entry in manifest:
        old = tree / entry["Config"]
        config = json.loads(old.read_text())
        config["architecture"] = arch
        data = json.dumps(config).encode()
        new_name = hashlib.sha256(data).hexdigest() + ".json"
        (tree / new_name).write_bytes(data)
        if new_name != entry["Config"]:
            old.unlink()
        entry["Config"] = new_name
    manifest_path.write_text(json.dumps(manifest))


if __name__ == "__main__":
    set_arch(Path(sys.argv[1]), sys.argv[2])
