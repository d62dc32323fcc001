#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: artifact_evidence
short_description: Store a pinned artifact's signature evidence in an artifact directory and re-verify it offline
version_added: 1.1.0
description:
  - Runs on the controller (an action plugin). For an artifact of the P(pronk8s.platform.artifact#lookup) lookup
    and a directory in upstream's host/path layout (the C(mirror) playbook's), checks the artifact file against
    its pinned sha256 and, for a pin at level V(signature), re-verifies its upstream signature from the evidence
    kept in the directory (a Sigstore bundle, an OpenPGP signature) and the trust roots pinned in the collection's
    catalog, with no network.
  - With O(store=true) it first copies the evidence from the catalog or pins directory into the directory, beside
    the artifact, so an air-gapped controller can re-verify it later.
  - Pins at level V(checksum-file) or V(copied) have no signature to re-verify; the sha256 is checked and the
    result says which level was proven.
author:
  - pronk8s developers (@pronk8s)
extends_documentation_fragment:
  - pronk8s.platform.attributes
  - pronk8s.platform.attributes.action
attributes:
  check_mode:
    support: full
    details: Verifies; does not store evidence.
  diff_mode:
    support: none
  action:
    details: Runs on the controller whatever the play's hosts.
  idempotent:
    support: full
    details: A second run with the same evidence stores nothing new.
requirements:
  - Python package C(sigstore) on the controller for Sigstore evidence; C(gpgv) for OpenPGP evidence.
options:
  artifact:
    description: One artifact as the P(pronk8s.platform.artifact#lookup) lookup returns it.
    type: dict
    required: true
  directory:
    description: Controller directory in upstream's host/path layout holding the artifact.
    type: path
    required: true
  store:
    description: Copy the evidence into O(directory) first (the C(mirror) playbook does).
    type: bool
    default: false
"""

EXAMPLES = r"""
---
- name: Re-verify helm's signature from the air-gapped directory
  pronk8s.platform.artifact_evidence:
    artifact: "{{ lookup('pronk8s.platform.artifact', 'helm', version='3.22.0', arch='amd64') }}"
    directory: /srv/pronk8s-artifacts
"""

RETURN = r"""
level:
  description: The verification level proven now (V(signature) when the signature re-verified, else the sha256 only).
  returned: success
  type: str
  sample: signature
account:
  description: What was verified.
  returned: success
  type: str
  sample: "OpenPGP signature by pinned key 672C657BE06B4B30969C4A57461449C25E36B98E"
stored:
  description: Evidence files written into O(directory).
  returned: success
  type: list
  elements: str
  sample: [/srv/pronk8s-artifacts/dl.k8s.io/release/v1.38.0/bin/linux/amd64/kubectl.sigstore.json]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pronk8s.platform.plugins.module_utils._pinning import evidence_argument_spec


def main() -> None:
    module = AnsibleModule(argument_spec=evidence_argument_spec(), supports_check_mode=True)
    module.fail_json(msg="pronk8s.platform.artifact_evidence runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
