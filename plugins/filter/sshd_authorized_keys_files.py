# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
name: sshd_authorized_keys_files
short_description: The files sshd reads a user's public keys from, from C(sshd -T) output
version_added: 1.0.0
description:
  - Expands each C(AuthorizedKeysFile) value printed by C(sshd -T) (tokens C(%%), C(%h), C(%u), C(%U); paths
    relative to the home directory), as sshd does. V(none) gives no file.
positional: _input
options:
  _input:
    description: The standard output of C(sshd -T) (or C(sshd -T -C ...) for the login).
    type: str
    required: true
  user:
    description: The user name.
    type: str
    required: true
  home:
    description: The user's home directory.
    type: str
    required: true
  uid:
    description: The user's numeric id (for C(%U)).
    type: str
    default: ""
"""

EXAMPLES = r"""
---
- name: Read every authorized_keys file of the login user
  ansible.builtin.slurp:
    path: "{{ item }}"
  loop: "{{ sshd_t.stdout | pronk8s.platform.sshd_authorized_keys_files(user='ansible', home='/home/ansible') }}"
"""

RETURN = r"""
_value:
  description: Absolute paths, in sshd's order.
  type: list
  elements: str
  sample: [/home/ansible/.ssh/authorized_keys, /home/ansible/.ssh/authorized_keys2]
"""

from ansible_collections.pronk8s.platform.plugins.module_utils._sshd_access import authorized_keys_files


def sshd_authorized_keys_files(sshd_t: str, user: str, home: str, uid: str | int = "") -> list[str]:
    return authorized_keys_files(str(sshd_t), str(user), str(home), uid)


class FilterModule:
    def filters(self) -> dict:
        return {"sshd_authorized_keys_files": sshd_authorized_keys_files}
