#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: installed_artifacts
short_description: List the verified installs on a host and re-hash each one against its receipt
version_added: 1.1.0
description:
  - Reads every install receipt in O(receipt_dir) (written by M(pronk8s.platform.verified_binary)) and
    re-hashes the installed file each one names, so the answer is what is on disk now, not what was logged.
  - "Each receipt gives one entry with a O(ignore:state): V(ok) (the file's sha256 equals the receipt's),
    V(tampered) (the file changed after it was installed), V(missing) (the file is gone or is no longer a
    regular file), or V(receipt-malformed) (the receipt cannot be read or lacks its installed path or sha256)."
  - Also lists the executables in O(install_dirs) that no receipt accounts for (C(unmanaged)), with their sha256.
  - Reads only. Needs no network. The receipt's file name is never trusted; the installed path comes from
    the C(dest) field inside it.
  - The fleet audit (playbook C(pronk8s.platform.audit)) runs this module on every host.
author:
  - pronk8s developers (@pronk8s)
requirements:
  - Python 3.10 or later on the managed host.
extends_documentation_fragment:
  - pronk8s.platform.attributes
attributes:
  check_mode:
    support: full
    details: Reads only, so check mode runs it in full.
  diff_mode:
    support: none
    details: Changes nothing, so there is nothing to diff.
  idempotent:
    support: full
    details: Changes nothing.
options:
  receipt_dir:
    description:
      - Directory of the receipts. Defaults to C(/var/lib/pronk8s/receipts) for root and to
        C($XDG_STATE_HOME/pronk8s/receipts) (C(~/.local/state/pronk8s/receipts)) for other users,
        as M(pronk8s.platform.verified_binary) does.
      - A directory that does not exist means no receipts.
    type: path
  install_dirs:
    description:
      - Directories searched (not recursively) for executables without a receipt. V([]) skips that search.
    type: list
    elements: path
    default: [/usr/local/bin]
  hash_unmanaged:
    description:
      - Whether to compute the sha256 of each unmanaged executable (it helps to tell what it is).
    type: bool
    default: true
seealso:
  - module: pronk8s.platform.verified_binary
"""

EXAMPLES = r"""
---
- name: What is installed here, verified now
  pronk8s.platform.installed_artifacts:
  register: installed

- name: Fail when a verified binary changed after it was installed
  ansible.builtin.assert:
    that: installed.artifacts | selectattr('state', 'ne', 'ok') | list | length == 0
    fail_msg: "{{ installed.artifacts | rejectattr('state', 'eq', 'ok') | map(attribute='path') | join(', ') }}"

- name: Receipts of a user install, and two directories searched for unmanaged executables
  pronk8s.platform.installed_artifacts:
    receipt_dir: /home/dev/.local/state/pronk8s/receipts
    install_dirs: [/home/dev/.local/bin, /usr/local/bin]
"""

RETURN = r"""
receipt_dir:
  description: The receipt directory read.
  returned: always
  type: str
  sample: /var/lib/pronk8s/receipts
verified_at:
  description: When the files were re-hashed (UTC, ISO 8601); the last time each entry was verified.
  returned: always
  type: str
  sample: "2026-12-01T02:30:00Z"
