"""roles/molecule_images/files/image_tool.py: the inputs hash the image cache depends on, and the
architecture rewrite of a `docker save` tree (engine 20.10 ignores --platform on import)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
SCRIPT = ROOT / "roles" / "molecule_images" / "files" / "image_tool.py"


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("image_tool", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_inputs_hash_is_dockerfile_then_files_by_path(tool, tmp_path: Path) -> None:
    (tmp_path / "rootfs" / "etc").mkdir(parents=True)
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    (tmp_path / "rootfs" / "etc" / "b").write_text("b")
    (tmp_path / "a").write_text("a")
    # The same formula as the shell's `cat Dockerfile $(find . -type f ! -name Dockerfile | sort) | sha256sum`.
    assert tool.inputs_hash(tmp_path) == hashlib.sha256(b"FROM x\nab").hexdigest()[:16]
    (tmp_path / "a").write_text("changed")
    assert tool.inputs_hash(tmp_path) == hashlib.sha256(b"FROM x\nchangedb").hexdigest()[:16]


@pytest.mark.parametrize(("arch", "docker_arch", "variant"), [("arm64", "arm64", None), ("armhf", "arm", "v7")])
def test_set_arch_rewrites_config_and_manifest(tool, tmp_path: Path, arch: str, docker_arch: str, variant) -> None:
    config = json.dumps({"architecture": "amd64", "os": "linux"}).encode()
    old_name = hashlib.sha256(config).hexdigest() + ".json"
    (tmp_path / old_name).write_bytes(config)
    (tmp_path / "manifest.json").write_text(json.dumps([{"Config": old_name, "RepoTags": ["t:x"], "Layers": []}]))
    tool.set_arch(tmp_path, arch)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    new = tmp_path / manifest[0]["Config"]
    data = json.loads(new.read_text())
    assert data["architecture"] == docker_arch and data.get("variant") == variant
    # The config is stored under its own digest, as docker load requires; the old one is gone.
    assert new.name == hashlib.sha256(new.read_bytes()).hexdigest() + ".json"
    assert not (tmp_path / old_name).exists()
