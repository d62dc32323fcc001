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

import errno
import fcntl
import hashlib
import json
import os
import re
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from typing import Iterator

from ansible_collections.pronk8s.platform.plugins.module_utils._atomic_file import replace_file
from ansible_collections.pronk8s.platform.plugins.module_utils._sha256 import is_sha256
from ansible_collections.pronk8s.platform.plugins.module_utils._xdg import state_dir

RECEIPT_FORMAT = 1
ROOT_RECEIPT_DIR = "/var/lib/pronk8s/receipts"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


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
    # Provenance, given by the caller (the verified_tool role): how the pin was chosen. Absent in older receipts.
    arch: str | None = None
    pin_origin: str | None = None
    verification_level: str | None = None

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
    return state_dir("receipts")


def receipt_path(receipt_dir: str, dest: str) -> str:
    """One receipt per installed path, named by the sha256 of the absolute path (no collision, bounded length).

    /usr/local/bin/kubectl -> kubectl-<sha256 of "/usr/local/bin/kubectl">.json; the base name (at most 64
    characters, anything outside [A-Za-z0-9._-] replaced by "_") is there for people reading the directory.
    """
    absolute = os.path.abspath(dest)
    label = _UNSAFE_NAME.sub("_", os.path.basename(absolute))[:64]
    digest = hashlib.sha256(absolute.encode("utf-8", errors="surrogateescape")).hexdigest()
    return os.path.join(receipt_dir, f"{label}-{digest}.json")


def legacy_receipt_path(receipt_dir: str, dest: str) -> str:
    """Where releases before 1.1 kept the receipt (/usr/local/bin/kubectl -> usr_local_bin_kubectl.json)."""
    flat = os.path.abspath(dest).strip("/").replace("_", "__").replace("/", "_")
    return os.path.join(receipt_dir, flat + ".json")


def read(path: str, dest: str | None = None) -> Receipt | None:
    """The receipt at `path`, or None when missing, unreadable, of the wrong shape, or for another `dest`."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    receipt = _from_json(data)
    if receipt is None or (dest is not None and receipt.dest != os.path.abspath(dest)):
        return None
    return receipt


def read_for(receipt_dir: str, dest: str) -> Receipt | None:
    """The receipt of `dest`, at its current name or, from an older release, at its legacy name."""
    found = read(receipt_path(receipt_dir, dest), dest)
    if found is None:
        found = read(legacy_receipt_path(receipt_dir, dest), dest)
    return found


def _from_json(data: object) -> Receipt | None:
    if not isinstance(data, dict):
        return None
    known = {f.name: f for f in fields(Receipt)}
    values = {k: v for k, v in data.items() if k in known}
    for key in ("dest", "sha256", "artifact_sha256"):
        if not isinstance(values.get(key), str):
            return None
    if not (is_sha256(values["sha256"]) and is_sha256(values["artifact_sha256"])):
        return None
    for key, value in values.items():
        if key == "format":
            if not isinstance(value, int) or isinstance(value, bool):
                return None
        elif value is not None and not isinstance(value, str):
            return None
    return Receipt(**values)


def write(path: str, receipt: Receipt) -> None:
    """Write atomically (temp file, fsync, rename, directory sync); the file is 0600 in a 0700 directory.

    Receipts record where artifacts came from; even redacted, that is nobody else's business.
    A receipt of the same dest under its legacy name is removed.
    """
    ensure_dir(os.path.dirname(path))
    data = (json.dumps(asdict(receipt), indent=2, sort_keys=True) + "\n").encode("utf-8")
    replace_file(path, data, mode=0o600)
    try:
        legacy = legacy_receipt_path(os.path.dirname(path), receipt.dest)
        if legacy != path and read(legacy, receipt.dest) is not None:
            os.unlink(legacy)
    except OSError:
        pass  # ENAMETOOLONG and friends: no legacy receipt can exist under such a name


def ensure_dir(directory: str) -> None:
    """Create the receipt directory 0700, and tighten one that an older release created 0755."""
    os.makedirs(directory, mode=0o700, exist_ok=True)
    if os.stat(directory).st_mode & 0o077:
        try:
            os.chmod(directory, 0o700)
        except PermissionError:
            pass  # a directory of another user's (receipt_dir given): theirs to tighten


@contextmanager
def dest_lock(path: str) -> Iterator[None]:
    """Exclusive lock for one dest (its receipt path + '.lock'): concurrent runs on one dest take turns.

    Opened with O_NOFOLLOW and without O_TRUNC, so a symlink planted in its place is refused, never
    followed, and no file is ever truncated.
    """
    ensure_dir(os.path.dirname(path))
    lock_path = path[:-len(".json")] + ".lock" if path.endswith(".json") else path + ".lock"
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(exc.errno, f"{lock_path} is a symbolic link; refusing to use it as a lock") from exc
        raise
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