artifacts:
  description: One entry per receipt, sorted by installed path (receipt path for malformed receipts).
  returned: always
  type: list
  elements: dict
  contains:
    tool:
      description: Tool name from the receipt (the base name of the path when the receipt has none).
      type: str
      sample: kubectl
    version:
      description: Version recorded in the receipt.
      type: str
      sample: 1.35.2
    arch:
      description: Upstream architecture recorded in the receipt, or null when it did not record one.
      type: str
      sample: amd64
    path:
      description: Installed path (the receipt's C(dest)); null for a receipt too broken to name one.
      type: str
      sample: /usr/local/bin/kubectl
    state:
      description: V(ok), V(tampered), V(missing) or V(receipt-malformed).
      type: str
      sample: ok
    installed_sha256:
      description: The file's sha256 now, or null when it is missing.
      type: str
      sample: 924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277
    recorded_sha256:
      description: The installed file's sha256 recorded in the receipt at install time.
      type: str
      sample: 924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277
    artifact_sha256:
      description: The sha256 of the verified artifact (the archive, for a binary taken from one).
      type: str
      sample: 924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277
    pin_origin:
      description: Where the pin came from (V(shipped), V(user)) when the receipt records it, else null.
      type: str
      sample: shipped
    verification_level:
      description: How the pin was verified (V(signature), V(checksum-file), V(copied)) when recorded, else null.
      type: str
      sample: checksum-file
    source:
      description: Where the artifact was downloaded from.
      type: str
      sample: https://dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl
    installed_at:
      description: When it was installed (from the receipt).
      type: str
      sample: "2026-11-30T21:04:11Z"
    verified_at:
      description: When this entry was re-hashed (this run), or null when there was nothing to hash.
      type: str
      sample: "2026-12-01T02:30:00Z"
    receipt:
      description: Path of the receipt file.
      type: str
      sample: /var/lib/pronk8s/receipts/3f2a9c.json
    message:
      description: Why the state is not V(ok).
      type: str
      sample: sha256 is now 0bad..., the receipt recorded 924e...
unmanaged:
  description: Executables in O(install_dirs) that no receipt accounts for, sorted by path.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: Path of the executable.
      type: str
      sample: /usr/local/bin/k9s
    tool:
      description: Its base name.
      type: str
      sample: k9s
    state:
      description: Always V(unmanaged).
      type: str
      sample: unmanaged
    sha256:
      description: Its sha256 (of the link's target for a symbolic link), or null with O(hash_unmanaged=false).
      type: str
      sample: 6a0b7c...
    link_target:
      description: Target of a symbolic link, else null.
      type: str
      sample: /opt/k9s/k9s
counts:
  description: Number of entries per state (V(ok), V(tampered), V(missing), V(receipt-malformed), V(unmanaged)).
  returned: always
  type: dict
  sample: {ok: 2, tampered: 0, missing: 0, receipt-malformed: 0, unmanaged: 1}
"""

import json
import os
import stat
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pronk8s.platform.plugins.module_utils import _receipt as receipts
from ansible_collections.pronk8s.platform.plugins.module_utils._errors import ModuleError, exit_with
from ansible_collections.pronk8s.platform.plugins.module_utils._sha256 import sha256_file

STATES = ("ok", "tampered", "missing", "receipt-malformed", "unmanaged")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class InstalledArtifacts:
    """Read-only view of one host's receipts and install directories."""

    def __init__(self, receipt_dir: str, install_dirs: list[str], hash_unmanaged: bool = True) -> None:
        self.receipt_dir = receipt_dir
        self.install_dirs = install_dirs
        self.hash_unmanaged = hash_unmanaged
        self.verified_at = _now()

    def receipt_files(self) -> list[str]:
        """Every *.json in the receipt directory; names are not trusted, only the content."""
        try:
            names = os.listdir(self.receipt_dir)
        except FileNotFoundError:
            return []
        return sorted(os.path.join(self.receipt_dir, n) for n in names if n.endswith(".json"))

    def entry(self, receipt_file: str) -> dict:
        try:
            receipt = receipts.read(receipt_file)
        except (AttributeError, TypeError, ValueError):
            receipt = None  # valid JSON of the wrong shape (a list, a string): as malformed as bad JSON
        if receipt is None or not isinstance(receipt.dest, str) or not os.path.isabs(receipt.dest) \
                or not isinstance(receipt.sha256, str):
            return self._malformed(receipt_file, receipt)
        entry = {
            "tool": receipt.name or os.path.basename(receipt.dest), "version": receipt.version,
            "arch": getattr(receipt, "arch", None), "path": receipt.dest, "state": "ok",
            "installed_sha256": None, "recorded_sha256": receipt.sha256, "artifact_sha256": receipt.artifact_sha256,
            "pin_origin": getattr(receipt, "pin_origin", None),
            "verification_level": getattr(receipt, "verification_level", None),
            "source": receipt.source, "installed_at": receipt.installed_at, "verified_at": None,
            "receipt": receipt_file, "message": None,
        }
        try:
            st = os.lstat(receipt.dest)
        except FileNotFoundError:
            return {**entry, "state": "missing", "message": f"{receipt.dest} does not exist"}
        if not stat.S_ISREG(st.st_mode):
            return {**entry, "state": "missing", "message": f"{receipt.dest} is no longer a regular file"}
        current = sha256_file(receipt.dest)
        entry.update(installed_sha256=current, verified_at=self.verified_at)
        if current != receipt.sha256:
            entry.update(state="tampered",
                         message=f"sha256 is now {current}, the receipt recorded {receipt.sha256} at install time")
        return entry

    def _malformed(self, receipt_file: str, receipt) -> dict:
        # Salvage what a broken receipt still says, to point a person at the right file.
        data: dict = {}
        try:
            with open(receipt_file, encoding="utf-8") as handle:
                loaded = json.load(handle)
            data = loaded if isinstance(loaded, dict) else {}
            why = "it lacks an absolute installed path (dest) or the installed sha256"
        except (OSError, ValueError) as exc:
            why = f"it cannot be read as JSON ({exc.__class__.__name__})"
        dest = data.get("dest") if isinstance(data.get("dest"), str) else None
        name = data.get("name") if isinstance(data.get("name"), str) else None
        return {
            "tool": name or (os.path.basename(dest) if dest else None), "version": _text(data.get("version")),
            "arch": _text(data.get("arch")), "path": dest, "state": "receipt-malformed", "installed_sha256": None,
            "recorded_sha256": None, "artifact_sha256": None, "pin_origin": None, "verification_level": None,
            "source": None, "installed_at": _text(data.get("installed_at")), "verified_at": None,
            "receipt": receipt_file, "message": f"receipt {receipt_file} is malformed: {why}",
        }

    def unmanaged(self, managed: set[str]) -> list[dict]:
        found = []
        for directory in self.install_dirs:
            try:
                names = sorted(os.listdir(directory))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for name in names:
                path = os.path.join(directory, name)
                if path in managed:
                    continue
                item = self._executable(path, managed)
                if item:
                    found.append(item)
        return sorted(found, key=lambda i: i["path"])

    def _executable(self, path: str, managed: set[str]) -> dict | None:
        try:
            st = os.stat(path)  # follows links: a link to a managed binary is managed
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode) or not st.st_mode & 0o111:
            return None
        target = os.path.realpath(path) if os.path.islink(path) else None
        if target in managed:
            return None
        digest = None
        if self.hash_unmanaged:
            try:
                digest = sha256_file(path)
            except OSError:
                digest = None
        return {"path": path, "tool": os.path.basename(path), "state": "unmanaged", "sha256": digest,
                "link_target": target}

    def run(self) -> dict:
        try:
            artifacts = [self.entry(f) for f in self.receipt_files()]
            artifacts.sort(key=lambda e: e["path"] or e["receipt"])
            managed = {e["path"] for e in artifacts if e["path"]}
            unmanaged = self.unmanaged(managed)
        except OSError as exc:
            raise ModuleError(f"cannot read the receipts in {self.receipt_dir} or the install directories: {exc}",
                              receipt_dir=self.receipt_dir) from exc
        counts = {s: 0 for s in STATES}
        for item in artifacts + unmanaged:
            counts[item["state"]] += 1
        return {"changed": False, "receipt_dir": self.receipt_dir, "verified_at": self.verified_at,
                "artifacts": artifacts, "unmanaged": unmanaged, "counts": counts}


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def argument_spec() -> dict:
    """The module's options (a new dict each call)."""
    return dict(
        receipt_dir=dict(type="path"),
        install_dirs=dict(type="list", elements="path", default=["/usr/local/bin"]),
        hash_unmanaged=dict(type="bool", default=True),
    )


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    p = module.params
    exit_with(module, lambda: InstalledArtifacts(p["receipt_dir"] or receipts.default_receipt_dir(), p["install_dirs"],
                                                 p["hash_unmanaged"]).run())


if __name__ == "__main__":
    main()
