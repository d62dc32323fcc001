# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Replace a file atomically: readers see the old content or the new, never half of it.

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.

The one writer of the collection: staged_file() streams any size (downloads, extracted archive
members), replace_file() writes bytes already in memory through it.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from typing import BinaryIO, Callable, Iterator


class StagedFile:
    """The temporary file staged_file() yields: write through ``file``, or open ``path`` again by name."""

    def __init__(self, path: str, handle: BinaryIO) -> None:
        self.path = path
        self.file = handle
        self.discarded = False

    def discard(self) -> None:
        """Remove the temporary file on exit instead of moving it into place (it was scratch after all)."""
        self.discarded = True


@contextmanager
def staged_file(path: str, prefix: str = ".pronk8s.", mode: int | None = 0o644, make_dirs: bool = False,
                move: Callable[[str, str], None] = os.replace,
                check: Callable[[str], None] | None = None) -> Iterator[StagedFile]:
    """Yield a new temporary file beside ``path``; on a clean exit, put it in place of ``path``.

    The temporary file is made by mkstemp (O_EXCL, mode 0600) in ``path``'s directory, so no planted
    name or symlink is ever followed and the rename stays on one file system. On a clean exit: flush,
    fsync, chmod ``mode`` (None leaves it alone: FAT boot partitions refuse chmod), ``check(temp_path)``
    (which raises to refuse the new content: a validation command, for instance), ``move(temp_path, path)``
    (os.replace, or AnsibleModule.atomic_move, which keeps an existing file's owner, mode and SELinux
    context), then fsync of the directory so the rename survives a power cut (Pis lose power without
    warning). The temporary file never outlives an exception, a refused check or discard().
    """
    directory = os.path.dirname(path) or "."
    if make_dirs:
        os.makedirs(directory, mode=0o755, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=prefix)
    try:
        with os.fdopen(fd, "wb") as handle:
            staged = StagedFile(tmp, handle)
            yield staged
            if staged.discarded:
                return
            handle.flush()
            # fsync works on the file, not the descriptor: it also covers what was written through `path`.
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        if check is not None:
            check(tmp)
        move(tmp, path)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    _sync_directory(directory)


def replace_file(path: str, data: bytes, mode: int | None = 0o644, make_dirs: bool = False,
                 move: Callable[[str, str], None] = os.replace) -> None:
    """Put ``data`` in place of ``path`` through staged_file(); raises OSError, leaving ``path`` as it was."""
    with staged_file(path, mode=mode, make_dirs=make_dirs, move=move) as staged:
        staged.file.write(data)


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
