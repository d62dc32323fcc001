"""scripts/refresh_catalog.py on a copy of the shipped catalog, against the local mirror laid out like upstream."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import signed_catalog
import yaml
from ansible_collections.pronk8s.platform.plugins.module_utils import _catalog
from mirror import MirrorServer

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "unit" / "plugins" / "module_utils"))
from gpg_keys import make_key  # noqa: E402  (the throwaway-key helper of the OpenPGP tests)
SCRIPT = ROOT / "scripts" / "refresh_catalog.py"
FACTS_2026 = ROOT / "tests" / "unit" / "fixtures" / "upstream-checksums" / "upstream-checksums-2026.yml"


@pytest.fixture(scope="module")
def refresh():
    spec = importlib.util.spec_from_file_location("refresh_catalog", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def catalog(tmp_path):
    return signed_catalog.copy_shipped(tmp_path / "catalog")


def pins(catalog: Path, tool: str) -> dict:
    return _catalog.read_pins(catalog / tool / "pins.yml", "shipped")


def test_importing_the_2026_facts_again_changes_nothing(refresh, catalog, capsys):
    before = {t: (catalog / t / "pins.yml").read_text() for t in ("kubectl", "helm", "kind")}
    assert refresh.main(["--catalog", str(catalog), "facts", str(FACTS_2026)]) == 0
    assert {t: (catalog / t / "pins.yml").read_text() for t in before} == before
    assert "imported 141 value(s)" in capsys.readouterr().out
    assert "amd64" not in pins(catalog, "kind")["0.32.0"]  # disputed: never picked


def test_facts_import_leaves_out_what_it_cannot_trust(refresh, catalog, tmp_path, capsys):
    facts = tmp_path / "facts.yml"
    facts.write_text(yaml.safe_dump({
        "kubectl": {"amd64": {"1.35.2": "f" * 64, "1.99.0": "1" * 64, "1.99.1": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}},
        "helm": {"amd64": {"9.0.3": "2" * 64}},
        "not_released": {"helm": {"9.0.3": {"note": "skipped tag"}}},
        "sources": {"legend": {"somewhere": "a third party"}}}))
    refresh.main(["--catalog", str(catalog), "facts", str(facts), "--source", "kubectl=somewhere", "--date", "2026-12-01"])
    err = capsys.readouterr().err
    assert f"kubectl 1.35.2 amd64: left out: facts.yml says {'f' * 64}, the catalog pins 924eb507" in err
    assert "kubectl 1.99.1 amd64: left out: e3b0c442" in err and "helm 9.0.3 amd64: left out: never released" in err
    new = pins(catalog, "kubectl")["1.99.0"]["amd64"]
    assert (new.sha256, new.level, new.source, new.checked) == ("1" * 64, "copied", "somewhere", "single-source")
    assert pins(catalog, "kubectl")["1.35.2"]["amd64"].sha256.startswith("924eb507")
    assert "somewhere" in yaml.safe_load((catalog / "sources.yml").read_text())


def test_pin_new_versions_with_the_pin_flow(refresh, catalog, tmp_path, capsys):
    with MirrorServer(tmp_path / "mirror") as m:
        m.publish("github.com/kubernetes-sigs/kind/releases/download/v0.34.0/kind-linux-amd64.sha256sum",
                  ("3" * 64 + "  kind-linux-amd64\n").encode())
        m.publish("dl.k8s.io/release/v1.38.0/bin/linux/amd64/kubectl.sha256", ("4" * 64 + "\n").encode())
        assert refresh.main(["--catalog", str(catalog), "pin", "kind", "v0.34.0", "--arch", "amd64", "--base-url", m.url]) == 0
        kind = pins(catalog, "kind")["0.34.0"]["amd64"]
        assert (kind.sha256, kind.level) == ("3" * 64, "checksum-file")
        assert kind.source == "https://github.com/kubernetes-sigs/kind/releases/download/v0.34.0/kind-linux-amd64.sha256sum"

        # kubectl without signature material: refused at level signature, nothing written...
        assert refresh.main(["--catalog", str(catalog), "pin", "kubectl", "1.38.0", "--arch", "amd64",
                             "--base-url", m.url, "--minimum-level", "signature"]) == 1
        assert "below the minimum 'signature'" in capsys.readouterr().out
        assert "1.38.0" not in pins(catalog, "kubectl")
        # ...and an arch without a checksum file is reported, not pinned.
        assert refresh.main(["--catalog", str(catalog), "pin", "kubectl", "1.38.0", "--arch", "amd64,arm64", "--base-url", m.url]) == 1
        assert set(pins(catalog, "kubectl")["1.38.0"]) == {"amd64"}

        # Upstream changing a published checksum is refused, with both sums.
        m.publish("github.com/kubernetes-sigs/kind/releases/download/v0.34.0/kind-linux-amd64.sha256sum",
                  ("5" * 64 + "  kind-linux-amd64\n").encode())
        assert refresh.main(["--catalog", str(catalog), "pin", "kind", "0.34.0", "--arch", "amd64", "--base-url", m.url]) == 1
        out = capsys.readouterr().out
        assert "republished or tampered with" in out and "3" * 64 in out and "5" * 64 in out
        assert pins(catalog, "kind")["0.34.0"]["amd64"].sha256 == "3" * 64


def test_pin_at_signature_level_keeps_evidence(refresh, tmp_path):
    cat = signed_catalog.build(tmp_path / "catalog", make_key)
    with MirrorServer(tmp_path / "mirror") as m:
        digest = cat.publish_sigtool(m, "1.2.0")
        assert refresh.main(["--catalog", str(cat.root), "pin", "sigtool", "1.2.0", "--arch", "amd64",
                             "--base-url", m.url, "--minimum-level", "signature"]) == 0
    data = yaml.safe_load((cat.root / "sigtool" / "pins.yml").read_text())["pins"]["1.2.0"]["amd64"]
    assert (data["sha256"], data["level"]) == (digest, "signature")
    bundle = cat.root / "sigtool" / data["evidence"][0]
    assert json.loads(bundle.read_text())["mediaType"].startswith("application/vnd.dev.sigstore.bundle")
