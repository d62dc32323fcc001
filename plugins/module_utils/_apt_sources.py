# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read apt's source files (one-line ``.list`` and deb822 ``.sources``) and take one repository out of them.

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.

Only what a takeover needs: which entries name a repository (by URI prefix), which keyrings they are
signed by, and the text of a file with those entries disabled, every other byte kept. apt's own rules
followed here (sources.list(5)): in one-line files ``#`` starts a comment anywhere; options sit in
``[...]`` after the type; deb822 stanzas are separated by blank lines, fields continue on lines that
start with white space, ``Enabled: no`` turns a stanza off.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

ONE_LINE = "one-line"
DEB822 = "deb822"
# apt reads only these names in sources.list.d (others are ignored with a notice, so backups never go there).
_PART_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+\.(list|sources)$")
_DISABLED_NOTE = "disabled by pronk8s.platform"


@dataclass
class Entry:
    """One active source entry (a one-line entry or a deb822 stanza) and where it sits in its file."""

    path: str
    kind: str
    types: list[str]
    uris: list[str]
    suites: list[str]
    components: list[str]
    options: dict[str, str] = field(default_factory=dict)
    first_line: int = 0
    last_line: int = 0  # inclusive

    @property
    def signed_by(self) -> list[str]:
        """Keyring paths named by Signed-By (an inline key block yields nothing: it is no file)."""
        value = self.options.get("signed-by", "")
        if "BEGIN PGP" in value:
            return []
        return [item for item in re.split(r"[\s,]+", value) if item.startswith("/")]

    def describe(self) -> str:
        signed = f" signed-by={','.join(self.signed_by)}" if self.signed_by else " (no signed-by: any key apt trusts)"
        return f"{' '.join(self.types)} {' '.join(self.uris)} {' '.join(self.suites)} {' '.join(self.components)}".rstrip() + signed


@dataclass
class SourceFile:
    path: str
    kind: str
    text: str
    entries: list[Entry]


def source_file_paths(apt_root: str) -> list[str]:
    """sources.list and the parts apt reads from sources.list.d, in apt's order."""
    paths = []
    main = os.path.join(apt_root, "sources.list")
    if os.path.isfile(main):
        paths.append(main)
    parts = os.path.join(apt_root, "sources.list.d")
    if os.path.isdir(parts):
        paths.extend(os.path.join(parts, name) for name in sorted(os.listdir(parts))
                     if _PART_NAME_RE.match(name) and os.path.isfile(os.path.join(parts, name)))
    return paths


def parse_file(path: str, text: str) -> SourceFile:
    kind = DEB822 if path.endswith(".sources") else ONE_LINE
    entries = parse_deb822(path, text) if kind == DEB822 else parse_one_line(path, text)
    return SourceFile(path=path, kind=kind, text=text, entries=entries)


def parse_one_line(path: str, text: str) -> list[Entry]:
    entries = []
    for number, line in enumerate(text.splitlines()):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        entry = _one_line_entry(path, content, number)
        if entry is not None:
            entries.append(entry)
    return entries


def _one_line_entry(path: str, content: str, number: int) -> Entry | None:
    match = re.match(r"^(deb|deb-src)\s+(?:\[(?P<opts>[^\]]*)\]\s*)?(?P<rest>.*)$", content)
    if not match:
        return None  # apt refuses the line itself; it is not ours to judge
    rest = match.group("rest").split()
    if len(rest) < 2:
        return None
    options = {}
    for item in (match.group("opts") or "").split():
        key, sep, value = item.partition("=")
        if sep:
            options[key.rstrip("+-").lower()] = value
    return Entry(path=path, kind=ONE_LINE, types=[match.group(1)], uris=[rest[0]], suites=[rest[1]],
                 components=rest[2:], options=options, first_line=number, last_line=number)


def _stanzas(text: str) -> list[tuple[int, int, dict[str, str]]]:
    """(first line, last line, fields) of each deb822 stanza; comment lines belong to no field."""
    stanzas: list[tuple[int, int, dict[str, str]]] = []
    fields: dict[str, str] = {}
    first = last = None
    key = None
    for number, line in enumerate(text.splitlines() + [""]):
        if not line.strip():
            if fields:
                stanzas.append((first, last, fields))
            fields, first, key = {}, None, None
            continue
        if line.startswith("#"):
            continue
        if first is None:
            first = number
        last = number
        if line[0] in " \t" and key is not None:
            fields[key] += "\n" + line.strip()
            continue
        name, sep, value = line.partition(":")
        if sep:
            key = name.strip().lower()
            fields[key] = value.strip()
    return stanzas


