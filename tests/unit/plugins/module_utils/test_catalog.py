"""The catalog: integrity of the shipped data (catalog/) and the rules around it."""

import json
import re
from pathlib import Path

import pytest
import yaml
from ansible_collections.pronk8s.platform.plugins.module_utils import _catalog
from ansible_collections.pronk8s.platform.plugins.module_utils._sha256 import EMPTY_SHA256

ROOT = Path(__file__).resolve().parents[4]
FACTS_2026 = ROOT / "tests" / "unit" / "fixtures" / "upstream-checksums" / "upstream-checksums-2026.yml"


def shipped():
    out = []
    for name in _catalog.tools():
        for version, arches in _catalog.merged_pins(name).items():
            out += [(name, version, arch, pin) for arch, pin in arches.items()]
    return out


def test_the_catalog_is_data_in_one_place():
    assert (ROOT / "catalog").is_dir() and _catalog.CATALOG_DIR == ROOT / "catalog"
    assert sorted(_catalog.tools()) == ["helm", "kind", "kubectl"]
    assert not (ROOT / "plugins" / "module_utils" / "_catalog_pins.py").exists()
    # No per-tool fact in the plugins or roles: URL layouts live in catalog/<tool>/tool.yml only.
    roles = [p for r in ("kubectl", "helm", "kind", "preflight") for p in (ROOT / "roles" / r).rglob("*.yml")]
    for path in list((ROOT / "plugins").rglob("*.py")) + roles:
        text = path.read_text()
        for needle in ("dl.k8s.io/release/v{", "get.helm.sh/helm-v{", "kind-linux-{", "verified_tool_version_args: ["):
            assert needle not in text, f"{path} holds the catalog fact {needle!r}"


def test_every_pin_is_a_real_sha256_with_provenance():
    pins = shipped()
    assert len(pins) > 300
    for name, version, arch, pin in pins:
        assert re.fullmatch(r"[0-9a-f]{64}", pin.sha256) and pin.sha256 != EMPTY_SHA256, (name, version, arch)
        assert re.fullmatch(r"\d+\.\d+\.\d+", version)
        assert arch in _catalog.tool(name).arches
        assert pin.level in _catalog.LEVELS and pin.source and pin.date
        assert pin.checked in ("cross-checked", "single-source", "cross-checked (unattributed public files only)")


def test_every_named_source_is_explained():
    legend = yaml.safe_load((ROOT / "catalog" / "sources.yml").read_text())
    for *_key, pin in shipped():
        for source in pin.source.split(", "):
            assert source in legend, source


def test_no_digest_is_shared_by_two_artifacts():
    seen = {}
    for name, version, arch, pin in shipped():
        assert pin.sha256 not in seen, f"{name} {version} {arch} has the same digest as {seen[pin.sha256]}"
        seen[pin.sha256] = (name, version, arch)


def test_2026_facts_imported_without_disputed_or_unreleased_values():
    facts = yaml.safe_load(FACTS_2026.read_text())
    kind = _catalog.merged_pins("kind")
    assert "amd64" not in kind["0.32.0"]  # disputed
    assert kind["0.32.0"]["arm64"].sha256 == "b92cd615e97585de8ddade28ed5cd7feb4248d717c233eea5b03c37298900f5d"
    helm = _catalog.merged_pins("helm")
    assert not {"4.0.3", "4.1.2", "3.19.3"} & set(helm)  # never released
    for name in ("kubectl", "helm", "kind"):
        pins = _catalog.merged_pins(name)
        for arch, versions in facts[name].items():
            for version, digest in versions.items():
                assert pins[str(version)][arch].sha256 == digest
                status = facts["sources"][name][str(version)][arch]["status"]
                assert (pins[str(version)][arch].checked == "single-source") == (status == "single-source")


def test_defaults_are_the_newest_stable_releases():
    assert _catalog.tool("kubectl").default_version == "1.37.1"
    assert _catalog.tool("kind").default_version == "0.33.0"
    assert _catalog.tool("helm").default_version == "3.22.0"  # kubernetes.core 6.2.0 drives Helm 3 (roles/helm/README.md)
    for name in _catalog.tools():
        assert _catalog.find_artifact(name, "", "amd64").version == _catalog.tool(name).default_version


def test_real_kubectl_pin():
    # Equal to the sha256 of the real kubectl v1.35.2 the test bed extracts from PyPI (testbed notes).
    a = _catalog.find_artifact("kubectl", "1.35.2", "amd64")
    assert a.sha256 == "924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277"
    assert (a.verification_level, a.pin_checked, a.pin_origin) == ("copied", "cross-checked", "shipped")


