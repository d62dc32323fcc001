# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parse checksum specifications and upstream checksum files.

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.

A checksum spec is one of: 64 hex digits, ``sha256:HEX``, or the URL / path of a checksum file.
Checksum files come in three shapes upstream: a bare digest (dl.k8s.io ``kubectl.sha256``), GNU
coreutils lines (``HEX  name`` or ``HEX *name``; helm and kind ``.sha256sum``) and BSD tags
(``SHA256 (name) = HEX``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from ansible_collections.pronk8s.platform.plugins.module_utils._download import redact_url
from ansible_collections.pronk8s.platform.plugins.module_utils._sha256 import EMPTY_SHA256, is_sha256

_GNU_RE = re.compile(r"^([0-9a-fA-F]{64})[ \t]+\*?(.+)$")
_BSD_RE = re.compile(r"^SHA256[ \t]*\((.+)\)[ \t]*=[ \t]*([0-9a-fA-F]{64})$")


class ChecksumError(Exception):
    """A checksum spec or checksum file that cannot give a usable sha256."""


@dataclass(frozen=True)
class ChecksumSpec:
    """What the user asked for: a literal digest, or a checksum file to read it from."""

    digest: str | None = None
    source: str | None = None

    def describe(self) -> str:
        return f"sha256:{self.digest}" if self.digest else f"checksum file {redact_url(self.source)}"


def parse_spec(spec: str) -> ChecksumSpec:
    """Turn the ``checksum`` option into a ChecksumSpec, refusing what cannot be a pin."""
    value = spec.strip()
    lowered = value.lower()
    if lowered.startswith("sha256:"):
        value = value[len("sha256:"):].strip()
        lowered = value.lower()
        if not is_sha256(lowered):
            raise ChecksumError(f"checksum 'sha256:{value}' is not 64 hexadecimal digits")
    if is_sha256(lowered):
        if lowered == EMPTY_SHA256:
            raise ChecksumError(
                f"checksum {lowered} is the sha256 of an empty file: it cannot pin a real artifact"
            )
        return ChecksumSpec(digest=lowered)
    if "://" in value or value.startswith("/"):
        return ChecksumSpec(source=value)
    if ":" in value.split("/", 1)[0]:
        algo = value.split(":", 1)[0]
        raise ChecksumError(f"checksum algorithm '{algo}' is not supported: only sha256 is accepted")
    raise ChecksumError(
        f"checksum '{spec}' is neither 64 hex digits, 'sha256:HEX', nor a URL or absolute path of a checksum file"
    )


def _entries(text: str) -> list[tuple[str, str]]:
    """(name, digest) for every entry, in file order; one bare digest gives the empty name."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if len(lines) == 1 and is_sha256(lines[0].lower()):
        return [("", lines[0].lower())]
    entries = []
    for line in lines:
        gnu = _GNU_RE.match(line)
        if gnu:
            entries.append((gnu.group(2).strip(), gnu.group(1).lower()))
            continue
        bsd = _BSD_RE.match(line)
        if bsd:
            entries.append((bsd.group(1).strip(), bsd.group(2).lower()))
    return entries


def parse_checksum_file(text: str) -> dict[str, str]:
    """Map file name -> digest for every entry of a GNU or BSD checksum file.

    A file holding one bare digest maps the empty name to it.
    """
    return dict(_entries(text))


def _parts(name: str) -> list[str] | None:
    """Path components of an entry name (leading ./ dropped); None for a name with a '..' component."""
    while name.startswith("./"):
        name = name[2:]
    parts = [p for p in name.split("/") if p]
    if not parts or ".." in parts:
        return None
    return parts


def digest_for(text: str, artifact: str, source: str) -> str:
    """The digest a checksum file gives for `artifact` (its URL path, file path, or base name).

    The entry whose name matches the most trailing components of the artifact's path wins
    (``linux-amd64/kubectl`` over ``darwin-arm64/kubectl`` for ``.../linux-amd64/kubectl``; ``helm`` over
    ``v1.0.0/helm`` for ``.../helm``). An entry that matches the base name only is accepted when it is the
    only one; several such entries with different digests are refused, listing them.
    """
    shown = redact_url(source)
    entries = _entries(text)
    if not entries:
        raise ChecksumError(f"checksum file {shown} holds no sha256 entries (GNU, BSD or bare digest)")
    wanted = [p for p in _artifact_path(artifact).split("/") if p]
    if entries[0][0] == "":
        digest = entries[0][1]
    else:
        digest = _best_entry(entries, wanted, shown)
    if digest == EMPTY_SHA256:
        raise ChecksumError(f"checksum file {shown} gives the sha256 of an empty file for '{wanted[-1]}'")
    return digest


def _best_entry(entries: list[tuple[str, str]], wanted: list[str], shown: str) -> str:
    scored: dict[int, list[tuple[str, str]]] = {}
    for name, digest in entries:
        parts = _parts(name)
        if parts is None or not wanted or parts[-1] != wanted[-1]:
            continue
        suffix = len(parts) if wanted[-len(parts):] == parts else 0  # 0: base name only
        scored.setdefault(suffix, []).append((name, digest))
    if not scored:
        listed = ", ".join(sorted({name for name, _digest in entries})[:10])
        raise ChecksumError(f"checksum file {shown} has no entry for '{wanted[-1] if wanted else ''}' (it lists: {listed})")
    best = scored[max(scored)]
    if len({digest for _name, digest in best}) > 1:
        listed = ", ".join(f"{name} ({digest[:12]}...)" for name, digest in best)
        raise ChecksumError(
            f"checksum file {shown} has several different entries for '{wanted[-1]}' and none matches the "
            f"artifact's path better: {listed}; give the sha256 itself")
    return best[0][1]


def _artifact_path(artifact: str) -> str:
    """The path part of a URL (no query), or the path itself."""
    if "://" in artifact:
        try:
            return urlsplit(artifact).path
        except ValueError:
            return artifact.split("?", 1)[0]
    return artifact


def resolve(spec: ChecksumSpec, origin: str, fetch: Callable[[str], str]) -> str:
    """The digest `spec` pins for the artifact at `origin` (URL or path; its base name is looked up).

    `fetch` reads a checksum file given by URL; one given by path is read from this machine's disk.
    """
    if spec.digest:
        return spec.digest
    source = spec.source
    if "://" in source:
        text = fetch(source)
    else:
        try:
            with open(source, encoding="utf-8", errors="replace") as handle:
                text = handle.read(1024 * 1024)
        except OSError as exc:
            raise ChecksumError(f"cannot read checksum file {source}: {exc.strerror}") from exc
    return digest_for(text, origin, source)
