# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The artifact catalog: per-tool facts and per-artifact pins, read from the collection's catalog/ data.

This is private to the pronk8s.platform collection: its controller-side plugins and scripts import it,
nothing else should (no module does: the catalog never travels to a managed host).

The data lives in ``catalog/<tool>/tool.yml`` (URL layout, checksum and signature material, archive
member, version arguments, default version, architectures, trust roots) and ``catalog/<tool>/pins.yml``
(per version and arch: sha256, verification level, where it came from, evidence files). A user pins
directory (written by the ``pronk8s.platform.pin`` playbook) has the same ``<tool>/pins.yml`` layout.
Adding a version or a tool is adding data. The rules: an unpinned version or arch fails before any
download with the pinned choices listed; user pins may add versions; replacing a shipped pin needs an
explicit, loudly named override; a pin below the minimum verification level is refused.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from ansible.module_utils.common.yaml import yaml_load
from ansible_collections.pronk8s.platform.plugins.module_utils._sha256 import EMPTY_SHA256, is_sha256

# The shipped catalog sits beside plugins/ in the collection; PRONK8S_CATALOG_DIR replaces it (a fork
# with its own tools and trust roots, or a test catalog).
CATALOG_DIR = Path(os.environ.get("PRONK8S_CATALOG_DIR") or Path(__file__).resolve().parents[2] / "catalog")

# Weakest first. 'copied': copied from a third party's pins; 'checksum-file': read from upstream's checksum
# file over HTTPS; 'signature': upstream's signature over the artifact verified, evidence kept.
LEVELS = ("copied", "checksum-file", "signature")

# ansible_architecture -> upstream (Go) architecture name.
ARCH_MAP = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv7l": "arm",
    "armv6l": "arm",
    "armhf": "arm",
    "arm": "arm",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
}
SOURCES = ("upstream", "mirror", "local")
OVERRIDE_VAR = "pronk8s_artifact_unsafe_override_shipped_pins"
EXTRA_PINS_VAR = "pronk8s_artifact_extra_pins"
PINS_DIR_VAR = "pronk8s_artifact_pins_dir"
MINIMUM_VAR = "pronk8s_artifact_minimum_verification"


class CatalogError(Exception):
    """A request the catalog cannot answer with a verified pin."""


@dataclass(frozen=True)
class Tool:
    """What the catalog knows of one tool (catalog/<tool>/tool.yml)."""

    name: str
    default_version: str
    arches: tuple[str, ...]
    url: str
    checksum_url: str
    archive_member: str | None
    version_args: tuple[str, ...]
    signature: dict | None
    directory: Path

    def expand(self, template: str, version: str, arch: str) -> str:
        url = self.url.format(version=version, arch=arch)
        return template.format(version=version, arch=arch, url=url, filename=url.rsplit("/", 1)[-1])

    def material_urls(self, version: str, arch: str) -> dict[str, str]:
        """Upstream URLs of the artifact, its checksum file and its signature material (by role)."""
        urls = {"artifact": self.url.format(version=version, arch=arch),
                "checksum": self.expand(self.checksum_url, version, arch)}
        for role in ("bundle", "signature", "certificate"):
            template = (self.signature or {}).get(f"{role}_url")
            if template:
                urls[role] = self.expand(template, version, arch)
        return urls

    @property
    def best_level(self) -> str:
        return "signature" if self.signature else "checksum-file"

    def facts(self) -> dict:
        return {"name": self.name, "default_version": self.default_version, "arches": list(self.arches),
                "version_args": list(self.version_args), "archive_member": self.archive_member,
                "signature_type": (self.signature or {}).get("type"), "best_level": self.best_level}


@dataclass(frozen=True)
class Pin:
    sha256: str
    level: str
    source: str
    date: str = ""
    checked: str = ""
    evidence: tuple[str, ...] = ()
    origin: str = "shipped"
    base: str = ""

    def as_data(self) -> dict:
        data = {"sha256": self.sha256, "level": self.level, "source": self.source}
        data.update({k: v for k, v in (("date", self.date), ("checked", self.checked)) if v})
        if self.evidence:
            data["evidence"] = list(self.evidence)
        return data


