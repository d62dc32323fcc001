# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Replace a small file atomically: readers see the old content or the new, never half of it.

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.
"""

from __future__ import annotations

import os
import tempfile
from typing import Callable


def replace_file(path: str, data: bytes, mode: int | None = 0o644, make_dirs: bool = False,
                 move: Callable[[str, str], None] = os.replace) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk and move it into place.

    ``mode`` None leaves the temporary file's mode alone (FAT boot partitions refuse chmod). ``move`` is
    os.replace, or AnsibleModule.atomic_move (which keeps an existing file's owner, mode and SELinux
    context). The directory is synced after the move so the rename survives a power cut (Pis lose power
    without warning). Raises OSError; the temporary file never outlives a failure.
    """
    directory = os.path.dirname(path) or "."
    if make_dirs:
        os.makedirs(directory, mode=0o755, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".pronk8s.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        move(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _sync_directory(directory)


def _sync_directory(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the rename has happened all the same
    finally:
        os.close(fd)
