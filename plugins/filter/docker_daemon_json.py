# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
name: docker_daemon_json
short_description: Render and check the content of Docker's daemon.json from a dict
version_added: 1.0.0
description:
  - Turns a dict into the text of C(/etc/docker/daemon.json), pretty-printed with sorted keys, and
    checks it the way dockerd would before it is ever written.
  - Keys whose value is V(null) are left out, so an inventory can drop a key set by a default.
  - Values of C(log-opts) are written as strings, because dockerd refuses numbers there
    (C(max-file) of V(3) must be V("3")).
  - Fails, naming the key, on a value that is not a dict, a key that is not a string, or C(hosts),
    which conflicts with the C(-H fd://) of the distribution's systemd unit and stops dockerd starting.
positional: _input
options:
  _input:
    description: The daemon configuration.
    type: dict
    required: true
"""

EXAMPLES = r"""
---
- name: Write daemon.json
  ansible.builtin.copy:
    content: "{{ {'log-driver': 'json-file', 'log-opts': {'max-size': '10m', 'max-file': 3}} | pronk8s.platform.docker_daemon_json }}"
    dest: /etc/docker/daemon.json
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The JSON text, ending in a newline.
  type: str
"""

import json
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# dockerd refuses these in daemon.json when the same setting comes from its command line, which
# the distribution's and Docker's systemd units do.
CONFLICTS_WITH_UNIT = {"hosts": "the systemd unit already passes -H fd://; add a drop-in for the unit instead"}


def _plain(value, where: str):
    """A JSON-ready copy of ``value``; rejects what json.dumps would mangle (non-string keys, sets, objects)."""
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise AnsibleFilterError(f"docker_daemon_json: key {key!r} in {where} is not a string")
            if item is not None:
                out[key] = _plain(item, f"{where}.{key}")
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{where}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, (str, bool, int, float)):
        return value
    raise AnsibleFilterError(f"docker_daemon_json: {where} is a {type(value).__name__}, which JSON cannot hold")


def docker_daemon_json(config) -> str:
    """The daemon.json text for ``config``."""
    if not isinstance(config, Mapping):
        raise AnsibleFilterError(f"docker_daemon_json: the daemon configuration must be a dict, got {type(config).__name__}: {config!r}")
    data = _plain(config, "daemon config")
    for key, why in CONFLICTS_WITH_UNIT.items():
        if key in data:
            raise AnsibleFilterError(f"docker_daemon_json: {key!r} cannot be set in daemon.json: {why}")
    if "log-opts" in data:
        if not isinstance(data["log-opts"], dict):
            raise AnsibleFilterError("docker_daemon_json: 'log-opts' must be a dict of strings")
        data["log-opts"] = {key: json.dumps(item) if isinstance(item, bool) else str(item) for key, item in data["log-opts"].items()}
    try:
        return json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"
    except ValueError as exc:  # NaN or infinity: not JSON, dockerd would refuse the file
        raise AnsibleFilterError(f"docker_daemon_json: {exc}") from exc


class FilterModule:
    def filters(self) -> dict:
        return {"docker_daemon_json": docker_daemon_json}
