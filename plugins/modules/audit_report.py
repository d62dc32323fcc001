#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: audit_report
short_description: Write the fleet audit's reports (JSON, Markdown, one HTML page) on the controller
version_added: 1.1.0
description:
  - Controller-only (an action plugin). Reads, for each host in O(hosts), the result of
    M(pronk8s.platform.installed_artifacts) registered as O(results_var) and what the inventory asks of the
    host in O(inputs_var), compares them with each other and with the collection's catalog, and writes into
    O(report_dir) C(audit.json) (versioned schema C(docs/schemas/audit-report-v1.schema.json) in this collection),
    C(audit.md) and C(audit.html) (one self-contained page, no external asset, no script).
  - Drift is a tampered, missing, not installed or unmanaged binary, a malformed receipt, another version than
    the inventory asks for, an artifact whose pin is no longer in the catalog, or a verification level below the
    minimum. An unreachable host is listed, not counted as drift.
  - The playbook C(pronk8s.platform.audit) runs it; use that.
author:
  - pronk8s developers (@pronk8s)
extends_documentation_fragment:
  - pronk8s.platform.attributes
  - pronk8s.platform.attributes.action
attributes:
  check_mode:
    support: full
    details: Builds the report and returns it, writes no file.
  diff_mode:
    support: none
    details: The reports carry the audit time; a diff would only show that.
  action:
    support: full
    details: Runs on the controller only.
  idempotent:
    support: none
    details: Every report carries the time of the audit.
options:
  hosts:
    description: Inventory names of the hosts audited (unreachable ones included).
    type: list
    elements: str
    required: true
  report_dir:
    description: Controller directory the three reports are written into (created when missing).
    type: path
    required: true
  results_var:
    description: Host variable holding the registered result of M(pronk8s.platform.installed_artifacts).
    type: str
    default: audit_installed
  inputs_var:
    description:
      - "Host variable holding what the inventory asks of the host: C(expected) (tool -> version),
        C(extra_pins), C(allow_override), C(minimum_verification), C(unmanaged_ignore) (path globs)."
    type: str
    default: audit_host_input
  minimum_verification:
    description: Minimum verification level shown in the report's header (each host's own comes from O(inputs_var)).
    type: str
    choices: ["", copied, checksum-file, signature]
    default: ""
seealso:
  - module: pronk8s.platform.installed_artifacts
"""

EXAMPLES = r"""
---
- name: Write the reports for the hosts of the previous play
  pronk8s.platform.audit_report:
    hosts: "{{ audit_all_hosts }}"
    report_dir: ./audit
  register: audit
"""

RETURN = r"""
report_dir:
  description: Where the reports were written.
  returned: always
  type: str
  sample: /home/me/audit
files:
  description: Paths of the three reports.
  returned: always
  type: dict
  sample: {audit.json: /home/me/audit/audit.json, audit.md: /home/me/audit/audit.md, audit.html: /home/me/audit/audit.html}
report:
  description: The report, as in C(audit.json).
  returned: always
  type: dict
summary:
  description: Number of hosts, reachable hosts, unreachable host names, cells per state, drift findings.
  returned: always
  type: dict
  sample: {hosts: 3, reachable: 2, unreachable: [pi-2], cells: {ok: 3, tampered: 1}, drift: 1}
drift:
  description: One entry per drift finding (host, tool, state, message).
  returned: always
  type: list
  elements: dict
  sample: [{host: pi-1, tool: kubectl, state: tampered, message: "sha256 is now ..., the receipt recorded ..."}]
matrix:
  description: The host x tool matrix as plain text.
  returned: always
  type: str
"""
