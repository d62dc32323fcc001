# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Install receipts: what was installed at a path, from which verified source.

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.

A receipt is a small JSON file per installed path. It lets a run decide "already installed"
without the network, and lets every run re-hash the installed file against what was installed
(a tampered or corrupted binary is noticed and replaced).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields

from ansible_collections.pronk8s.platform.plugins.module_utils._atomic_file import replace_file

RECEIPT_FORMAT = 1
ROOT_RECEIPT_DIR = "/var/lib/pronk8s/receipts"


@dataclass
class Receipt:
    dest: str
    sha256: str
    artifact_sha256: str
    archive_member: str | None = None
    name: str | None = None
    version: str | None = None
    source: str | None = None
    checksum_source: str | None = None
    installed_at: str | None = None
    format: int = RECEIPT_FORMAT

    def describes(self, artifact_sha256: str | None, archive_member: str | None, checksum_source: str | None) -> bool:
        """True when this receipt records the same verified artifact (and member) as asked for now."""
        if (self.archive_member or None) != (archive_member or None):
            return False
        if artifact_sha256 is not None:
            return self.artifact_sha256 == artifact_sha256
        # Pin given as a checksum file: the same file recorded last time means the same pin.
        return checksum_source is not None and self.checksum_source == checksum_source


def default_receipt_dir() -> str:
    """/var/lib/pronk8s/receipts for root, else the XDG state directory of the user."""
    if os.geteuid() == 0:
        return ROOT_RECEIPT_DIR
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(state, "pronk8s", "receipts")


def receipt_path(receipt_dir: str, dest: str) -> str:
    """One receipt per installed path: /usr/local/bin/kubectl -> usr_local_bin_kubectl.json."""
    flat = os.path.abspath(dest).strip("/").replace("_", "__").replace("/", "_")
    return os.path.join(receipt_dir, flat + ".json")


def read(path: str) -> Receipt | None:
    """The receipt at `path`, or None when missing or unreadable (treated as "no receipt")."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    known = {f.name for f in fields(Receipt)}
    try:
        return Receipt(**{k: v for k, v in data.items() if k in known})
    except TypeError:
        return None


def write(path: str, receipt: Receipt) -> None:
    """Write atomically (temp file, fsync, rename, directory sync), creating the receipt directory."""
    data = (json.dumps(asdict(receipt), indent=2, sort_keys=True) + "\n").encode("utf-8")
    replace_file(path, data, mode=0o644, make_dirs=True)
