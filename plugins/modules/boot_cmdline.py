#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: boot_cmdline
short_description: Manage kernel command-line parameters in a single-line file such as cmdline.txt
version_added: 1.0.0
description:
  - Ensures kernel parameters are present in, or absent from, a single-line kernel command-line
    file such as the Raspberry Pi's C(cmdline.txt).
  - Keeps every other parameter and their order. New parameters are appended to the kernel part
    (before a lone C(--), after which parameters belong to init).
  - A C(key=value) parameter replaces the value of an existing C(key) in place (later duplicates of
    that key are removed, since the last one would win), except for keys listed in
    O(multi_value_keys), which may appear several times.
  - Refuses a file that is missing, empty, more than one line, or has an unbalanced quote, with an
    error that names the file; it never writes such a file.
  - Writes a temporary file next to the file, flushes it to disk and renames it over the file, so the
    boot partition holds either the old or the new command line, never half of one.
  - When O(path) is a symbolic link, the file it points to is edited and the link is kept.
  - Refuses a new command line longer than O(max_bytes) (the kernel's C(COMMAND_LINE_SIZE) less its NUL), which
    the kernel would cut short at boot.
author:
  - pronk8s developers (@pronk8s)
extends_documentation_fragment:
  - pronk8s.platform.attributes
attributes:
  check_mode:
    support: full
    details: Reads and checks the file, reports the change and the diff; writes nothing.
  diff_mode:
    support: full
    details: The file before and after.
  idempotent:
    support: full
    details: A second run with the same parameters finds them in place and does not touch the file.
options:
  path:
    description:
      - The command-line file, for example C(/boot/firmware/cmdline.txt).
      - P(pronk8s.platform.pi_facts#module) returns the one in use as C(raspberry_pi.boot.cmdline_path).
    type: path
    required: true
    aliases: [dest]
  parameters:
    description:
      - Parameters to manage, each a bare flag (V(quiet)) or V(key=value) (V(cgroup_memory=1)).
      - A value holding spaces must be quoted inside the string (V(name="a b")).
      - With O(state=absent), a bare name removes that parameter whatever its value; V(key=value)
        removes only that exact pair.
    type: list
    elements: str
    required: true
  state:
    description: Whether the parameters must be present or absent.
    type: str
    choices: [present, absent]
    default: present
  multi_value_keys:
    description:
      - Keys that may legitimately appear several times with different values. For these,
        V(key=value) means "this pair is present" and other values of the key are kept.
      - C(-) and C(_) are the same character in a key, as for the kernel.
    type: list
    elements: str
    default: [cgroup_enable, cgroup_disable, console]
  max_bytes:
    description:
      - The longest command line, in bytes without the newline, that the module writes.
      - The default, V(2047), is C(COMMAND_LINE_SIZE) (2048 on arm64 and x86_64) less the NUL the kernel keeps;
        a 32-bit ARM kernel (C(armhf) Raspberry Pi OS) has 1024, so V(1023) there.
      - The Raspberry Pi firmware prepends a few hundred bytes of its own parameters to C(cmdline.txt); leave room
        for them.
    type: int
    default: 2047
  backup:
    description:
      - Copy the file to C(PATH.YYYYMMDD-HHMMSS.bak) before changing it.
      - The name holds no colon, so it is valid on the FAT boot partition.
    type: bool
    default: false
notes:
  - When nothing changes the file is not touched, even if its whitespace is irregular. When something
    changes, the file is written as one line, parameters separated by one space, with one trailing newline.
seealso:
  - module: pronk8s.platform.pi_facts
  - name: The kernel's command-line parameters
    description: What the kernel accepts and how it parses the line.
    link: https://docs.kernel.org/admin-guide/kernel-parameters.html
"""

EXAMPLES = r"""
---
- name: Enable the memory cgroup on a Raspberry Pi (needed by Kubernetes)
  pronk8s.platform.boot_cmdline:
    path: /boot/firmware/cmdline.txt
    parameters:
      - cgroup_enable=memory
      - cgroup_memory=1
    backup: true

- name: Remove the splash screen and quiet flags
  pronk8s.platform.boot_cmdline:
    path: /boot/firmware/cmdline.txt
    parameters: [splash, quiet]
    state: absent
"""

RETURN = r"""
path:
  description: The file managed, as given in O(path).
  returned: always
  type: str
  sample: /boot/firmware/cmdline.txt
target:
  description: The file edited - O(path) itself, or the file a symbolic link O(path) points to.
  returned: success
  type: str
  sample: /boot/firmware/cmdline.txt
cmdline:
  description: The command line after the change (as it would be in check mode), without the newline.
  returned: success
  type: str
  sample: console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootwait cgroup_enable=memory cgroup_memory=1
parameters:
  description: The parameters of RV(cmdline), in order.
  returned: success
  type: list
  elements: str
  sample: ["console=serial0,115200", console=tty1, root=PARTUUID=4e639091-02, rootwait, cgroup_enable=memory, cgroup_memory=1]
added:
  description: Parameters added or given a new value.
  returned: success
  type: list
  elements: str
  sample: [cgroup_enable=memory, cgroup_memory=1]
removed:
  description: Parameters removed or replaced (old values).
  returned: success
  type: list
  elements: str
  sample: []
backup_file:
  description: Path of the backup copy.
  returned: when O(backup=true) and the file changed (not in check mode)
  type: str
  sample: /boot/firmware/cmdline.txt.20260101-120000.bak
diff:
  description: The file before and after.
  returned: success
  type: dict
  sample: {before: "console=tty1 rootwait\n", after: "console=tty1 rootwait cgroup_enable=memory\n"}
"""

import os
import shutil
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.pronk8s.platform.plugins.module_utils._atomic_file import replace_file
from ansible_collections.pronk8s.platform.plugins.module_utils._errors import ModuleError, exit_with
from ansible_collections.pronk8s.platform.plugins.module_utils._boot_cmdline import (
    COMMAND_LINE_SIZE,
    DEFAULT_MULTI_VALUE_KEYS,
    CmdlineError,
    KernelCmdline,
    check_file_text,
    check_length,
    check_parameter,
)


def argument_spec() -> dict:
    return dict(
        path=dict(type="path", required=True, aliases=["dest"]),
        parameters=dict(type="list", elements="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        multi_value_keys=dict(type="list", elements="str", default=list(DEFAULT_MULTI_VALUE_KEYS), no_log=False),
        backup=dict(type="bool", default=False),
        max_bytes=dict(type="int", default=COMMAND_LINE_SIZE - 1),
    )


class BootCmdline:
    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.path: str = module.params["path"]
        # A symlinked cmdline.txt is edited where it points: replacing the link with a file would leave the
        # real command line unchanged while reporting a change.
        self.target: str = os.path.realpath(self.path)
        self.result: dict = {"changed": False, "path": self.path}

    def error(self, msg: str) -> ModuleError:
        """The failure to raise, carrying what the result says so far."""
        return ModuleError(msg, **self.result)

    def run(self) -> dict:
        params = self.module.params
        if params["max_bytes"] < 1:
            raise self.error(f"max_bytes: must be a positive number of bytes, got {params['max_bytes']}")
        for index, param in enumerate(params["parameters"]):
            self._check(check_parameter, param, f"parameters[{index}]")
        before = self._read()
        self._check(check_file_text, before, self.path)
        cmdline = self._edit(before)
        after = cmdline.render() if cmdline.changed else before
        if cmdline.changed:
            self._check(check_length, after, self.path, params["max_bytes"])
        self.result.update(
            target=self.target,
            changed=cmdline.changed,
            cmdline=after.rstrip("\r\n"),
            parameters=cmdline.tokens,
            added=cmdline.added,
            removed=cmdline.removed,
            diff={"before": before, "after": after, "before_header": self.target, "after_header": self.target},
        )
        if cmdline.changed and not self.module.check_mode:
            if params["backup"]:
                self.result["backup_file"] = self._backup()
            self._write(after)
        return self.result

    def _check(self, check, *args) -> None:
        try:
            check(*args)
        except CmdlineError as exc:
            raise self.error(str(exc))

    def _edit(self, before: str) -> KernelCmdline:
        params = self.module.params
        try:
            cmdline = KernelCmdline.parse(before)
            if params["state"] == "present":
                cmdline.ensure_present(params["parameters"], tuple(params["multi_value_keys"]))
            else:
                cmdline.ensure_absent(params["parameters"])
            cmdline.render()  # refuses an empty result before anything is written
        except CmdlineError as exc:
            raise self.error(f"{self.path}: {exc}")
        return cmdline

    def _read(self) -> str:
        if not os.path.exists(self.target):
            dangling = f" (a symbolic link to {self.target}, which does not exist)" if os.path.islink(self.path) else ""
            raise self.error(f"{self.path} does not exist{dangling}; point path at the kernel command-line file in use "
                             "(pronk8s.platform.pi_facts returns it as raspberry_pi.boot.cmdline_path)")
        if not os.path.isfile(self.target):
            raise self.error(f"{self.path} is not a regular file")
        try:
            with open(self.target, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise self.error(f"cannot read {self.path}: {to_native(exc)}")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise self.error(f"{self.path} is not UTF-8 text; it does not look like a command line file")
        return ""  # not reached: fail() exits

    def _backup(self) -> str:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        backup = f"{self.target}.{stamp}.bak"
        if os.path.exists(backup):
            backup = f"{self.target}.{stamp}-{os.getpid()}.bak"
        try:
            # Content only: FAT cannot hold Unix owners and modes, so copying them would fail there.
            shutil.copyfile(self.target, backup)
        except OSError as exc:
            raise self.error(f"cannot back up {self.path} to {backup}: {to_native(exc)}")
        return backup

    def _write(self, text: str) -> None:
        try:
            # mode None: a FAT boot partition refuses chmod; atomic_move keeps the file's attributes.
            replace_file(self.target, text.encode("utf-8"), mode=None, move=self.module.atomic_move)
        except OSError as exc:
            raise self.error(f"cannot write {self.path}: {to_native(exc)}")


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    exit_with(module, lambda: BootCmdline(module).run())


if __name__ == "__main__":
    main()
