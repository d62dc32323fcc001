# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pronk8s.platform.artifact_pin: the whole job runs here, on the controller (see the module's DOCUMENTATION)."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.pronk8s.platform.plugins.module_utils import _catalog, _pinning
from ansible_collections.pronk8s.platform.plugins.module_utils._download import DownloadError, DownloadOptions


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=_pinning.pin_argument_spec())[1]
        try:
            result.update(self._pin(args))
        except (_catalog.CatalogError, _pinning.PinError, DownloadError, OSError) as exc:
            raise AnsibleActionFail(str(exc)) from exc
        return result

    def _pin(self, args: dict) -> dict:
        tool = _catalog.tool(args["tool"])
        minimum = args["minimum_level"] or tool.best_level
        existing = _catalog.merged_pins(tool.name, pins_dir=args["pins_dir"])
        fetch = _pinning.Fetcher(base_url=args["base_url"] or None, options=DownloadOptions.from_params(args))
        new, kept, refused = [], [], []
        for version in args["versions"]:
            for arch in args["arches"]:
                old = existing.get(str(version).lstrip("v"), {}).get(arch)
                try:
                    result = _pinning.pin_one(tool, version, arch, fetch, minimum, old)
                except _pinning.PinError as exc:
                    refused.append(str(exc))
                    continue
                stronger = old and _catalog.LEVELS.index(old.level) >= _catalog.LEVELS.index(result.level)
                (kept if stronger else new).append(result)
        if refused:
            # All or nothing: a pins file half-updated by a run that was refused would hide the refusal.
            raise _pinning.PinError(f"{len(refused)} artifact(s) refused, nothing was written: " + " | ".join(refused))
        written = [] if self._task.check_mode or not new else _pinning.write_pinned(args["pins_dir"], new)
        out = {"changed": bool(new), "pinned": [r.summary() for r in new + kept], "written": written,
               "msg": self._summary(tool, new, kept)}
        if self._task.diff and new:
            out["diff"] = {"before_header": f"{args['pins_dir']}/{tool.name}/pins.yml", "before": "",
                           "after_header": f"{args['pins_dir']}/{tool.name}/pins.yml",
                           "after": "".join(f"{r.version} {r.arch}: {r.sha256} ({r.level})\n" for r in new)}
        return out

    @staticmethod
    def _summary(tool: _catalog.Tool, new: list, kept: list) -> str:
        lines = [f"{r.tool} {r.version} {r.arch}: {r.sha256} at level {r.level} ({r.account})" for r in new]
        lines += [f"{r.tool} {r.version} {r.arch}: already pinned" for r in kept]
        if not tool.signature:
            lines.append(f"{tool.name} publishes no signature: its pins are at level checksum-file at best")
        return "; ".join(lines)