@pytest.mark.parametrize("machine,bits,arch", [
    ("x86_64", "64", "amd64"), ("aarch64", "64", "arm64"), ("aarch64", "32", "arm"), ("armv7l", "32", "arm"),
    ("armv6l", None, "arm"), ("ppc64le", None, "ppc64le"),
])
def test_upstream_arch(machine, bits, arch):
    assert _catalog.upstream_arch(machine, bits) == arch


def test_unknown_machine():
    with pytest.raises(_catalog.CatalogError, match="unknown architecture 'mips'"):
        _catalog.upstream_arch("mips")


def test_upstream_mirror_local():
    a = _catalog.find_artifact("helm", "v3.18.4", "arm64")
    assert a.url == "https://get.helm.sh/helm-v3.18.4-linux-arm64.tar.gz" and a.archive_member == "linux-arm64/helm"
    assert a.checksum_url == "https://get.helm.sh/helm-v3.18.4-linux-arm64.tar.gz.sha256sum"
    assert a.material["signature"] == "https://github.com/helm/helm/releases/download/v3.18.4/helm-v3.18.4-linux-arm64.tar.gz.asc"
    m = _catalog.find_artifact("kubectl", "1.35.2", "amd64", _catalog.Request(source="mirror", mirror_url="http://m:8/"))
    assert m.url == "http://m:8/dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl"
    assert m.material["bundle"] == "https://dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl.sigstore.json"
    loc = _catalog.find_artifact("kind", "0.31.0", "arm64", _catalog.Request(source="local", local_dir="/srv/a"))
    assert loc.url is None and loc.src == "/srv/a/github.com/kubernetes-sigs/kind/releases/download/v0.31.0/kind-linux-arm64"


def test_unpinned_version_lists_the_pinned_ones():
    with pytest.raises(_catalog.CatalogError) as err:
        _catalog.find_artifact("kind", "0.31.0", "arm")
    assert str(err.value).startswith("kind 0.31.0 has no sha256 pin for arm; pinned versions for arm: 0.8.1, 0.7.0, 0.6.1, 0.6.0.")
    assert "pronk8s.platform.pin playbook" in str(err.value)


@pytest.mark.parametrize("kwargs,message", [
    (dict(tool="flux"), "no tool 'flux' in the catalog (known: helm, kind, kubectl)"),
    (dict(arch="riscv64"), "kubectl has no pins for architecture 'riscv64' (pinned architectures: amd64, arm, arm64, ppc64le)"),
    (dict(source="ftp"), "unknown artifact source 'ftp'"),
    (dict(source="mirror"), "artifact source 'mirror' needs a mirror URL"),
    (dict(source="local"), "artifact source 'local' needs a directory"),
    (dict(minimum="best"), "pronk8s_artifact_minimum_verification 'best' is not a verification level"),
])
def test_errors(kwargs, message):
    args = dict(tool="kubectl", version="1.35.2", arch="amd64") | kwargs
    with pytest.raises(_catalog.CatalogError) as err:
        _catalog.find_artifact(args.pop("tool"), args.pop("version"), args.pop("arch"), _catalog.Request(**args))
    assert message in str(err.value)


def test_user_pins():
    extra = {"kubectl": {"v1.99.0": {"arm64": "sha256:" + "A" * 64}}}
    a = _catalog.find_artifact("kubectl", "1.99.0", "arm64", _catalog.Request(extra_pins=extra))
    assert (a.sha256, a.pin_origin, a.verification_level) == ("a" * 64, "user", "copied")
    assert _catalog.find_artifact("kubectl", "1.35.2", "amd64", _catalog.Request(extra_pins=extra)).pin_origin == "shipped"


def test_replacing_a_shipped_pin_needs_the_override():
    req = _catalog.Request(extra_pins={"kubectl": {"1.35.2": {"amd64": "b" * 64}}})
    with pytest.raises(_catalog.CatalogError, match="would replace the shipped pin 924eb507.*pronk8s_artifact_unsafe_override_shipped_pins"):
        _catalog.find_artifact("kubectl", "1.35.2", "amd64", req)
    req.allow_override = True
    assert _catalog.find_artifact("kubectl", "1.35.2", "amd64", req).sha256 == "b" * 64


@pytest.mark.parametrize("extra,message", [
    ({"kubectl": {"1.99.0": {"amd64": EMPTY_SHA256}}}, "is not a usable sha256"),
    ({"kubectl": {"1.99.0": {"amd64": "xyz"}}}, "is not a usable sha256"),
    ({"flux": {}}, "names unknown tool 'flux'"),
    ({"kubectl": ["1.99.0"]}, "must map versions"),
])
def test_bad_user_pins(extra, message):
    with pytest.raises(_catalog.CatalogError, match=message):
        _catalog.find_artifact("kubectl", "1.35.2", "amd64", _catalog.Request(extra_pins=extra))