@dataclass(frozen=True)
class Artifact:
    name: str
    version: str
    arch: str
    sha256: str
    upstream_url: str
    url: str | None
    src: str | None
    checksum_url: str
    archive_member: str | None
    mirror_path: str
    pin_origin: str
    verification_level: str
    pin_source: str
    pin_checked: str
    evidence: list[str] = field(default_factory=list)
    evidence_paths: list[str] = field(default_factory=list)
    material: dict[str, str] = field(default_factory=dict)
    version_args: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"cannot read catalog file {path}: {exc.strerror}") from exc
    except Exception as exc:  # the YAML library's own error types vary with the backend
        raise CatalogError(f"catalog file {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CatalogError(f"catalog file {path} must hold a mapping")
    return data


def _tool_from(path: Path) -> Tool:
    data = _read_yaml(path)
    try:
        artifact = data["artifact"]
        return Tool(name=str(data["name"]), default_version=str(data["default_version"]),
                    arches=tuple(data["arches"]), url=artifact["url"], checksum_url=artifact["checksum_url"],
                    archive_member=artifact.get("archive_member"), version_args=tuple(data["version_args"]),
                    signature=data.get("signature"), directory=path.parent)
    except (KeyError, TypeError) as exc:
        raise CatalogError(f"catalog file {path} lacks the tool fact {exc}") from exc


@lru_cache(maxsize=8)
def tools(catalog_dir: Path = CATALOG_DIR) -> dict[str, Tool]:
    """Every tool of the catalog, by name."""
    found = {}
    for path in sorted(Path(catalog_dir).glob("*/tool.yml")):
        tool = _tool_from(path)
        found[tool.name] = tool
    if not found:
        raise CatalogError(f"no tool in the catalog directory {catalog_dir} (expected <tool>/tool.yml files)")
    return found


def tool(name: str, catalog_dir: Path = CATALOG_DIR) -> Tool:
    known = tools(catalog_dir)
    if name not in known:
        raise CatalogError(f"no tool '{name}' in the catalog (known: {', '.join(sorted(known))})")
    return known[name]


def read_pins(path: Path, origin: str) -> dict[str, dict[str, Pin]]:
    """A pins file: {version: {arch: Pin}}; an absent file has no pins."""
    if not path.is_file():
        return {}
    data = _read_yaml(path).get("pins") or {}
    pins: dict[str, dict[str, Pin]] = {}
    for version, arches in data.items():
        for arch, entry in (arches or {}).items():
            where = f"{path}: {version} {arch}"
            pins.setdefault(str(version), {})[str(arch)] = _pin_from(entry, where, origin, path.parent)
    return pins


def _pin_from(entry, where: str, origin: str, base: Path) -> Pin:
    if not isinstance(entry, dict):
        raise CatalogError(f"{where} must be a mapping with sha256, level and source")
    digest = str(entry.get("sha256", "")).lower()
    if not is_sha256(digest) or digest == EMPTY_SHA256:
        raise CatalogError(f"{where}: '{digest}' is not a usable sha256 (64 hex digits, not the empty file's)")
    level = str(entry.get("level", ""))
    if level not in LEVELS:
        raise CatalogError(f"{where}: verification level '{level}' is not one of {', '.join(LEVELS)}")
    evidence = tuple(str(e) for e in entry.get("evidence") or ())
    if level == "signature" and not evidence:
        raise CatalogError(f"{where}: a 'signature' pin must name its evidence files")
    return Pin(sha256=digest, level=level, source=str(entry.get("source", "")), date=str(entry.get("date", "")),
               checked=str(entry.get("checked", "")), evidence=evidence, origin=origin, base=str(base))


@lru_cache(maxsize=32)
def _shipped_pins(name: str, catalog_dir: Path) -> dict[str, dict[str, Pin]]:
    return read_pins(tool(name, catalog_dir).directory / "pins.yml", "shipped")


def _user_pins(name: str, pins_dir: str | None) -> dict[str, dict[str, Pin]]:
    return read_pins(Path(pins_dir) / name / "pins.yml", "pinned") if pins_dir else {}


def _extra_pins(name: str, extra: dict | None) -> dict[str, dict[str, Pin]]:
    """Hand-written pins (inventory/vault): a bare sha256 is level 'copied', nothing can vouch for more."""
    found: dict[str, dict[str, Pin]] = {}
    if not isinstance(extra, dict):
        raise CatalogError(f"{EXTRA_PINS_VAR} must map tools to {{version: {{arch: sha256}}}}")
    versions = extra.get(name) or {}
    if not isinstance(versions, dict):
        raise CatalogError(f"{EXTRA_PINS_VAR}.{name} must map versions to {{arch: sha256}}")
    for version, arches in versions.items():
        version = str(version).lstrip("v")
        if not isinstance(arches, dict):
            raise CatalogError(f"{EXTRA_PINS_VAR}.{name}.{version} must map arch names to sha256 digests")
        for arch, digest in arches.items():
            digest = str(digest).strip().lower().removeprefix("sha256:")
            where = f"{EXTRA_PINS_VAR}.{name}.{version}.{arch}"
            if not is_sha256(digest) or digest == EMPTY_SHA256:
                raise CatalogError(f"{where} = '{digest}' is not a usable sha256 (64 hex digits, not the empty file's)")
            found.setdefault(version, {})[arch] = Pin(sha256=digest, level="copied", source=where, origin="user")
    return found


def merged_pins(name: str, extra: dict | None = None, allow_override: bool = False, pins_dir: str | None = None,
                catalog_dir: Path = CATALOG_DIR) -> dict[str, dict[str, Pin]]:
    """Shipped pins, then the user's pins directory, then hand-written extra pins: {version: {arch: Pin}}."""
    known = tools(catalog_dir)
    for other in extra or {}:
        if other not in known:
            raise CatalogError(f"{EXTRA_PINS_VAR} names unknown tool '{other}' (known: {', '.join(sorted(known))})")
    shipped = _shipped_pins(name, catalog_dir)
    pins = {v: dict(arches) for v, arches in shipped.items()}
    for layer in (_user_pins(name, pins_dir), _extra_pins(name, extra or {})):
        for version, arches in layer.items():
            for arch, pin in arches.items():
                old = shipped.get(version, {}).get(arch)
                if old and old.sha256 == pin.sha256:
                    # The same artifact: the stronger evidence stands (a copied pin the user verified by signature).
                    if LEVELS.index(pin.level) > LEVELS.index(old.level):
                        pins[version][arch] = pin
                    continue
                if old and not allow_override:
                    raise CatalogError(
                        f"{pin.source} = {pin.sha256} would replace the shipped pin {old.sha256} of {name} {version} "
                        f"{arch} ({old.level}, from {old.source}). Set {OVERRIDE_VAR}: true only if you really mean "
                        "to trust another binary")
                pins.setdefault(version, {})[arch] = pin
    return pins


def version_key(version: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in version.replace("-", ".").split("."))


def pinned_versions(pins: dict, arch: str) -> list[str]:
    return sorted((v for v, arches in pins.items() if arch in arches), key=version_key, reverse=True)


def mirror_path(url: str) -> str:
    """Layout shared by mirrors and local directories: host + path of the upstream URL."""
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"


def upstream_arch(machine: str, userspace_bits: str | int | None = None) -> str:
    """Map ansible_architecture to the upstream name; a 64-bit ARM kernel with 32-bit userland is 'arm'."""
    key = str(machine).strip().lower()
    if key not in ARCH_MAP:
        raise CatalogError(f"unknown architecture '{machine}' (known: {', '.join(sorted(ARCH_MAP))})")
    arch = ARCH_MAP[key]
    if arch == "arm64" and str(userspace_bits or "") == "32":
        return "arm"
    return arch


def minimum_level(policy, name: str) -> str:
    """The minimum level for a tool: a level name, or {default: level, <tool>: level}."""
    if isinstance(policy, dict):
        wanted = policy.get(name, policy.get("default", "copied"))
    else:
        wanted = policy or "copied"
    if wanted not in LEVELS:
        raise CatalogError(f"{MINIMUM_VAR} '{wanted}' is not a verification level ({', '.join(LEVELS)})")
    return str(wanted)


def check_level(artifact: Artifact, minimum: str) -> None:
    if LEVELS.index(artifact.verification_level) < LEVELS.index(minimum):
        raise CatalogError(
            f"{artifact.name} {artifact.version} {artifact.arch} is pinned at verification level "
            f"'{artifact.verification_level}' (from {artifact.pin_source}), below the minimum '{minimum}' "
            f"({MINIMUM_VAR}); pin it at a higher level with the pronk8s.platform.pin playbook")


@dataclass
class Request:
    """Where the artifact should come from, and the user's pins and policy."""

    source: str = "upstream"
    mirror_url: str | None = None
    local_dir: str | None = None
    extra_pins: dict | None = None
    allow_override: bool = False
    pins_dir: str | None = None
    minimum: object = "copied"


def find_artifact(name: str, version: str | None, arch: str, request: Request | None = None,
                  catalog_dir: Path = CATALOG_DIR) -> Artifact:
    """The verified artifact for (tool, version, arch), or a CatalogError that says what is pinned.

    An empty version means the tool's default version from the catalog.
    """
    req = request or Request()
    facts = tool(name, catalog_dir)
    if req.source not in SOURCES:
        raise CatalogError(f"unknown artifact source '{req.source}' (choose one of: {', '.join(SOURCES)})")
    version = str(version or facts.default_version).lstrip("v")
    pins = merged_pins(name, req.extra_pins, req.allow_override, req.pins_dir, catalog_dir)
    arches = sorted({a for v in pins.values() for a in v})
    if arch not in arches:
        raise CatalogError(f"{name} has no pins for architecture '{arch}' (pinned architectures: {', '.join(arches)})")
    pin = pins.get(version, {}).get(arch)
    if pin is None:
        raise CatalogError(
            f"{name} {version} has no sha256 pin for {arch}; pinned versions for {arch}: "
            f"{', '.join(pinned_versions(pins, arch))}. To use another version, pin it with the pronk8s.platform.pin "
            f"playbook (or by hand in {EXTRA_PINS_VAR}, from the upstream checksum file)")
    artifact = _artifact(facts, version, arch, pin, req)
    check_level(artifact, minimum_level(req.minimum, name))
    return artifact


def _artifact(facts: Tool, version: str, arch: str, pin: Pin, req: Request) -> Artifact:
    material = facts.material_urls(version, arch)
    upstream = material["artifact"]
    path = mirror_path(upstream)
    url, src = upstream, None
    if req.source == "mirror":
        if not req.mirror_url:
            raise CatalogError("artifact source 'mirror' needs a mirror URL (pronk8s_artifact_mirror_url)")
        url = f"{req.mirror_url.rstrip('/')}/{path}"
    elif req.source == "local":
        if not req.local_dir:
            raise CatalogError("artifact source 'local' needs a directory (pronk8s_artifact_local_dir)")
        url, src = None, os.path.join(req.local_dir, path)
    member = facts.archive_member.format(version=version, arch=arch) if facts.archive_member else None
    return Artifact(name=facts.name, version=version, arch=arch, sha256=pin.sha256, upstream_url=upstream, url=url,
                    src=src, checksum_url=material["checksum"], archive_member=member, mirror_path=path,
                    pin_origin=pin.origin, verification_level=pin.level, pin_source=pin.source,
                    pin_checked=pin.checked, evidence=[os.path.join(pin.base, e) for e in pin.evidence],
                    evidence_paths=[evidence_path(material, e) for e in pin.evidence],
                    material=material, version_args=list(facts.version_args))


def evidence_path(material: dict[str, str], evidence: str) -> str:
    """Where a mirror or local directory keeps an evidence file: at its upstream host/path when upstream
    publishes it under that name (kubectl.sigstore.json, helm-...tar.gz.asc), else beside the artifact."""
    name = os.path.basename(evidence)
    for url in material.values():
        if url.rsplit("/", 1)[-1] == name:
            return mirror_path(url)
    return f"{mirror_path(material['artifact'])}.evidence/{name}"


def pin_status(name: str, version: str | None, arch: str | None, sha256: str | None, extra_pins: dict | None = None,
               allow_override: bool = False, pins_dir: str | None = None, catalog_dir: Path = CATALOG_DIR) -> dict:
    """Is an installed artifact (by its sha256) still a pin, and at which level? For audits of what is installed.

    Returns {known_tool, pinned, pin_origin, verification_level}; `pinned` is None when it cannot be judged
    (a tool the catalog does not know, no version or no sha256). Unusable user pins fall back to the shipped ones.
    """
    known = name in tools(catalog_dir)
    if not known or not sha256 or not version:
        return {"known_tool": known, "pinned": None, "pin_origin": None, "verification_level": None}
    try:
        pins = merged_pins(name, extra_pins, allow_override, pins_dir, catalog_dir)
    except CatalogError:
        pins = merged_pins(name, catalog_dir=catalog_dir)
    by_arch = pins.get(str(version).strip().lstrip("v"), {})
    for candidate in [arch] if arch else sorted(by_arch):
        pin = by_arch.get(candidate)
        if pin and pin.sha256 == str(sha256).lower():
            return {"known_tool": True, "pinned": True, "pin_origin": pin.origin, "verification_level": pin.level}
    return {"known_tool": True, "pinned": False, "pin_origin": None, "verification_level": None}
