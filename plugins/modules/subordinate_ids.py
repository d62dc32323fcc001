#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: subordinate_ids
short_description: Give a user subordinate uid and gid ranges in /etc/subuid and /etc/subgid
version_added: 1.0.0
description:
  - Ensures O(name) owns at least one range of O(count) subordinate ids in both O(subuid_path) and
    O(subgid_path), as rootless containers (Docker rootless, Podman) need for C(newuidmap)/C(newgidmap).
  - A user who already owns a large enough range keeps it, whether the line names the user or the uid.
  - A new range is the first gap of O(count) ids at or above O(min_id) that overlaps no other range
    in that file, so ranges given by C(useradd) or by hand are never shared.
author:
  - pronk8s developers (@pronk8s)
extends_documentation_fragment:
  - pronk8s.platform.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
    details: A user who owns a large enough range keeps it; nothing is written a second time.
options:
  name:
    description: The user (must exist).
    type: str
    required: true
  count:
    description: Size of the range.
    type: int
    default: 65536
  min_id:
    description: Lowest subordinate id handed out (C(SUB_UID_MIN) of C(login.defs) defaults to V(100000)).
    type: int
    default: 100000
  max_id:
    description: Highest subordinate id handed out (C(SUB_UID_MAX) of C(login.defs) defaults to V(600100000)).
    type: int
    default: 600100000
  subuid_path:
    description: The subordinate uid file.
    type: path
    default: /etc/subuid
  subgid_path:
    description: The subordinate gid file.
    type: path
    default: /etc/subgid
seealso:
  - name: subuid(5)
    description: The format of /etc/subuid.
    link: https://man7.org/linux/man-pages/man5/subuid.5.html
  - name: Docker rootless mode
    description: What rootless Docker needs from the host.
    link: https://docs.docker.com/engine/security/rootless/
"""

EXAMPLES = r"""
---
- name: Give alice ids for her rootless Docker engine
  pronk8s.platform.subordinate_ids:
    name: alice
    count: 65536
"""

RETURN = r"""
subuid:
  description: The range O(name) owns in O(subuid_path).
  returned: success
  type: dict
  sample: {start: 165536, count: 65536}
subgid:
  description: The range O(name) owns in O(subgid_path).
  returned: success
  type: dict
  sample: {start: 165536, count: 65536}
diff:
  description: Each file's text before and after.
  returned: success
  type: list
  elements: dict
  sample: [{before_header: /etc/subuid, after_header: /etc/subuid, before: "", after: "alice:100000:65536\n"}]
"""

import pwd
from dataclasses import dataclass

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.pronk8s.platform.plugins.module_utils._atomic_file import replace_file
from ansible_collections.pronk8s.platform.plugins.module_utils._errors import ModuleError, exit_with


def argument_spec() -> dict:
    return dict(
        name=dict(type="str", required=True),
        count=dict(type="int", default=65536),
        min_id=dict(type="int", default=100000),
        max_id=dict(type="int", default=600100000),
        subuid_path=dict(type="path", default="/etc/subuid"),
        subgid_path=dict(type="path", default="/etc/subgid"),
    )


@dataclass(frozen=True)
class IdRange:
    owner: str
    start: int
    count: int

    @property
    def end(self) -> int:
        return self.start + self.count


def parse_ranges(text: str) -> list[IdRange]:
    """The ranges of a subuid/subgid file; comments, blank and malformed lines are skipped, as shadow does."""
    ranges = []
    for line in text.splitlines():
        fields = line.strip().split(":")
        if len(fields) != 3 or line.lstrip().startswith("#") or not fields[1].isdigit() or not fields[2].isdigit():
            continue
        ranges.append(IdRange(fields[0], int(fields[1]), int(fields[2])))
    return ranges


def first_free(ranges: list[IdRange], count: int, min_id: int, max_id: int) -> int | None:
    """The lowest start >= min_id of ``count`` ids overlapping no range, ending by max_id; None if full."""
    start = min_id
    for taken in sorted(ranges, key=lambda r: r.start):
        if taken.end <= start:
            continue
        if taken.start >= start + count:
            break
        start = taken.end
    return start if start + count - 1 <= max_id else None


class SubordinateIds:
    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params = module.params
        self.name: str = self.params["name"]
        try:
            self.uid = str(pwd.getpwnam(self.name).pw_uid)
        except KeyError as exc:
            raise ModuleError(f"name: no user {self.name!r} on this host; create the user first") from exc
        if self.params["count"] < 1:
            raise ModuleError(f"count: must be at least 1, got {self.params['count']}")

    def run(self) -> dict:
        result: dict = {"changed": False, "diff": []}
        for kind in ("subuid", "subgid"):
            path = self.params[f"{kind}_path"]
            before = self._read(path)
            owned, after = self.ensure(before)
            result[kind] = {"start": owned.start, "count": owned.count}
            result["diff"].append({"before_header": path, "after_header": path, "before": before, "after": after})
            if after != before:
                result["changed"] = True
                if not self.module.check_mode:
                    self._write(path, after)
        return result

    def ensure(self, text: str) -> tuple[IdRange, str]:
        """The range the user owns in ``text`` and the text after giving one if needed."""
        ranges = parse_ranges(text)
        for existing in ranges:
            if existing.owner in (self.name, self.uid) and existing.count >= self.params["count"]:
                return existing, text
        start = first_free(ranges, self.params["count"], self.params["min_id"], self.params["max_id"])
        if start is None:
            raise ModuleError(f"no free range of {self.params['count']} ids between {self.params['min_id']} "
                              f"and {self.params['max_id']}")
        new = IdRange(self.name, start, self.params["count"])
        prefix = text if not text or text.endswith("\n") else text + "\n"
        return new, f"{prefix}{new.owner}:{new.start}:{new.count}\n"

    def _read(self, path: str) -> str:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            return ""
        except OSError as exc:
            raise ModuleError(f"cannot read {path}: {to_native(exc)}") from exc

    def _write(self, path: str, text: str) -> None:
        try:
            # atomic_move keeps the owner and mode of the existing file.
            replace_file(path, text.encode("utf-8"), move=self.module.atomic_move)
        except OSError as exc:
            raise ModuleError(f"cannot write {path}: {to_native(exc)}") from exc


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    exit_with(module, lambda: SubordinateIds(module).run())


if __name__ == "__main__":
    main()
