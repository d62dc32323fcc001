#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: apt_repository_takeover
short_description: Take over an apt repository however it was configured, converging to one deb822 source
version_added: 1.1.0
description:
  - Finds every active entry of one repository (named by URI prefixes in O(repository)) in
    C(sources.list) and C(sources.list.d/*.list|*.sources), in one-line or deb822 form, with or without
    C(signed-by), and converges to exactly one deb822 source O(dest) with O(content) (O(state=present)),
    or to none (O(state=absent)).
  - Other files holding only the repository's entries are moved to a backup directory; files that also
    hold other repositories keep them, and the repository's lines are commented out.
  - Keyrings that only the removed entries used and that hold only the repository's keys
    (O(fingerprints)) are moved to the backup directory as well. The repository's keys are removed
    from the keyrings apt trusts for EVERY repository (C(trusted.gpg), C(trusted.gpg.d/)), keeping
    every other key byte for byte; the module says so.
  - After any change it checks that apt can still read its sources, with no network
    (C(apt-get indextargets), which fails on C(Conflicting values set for option Signed-By) and on
    malformed entries). If apt cannot, every file is restored byte for byte (content, mode, owner) and
    the task fails with apt's message and the files it points at.
  - Backups go to O(backup_dir)/<UTC time>/ followed by each file's absolute path.
author:
  - pronk8s developers (@pronk8s)
extends_documentation_fragment:
  - pronk8s.platform.attributes
attributes:
  check_mode:
    support: full
    details: Check mode reports every move, edit and key removal as a diff and changes nothing.
  diff_mode:
    support: full
  platform:
    support: full
    platforms: debian
  idempotent:
    support: full
    details: Once converged, a second run changes nothing.
options:
  repository:
    description:
      - URI prefixes naming the repository, for example V(https://download.docker.com/linux).
      - An entry belongs to the repository when one of its URIs is a prefix or below it;
        C(http) and C(https), case of the host and trailing slashes do not matter.
    type: list
    elements: str
    required: true
  state:
    description: V(present) converges to the one source O(dest); V(absent) removes the repository.
    type: str
    choices: [present, absent]
    default: present
  dest:
    description:
      - The deb822 source file the repository lives in, under C(sources.list.d), ending in C(.sources).
      - With O(state=absent) it is removed whatever it holds (it is this module's file).
    type: path
    required: true
  content:
    description: The whole content of O(dest). Required with O(state=present).
    type: str
  keyring:
    description:
      - The keyring O(content) is signed by (its C(Signed-By)); kept with O(state=present), removed
        with O(state=absent).
    type: path
  fingerprints:
    description:
      - Full fingerprints of the repository's signing keys. They are removed from C(trusted.gpg) and
        C(trusted.gpg.d/); a keyring file holding only these keys and used by no remaining source is
        moved to the backups.
    type: list
    elements: str
    default: []
  leftover_keyrings:
    description:
      - Other places the repository's key is known to be left by its own install instructions,
        considered even when no source names them (moved only when they hold only O(fingerprints)).
    type: list
    elements: path
    default: []
  backup_dir:
    description: Where the previous files are kept, one sub-directory per change.
    type: path
    default: /var/backups/pronk8s/apt
  apt_root:
    description: apt's configuration directory (another value only for tests and chroots).
    type: path
    default: /etc/apt
notes:
  - The apt check reads the sources only (no download, no dependency check); C(apt-get update) still
    has to fetch the lists of a new source.
seealso:
  - module: pronk8s.platform.apt_signing_key
  - module: ansible.builtin.deb822_repository
"""

EXAMPLES = r"""
---
- name: Docker's repository in exactly one deb822 source, whatever Docker's docs or get.docker.com left
  pronk8s.platform.apt_repository_takeover:
    repository: [https://download.docker.com/linux]
    dest: /etc/apt/sources.list.d/docker.sources
    content: |
      Types: deb
      URIs: https://download.docker.com/linux/debian
      Suites: bookworm
      Components: stable
      Signed-By: /etc/apt/keyrings/docker.gpg
    keyring: /etc/apt/keyrings/docker.gpg
    fingerprints: [9DC858229FC7DD38854AE2D88D81803C0EBFCD88]
    leftover_keyrings: [/etc/apt/keyrings/docker.asc, /usr/share/keyrings/docker-archive-keyring.gpg]

- name: Remove Docker's repository the same careful way
  pronk8s.platform.apt_repository_takeover:
    repository: [https://download.docker.com/linux]
    state: absent
    dest: /etc/apt/sources.list.d/docker.sources
    keyring: /etc/apt/keyrings/docker.gpg
    fingerprints: [9DC858229FC7DD38854AE2D88D81803C0EBFCD88]
"""

RETURN = r"""
found:
  description: The repository's active entries found before the run, each as its file, a colon and the entry.
  returned: always
  type: list
  elements: str
  sample: ["/etc/apt/sources.list.d/docker.list: deb https://download.docker.com/linux/debian bookworm stable signed-by=/etc/apt/keyrings/docker.asc"]
moved:
  description: Files moved away, each with the path of its backup.
  returned: always
  type: list
  elements: dict
  sample: [{path: /etc/apt/sources.list.d/docker.list, backup: /var/backups/pronk8s/apt/20261201T021500Z/etc/apt/sources.list.d/docker.list}]
edited:
  description: Files rewritten in place (O(dest), files whose other entries were kept, keyrings that lost keys).
  returned: always
  type: list
  elements: str
  sample: [/etc/apt/sources.list.d/docker.sources]
keys_removed:
  description: The repository's keys taken out of keyrings apt trusts for every repository.
  returned: always
  type: list
  elements: dict
  sample: [{keyring: /etc/apt/trusted.gpg, fingerprints: [9DC858229FC7DD38854AE2D88D81803C0EBFCD88]}]
backup_dir:
  description: The directory holding this run's backups (none when nothing changed, or in check mode).
  returned: always
  type: str
  sample: /var/backups/pronk8s/apt/20261201T021500Z
messages:
  description: What was done, in sentences, for the play's output.
  returned: always
  type: list
  elements: str
apt_readable_before:
  description: Whether apt could read its sources before the change (only checked when something changes).
  returned: when something changed and not in check mode
  type: bool
diff:
  description: One before/after pair per file touched (binary keyrings shown as their key fingerprints).
  returned: always
  type: list
  elements: dict
"""

import datetime
import glob
import os
import shutil

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.pronk8s.platform.plugins.module_utils._apt_keyrings import fingerprints as keyring_fingerprints
from ansible_collections.pronk8s.platform.plugins.module_utils._apt_keyrings import without_keys
from ansible_collections.pronk8s.platform.plugins.module_utils._apt_sources import (
    SourceFile,
    entry_matches,
    files_naming,
    parse_file,
    source_file_paths,
    without_entries,
)
from ansible_collections.pronk8s.platform.plugins.module_utils._atomic_file import replace_file
from ansible_collections.pronk8s.platform.plugins.module_utils._errors import ModuleError, exit_with
from ansible_collections.pronk8s.platform.plugins.module_utils._openpgp import OpenPGPError, normalize_fingerprints


def argument_spec() -> dict:
    """The module's options (a new dict each call)."""
    return dict(
        repository=dict(type="list", elements="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        dest=dict(type="path", required=True),
        content=dict(type="str"),
        keyring=dict(type="path"),
        fingerprints=dict(type="list", elements="str", default=[]),
        leftover_keyrings=dict(type="list", elements="path", default=[], no_log=False),
        backup_dir=dict(type="path", default="/var/backups/pronk8s/apt"),
        apt_root=dict(type="path", default="/etc/apt"),
    )


MOVE = "move"
WRITE = "write"


class Change:
    """One file to write (new bytes) or to move to the backups (data None)."""

    def __init__(self, path: str, before: bytes | None, after: bytes | None, reason: str) -> None:
        self.path, self.before, self.after, self.reason = path, before, after, reason

    @property
    def action(self) -> str:
        return MOVE if self.after is None else WRITE


class AptRepositoryTakeover:
    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.p = module.params
        self.root = self.p["apt_root"].rstrip("/") or "/"
        self.result: dict = {"changed": False, "found": [], "moved": [], "edited": [], "keys_removed": [],
                             "backup_dir": None, "messages": [], "diff": []}
        self.changes: list[Change] = []

    def error(self, msg: str) -> ModuleError:
        """The failure to raise, carrying what the module found and did so far."""
        return ModuleError(msg, **self.result)

    # --- planning (read-only) -------------------------------------------------------------------

    def run(self) -> dict:
        self._validate()
        sources = [parse_file(path, self._read_text(path)) for path in source_file_paths(self.root)]
        prefixes = self.p["repository"]
        dest = self.p["dest"]
        for source in sources:
            self.result["found"] += [f"{source.path}: {entry.describe()}" for entry in source.entries if entry_matches(entry, prefixes)]
        remaining = self._plan_sources(sources, prefixes, dest)
        self._plan_keyrings(sources, prefixes, remaining)
        self._plan_global_keyrings()
        self.result["diff"] = [self._diff(change) for change in self.changes]
        if self.changes:
            self.result["changed"] = True
            if not self.module.check_mode:
                self._apply(sources)
        self._describe()
        return self.result

    def _validate(self) -> None:
        dest = self.p["dest"]
        if not dest.endswith(".sources") or os.path.dirname(dest) != os.path.join(self.root, "sources.list.d"):
            raise self.error(f"dest: {dest} must be a .sources file in {self.root}/sources.list.d (apt reads nothing else there)")
        if self.p["state"] == "present" and self.p["content"] is None:
            raise self.error("content: required with state=present (the whole deb822 source to write to dest)")
        if not [prefix for prefix in self.p["repository"] if prefix.strip()]:
            raise self.error("repository: at least one URI prefix is needed")
        try:
            self.fingerprints = normalize_fingerprints(self.p["fingerprints"], "fingerprints")
        except OpenPGPError as exc:
            raise self.error(str(exc)) from exc

    def _plan_sources(self, sources: list[SourceFile], prefixes: list[str], dest: str) -> list[SourceFile]:
        """Plan the source files; returns the sources as they will be (for the keyrings still in use)."""
        present = self.p["state"] == "present"
        note = f"now in {dest}" if present else "repository removed"
        remaining = []
        for source in sources:
            if source.path == dest:
                continue
            # sources.list itself stays, even with no entry left: only the repository's lines are disabled.
            after = without_entries(source, prefixes, note, keep_file=source.path == os.path.join(self.root, "sources.list"))
            if after is None:
                self.changes.append(Change(source.path, _encode(source.text), None, "held only this repository"))
            elif after != source.text:
                self.changes.append(Change(source.path, _encode(source.text), _encode(after), "other entries kept"))
                remaining.append(parse_file(source.path, after))
            else:
                remaining.append(source)
        current = self._read_bytes(dest)
        if present:
            wanted = self.p["content"].encode()
            if current != wanted:
                self.changes.insert(0, Change(dest, current, wanted, "the one source of this repository"))
            remaining.append(parse_file(dest, self.p["content"]))
        elif current is not None:
            self.changes.insert(0, Change(dest, current, None, "this module's source file"))
        return remaining

    def _plan_keyrings(self, sources: list[SourceFile], prefixes: list[str], remaining: list[SourceFile]) -> None:
        """Keyrings only the removed entries used (or known leftovers) that hold only the repository's keys."""
        in_use = {path for source in remaining for entry in source.entries for path in entry.signed_by}
        keyring = self.p["keyring"]
        candidates = [path for source in sources for entry in source.entries if entry_matches(entry, prefixes)
                      for path in entry.signed_by] + list(self.p["leftover_keyrings"])
        if keyring and self.p["state"] == "absent":
            data = self._read_bytes(keyring)
            if data is not None and keyring not in in_use:
                self.changes.append(Change(keyring, data, None, "this repository's keyring"))
        for path in dict.fromkeys(candidates):
            if path == keyring or path in in_use or any(change.path == path for change in self.changes):
                continue
            data = self._read_bytes(path)
            if data is None:
                continue
            try:
                found = keyring_fingerprints(data)
            except OpenPGPError as exc:
                self.module.warn(f"{path} was used by this repository's old source but is no keyring ({exc}): left alone")
                continue
            if found and set(found) <= set(self.fingerprints):
                self.changes.append(Change(path, data, None, "old keyring of this repository, now unused"))
            else:
                self.module.warn(f"{path} was used by this repository's old source but also holds other keys "
                                 f"({', '.join(sorted(set(found) - set(self.fingerprints)))}): left alone")

    def _plan_global_keyrings(self) -> None:
        if not self.fingerprints:
            return
        paths = [os.path.join(self.root, "trusted.gpg")]
        paths += sorted(glob.glob(os.path.join(self.root, "trusted.gpg.d", "*.gpg")))
        paths += sorted(glob.glob(os.path.join(self.root, "trusted.gpg.d", "*.asc")))
        for path in paths:
            data = self._read_bytes(path)
            if not data or any(change.path == path for change in self.changes):
                continue
            try:
                after, removed = without_keys(data, self.fingerprints)
            except OpenPGPError as exc:
                self.module.warn(f"{path} could not be read as a keyring ({exc}); not searched for this repository's keys")
                continue
            if removed:
                self.changes.append(Change(path, data, after, "global keyring: " + ", ".join(removed)))
                self.result["keys_removed"].append({"keyring": path, "fingerprints": removed})

    # --- applying, checking, restoring ----------------------------------------------------------

    def _apply(self, sources: list[SourceFile]) -> None:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        backup_root = os.path.join(self.p["backup_dir"], stamp)
        self.result["apt_readable_before"], before_message = self._apt_reads_sources()
        originals = {change.path: self._snapshot(change.path) for change in self.changes}
        try:
            for change in self.changes:
                if change.before is not None:
                    self._backup(change.path, backup_root)
                if change.action == MOVE:
                    os.unlink(change.path)
                    self.result["moved"].append({"path": change.path, "backup": backup_root + change.path})
                else:
                    self._write(change.path, change.after)
                    self.result["edited"].append(change.path)
        except OSError as exc:
            self._restore(originals)
            raise self.error(f"changing {self.root} failed ({to_native(exc)}); the previous files were restored "
                             "byte for byte") from exc
        if any(change.before is not None for change in self.changes):
            self.result["backup_dir"] = backup_root
        readable, message = self._apt_reads_sources()
        if readable:
            if not self.result["apt_readable_before"]:
                self.result["messages"].append(f"apt could not read its sources before this change ({before_message}); now it can")
            return
        after_sources = [parse_file(path, self._read_text(path)) for path in source_file_paths(self.root)]
        culprits = files_naming(after_sources + sources, message)
        restored = self._restore(originals)
        if os.path.isdir(backup_root):
            shutil.rmtree(backup_root, ignore_errors=True)
        self.result.update(moved=[], edited=[], keys_removed=[], backup_dir=None)
        raise self.error(
            f"apt cannot read its sources after taking over {', '.join(self.p['repository'])}: {message}. "
            f"Files apt points at: {', '.join(culprits) or 'none named'}. "
            f"The previous files were restored byte for byte: {', '.join(restored)}."
            + ("" if self.result["apt_readable_before"] else f" apt could not read them before either ({before_message}).")
        )

    def _apt_reads_sources(self) -> tuple[bool, str]:
        # indextargets only reads the sources (no network, no dependency check), and fails exactly where
        # `apt-get update` would refuse the list of sources.
        argv = ["apt-get", "-q", "-o", f"Dir::Etc={self.root}", "indextargets", "--format", "$(URI)"]
        rc, _out, err = self.module.run_command(argv, environ_update={"LC_ALL": "C"}, expand_user_and_vars=False)
        # apt repeats its errors (once per attempt to build the list): each is said once.
        lines = list(dict.fromkeys(line.strip() for line in err.splitlines() if line.startswith("E:")))
        return rc == 0, "; ".join(lines) or err.strip() or f"apt-get indextargets exited {rc}"

    def _snapshot(self, path: str) -> tuple[bytes, os.stat_result] | None:
        try:
            return self._read_bytes(path, strict=True), os.stat(path)
        except FileNotFoundError:
            return None

    def _restore(self, originals: dict) -> list[str]:
        restored = []
        for path, original in originals.items():
            try:
                if original is None:
                    if os.path.lexists(path):
                        os.unlink(path)
                else:
                    data, stat = original
                    replace_file(path, data, mode=stat.st_mode & 0o7777, make_dirs=True)
                    os.chown(path, stat.st_uid, stat.st_gid)
                    if self._read_bytes(path) != data:
                        raise OSError(f"{path} does not read back as it was")
                restored.append(path)
            except OSError as exc:
                raise self.error(f"RESTORE FAILED for {path}: {to_native(exc)}; its previous content is in the "
                                 f"backups under {self.p['backup_dir']}") from exc
        return restored

    def _backup(self, path: str, backup_root: str) -> None:
        target = backup_root + path
        os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
        shutil.copy2(path, target)

    def _write(self, path: str, data: bytes) -> None:
        stat = None
        if os.path.exists(path):
            stat = os.stat(path)
        replace_file(path, data, mode=(stat.st_mode & 0o7777) if stat else 0o644, make_dirs=True)
        if stat:
            os.chown(path, stat.st_uid, stat.st_gid)

    # --- reporting ------------------------------------------------------------------------------

    def _describe(self) -> None:
        where = self.result["backup_dir"] or f"{self.p['backup_dir']}/<time of the change>"
        verb = "would be " if self.module.check_mode else ""
        for change in self.changes:
            if change.reason.startswith("global keyring"):
                self.result["messages"].append(
                    f"{change.reason.split(': ', 1)[1]} (this repository's key) was in {change.path}, where apt trusts it "
                    f"for EVERY repository: {verb}removed from there"
                    + ("" if change.after is not None else " (the file held nothing else and was moved)")
                    + f"; the previous file {verb}kept in {where}")
            elif change.action == MOVE:
                self.result["messages"].append(f"{change.path} ({change.reason}) {verb}moved to {where}")
            elif change.before is not None:
                self.result["messages"].append(f"{change.path} ({change.reason}) {verb}rewritten; the previous file {verb}kept in {where}")
            else:
                self.result["messages"].append(f"{change.path} ({change.reason}) {verb}written")

    def _diff(self, change: Change) -> dict:
        return {"before_header": change.path,
                "after_header": change.path if change.after is not None else f"{change.path} (moved to the backups)",
                "before": self._show(change.path, change.before), "after": self._show(change.path, change.after)}

    @staticmethod
    def _show(path: str, data: bytes | None) -> str:
        if data is None:
            return ""
        if path.endswith((".list", ".sources")):
            return data.decode("utf-8", errors="replace")
        try:
            return "".join(f"key {fpr}\n" for fpr in keyring_fingerprints(data))
        except OpenPGPError:
            return f"<{len(data)} bytes, not a keyring>\n"

    def _read_bytes(self, path: str, strict: bool = False) -> bytes | None:
        try:
            with open(path, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            if strict:
                raise
            return None
        except OSError as exc:
            raise self.error(f"cannot read {path}: {to_native(exc)}") from exc

    def _read_text(self, path: str) -> str:
        return (self._read_bytes(path) or b"").decode("utf-8", errors="surrogateescape")


def _encode(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogateescape")


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_if=[("state", "present", ("content",))])
    exit_with(module, lambda: AptRepositoryTakeover(module).run())


if __name__ == "__main__":
    main()
