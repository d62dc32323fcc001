# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host's local facts file (/etc/ansible/facts.d/pronk8s.fact): every tool this collection installed.

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.

Written by the install modules themselves, in the same round trip as the install, so that
`ansible HOST -m setup -a filter=ansible_local` shows the tools without this collection. The file is
merged, never replaced: tools installed by other runs stay listed. Its content is stable (sorted keys, no
time stamps), so a warm run leaves it alone.
"""

from __future__ import annotations

import json
import os

from ansible_collections.pronk8s.platform.plugins.module_utils._atomic_file import replace_file

FACTS_FILE = "pronk8s.fact"
FACTS_FORMAT = 1


def facts_path(directory: str) -> str:
    return os.path.join(directory, FACTS_FILE)


def entry_for(result: dict) -> dict:
    """One tool's entry, from an install result (verified_binary's keys)."""
    provenance = result.get("provenance") or {}
    return {
        "version": result.get("version"), "arch": provenance.get("arch"), "path": result.get("dest"),
        "sha256": result.get("sha256"), "artifact_sha256": result.get("artifact_sha256"),
        "pin_origin": provenance.get("pin_origin"), "verification_level": provenance.get("verification_level"),
        "receipt": result.get("receipt"),
    }


def _read(path: str) -> dict:
    """The tools recorded so far; a file that is not a JSON object (hand-edited, truncated) counts as empty."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    tools = data.get("tools") if isinstance(data, dict) else None
    return tools if isinstance(tools, dict) else {}


def render(tools: dict) -> str:
    return json.dumps({"format": FACTS_FORMAT, "collection": "pronk8s.platform", "tools": tools},
                      indent=4, sort_keys=True) + "\n"


def record(directory: str, entries: dict[str, dict], check_mode: bool) -> dict:
    """Merge `entries` (tool name -> entry) into the facts file; returns {path, changed, diff}.

    Raises OSError when the file cannot be written (the caller says so; the install itself stands).
    """
    path = facts_path(directory)
    known = _read(path)
    merged = {**known, **entries}
    if merged == known and os.path.isfile(path):
        return {"path": path, "changed": False}
    result = {"path": path, "changed": True,
              "diff": {"before": render(known) if known else "", "after": render(merged),
                       "before_header": path, "after_header": path}}
    if not check_mode:
        replace_file(path, render(merged).encode("utf-8"), mode=0o644, make_dirs=True)
    return result
