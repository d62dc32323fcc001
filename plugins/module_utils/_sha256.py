# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Streamed SHA-256 helpers.

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.

Hashing is always streamed in fixed-size blocks so memory stays flat whatever the artifact's size.
"""

from __future__ import annotations

import hashlib
import os
import re

# 1 MiB: large enough that per-call overhead vanishes next to OpenSSL's hashing speed.
BLOCK_SIZE = 1024 * 1024
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
# sha256 of zero bytes: an "artifact" with this hash is an empty download, never a real release.
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def sha256_file(path: str) -> str:
    """Hex SHA-256 of a file, read in BLOCK_SIZE blocks into one reused buffer."""
    digest = hashlib.sha256()
    buf = bytearray(BLOCK_SIZE)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as handle:
        while True:
            n = handle.readinto(buf)
            if not n:
                break
            digest.update(view[:n])
    return digest.hexdigest()


def sha256_if_file(path: str) -> str | None:
    """Hex SHA-256 of `path` when it is a regular file, else None."""
    if os.path.isfile(path) and not os.path.islink(path):
        return sha256_file(path)
    return None


class HashingWriter:
    """Write-through file wrapper that hashes and counts what passes through it."""

    def __init__(self, handle) -> None:
        self._handle = handle
        self._digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        self.size += len(data)
        return self._handle.write(data)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def is_sha256(value: str) -> bool:
    return bool(SHA256_RE.match(value))
