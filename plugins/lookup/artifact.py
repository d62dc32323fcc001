# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
name: artifact
short_description: Look up a tool's pinned artifact (URL, SHA-256, archive member) in the collection's catalog
version_added: 1.0.0
description:
  - Returns, for each tool named, the verified artifact for O(version) and O(arch) from the catalog shipped in
    this collection (kubectl, helm, kind), with the URL to fetch it from (upstream, a mirror, or a file in a local
    directory for air-gapped runs).
  - A version or architecture with no pin fails here, before any download, listing the pinned versions for that
    architecture.
  - Users may pin new versions in inventory with C(pronk8s_artifact_extra_pins); replacing a shipped pin is refused
    unless C(pronk8s_artifact_unsafe_override_shipped_pins) is true.
author:
  - pronk8s developers (@pronk8s)
options:
  _terms:
    description: Tool names (V(kubectl), V(helm), V(kind)).
    required: true
    type: list
    elements: str
  version:
    description: Version wanted, with or without a leading V(v).
    type: str
    required: true
  arch:
    description:
      - Upstream architecture (V(amd64), V(arm64), V(arm), V(ppc64le), V(s390x)) or a kernel architecture
        such as V(x86_64), V(aarch64) or V(armv7l), mapped like the P(pronk8s.platform.upstream_arch#filter) filter.
    type: str
    required: true
  source:
    description:
      - V(upstream) - the upstream URL; V(mirror) - O(mirror_url) plus upstream's host and path;
        V(local) - a file under O(local_dir) with the same layout.
    type: str
    default: upstream
    choices: [upstream, mirror, local]
  mirror_url:
    description: Base URL of a mirror that keeps upstream's host/path layout.
    type: str
  local_dir:
    description: Controller directory that keeps upstream's host/path layout (see the C(mirror) playbook).
    type: str
  extra_pins:
    description:
      - "User pins, C({tool: {version: {arch: sha256}}}). Defaults to the variable C(pronk8s_artifact_extra_pins)."
    type: dict
  allow_override:
    description:
      - Allow O(extra_pins) to replace a shipped pin. Defaults to the variable
        C(pronk8s_artifact_unsafe_override_shipped_pins).
    type: bool
"""

EXAMPLES = r"""
---
- name: Show where kubectl 1.35.2 for arm64 comes from
  ansible.builtin.debug:
    msg: "{{ lookup('pronk8s.platform.artifact', 'kubectl', version='1.35.2', arch='arm64') }}"

- name: Helm for this host, from a mirror
  ansible.builtin.set_fact:
    helm_artifact: >-
      {{ lookup('pronk8s.platform.artifact', 'helm', version='3.18.4',
                arch=ansible_facts.architecture | pronk8s.platform.upstream_arch(ansible_facts.userspace_bits),
                source='mirror', mirror_url='http://mirror.lab:8080') }}
"""

RETURN = r"""
_raw:
  description: One artifact per tool named.
  type: list
  elements: dict
  contains:
    name:
      description: Tool name.
      type: str
      sample: kubectl
    version:
      description: Version, without a leading V(v).
      type: str
      sample: 1.35.2
    arch:
      description: Upstream architecture name.
      type: str
      sample: amd64
    sha256:
      description: Pinned SHA-256 of the artifact (of the archive for helm).
      type: str
      sample: 924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277
    url:
      description: URL to download from; null for O(source=local).
      type: str
      sample: https://dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl
    src:
      description: Controller path for O(source=local), else null.
      type: str
      sample: /srv/artifacts/dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl
    upstream_url:
      description: Upstream URL of the artifact, whatever the source.
      type: str
      sample: https://dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl
    checksum_url:
      description: Upstream checksum file published beside the artifact.
      type: str
      sample: https://dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl.sha256
    archive_member:
      description: Path of the executable inside the archive, or null for a raw binary.
      type: str
      sample: linux-amd64/helm
    mirror_path:
      description: Upstream host and path, the layout of mirrors and local directories.
      type: str
      sample: dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl
    pin_origin:
      description: V(shipped) for a pin from the collection's catalog, V(user) for one from O(extra_pins).
      type: str
      sample: shipped
"""

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display
from ansible_collections.pronk8s.platform.plugins.module_utils import _catalog

display = Display()


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        extra = self.get_option("extra_pins")
        if extra is None:
            extra = variables.get(_catalog.EXTRA_PINS_VAR)
        allow = self.get_option("allow_override")
        if allow is None:
            allow = bool(variables.get(_catalog.OVERRIDE_VAR, False))
        if allow:
            display.warning(f"{_catalog.OVERRIDE_VAR} is true: user pins may REPLACE the collection's upstream pins")
        try:
            arch = self.get_option("arch")
            # Kernel names (x86_64, aarch64...) are mapped; anything else is taken as an upstream name as is.
            arch = _catalog.upstream_arch(arch) if arch in _catalog.ARCH_MAP else arch
            return [
                _catalog.resolve(
                    str(term), self.get_option("version"), arch, source=self.get_option("source"),
                    mirror_url=self.get_option("mirror_url") or None,
                    local_dir=os.path.expanduser(self.get_option("local_dir")) if self.get_option("local_dir") else None,
                    extra_pins=extra, allow_override=allow,
                ).as_dict()
                for term in terms
            ]
        except _catalog.CatalogError as exc:
            raise AnsibleLookupError(str(exc)) from exc
