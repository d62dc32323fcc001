# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every copy of a command a user may run: where it is, who put it there, and which one their PATH picks.

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.

Pure functions over paths (the module does the I/O): the usual places other installers use, the
installer a path betrays (dpkg is asked separately), and the order a PATH gives.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

DPKG = "dpkg"
SNAP = "snap"
ASDF = "asdf"
MISE = "mise"
GO = "go install"
USER = "user"
VERIFIED = "verified"
UNKNOWN = "unknown"


def usual_dirs(home: str) -> list[str]:
    """Where distribution packages, snaps, install scripts, go install and version managers put tools."""
    return ["/usr/local/bin", "/usr/bin", "/bin", "/snap/bin", os.path.join(home, ".local/bin"), os.path.join(home, "bin"),
            os.path.join(home, "go/bin"), os.path.join(home, ".asdf/shims"), os.path.join(home, ".local/share/mise/shims")]


@dataclass
class Copy:
    path: str
    realpath: str
    sha256: str | None = None
    on_path: bool = False
    path_index: int | None = None
    wins: bool = False
    verified: bool = False
    shadows_verified: bool = False
    provider: str = UNKNOWN
    package: str | None = None
    remove_hint: str = ""
    aliases: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def split_path(search_path: str) -> list[str]:
    """PATH entries in order, normalized, empty entries and repeats dropped (the first one counts)."""
    seen: list[str] = []
    for entry in search_path.split(":"):
        if entry and os.path.isabs(entry):
            norm = os.path.normpath(entry)
            if norm not in seen:
                seen.append(norm)
    return seen


def provider_of(path: str, realpath: str, home: str, package: str | None) -> tuple[str, str]:
    """(provider, how to remove it) for a copy; ``package`` is dpkg's owner of the file, if any."""
    if package:
        return DPKG, f"apt-get remove {package}"
    if path.startswith("/snap/bin/") or realpath.startswith("/snap/") or realpath == "/usr/bin/snap":
        name = os.path.basename(path).split(".", 1)[0]
        return SNAP, f"snap remove {name}"
    if "/.asdf/" in path or "/.asdf/" in realpath:
        return ASDF, f"asdf uninstall {os.path.basename(path)} <version> (asdf list {os.path.basename(path)})"
    if "/mise/" in path or "/mise/" in realpath:
        return MISE, f"mise uninstall {os.path.basename(path)}"
    if path.startswith(os.path.join(home, "go/bin") + "/"):
        return GO, f"rm {path} (installed with go install)"
    if path.startswith(home + "/"):
        return USER, f"rm {path} (installed by hand or by an install script)"
    return UNKNOWN, f"{path} belongs to no package: remove it by hand if you do not need it"


def rank(copies: list[Copy], search_path: list[str], verified_path: str) -> None:
    """Mark each copy's place on PATH, the winner, and the unverified copies that come before the verified one."""
    for copy in copies:
        directory = os.path.dirname(copy.path)
        if directory in search_path:
            copy.on_path, copy.path_index = True, search_path.index(directory)
    on_path = sorted((c for c in copies if c.on_path), key=lambda c: c.path_index)
    if on_path:
        on_path[0].wins = True
    verified_dir = os.path.dirname(verified_path)
    verified_index = search_path.index(verified_dir) if verified_dir in search_path else len(search_path)
    for copy in on_path:
        copy.shadows_verified = not copy.verified and copy.path_index < verified_index


def label(copy: Copy) -> str:
    return f"{copy.path} ({copy.provider}{' package ' + copy.package if copy.package else ''})"


def summary(name: str, user: str, copies: list[Copy], verified_path: str, verified_exists: bool, verified_on_path: bool) -> str:
    winner = next((c for c in copies if c.wins), None)
    if winner is None:
        head = f"{name}: no copy on {user}'s PATH"
    elif winner.verified:
        head = f"{name}: {winner.path} wins on {user}'s PATH and it is the verified one"
    else:
        head = f"{name}: {label(winner)} wins on {user}'s PATH and it is NOT the verified one"
    tail = [] if verified_exists else [f"the verified one will be {verified_path} (not installed yet)"]
    if not verified_on_path:
        tail.append(f"{os.path.dirname(verified_path)} is not on {user}'s PATH")
    shadowing = [c for c in copies if c.shadows_verified]
    if shadowing:
        tail.append("shadowing the verified one: " + ", ".join(label(c) for c in shadowing))
    others = [c for c in copies if not c.verified and not c.shadows_verified and not c.wins]
    if others:
        tail.append("other copies: " + ", ".join(label(c) + ("" if c.on_path else " not on PATH") for c in others))
    return head + ("; " + "; ".join(tail) if tail else "")