def parse_deb822(path: str, text: str) -> list[Entry]:
    entries = []
    for first, last, fields in _stanzas(text):
        if fields.get("enabled", "yes").strip().lower() in ("no", "false", "0"):
            continue
        if "types" not in fields or "uris" not in fields:
            continue
        options = {key: value for key, value in fields.items() if key not in ("types", "uris", "suites", "components")}
        entries.append(Entry(path=path, kind=DEB822, types=fields["types"].split(), uris=fields["uris"].split(),
                             suites=fields.get("suites", "").split(), components=fields.get("components", "").split(),
                             options=options, first_line=first, last_line=last))
    return entries


def _normalize_uri(uri: str) -> str:
    # http and https name the same repository for this purpose; case of scheme and host does not matter.
    match = re.match(r"^(?:[a-z][a-z0-9+.-]*://)?([^/]*)(.*)$", uri.strip(), re.IGNORECASE)
    host, rest = match.group(1).lower(), match.group(2)
    return (host + rest).rstrip("/")


def uri_matches(uri: str, prefixes: list[str]) -> bool:
    """Whether ``uri`` is one of ``prefixes`` or below one (scheme and trailing slashes ignored)."""
    norm = _normalize_uri(uri)
    return any(norm == p or norm.startswith(p + "/") for p in (_normalize_uri(prefix) for prefix in prefixes) if p)


def entry_matches(entry: Entry, prefixes: list[str]) -> bool:
    return any(uri_matches(uri, prefixes) for uri in entry.uris)


def without_entries(source: SourceFile, prefixes: list[str], note: str, keep_file: bool = False) -> str | None:
    """The file's text with every entry of the repository disabled (commented out, the rest kept).

    None when no other active entry would remain (and not ``keep_file``): the whole file is the
    repository's and can go.
    """
    drop = [entry for entry in source.entries if entry_matches(entry, prefixes)]
    if not drop:
        return source.text
    keep = [entry for entry in source.entries if not entry_matches(entry, prefixes)]
    mixed = [entry for entry in drop if entry.kind == DEB822 and not all(uri_matches(u, prefixes) for u in entry.uris)]
    if not keep and not mixed and not keep_file:
        return None
    lines = source.text.splitlines(keepends=True)
    for entry in drop:
        if entry in mixed:
            _drop_uris(lines, entry, prefixes)
            continue
        for number in range(entry.first_line, entry.last_line + 1):
            if not lines[number].startswith("#") and lines[number].strip():
                lines[number] = f"# {_DISABLED_NOTE} ({note}): {lines[number]}"
    return "".join(lines)


def _drop_uris(lines: list[str], entry: Entry, prefixes: list[str]) -> None:
    """A deb822 stanza naming this repository and others keeps the others (URIs rewritten on one line)."""
    kept = [uri for uri in entry.uris if not uri_matches(uri, prefixes)]
    inside = False
    for number in range(entry.first_line, entry.last_line + 1):
        line = lines[number]
        if line.startswith("#"):
            continue
        if re.match(r"^uris\s*:", line, re.IGNORECASE):
            newline = "\n" if line.endswith("\n") else ""
            lines[number] = f"URIs: {' '.join(kept)}{newline}"
            inside = True
        elif inside and line[:1] in (" ", "\t"):
            lines[number] = ""
        else:
            inside = False


def files_naming(sources: list[SourceFile], apt_message: str) -> list[str]:
    """Source files apt's errors point at: paths it names, and files holding a source it names."""
    named = set(re.findall(r"(/[^\s:()]+)", apt_message))
    found = [source.path for source in sources if source.path in named]
    for uri in re.findall(r"regarding source (\S+)", apt_message):
        found.extend(source.path for source in sources if any(uri_matches(u, [uri]) and _normalize_uri(u) == _normalize_uri(uri)
                                                              for entry in source.entries for u in entry.uris))
    found.extend(path for path in sorted(named) if "/keyrings/" in path or path.endswith((".gpg", ".asc")))
    return list(dict.fromkeys(found))
