# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Maintainer tool: add pins to the shipped catalog (catalog/<tool>/pins.yml).

  python scripts/refresh_catalog.py pin TOOL VERSION [VERSION ...] [--arch amd64,arm64,arm]
                                        [--base-url URL] [--minimum-level signature|checksum-file]
      Pin new versions from upstream's checksum files and signatures, with the same code as the
      pronk8s.platform.pin playbook: kubectl's Sigstore bundle and helm's OpenPGP signature are verified
      and kept as evidence (level 'signature'); kind has checksum files only ('checksum-file').
      --base-url reads from a mirror that keeps upstream's host/path layout. A sha256 that differs from
      a shipped pin is refused with both sums.

  python scripts/refresh_catalog.py facts FILE [--source TOOL=TEXT ...] [--date YYYY-MM-DD]
      Import a facts file of third-party pins (tool -> arch -> version -> sha256; e.g. the copy in
      tests/unit/fixtures/upstream-checksums/upstream-checksums-2026.yml) at level 'copied'. Values the file lists as
      disputed or never released, unusable digests (the empty file's sha256) and values that disagree
      with a pin already in the catalog are left out and listed. Each pin records its sources and
      whether they were cross-checked ('single-source' when only one source gave it).

Never write a checksum by hand: every pin comes from upstream's files or a named third party.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import textwrap
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
try:
    from ansible_collections.pronk8s.platform.plugins.module_utils import _catalog, _pinning
except ImportError:  # a plain checkout: the test bed links the collection under .cache/collections
    sys.path.insert(0, str(ROOT / ".cache" / "collections"))
    from ansible_collections.pronk8s.platform.plugins.module_utils import _catalog, _pinning
from ansible_collections.pronk8s.platform.plugins.module_utils._sha256 import EMPTY_SHA256, is_sha256

CATALOG_DIR = ROOT / "catalog"
SHIPPED_HEADER = ("# The collection's shipped pins. Written by scripts/refresh_catalog.py (pin, facts): do not edit by\n"
                  "# hand. Per version and arch: sha256, verification level (signature | checksum-file | copied),\n"
                  "# source, date, cross-check ('single-source': one source only), evidence (under evidence/).\n")
CHECKED = {"cross-checked": "cross-checked", "single-source": "single-source",
           "cross-checked (unattributed public files only, not attributable to a named repo)":
           "cross-checked (unattributed public files only)"}


def _excluded(facts: dict, tool: str) -> dict[tuple[str, str], str]:
    """(version, arch) -> why, for values the facts file marks disputed or never released."""
    out = {}
    for arch, versions in ((facts.get("disputed") or {}).get(tool) or {}).items():
        for version in versions or {}:
            if version != "note":
                out[(str(version), arch)] = "disputed"
    for version, entry in ((facts.get("not_released") or {}).get(tool) or {}).items():
        for arch in ("amd64", "arm64", "arm", "ppc64le", "s390x"):
            out[(str(version), arch)] = "never released: " + str((entry or {}).get("note", ""))[:80]
    return out


def _provenance(facts: dict, tool: str, version: str, arch: str, fallback: str) -> tuple[str, str]:
    """(source, checked) for one value: the file's per-value sources, else the fallback (one source)."""
    entry = ((((facts.get("sources") or {}).get(tool) or {}).get(version) or {}).get(arch)) or {}
    if not entry.get("from"):
        return fallback, "single-source"
    return ", ".join(entry["from"]), CHECKED.get(entry.get("status", ""), str(entry.get("status", "")))


def import_facts(path: Path, sources: dict[str, str], date: str, catalog_dir: Path) -> tuple[int, list[str]]:
    facts = yaml.safe_load(path.read_text())
    notes, added = [], 0
    for name in sorted(_catalog.tools(catalog_dir)):
        pins_file = _catalog.tool(name, catalog_dir).directory / "pins.yml"
        pins = _catalog.read_pins(pins_file, "shipped")
        excluded = _excluded(facts, name)
        for arch, versions in (facts.get(name) or {}).items():
            for version, digest in (versions or {}).items():
                version, digest = str(version), str(digest).lower()
                note = _import_one(facts, name, version, arch, digest, excluded, pins, sources, path.name, date)
                if note:
                    notes.append(f"{name} {version} {arch}: {note}")
                else:
                    added += 1
        pins_file.write_text(_pinning.render_pins(pins, SHIPPED_HEADER))
    _merge_legend(catalog_dir / "sources.yml", (facts.get("sources") or {}).get("legend") or {}, path.name)
    return added, notes


def _merge_legend(path: Path, legend: dict, file_name: str) -> None:
    """catalog/sources.yml: what each source name in a pin's 'source' stands for."""
    known = (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}
    known.update({str(k): f"{v} [via {file_name}]" for k, v in legend.items() if str(k) not in known})
    header = ("# Sources named in the pins' 'source' fields (written by scripts/refresh_catalog.py facts).\n"
              "# 'pub:<n>': a public file whose repository and path could not be identified.\n---\n")
    body = "".join(f"{json.dumps(k)}: >-\n" + "".join(f"  {line}\n" for line in _wrap(str(v))) for k, v in sorted(known.items()))
    path.write_text(header + body)


def _import_one(facts, name, version, arch, digest, excluded, pins, sources, file_name, date) -> str | None:
    if not is_sha256(digest) or digest == EMPTY_SHA256:
        return f"left out: {digest} ({'sha256 of an empty file' if digest == EMPTY_SHA256 else 'not a sha256'})"
    if (version, arch) in excluded:
        return f"left out: {excluded[(version, arch)]}"
    fallback = sources.get(name, file_name)
    source, checked = _provenance(facts, name, version, arch, fallback)
    old = pins.get(version, {}).get(arch)
    if old and old.sha256 != digest:
        return f"left out: {file_name} says {digest}, the catalog pins {old.sha256} ({old.source}); check upstream"
    if old and old.level != "copied":
        return None  # a verified pin stays as it is
    if old:  # the same value from another file: keep both sources; cross-checked wins over single-source
        source = old.source if source in old.source else f"{old.source}; {source}"
        checked = checked if checked != "single-source" else old.checked
    pins.setdefault(version, {})[arch] = _catalog.Pin(sha256=digest, level="copied", source=source,
                                                      date=old.date if old else date, checked=checked)
    return None


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, 110, break_on_hyphens=False, break_long_words=False)


