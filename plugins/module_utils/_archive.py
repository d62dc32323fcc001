# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Safe, streamed extraction of ONE member of a tar.gz, tar.xz or zip archive.

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.

The whole archive is screened before anything is read out of it: a member with an absolute path,
a ``..`` component, a link (symbolic or hard) or a device/FIFO makes the archive refused, even when
it is not the member asked for, because an archive that carries one is not what upstream ships.
Where Python has it (3.11.4+, 3.12+), tarfile's own ``data`` filter screens every member too.
"""

from __future__ import annotations

import posixpath
import shutil
import stat
import tarfile
import zipfile

_MAGIC = (
    (b"\x1f\x8b", "tar.gz"),
    (b"\xfd7zXZ\x00", "tar.xz"),
    (b"PK\x03\x04", "zip"),
)


class ArchiveError(Exception):
    """An archive that is unreadable, unsafe, or lacks the member asked for."""


def detect_format(path: str) -> str | None:
    """'tar.gz', 'tar.xz' or 'zip' from the file's magic bytes; None for anything else."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return None


def _unsafe_name(name: str) -> str | None:
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "has an absolute path"
    if ".." in name.replace("\\", "/").split("/"):
        return "has a '..' component"
    return None


def _screen_tar_member(member: tarfile.TarInfo, where: str) -> None:
    reason = _unsafe_name(member.name)
    if reason is None and (member.issym() or member.islnk()):
        reason = f"is a link to '{member.linkname}'"
    if reason is None and not (member.isfile() or member.isdir()):
        reason = "is a device, FIFO or other special file"
    if reason is None and hasattr(tarfile, "data_filter"):
        try:
            tarfile.data_filter(member, "/nonexistent-extraction-root")
        except tarfile.FilterError as exc:
            reason = f"is rejected by tarfile's data filter ({exc})"
    if reason:
        raise ArchiveError(f"refusing archive {where}: member '{member.name}' {reason}")


def _screen_zip_member(info: zipfile.ZipInfo, where: str) -> None:
    reason = _unsafe_name(info.filename)
    mode = info.external_attr >> 16
    if reason is None and stat.S_ISLNK(mode):
        reason = "is a symbolic link"
    # Zip writers that record no file type (only permission bits) make plain files.
    if reason is None and stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        reason = "is a device, FIFO or other special file"
    if reason:
        raise ArchiveError(f"refusing archive {where}: member '{info.filename}' {reason}")


def _normalise(name: str) -> str:
    return posixpath.normpath(name.lstrip("./")) if name not in ("", ".") else name


def extract_member(archive: str, member: str, out, where: str) -> None:
    """Stream `member` of `archive` into the writable binary file object `out`.

    `where` names the archive's origin (URL or path) in error messages.
    """
    fmt = detect_format(archive)
    wanted = _normalise(member)
    if fmt in ("tar.gz", "tar.xz"):
        _extract_tar(archive, wanted, out, where)
    elif fmt == "zip":
        _extract_zip(archive, wanted, out, where)
    else:
        raise ArchiveError(f"{where} is not a tar.gz, tar.xz or zip archive, so member '{member}' cannot be extracted")


def _extract_tar(archive: str, wanted: str, out, where: str) -> None:
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            members = tar.getmembers()
            for m in members:
                _screen_tar_member(m, where)
            found = [m for m in members if _normalise(m.name) == wanted and m.isfile()]
            if not found:
                raise ArchiveError(_missing(where, wanted, [m.name for m in members if m.isfile()]))
            source = tar.extractfile(found[-1])
            shutil.copyfileobj(source, out, 1024 * 1024)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArchiveError(f"cannot read archive {where}: {exc}") from exc


def _extract_zip(archive: str, wanted: str, out, where: str) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            for info in infos:
                _screen_zip_member(info, where)
            found = [i for i in infos if _normalise(i.filename) == wanted and not i.is_dir()]
            if not found:
                raise ArchiveError(_missing(where, wanted, [i.filename for i in infos if not i.is_dir()]))
            with zf.open(found[-1]) as source:
                shutil.copyfileobj(source, out, 1024 * 1024)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"cannot read archive {where}: {exc}") from exc


def _missing(where: str, wanted: str, names: list[str]) -> str:
    listed = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
    return f"archive {where} has no file member '{wanted}' (it holds: {listed})"