@pytest.mark.parametrize("policy,tool,ok", [
    ("copied", "kubectl", True), ("checksum-file", "kubectl", False), ({"default": "signature", "kind": "copied"}, "kind", True),
    ({"default": "signature", "kind": "copied"}, "helm", False), ({"helm": "signature"}, "kubectl", True),
])
def test_minimum_verification_policy_per_tool(policy, tool, ok):
    req = _catalog.Request(minimum=policy)
    version = _catalog.tool(tool).default_version
    if ok:
        assert _catalog.find_artifact(tool, version, "amd64", req).verification_level == "copied"
    else:
        with pytest.raises(_catalog.CatalogError, match=f"{tool} {version} amd64 is pinned at verification level 'copied'"):
            _catalog.find_artifact(tool, version, "amd64", req)


def test_pins_directory_layer(tmp_path):
    (tmp_path / "kind").mkdir()
    (tmp_path / "kind" / "pins.yml").write_text(json.dumps({"pins": {"0.34.0": {"amd64": {
        "sha256": "d" * 64, "level": "checksum-file", "source": "https://x/kind-linux-amd64.sha256sum", "date": "2026-12-01"}}}}))
    a = _catalog.find_artifact("kind", "0.34.0", "amd64", _catalog.Request(pins_dir=str(tmp_path), minimum="checksum-file"))
    assert (a.pin_origin, a.verification_level, a.pin_source) == ("pinned", "checksum-file", "https://x/kind-linux-amd64.sha256sum")


@pytest.mark.parametrize("entry,message", [
    ({"sha256": "d" * 64, "level": "signature", "source": "x"}, "must name its evidence files"),
    ({"sha256": "d" * 64, "level": "trusted", "source": "x"}, "verification level 'trusted' is not one of"),
    ("d" * 64, "must be a mapping"),
])
def test_bad_pins_file(tmp_path, entry, message):
    (tmp_path / "kind").mkdir()
    (tmp_path / "kind" / "pins.yml").write_text(json.dumps({"pins": {"0.34.0": {"amd64": entry}}}))
    with pytest.raises(_catalog.CatalogError, match=message):
        _catalog.find_artifact("kind", "0.34.0", "amd64", _catalog.Request(pins_dir=str(tmp_path)))


def test_adding_a_tool_is_adding_data(tmp_path):
    (tmp_path / "flux").mkdir()
    (tmp_path / "flux" / "tool.yml").write_text(json.dumps({
        "name": "flux", "default_version": "2.0.0", "arches": ["amd64"], "version_args": ["version", "--client"],
        "artifact": {"url": "https://example.invalid/v{version}/flux_{version}_linux_{arch}.tar.gz",
                     "checksum_url": "https://example.invalid/v{version}/flux_{version}_checksums.txt",
                     "archive_member": "flux"}, "signature": None}))
    (tmp_path / "flux" / "pins.yml").write_text(json.dumps({"pins": {"2.0.0": {"amd64": {
        "sha256": "e" * 64, "level": "checksum-file", "source": "https://example.invalid/v2.0.0/flux_2.0.0_checksums.txt"}}}}))
    a = _catalog.find_artifact("flux", "", "amd64", catalog_dir=tmp_path)
    assert (a.version, a.archive_member, a.version_args) == ("2.0.0", "flux", ["version", "--client"])
    assert a.checksum_url == "https://example.invalid/v2.0.0/flux_2.0.0_checksums.txt"


def test_pin_status_of_an_installed_artifact(tmp_path):
    kubectl = "924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277"
    assert _catalog.pin_status("kubectl", "v1.35.2", "amd64", kubectl) == {
        "known_tool": True, "pinned": True, "pin_origin": "shipped", "verification_level": "copied"}
    assert _catalog.pin_status("kubectl", "1.35.2", None, kubectl)["pinned"] is True  # arch unknown: any arch
    assert _catalog.pin_status("kubectl", "1.35.2", "arm64", kubectl)["pinned"] is False
    assert _catalog.pin_status("flux", "1.0.0", "amd64", kubectl) == {
        "known_tool": False, "pinned": None, "pin_origin": None, "verification_level": None}
    assert _catalog.pin_status("kubectl", None, "amd64", kubectl)["pinned"] is None
    user = {"kubectl": {"1.99.0": {"amd64": "a" * 64}}}
    assert _catalog.pin_status("kubectl", "1.99.0", "amd64", "a" * 64, user)["pin_origin"] == "user"
    bad = {"kubectl": {"1.35.2": {"amd64": "b" * 64}}}  # would replace a shipped pin: ignored, shipped pins judge
    assert _catalog.pin_status("kubectl", "1.35.2", "amd64", kubectl, bad)["pinned"] is True
