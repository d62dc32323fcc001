# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
name: sshd_login_problems
short_description: Why sshd would refuse a login, from C(sshd -T -C) output
version_added: 1.0.0
description:
  - Reads the output of C(sshd -T -C user=U,host=A,addr=A,laddr=L,lport=P) (sshd evaluates its C(Match) blocks
    for that connection itself) and applies the access rules sshd does not evaluate in test mode, the way
    OpenSSH does - every C(AllowUsers), C(DenyUsers), C(AllowGroups) and C(DenyGroups) value (sshd prints one
    line per value) with C(USER@HOST) and CIDR patterns, C(PubkeyAuthentication) or C(PasswordAuthentication),
    C(PermitRootLogin) for root, C(AuthenticationMethods), C(PubkeyAcceptedAlgorithms) for the key types in use,
    C(AuthorizedKeysFile none), and C(ForceCommand) or C(ChrootDirectory) (which would stop Ansible's modules).
  - Returns the list of problems; an empty list means sshd would let the login in. Unknown input (no key type
    for a public key login, no groups where group rules apply) is a problem, never a pass.
  - Used by the P(pronk8s.platform.host_base#role) role's sshd lock-out check.
positional: _input
options:
  _input:
    description: The standard output of C(sshd -T -C ...) for the login.
    type: str
    required: true
  user:
    description: The user who logs in.
    type: str
    required: true
  auth:
    description: How the user logs in.
    type: str
    choices: [publickey, password]
    required: true
  address:
    description: The client address sshd sees (the first field of C(SSH_CONNECTION)).
    type: str
    required: true
  groups:
    description: The user's groups on the host, primary and supplementary (C(id -Gn USER)).
    type: list
    elements: str
    default: []
  keys:
    description:
      - The public keys the login may use, as public key lines (C(.pub) or C(authorized_keys) contents) or bare key
        types such as V(ssh-ed25519). Each must be accepted.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
---
- name: Refuse a configuration that would lock Ansible out
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
  vars:
    problems: >-
      {{ sshd_t.stdout | pronk8s.platform.sshd_login_problems(user='ansible', auth='publickey',
           address='192.0.2.10', groups=['ansible', 'sudo'], keys=['ssh-ed25519']) }}
"""

RETURN = r"""
_value:
  description: What would refuse the login, one sentence each; empty when sshd would let it in.
  type: list
  elements: str
  sample: ["denyusers ansible matches ansible from 192.0.2.10"]
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.pronk8s.platform.plugins.module_utils._sshd_access import AUTH_METHODS, Login, key_types, login_problems


def sshd_login_problems(sshd_t: str, user: str, auth: str, address: str, groups: list[str] | None = None,
                        keys: list[str] | None = None) -> list[str]:
    if auth not in AUTH_METHODS:
        raise AnsibleFilterError(f"sshd_login_problems: auth must be one of {', '.join(AUTH_METHODS)}, got {auth!r}")
    if not user or not address:
        raise AnsibleFilterError(f"sshd_login_problems: user and address are required, got user={user!r} address={address!r}")
    types: list[str] = []
    for entry in keys or []:
        found = key_types(str(entry)) or ([str(entry).strip()] if str(entry).strip() and " " not in str(entry).strip() else [])
        types += [t for t in found if t not in types]
    return login_problems(str(sshd_t), Login(user=str(user), auth=auth, address=str(address),
                                             groups=[str(g) for g in groups or []], key_types=types))


class FilterModule:
    def filters(self) -> dict:
        return {"sshd_login_problems": sshd_login_problems}
