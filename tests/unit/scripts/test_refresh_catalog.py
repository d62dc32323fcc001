"""scripts/refresh_catalog.py against the local mirror laid out like upstream (host/path)."""

from __future__ import annotations

import importlib.util
import runpy
from pathlib import Path

import pytest
from mirror import MirrorServer

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "refresh_catalog.py"


@pytest.fixture(scope="module")
def refresh():
    spec = importlib.util.spec_from_file_location("refresh_catalog", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(path: Path) -> dict:
    return runpy.run_path(str(path))["PINS"]


def test_rebuild_from_facts_is_the_shipped_catalog(refresh, tmp_path, capsys):
    out = tmp_path / "pins.py"
    assert refresh.main(["--output", str(out), "facts", str(ROOT / "scripts/catalog-facts/upstream-checksums.yml")]) == 0
    assert out.read_text() == (ROOT / "plugins/module_utils/_catalog_pins.py").read_text()
    assert "dropped kind 0.11.1 arm: e3b0c442" in capsys.readouterr().err


def test_fetch_new_versions_from_upstream_checksum_files(refresh, tmp_path):
    out = tmp_path / "pins.py"
    out.write_text((ROOT / "plugins/module_utils/_catalog_pins.py").read_text())
    with MirrorServer(tmp_path / "mirror") as m:
        m.publish("dl.k8s.io/release/v1.37.0/bin/linux/amd64/kubectl.sha256", ("1" * 64 + "\n").encode())
        m.publish("dl.k8s.io/release/v1.37.0/bin/linux/arm64/kubectl.sha256", ("2" * 64 + "\n").encode())
        m.publish("get.helm.sh/helm-v3.19.0-linux-amd64.tar.gz.sha256sum",
                  ("3" * 64 + "  helm-v3.19.0-linux-amd64.tar.gz\n").encode())
        refresh.main(["--output", str(out), "fetch", "kubectl", "1.37.0", "--arch", "amd64,arm64,arm", "--base-url", m.url])
        refresh.main(["--output", str(out), "fetch", "helm", "v3.19.0", "--arch", "amd64", "--base-url", m.url])
        pins = load(out)
        assert pins["kubectl"]["1.37.0"] == {"amd64": "1" * 64, "arm64": "2" * 64}  # arm: no checksum file, skipped
        assert pins["helm"]["3.19.0"] == {"amd64": "3" * 64}
        assert pins["kubectl"]["1.35.2"]["amd64"].startswith("924eb507")

        # Upstream changing a published checksum is refused unless asked for explicitly.
        m.publish("dl.k8s.io/release/v1.37.0/bin/linux/amd64/kubectl.sha256", ("4" * 64 + "\n").encode())
        with pytest.raises(SystemExit, match="refusing to change a shipped pin without --replace"):
            refresh.main(["--output", str(out), "fetch", "kubectl", "1.37.0", "--arch", "amd64", "--base-url", m.url])
        assert load(out)["kubectl"]["1.37.0"]["amd64"] == "1" * 64
