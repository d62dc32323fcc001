# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pronk8s.platform.artifact_evidence: controller-side, offline (see the module's DOCUMENTATION)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.pronk8s.platform.plugins.module_utils import _catalog, _pinning
from ansible_collections.pronk8s.platform.plugins.module_utils._atomic_file import replace_file


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=_pinning.evidence_argument_spec())[1]
        try:
            result.update(self._verify(args["artifact"], Path(args["directory"]), args["store"] and not self._task.check_mode))
        except (KeyError, TypeError) as exc:
            raise AnsibleActionFail(f"artifact must be a result of the pronk8s.platform.artifact lookup (missing {exc})") from exc
        except (_catalog.CatalogError, _pinning.PinError, OSError) as exc:
            raise AnsibleActionFail(str(exc)) from exc
        return result

    @staticmethod
    def _verify(artifact: dict, directory: Path, store: bool) -> dict:
        path = directory / artifact["mirror_path"]
        with open(path, "rb") as handle:
            actual = hashlib.file_digest(handle, "sha256").hexdigest()
        if actual != artifact["sha256"]:
            raise _pinning.PinError(f"{path} has sha256 {actual}, the pin of {artifact['name']} {artifact['version']} "
                                    f"{artifact['arch']} says {artifact['sha256']}")
        stored_paths = [str(directory / p) for p in artifact.get("evidence_paths") or []]
        written = []
        if store:
            for src, dest in zip(artifact["evidence"], stored_paths):
                data = Path(src).read_bytes()
                if not os.path.isfile(dest) or Path(dest).read_bytes() != data:
                    replace_file(dest, data, make_dirs=True)
                    written.append(dest)
        level = artifact["verification_level"]
        if level != "signature":
            return {"changed": bool(written), "level": "sha256", "stored": written,
                    "account": f"sha256 {actual} matches the pin (level {level}: no signature to re-verify)"}
        missing = [p for p in stored_paths if not os.path.isfile(p)]
        if missing or not stored_paths:
            raise _pinning.PinError(f"{artifact['name']} {artifact['version']} {artifact['arch']} is pinned at level signature "
                                    f"but its evidence is missing from {directory}: {', '.join(missing) or 'none listed'} "
                                    "(fill the directory with the pronk8s.platform.mirror playbook)")
        account = _pinning.reverify(_catalog.tool(artifact["name"]), actual, str(path), stored_paths)
        return {"changed": bool(written), "level": "signature", "stored": written, "account": account}
