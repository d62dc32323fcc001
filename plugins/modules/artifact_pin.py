#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: artifact_pin
short_description: Pin new versions of a catalog tool from upstream's checksum files and signatures
version_added: 1.1.0
description:
  - Runs on the controller (an action plugin). For each version and architecture, reads upstream's checksum file,
    fetches the signature material the collection's catalog names for the tool, verifies it and writes the pin,
    with its verification level and evidence, into a pins directory that the P(pronk8s.platform.artifact#lookup)
    lookup reads beside the shipped catalog.
  - kubectl - a Sigstore bundle verified offline against the catalog's certificate identity and OIDC issuer and the
    production trusted root shipped in the C(sigstore) Python package; the bundle is kept as evidence.
  - helm - the detached OpenPGP signature verified by C(gpgv) against a keyring holding only the maintainer keys
    whose fingerprints the catalog pins; the signature is kept as evidence.
  - kind - upstream publishes no signature; its pins reach level V(checksum-file) and the result says so.
  - "Refused, with nothing written, when any artifact fails: a bad signature, a wrong identity, an unknown key,
    a level below O(minimum_level), or a sha256 that differs from an existing pin (a republished artifact; the
    error gives both sums)."
author:
  - pronk8s developers (@pronk8s)
extends_documentation_fragment:
  - pronk8s.platform.attributes
  - pronk8s.platform.attributes.action
attributes:
  check_mode:
    support: full
    details: Verifies everything and reports what would be written; writes nothing.
  diff_mode:
    support: full
  action:
    details: Runs on the controller whatever the play's hosts.
  idempotent:
    support: full
    details: Pinning versions that are already pinned with the same sums writes nothing.
requirements:
  - Python package C(sigstore) on the controller for Sigstore signatures (kubectl).
  - C(gpgv) on the controller for OpenPGP signatures (helm).
options:
  tool:
    description: A tool of the collection's catalog (V(kubectl), V(helm), V(kind), ...).
    type: str
    required: true
  versions:
    description: Versions to pin, with or without a leading V(v).
    type: list
    elements: str
    required: true
  arches:
    description: Upstream architectures to pin.
    type: list
    elements: str
    default: [amd64, arm64]
  pins_dir:
    description: Directory to write (C(<tool>/pins.yml) and C(<tool>/evidence/)); created when missing.
    type: path
    required: true
  base_url:
    description: A mirror keeping upstream's host/path layout to read from instead of upstream.
    type: str
  minimum_level:
    description:
      - Lowest level accepted, V(signature) or V(checksum-file). Default - the best the tool can reach
        (V(signature) when upstream signs, else V(checksum-file)).
    type: str
    choices: [signature, checksum-file]
  timeout:
    description: Seconds per request.
    type: int
    default: 30
  retries:
    description: Attempts for transient failures.
    type: int
    default: 2
  validate_certs:
    description: Verify TLS certificates.
    type: bool
    default: true
  ca_path:
    description: CA bundle for a mirror with a private CA.
    type: path
"""

EXAMPLES = r"""
---
- name: Pin kubectl 1.38.0 with its Sigstore signature
  pronk8s.platform.artifact_pin:
    tool: kubectl
    versions: ["1.38.0"]
    arches: [amd64, arm64]
    pins_dir: "{{ inventory_dir }}/pronk8s-pins"
"""

RETURN = r"""
pinned:
  description: One entry per artifact pinned (or already pinned at that level).
  returned: success
  type: list
  elements: dict
  sample:
    - tool: kubectl
      version: 1.38.0
      arch: amd64
      sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
      level: signature
      source: https://dl.k8s.io/release/v1.38.0/bin/linux/amd64/kubectl.sha256
      evidence: [kubectl.sigstore.json]
      account: "Sigstore bundle verified offline: identity krel-staging@k8s-releng-prod.iam.gserviceaccount.com, ..."
written:
  description: Files written (none in check mode or when nothing changed).
  returned: success
  type: list
  elements: str
  sample: [/srv/inventory/pronk8s-pins/kubectl/pins.yml]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pronk8s.platform.plugins.module_utils._pinning import pin_argument_spec


def main() -> None:
    module = AnsibleModule(argument_spec=pin_argument_spec(), supports_check_mode=True)
    module.fail_json(msg="pronk8s.platform.artifact_pin runs on the controller through its action plugin; "
                         "call it as a task, not with ansible -m on a remote host")


if __name__ == "__main__":
    main()
