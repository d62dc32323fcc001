# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pinned artifact catalog: tool -> version -> arch -> sha256, plus where each artifact lives.

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.

The pins themselves are generated data (_catalog_pins.py, written by scripts/refresh_catalog.py
from upstream checksum files); this module holds the tools' URL layout and the rules: an unpinned
version or arch fails before any download with the pinned choices listed, users may add pins for
new versions, and replacing a shipped pin needs an explicit, loudly named override.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from ansible_collections.pronk8s.platform.plugins.module_utils._catalog_pins import PINS
from ansible_collections.pronk8s.platform.plugins.module_utils._sha256 import EMPTY_SHA256, is_sha256

# Where upstream publishes each tool, and the checksum file published beside each artifact.
TOOLS: dict[str, dict[str, str | None]] = {
    "kubectl": {
        "url": "https://dl.k8s.io/release/v{version}/bin/linux/{arch}/kubectl",
        "checksum_url": "{url}.sha256",
        "archive_member": None,
    },
    "helm": {
        "url": "https://get.helm.sh/helm-v{version}-linux-{arch}.tar.gz",
        "checksum_url": "{url}.sha256sum",
        "archive_member": "linux-{arch}/helm",
    },
    "kind": {
        "url": "https://github.com/kubernetes-sigs/kind/releases/download/v{version}/kind-linux-{arch}",
        "checksum_url": "{url}.sha256sum",
        "archive_member": None,
    },
}

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


class CatalogError(Exception):
    """A request the catalog cannot answer with a verified pin."""


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

    def as_dict(self) -> dict:
        return asdict(self)


def upstream_arch(machine: str, userspace_bits: str | int | None = None) -> str:
    """Map ansible_architecture to the upstream name; a 64-bit ARM kernel with 32-bit userland is 'arm'."""
    key = str(machine).strip().lower()
    if key not in ARCH_MAP:
        raise CatalogError(f"unknown architecture '{machine}' (known: {', '.join(sorted(ARCH_MAP))})")
    arch = ARCH_MAP[key]
    if arch == "arm64" and str(userspace_bits or "") == "32":
        return "arm"
    return arch


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in version.replace("-", ".").split("."))


def merged_pins(extra: dict | None, allow_override: bool) -> tuple[dict, dict]:
    """Shipped pins plus user pins: returns (pins, origin) with origin[tool][version][arch] in {'shipped','user'}."""
    pins = {tool: {v: dict(arches) for v, arches in versions.items()} for tool, versions in PINS.items()}
    origin = {tool: {v: {a: "shipped" for a in arches} for v, arches in versions.items()} for tool, versions in PINS.items()}
    for tool, versions in (extra or {}).items():
        if tool not in TOOLS:
            raise CatalogError(f"{EXTRA_PINS_VAR} names unknown tool '{tool}' (known: {', '.join(sorted(TOOLS))})")
        if not isinstance(versions, dict):
            raise CatalogError(f"{EXTRA_PINS_VAR}.{tool} must map versions to {{arch: sha256}}")
        for version, arches in versions.items():
            version = str(version).lstrip("v")
            if not isinstance(arches, dict):
                raise CatalogError(f"{EXTRA_PINS_VAR}.{tool}.{version} must map arch names to sha256 digests")
            for arch, digest in arches.items():
                digest = str(digest).lower().removeprefix("sha256:")
                where = f"{EXTRA_PINS_VAR}.{tool}.{version}.{arch}"
                if not is_sha256(digest) or digest == EMPTY_SHA256:
                    raise CatalogError(f"{where} = '{digest}' is not a usable sha256 (64 hex digits, not the empty file's)")
                shipped = PINS.get(tool, {}).get(version, {}).get(arch)
                if shipped and shipped != digest and not allow_override:
                    raise CatalogError(
                        f"{where} = {digest} would replace the shipped pin {shipped}; shipped pins come from upstream "
                        f"checksum files. Set {OVERRIDE_VAR}: true only if you really mean to trust another binary")
                pins.setdefault(tool, {}).setdefault(version, {})[arch] = digest
                origin.setdefault(tool, {}).setdefault(version, {})[arch] = "user" if shipped != digest else "shipped"
    return pins, origin


def pinned_versions(pins: dict, tool: str, arch: str) -> list[str]:
    return sorted((v for v, arches in pins.get(tool, {}).items() if arch in arches), key=_version_key, reverse=True)


def mirror_path(url: str) -> str:
    """Layout shared by mirrors and local directories: host + path of the upstream URL."""
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"


def resolve(tool: str, version: str, arch: str, source: str = "upstream", mirror_url: str | None = None,
            local_dir: str | None = None, extra_pins: dict | None = None, allow_override: bool = False) -> Artifact:
    """The verified artifact for (tool, version, arch), or a CatalogError that says what is pinned."""
    if tool not in TOOLS:
        raise CatalogError(f"no tool '{tool}' in the catalog (known: {', '.join(sorted(TOOLS))})")
    if source not in SOURCES:
        raise CatalogError(f"unknown artifact source '{source}' (choose one of: {', '.join(SOURCES)})")
    version = str(version).lstrip("v")
    pins, origin = merged_pins(extra_pins, allow_override)
    arches = sorted({a for v in pins.get(tool, {}).values() for a in v})
    if arch not in arches:
        raise CatalogError(f"{tool} has no pins for architecture '{arch}' (pinned architectures: {', '.join(arches)})")
    digest = pins[tool].get(version, {}).get(arch)
    if digest is None:
        choices = pinned_versions(pins, tool, arch)
        raise CatalogError(
            f"{tool} {version} has no sha256 pin for {arch}; pinned versions for {arch}: {', '.join(choices)}. "
            f"To use another version, pin it yourself in {EXTRA_PINS_VAR} (from the upstream checksum file)")
    layout = TOOLS[tool]
    upstream = str(layout["url"]).format(version=version, arch=arch)
    member = layout["archive_member"].format(version=version, arch=arch) if layout["archive_member"] else None
    path = mirror_path(upstream)
    url, src = upstream, None
    if source == "mirror":
        if not mirror_url:
            raise CatalogError("artifact source 'mirror' needs a mirror URL (pronk8s_artifact_mirror_url)")
        url = f"{mirror_url.rstrip('/')}/{path}"
    elif source == "local":
        if not local_dir:
            raise CatalogError("artifact source 'local' needs a directory (pronk8s_artifact_local_dir)")
        url, src = None, os.path.join(local_dir, path)
    return Artifact(name=tool, version=version, arch=arch, sha256=digest, upstream_url=upstream, url=url, src=src,
                    checksum_url=str(layout["checksum_url"]).format(url=upstream), archive_member=member,
                    mirror_path=path, pin_origin=origin[tool][version][arch])
