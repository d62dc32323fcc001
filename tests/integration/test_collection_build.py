"""The collection as users get it: `ansible-galaxy collection build`, installed into an EMPTY collections
path, and every plugin's documentation rendered from there by ansible-doc."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_TYPES = {"modules": "module", "inventory": "inventory", "lookup": "lookup"}


def plugins() -> list[tuple[str, str]]:
    found = []
    for directory, kind in PLUGIN_TYPES.items():
        for path in sorted((ROOT / "plugins" / directory).glob("*.py")):
            if not path.name.startswith("_"):
                found.append((kind, f"pronk8s.platform.{path.stem}"))
    for path in sorted((ROOT / "plugins" / "filter").glob("*.yml")):
        found.append(("filter", f"pronk8s.platform.{path.stem}"))
    return found


def test_build_install_and_render_every_plugin(tmp_path):
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(tmp_path / "collections")}
    subprocess.run(["ansible-galaxy", "collection", "build", "--output-path", str(tmp_path)], cwd=ROOT, check=True,
                   capture_output=True)
    tarball = next(tmp_path.glob("pronk8s-platform-*.tar.gz"))
    names = subprocess.run(["tar", "tzf", str(tarball)], check=True, capture_output=True, text=True).stdout.split()
    assert not [n for n in names if n.startswith((".venv", ".cache", "tests/output", "inventories/vagrant/.vagrant"))]
    subprocess.run(["ansible-galaxy", "collection", "install", "--offline", "--no-deps", "-p", str(tmp_path / "collections"),
                    str(tarball)], check=True, capture_output=True, env=env)
    listed = plugins()
    assert ("module", "pronk8s.platform.verified_binary") in listed and ("lookup", "pronk8s.platform.artifact") in listed
    for kind, name in listed:
        doc = subprocess.run(["ansible-doc", "-t", kind, name], capture_output=True, text=True, env=env, check=False)
        assert doc.returncode == 0 and str(tmp_path / "collections") in doc.stdout, f"{kind} {name}: {doc.stderr}"
