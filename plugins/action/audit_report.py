# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-only: turn what the audit play gathered on every host into audit.json, audit.md and audit.html."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import yaml
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.pronk8s.platform.plugins.module_utils._atomic_file import replace_file
from ansible_collections.pronk8s.platform.plugins.plugin_utils import _audit_report as audit

COLLECTION_ROOT = Path(__file__).resolve().parents[2]


def argument_spec() -> dict:
    """The options of the audit_report module (a new dict each call)."""
    return dict(
        hosts=dict(type="list", elements="str", required=True),
        report_dir=dict(type="path", required=True),
        results_var=dict(type="str", default="audit_installed"),
        inputs_var=dict(type="str", default="audit_host_input"),
        minimum_verification=dict(type="str", choices=["", *audit.VERIFICATION_LEVELS], default=""),
    )


def collection_version() -> str:
    """From MANIFEST.json in an installed collection, else galaxy.yml in a source tree."""
    try:
        return json.loads((COLLECTION_ROOT / "MANIFEST.json").read_text())["collection_info"]["version"]
    except (OSError, ValueError, KeyError):
        pass
    try:
        return str(yaml.safe_load((COLLECTION_ROOT / "galaxy.yml").read_text())["version"])
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return "unknown"


def host_input(name: str, result, given) -> audit.HostInput:
    """One host's findings from its registered result; an unreachable or failed host keeps its reason."""
    given = given if isinstance(given, dict) else {}
    for key, kind in (("expected", dict), ("extra_pins", dict), ("unmanaged_ignore", list)):
        if not isinstance(given.get(key) or kind(), kind):
            raise AnsibleActionFail(f"{name}: {key} must be a {kind.__name__}, got {given.get(key)!r}")
    host = audit.HostInput(
        name=name, expected={str(k): str(v) for k, v in (given.get("expected") or {}).items()},
        extra_pins=given.get("extra_pins") or {}, allow_override=bool(given.get("allow_override")),
        minimum_verification=given.get("minimum_verification") or None,
        unmanaged_ignore=list(given.get("unmanaged_ignore") or []))
    if not isinstance(result, dict):
        host.error = "no audit result (the host left the play before it was asked)"
    elif result.get("unreachable"):
        host.reachable, host.error = False, f"unreachable: {result.get('msg', '').strip()}"
    elif "artifacts" not in result:
        host.error = f"the audit failed on this host: {result.get('msg', 'no message')}"
    else:
        host.installed = result
    return host


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=argument_spec())[1]
        hostvars = task_vars.get("hostvars", {})
        inputs = []
        for name in args["hosts"]:
            hv = hostvars.get(name, {}) if name in hostvars else {}
            inputs.append(host_input(name, hv.get(args["results_var"]), hv.get(args["inputs_var"])))
        report = audit.build_report(inputs, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), collection_version(),
                                    args["minimum_verification"] or None)
        rendered = {"audit.json": audit.to_json(report), "audit.md": audit.to_markdown(report),
                    "audit.html": audit.to_html(report)}
        report_dir = args["report_dir"]
        files = {name: os.path.join(report_dir, name) for name in rendered}
        changed = any(not os.path.exists(p) or Path(p).read_text(encoding="utf-8") != rendered[n]
                      for n, p in files.items())
        if not self._play_context.check_mode:
            try:
                for name, text in rendered.items():
                    replace_file(files[name], text.encode("utf-8"), mode=0o644, make_dirs=True)
            except OSError as exc:
                raise AnsibleActionFail(f"cannot write the audit report into {report_dir}: {exc}") from exc
        result.update(changed=changed, report_dir=report_dir, files=files, report=report, summary=report["summary"],
                      drift=report["drift"], matrix=audit.to_text(report))
        return result
