# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
name: artifact
short_description: Look up a tool's pinned artifact (URL, SHA-256, verification level) in the collection's catalog
version_added: 1.0.0
description:
  - Returns, for each tool named, the verified artifact for O(version) and O(arch) from the catalog shipped in
    this collection (C(catalog/<tool>/)), the user's pins directory and hand-written pins, with the URL to fetch
    it from (upstream, a mirror, or a file in a local directory for air-gapped runs), its verification level
    and where its pin came from.
  - A version or architecture with no pin fails here, before any download, listing the pinned versions for that
    architecture. So does a pin below the minimum verification level (O(minimum_verification)).
  - Users pin new versions with the C(pronk8s.platform.pin) playbook (a pins directory, with evidence) or by hand
    in C(pronk8s_artifact_extra_pins) (level V(copied)); replacing a shipped pin is refused unless
    C(pronk8s_artifact_unsafe_override_shipped_pins) is true.
  - Variables read from the play (the pins, the directory, the policy) are templated first, so values such as
    C("{{ helm_sha }}") from group_vars or vault work.
author:
  - pronk8s developers (@pronk8s)
options:
  _terms:
    description: Tool names (V(kubectl), V(helm), V(kind), or any tool the catalog holds).
    required: true
    type: list
    elements: str
  version:
    description: Version wanted, with or without a leading V(v). Empty means the catalog's default version.
    type: str
    default: ""
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
      - "Hand-written pins, C({tool: {version: {arch: sha256}}}), at level V(copied). Defaults to the variable
        C(pronk8s_artifact_extra_pins)."
    type: dict
  pins_dir:
    description:
      - Directory written by the C(pronk8s.platform.pin) playbook (C(<tool>/pins.yml) and evidence). Defaults to
        the variable C(pronk8s_artifact_pins_dir), else C(pronk8s-pins) beside the inventory when it exists.
    type: str
  minimum_verification:
    description:
      - "Lowest verification level accepted, V(signature) > V(checksum-file) > V(copied); a level name, or a dict
        C({default: LEVEL, TOOL: LEVEL}) to set it per tool. Defaults to the variable
        C(pronk8s_artifact_minimum_verification), else V(copied)."
    type: raw
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

- name: Helm for this host, from a mirror, refusing pins not verified by signature
  ansible.builtin.set_fact:
    helm_artifact: >-
      {{ lookup('pronk8s.platform.artifact', 'helm', version='3.22.0', minimum_verification='signature',
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
      description:
        - V(shipped) for a pin from the collection's catalog, V(pinned) for one from the pins directory,
          V(user) for one from O(extra_pins).
      type: str
      sample: shipped
    verification_level:
      description: V(signature), V(checksum-file) or V(copied); see docs/trust.md.
      type: str
      sample: copied
    pin_source:
      description: Where the pin came from (checksum file URL, or the third parties it was copied from).
      type: str
      sample: kubespray, makefile-modules@665cfb6b08c3, ansible-kubectl
    pin_checked:
      description: Cross-check of a copied pin (V(cross-checked), V(single-source)); empty for verified pins.
      type: str
      sample: cross-checked
    evidence:
      description: Controller paths of the stored evidence (Sigstore bundle, OpenPGP signature) of a V(signature) pin.
      type: list
      elements: str
      sample: []
    evidence_paths:
      description: Where a mirror or local directory keeps each evidence file (upstream host/path layout).
      type: list
      elements: str
      sample: [dl.k8s.io/release/v1.38.0/bin/linux/amd64/kubectl.sigstore.json]
    material:
      description: Upstream URLs of the artifact, its checksum file and its signature material, by role.
      type: dict
      sample: {artifact: "https://dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl"}
    version_args:
      description: Arguments that make the tool print its version.
      type: list
      elements: str
      sample: [version, --client]
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display
from ansible_collections.pronk8s.platform.plugins.module_utils import _catalog
from ansible_collections.pronk8s.platform.plugins.plugin_utils._catalog_request import (
    catalog_request,
    upstream_arch_name,
)

display = Display()


class LookupModule(LookupBase):
    def request(self, variables: dict) -> _catalog.Request:
        return catalog_request(
            variables, self._templar.template, display.warning, source=self.get_option("source"),
            mirror_url=self.get_option("mirror_url"), local_dir=self.get_option("local_dir"),
            given={k: self.get_option(k) for k in ("pins_dir", "allow_override", "extra_pins", "minimum_verification")})

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        try:
            request = self.request(variables)
            arch = upstream_arch_name(self.get_option("arch"))
            return [_catalog.find_artifact(str(term), self.get_option("version"), arch, request).as_dict()
                    for term in terms]
        except _catalog.CatalogError as exc:
            raise AnsibleLookupError(str(exc)) from exc