def pin(name: str, versions: list[str], arches: list[str], base_url: str | None, minimum: str,
        catalog_dir: Path) -> tuple[list[_pinning.Pinned], list[str]]:
    tool = _catalog.tool(name, catalog_dir)
    shipped = _catalog.read_pins(tool.directory / "pins.yml", "shipped")
    fetch = _pinning.Fetcher(base_url=base_url)
    done, notes = [], []
    for version in versions:
        version = version.lstrip("v")
        for arch in arches:
            existing = shipped.get(version, {}).get(arch)
            try:
                result = _pinning.pin_one(tool, version, arch, fetch, minimum, existing)
            except _pinning.PinError as exc:
                notes.append(str(exc))
                continue
            if existing and _catalog.LEVELS.index(existing.level) > _catalog.LEVELS.index(result.level):
                notes.append(f"{name} {version} {arch}: kept, already pinned at level {existing.level}")
                continue
            done.append(result)
            notes.append(f"pinned {name} {version} {arch}: {result.sha256} ({result.level}: {result.account})")
    return done, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--catalog", type=Path, default=CATALOG_DIR, help="catalog directory (default: %(default)s)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_facts = sub.add_parser("facts")
    p_facts.add_argument("file", type=Path)
    p_facts.add_argument("--source", action="append", default=[], help="TOOL=TEXT: source of values with none listed")
    p_facts.add_argument("--date", default=datetime.date.today().isoformat())
    p_pin = sub.add_parser("pin")
    p_pin.add_argument("tool")
    p_pin.add_argument("versions", nargs="+")
    p_pin.add_argument("--arch", default="amd64,arm64,arm")
    p_pin.add_argument("--base-url")
    p_pin.add_argument("--minimum-level", default="checksum-file", choices=_catalog.LEVELS[1:])
    args = parser.parse_args(argv)
    catalog_dir = args.catalog.resolve()

    if args.command == "facts":
        sources = dict(item.split("=", 1) for item in args.source)
        added, notes = import_facts(args.file, sources, args.date, catalog_dir)
        for line in notes:
            print(line, file=sys.stderr)
        print(f"imported {added} value(s) from {args.file.name} at level 'copied' into {catalog_dir}")
        return 0
    done, notes = pin(args.tool, args.versions, args.arch.split(","), args.base_url, args.minimum_level, catalog_dir)
    for line in notes:
        print(line)
    if done:
        _pinning.write_pinned(str(catalog_dir), done, SHIPPED_HEADER)
    return 0 if len(done) == len(args.versions) * len(args.arch.split(",")) else 1


if __name__ == "__main__":
    sys.exit(main())
