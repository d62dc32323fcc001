# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pin new artifact versions safely, and re-verify stored evidence: shared by the pin playbook's action
plugin, the mirror playbook and scripts/refresh_catalog.py (one code path for users and maintainers).

This is private to the pronk8s.platform collection (controller side only).

Pinning one (tool, version, arch): read upstream's checksum file, then the signature material the
catalog names, verify it with _signature (Sigstore bundle or OpenPGP) and keep it as evidence. The
level reached is 'signature' or 'checksum-file'; below the caller's minimum, or a sha256 that differs
from an existing pin (a republished artifact), nothing is written and the error names both sums.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ansible.module_utils.common.yaml import yaml_dump
from ansible_collections.pronk8s.platform.plugins.module_utils import _catalog, _signature
from ansible_collections.pronk8s.platform.plugins.module_utils._atomic_file import replace_file
from ansible_collections.pronk8s.platform.plugins.module_utils._checksum import ChecksumError, digest_for
from ansible_collections.pronk8s.platform.plugins.module_utils._download import DownloadError, DownloadOptions, download, fetch_text

MISSING_STATUS = (403, 404, 410)
PINS_HEADER = ("# Written by the pronk8s.platform pin flow (pin playbook, scripts/refresh_catalog.py): do not edit\n"
               "# by hand. Per version and arch: sha256, verification level, source, date, cross-check, evidence.\n")


def pin_argument_spec() -> dict:
    """The options of the artifact_pin module (a new dict each call); its action plugin validates with them."""
    return dict(
        tool=dict(type="str", required=True),
        versions=dict(type="list", elements="str", required=True),
        arches=dict(type="list", elements="str", default=["amd64", "arm64"]),
        pins_dir=dict(type="path", required=True),
        base_url=dict(type="str"),
        minimum_level=dict(type="str", choices=["signature", "checksum-file"]),
        timeout=dict(type="int", default=30),
        retries=dict(type="int", default=2),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
    )


def evidence_argument_spec() -> dict:
    """The options of the artifact_evidence module (a new dict each call); its action plugin validates with them."""
    return dict(
        artifact=dict(type="dict", required=True),
        directory=dict(type="path", required=True),
        store=dict(type="bool", default=False),
    )


class PinError(Exception):
    """The pin cannot be made: nothing is written."""


@dataclass
class Pinned:
    tool: str
    version: str
    arch: str
    sha256: str
    level: str
    source: str
    date: str
    evidence: dict[str, bytes] = field(default_factory=dict)
    account: str = ""

    def as_pin(self, evidence_dir: str) -> _catalog.Pin:
        names = tuple(f"{evidence_dir}/{name}" for name in sorted(self.evidence))
        return _catalog.Pin(sha256=self.sha256, level=self.level, source=self.source, date=self.date, evidence=names)

    def summary(self) -> dict:
        return {"tool": self.tool, "version": self.version, "arch": self.arch, "sha256": self.sha256,
                "level": self.level, "source": self.source, "evidence": sorted(self.evidence), "account": self.account}


@dataclass
class Fetcher:
    """Reads upstream (or a mirror keeping upstream's host/path layout) through the collection's downloader."""

    base_url: str | None = None
    options: DownloadOptions = field(default_factory=lambda: DownloadOptions(timeout=30, retries=2))

    def where(self, url: str) -> str:
        return f"{self.base_url.rstrip('/')}/{_catalog.mirror_path(url)}" if self.base_url else url

    def text(self, url: str) -> str:
        return fetch_text(self.where(url), self.options)

    def to_file(self, url: str, path: str) -> str:
        return download(self.where(url), path, self.options).sha256


def _missing(exc: DownloadError) -> bool:
    return exc.status in MISSING_STATUS


def _signature_evidence(tool: _catalog.Tool, urls: dict, digest: str, fetch: Fetcher,
                        workdir: str) -> tuple[dict[str, bytes], str]:
    """Fetch and verify the tool's signature material; returns (evidence files, account)."""
    sig = tool.signature or {}
    if sig.get("type") == "sigstore":
        return _sigstore_evidence(tool, sig, urls, digest, fetch)
    if sig.get("type") == "openpgp":
        asc = fetch.text(urls["signature"]).encode()  # first: a missing signature needs no download
        path = os.path.join(workdir, urls["artifact"].rsplit("/", 1)[-1])
        got = fetch.to_file(urls["artifact"], path)
        if got != digest:
            raise _signature.SignatureError(
                f"{fetch.where(urls['artifact'])} has sha256 {got}, but its checksum file says {digest}")
        signer = _signature.verify_openpgp(path, asc, _trust_file(tool, sig["keys"]), sig["fingerprints"])
        return {urls["signature"].rsplit("/", 1)[-1]: asc}, f"OpenPGP signature by pinned key {signer}"
    raise PinError(f"{tool.name}: unknown signature type '{sig.get('type')}' in the catalog")


def _sigstore_evidence(tool, sig, urls, digest, fetch) -> tuple[dict[str, bytes], str]:
    name = urls["artifact"].rsplit("/", 1)[-1] + ".sigstore.json"
    try:
        bundle = fetch.text(urls["bundle"]).encode() if "bundle" in urls else None
    except DownloadError as exc:
        if not _missing(exc):
            raise
        bundle = None
    if bundle is None:  # detached signature and certificate, completed with their Rekor entry
        signature = fetch.text(urls["signature"]).encode()
        certificate = fetch.text(urls["certificate"]).encode()
        bundle = _signature.sigstore_bundle_from_parts(signature, certificate, digest, sig["rekor_url"])
    account = _signature.verify_sigstore_bundle(bundle, digest, sig["identity"], sig["issuer"])
    return {name: bundle}, account


