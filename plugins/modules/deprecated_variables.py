#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: deprecated_variables
short_description: Warn, as Ansible deprecations do, about renamed variables that are still set
version_added: 1.0.0
description:
  - For each old name in O(renamed) that is defined for the host (inventory, play, extra vars...),
    emits an Ansible deprecation warning naming the new variable and the release that drops the old one.
  - Used by the roles of this collection at their start, while they still honour a renamed variable.
  - Runs on the controller only; it reads variables, never the host.
author:
  - pronk8s developers (@pronk8s)
extends_documentation_fragment:
  - pronk8s.platform.attributes
  - pronk8s.platform.attributes.action
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  idempotent:
    support: full
    details: Only reads variables.
  platform:
    platforms: all
  action:
    details: Runs on the controller only; it reads variables, never the host.
options:
  renamed:
    description: Old variable name -> new variable name.
    type: dict
    required: true
  version:
    description: The collection release that drops the old names.
    type: str
    required: true
"""

EXAMPLES = r"""
---
- name: Warn about renamed variables
  pronk8s.platform.deprecated_variables:
    renamed:
      raspberry_pi_hostname: host_base_hostname
    version: 2.0.0
"""

RETURN = r"""
deprecated:
  description: The old names found set, one deprecation warning each.
  returned: always
  type: list
  elements: str
  sample: [raspberry_pi_hostname]
"""
