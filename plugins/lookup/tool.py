# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
name: tool
short_description: What the collection's catalog knows of a tool (default version, version arguments, arches)
version_added: 1.1.0
description:
  - Returns, for each tool named, the per-tool facts of the catalog shipped in this collection
    (C(catalog/<tool>/tool.yml)), the one place they are kept; the kubectl, helm and kind roles read them here.
  - Use P(pronk8s.platform.artifact#lookup) for a pinned artifact (URL, sha256, verification level).
author:
  - pronk8s developers (@pronk8s)
options:
  _terms:
    description: Tool names.
    required: true
    type: list
    elements: str
"""

EXAMPLES = r"""
---
- name: Show the catalog's default kubectl version
  ansible.builtin.debug:
    msg: "{{ lookup('pronk8s.platform.tool', 'kubectl').default_version }}"
"""

RETURN = r"""
_raw:
  description: One dict of facts per tool named.
  type: list
  elements: dict
  contains:
    name:
      description: Tool name.
      type: str
      sample: kubectl
    default_version:
      description: The version the roles install when none is given.
      type: str
      sample: 1.37.1
    arches:
      description: Upstream architectures the tool is published for.
      type: list
      elements: str
      sample: [amd64, arm64, arm]
    version_args:
      description: Arguments that make the tool print its version.
      type: list
      elements: str
      sample: [version, --client]
    archive_member:
      description: Path template of the executable inside the release archive, or null for a raw binary.
      type: str
      sample: linux-{arch}/helm
    signature_type:
      description: V(sigstore), V(openpgp), or null when upstream publishes no signature.
      type: str
      sample: sigstore
    best_level:
      description: The highest verification level the tool's pins can reach (V(signature) or V(checksum-file)).
      type: str
      sample: signature
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.pronk8s.platform.plugins.module_utils import _catalog


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        try:
            return [_catalog.tool(str(term)).facts() for term in terms]
        except _catalog.CatalogError as exc:
            raise AnsibleLookupError(str(exc)) from exc