def _trust_file(tool: _catalog.Tool, relative: str) -> bytes:
    return (tool.directory / relative).read_bytes()


def pin_one(tool: _catalog.Tool, version: str, arch: str, fetch: Fetcher, minimum: str,
            existing: _catalog.Pin | None = None, today: str | None = None) -> Pinned:
    """Pin (tool, version, arch) from upstream's checksum file and signature; raises PinError."""
    version = str(version).lstrip("v")
    urls = tool.material_urls(version, arch)
    where = f"{tool.name} {version} {arch}"
    try:
        digest = digest_for(fetch.text(urls["checksum"]), urls["artifact"].rsplit("/", 1)[-1], fetch.where(urls["checksum"]))
    except (DownloadError, ChecksumError) as exc:
        raise PinError(f"{where}: no checksum from {fetch.where(urls['checksum'])}: {exc}") from exc
    if existing and existing.sha256 != digest:
        raise PinError(
            f"{where}: REFUSED, the artifact was republished or tampered with: the catalog pins sha256 "
            f"{existing.sha256} ({existing.level}, from {existing.source}), {fetch.where(urls['checksum'])} now says "
            f"{digest}. Nothing was written")
    level, evidence, account = "checksum-file", {}, "upstream checksum file"
    if tool.signature:
        try:
            with tempfile.TemporaryDirectory(prefix="pronk8s-pin-") as workdir:
                evidence, account = _signature_evidence(tool, urls, digest, fetch, workdir)
            level = "signature"
        except DownloadError as exc:
            if not _missing(exc):
                raise PinError(f"{where}: cannot fetch signature material: {exc}") from exc
            account = f"no signature material ({exc})"
        except _signature.SignatureError as exc:
            raise PinError(f"{where}: REFUSED, {exc}") from exc
    if _catalog.LEVELS.index(level) < _catalog.LEVELS.index(minimum):
        raise PinError(f"{where}: reached level '{level}' ({account}), below the minimum '{minimum}'. Nothing was written")
    return Pinned(tool=tool.name, version=version, arch=arch, sha256=digest, level=level,
                  source=urls["checksum"], date=today or datetime.date.today().isoformat(), evidence=evidence,
                  account=account)


# ---- the pins file and evidence -------------------------------------------------------------------------

def render_pins(pins: dict[str, dict[str, _catalog.Pin]], header: str = PINS_HEADER) -> str:
    """YAML, versions newest first, arches sorted (stable output for review diffs; yamllint clean)."""
    data = {"pins": {version: {arch: pins[version][arch].as_data() for arch in sorted(pins[version])}
                     for version in sorted(pins, key=_catalog.version_key, reverse=True)}}
    return header + "---\n" + yaml_dump(data, sort_keys=False, width=150, default_flow_style=False)


def write_pinned(pins_dir: str, results: list[Pinned], header: str = PINS_HEADER) -> list[str]:
    """Add `results` to <pins_dir>/<tool>/pins.yml and store their evidence; returns the files written."""
    written = []
    for name in sorted({r.tool for r in results}):
        tool_dir = Path(pins_dir) / name
        pins_file = tool_dir / "pins.yml"
        pins = _catalog.read_pins(pins_file, "pinned")
        for result in (r for r in results if r.tool == name):
            evidence_dir = f"evidence/{result.version}/{result.arch}"
            for file_name, data in result.evidence.items():
                replace_file(str(tool_dir / evidence_dir / file_name), data, make_dirs=True)
                written.append(str(tool_dir / evidence_dir / file_name))
            pins.setdefault(result.version, {})[result.arch] = result.as_pin(evidence_dir)
        replace_file(str(pins_file), render_pins(pins, header).encode(), make_dirs=True)
        written.append(str(pins_file))
    return written


def reverify(tool: _catalog.Tool, sha256: str, artifact_path: str, evidence: list[str]) -> str:
    """Re-verify a 'signature' pin from its stored evidence, offline; returns an account or raises PinError."""
    sig = tool.signature or {}
    try:
        for path in evidence:
            data = Path(path).read_bytes()
            if sig.get("type") == "sigstore":
                return _signature.verify_sigstore_bundle(data, sha256, sig["identity"], sig["issuer"])
            if sig.get("type") == "openpgp":
                with open(artifact_path, "rb") as handle:
                    actual = hashlib.file_digest(handle, "sha256").hexdigest()
                if actual != sha256:
                    raise PinError(f"{artifact_path} has sha256 {actual}, the pin says {sha256}")
                signer = _signature.verify_openpgp(artifact_path, data, _trust_file(tool, sig["keys"]), sig["fingerprints"])
                return f"OpenPGP signature by pinned key {signer}"
    except (OSError, _signature.SignatureError) as exc:
        raise PinError(f"{tool.name} {artifact_path}: stored evidence does not verify: {exc}") from exc
    raise PinError(f"{tool.name} {artifact_path}: no evidence to re-verify (files: {', '.join(evidence) or 'none'})")
