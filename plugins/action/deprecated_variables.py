# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller side of pronk8s.platform.deprecated_variables: a deprecation warning per renamed variable set.

Runs on the controller only (no connection): it reads the task's variables, nothing on the host.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

COLLECTION = "pronk8s.platform"


def argument_spec() -> dict:
    """The options of the deprecated_variables module (a new dict each call)."""
    return dict(
        renamed=dict(type="dict", required=True),
        version=dict(type="str", required=True),
    )


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=argument_spec())[1]
        task_vars = task_vars or {}
        found = {old: new for old, new in args["renamed"].items() if old in task_vars}
        result.update(
            changed=False,
            deprecated=list(found),
            deprecations=[self._deprecation(old, new, args["version"]) for old, new in found.items()],
        )
        return result

    @staticmethod
    def _deprecation(old: str, new: str, version: str) -> dict:
        return {
            "msg": f"The variable {old} is deprecated and still used for now: set {new} instead",
            "version": version,
            "collection_name": COLLECTION,
        }
