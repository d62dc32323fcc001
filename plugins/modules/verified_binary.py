#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: verified_binary
short_description: Install an executable only after its SHA-256 is verified
version_added: 1.0.0
description:
  - Installs one executable at O(dest) from O(url) or O(src), either the file itself or one member
    of a C(tar.gz), C(tar.xz) or C(zip) archive (O(archive_member)), and only after the artifact's
    SHA-256 matches O(checksum).
  - The artifact is downloaded (streamed, hashed on the fly, memory flat in its size) to a temporary
    file beside O(dest), verified, optionally extracted and validated, then renamed over O(dest).
    A mismatch, truncation, HTTP error or interruption leaves O(dest) and its receipt exactly as they were.
  - A small JSON receipt per installed path records what was installed from which verified artifact.
    Every run re-hashes O(dest) against it, so a binary that is already right is left alone without any
    network access, and a tampered or corrupted binary is reported and replaced.
  - Has an action plugin. With O(distribute=controller) (the default for plays with more than one host,
    and always with a controller-side O(src)) the controller downloads each artifact once into a local
    cache, verifies it, and copies it to the hosts that need it; each host verifies it again before install.
author:
  - pronk8s developers (@pronk8s)
requirements:
  - Python 3.10 or later on the managed host.
extends_documentation_fragment:
  - pronk8s.platform.attributes
  - pronk8s.platform.attributes.action
  - pronk8s.platform.download
attributes:
  check_mode:
    support: full
    details: Needs no network; reports what would change from local state, the receipt and the pin.
  diff_mode:
    support: full
    details: Shows the version and SHA-256 of O(dest) before and after.
  idempotent:
    support: full
    details: A second run with the same pin changes nothing and downloads nothing.
  action:
    support: full
    details: An action plugin distributes artifacts from the controller when asked.
options:
  dest:
    description:
      - Absolute path of the executable to install. Its directory is created (mode C(0755)) when missing.
    type: path
    required: true
  url:
    description:
      - HTTP, HTTPS or FTP URL of the artifact (the executable itself, or the archive holding it).
      - Redirects are followed (at most 10). Credentials (O(url_username), O(url_password), an
        C(Authorization) or C(Cookie) header in O(headers)) are sent only to the scheme, host and port of
        O(url), never to another one a redirect points to; a redirect from C(https) to C(http) is refused.
      - User info and the query string (for example a pre-signed C(X-Amz-Signature)) are redacted in the
        result, the receipt and every message.
      - Mutually exclusive with O(src).
    type: str
  src:
    description:
      - Path of the artifact on the controller (air-gapped installs from a local directory).
        The action plugin verifies it and copies it to the host.
      - With O(remote_src=true), a path on the managed host instead; the module then always runs on the
        host, whatever O(distribute) says.
      - Mutually exclusive with O(url).
    type: path
  origin:
    description:
      - Where the artifact originally came from, recorded in the receipt and shown in messages when it
        differs from O(url) or O(src). The action plugin sets it when it copies an artifact from the controller.
    type: str
  remote_src:
    description:
      - Whether O(src) is on the managed host rather than on the controller.
    type: bool
    default: false
  checksum:
    description:
      - The artifact's SHA-256, as 64 hexadecimal digits or V(sha256:HEX), or the URL (or absolute path
        on the host) of an upstream checksum file in GNU (C(HEX  name)), BSD (C(SHA256 (name\) = HEX)) or
        bare-digest format, where the entry for the artifact's file name is used.
      - For an archive this is the checksum of the archive, as upstream publishes it.
      - The SHA-256 of an empty file is refused.
    type: str
    required: true
  archive_member:
    description:
      - Path of the executable inside the archive (for example V(linux-amd64/helm)).
      - The archive is refused when any member has an absolute path, a C(..) component, is a link or a
        device, whether or not it is the member asked for.
    type: str
  name:
    description:
      - Name of the tool, recorded in the receipt and shown in messages. Defaults to the base name of O(dest).
    type: str
  version:
    description:
      - Version of the tool, recorded in the receipt and shown in the diff. Informational only.
    type: str
  mode:
    description:
      - Permissions of O(dest), octal string or number.
    type: raw
    default: '0755'
  owner:
    description:
      - Owner of O(dest). Defaults to the user running the module.
    type: str
  group:
    description:
      - Group of O(dest). Defaults to the primary group of the user running the module.
    type: str
  validate:
    description:
      - Command run against the new executable before it replaces O(dest); C(%s) is replaced by the
        temporary path (for example V(%s version --client)). A non-zero exit leaves O(dest) as it was,
        so a binary that cannot run on the host (wrong architecture, corrupt) is never installed.
      - Split into arguments like a shell would, but run without a shell.
    type: str
  validate_contains:
    description:
      - Text the output of O(validate) must contain (for example the version, V(v1.35.2)), so a binary that
        runs but is not the expected release never replaces O(dest).
      - Matched as a whole token - V(v1.34.1) is not found in C(v1.34.11), C(v1.34.1.2) or C(v1.34.1-rc.1),
        but is in C(v1.34.1), C(v1.34.1+g0a1b2c) or C(v1.34.1,). V(1.34.1) is also found in C(v1.34.1).
    type: str
  receipt_dir:
    description:
      - Directory of the receipts. Defaults to C(/var/lib/pronk8s/receipts) for root, and to
        C(~/.local/state/pronk8s/receipts) for other users.
    type: path
  local_facts_dir:
    description:
      - Record the installed tool (by O(name)) in C(pronk8s.fact), a JSON local facts file in this directory (for
        example V(/etc/ansible/facts.d)), in the same round trip as the install, so that the C(setup) module shows
        it under C(ansible_local.pronk8s.tools) without this collection.
      - The file is merged, never replaced - tools installed by other runs stay listed; a warm run leaves it
        alone. Not written when unset.
    type: path
  provenance:
    description:
      - How the pin was chosen, recorded in the receipt and returned under RV(provenance). Informational only -
        the verification is always the SHA-256 of O(checksum).
    type: dict
    suboptions:
      arch:
        description: Architecture of the artifact (for example V(arm64)).
        type: str
      pin_origin:
        description: Where the pin came from (the artifact lookup says V(shipped) or V(user)).
        type: str
      verification_level:
        description: How the pin itself was established (for example V(sha256) or V(signature)).
        type: str
  distribute:
    description:
      - Where the artifact is downloaded (action plugin).
      - V(host) - each host downloads it itself.
      - V(controller) - the controller downloads it once per artifact into O(cache_dir), verifies it, and
        copies it to each host that needs it.
      - V(auto) - V(controller) when the play has more than one host, else V(host).
      - A controller-side O(src) is always distributed from the controller; a host-side one (O(remote_src=true))
        is always read on the host.
    type: str
    choices: [auto, controller, host]
    default: auto
  cache_dir:
    description:
      - Controller directory of verified artifacts, one file per SHA-256 (action plugin).
      - Defaults to C($XDG_CACHE_HOME/pronk8s/artifacts) or C(~/.cache/pronk8s/artifacts).
    type: path
notes:
  - Downloads go through C(ansible.module_utils.urls), so proxies, CA bundles and client certificates work
    as they do for M(ansible.builtin.get_url).
  - When O(checksum) is a checksum file and the receipt records the same checksum file and the installed
    file is intact, no network access happens at all.
  - In a checksum file, the entry whose name matches the most trailing path components of the artifact's
    URL wins (C(linux-amd64/kubectl) before C(darwin-arm64/kubectl)); a base-name-only match is used only when
    it is unique, else the module fails listing the candidates.
  - Two runs on the same O(dest) at the same time take turns (an exclusive lock beside the receipt).
  - Receipts are mode C(0600) in a C(0700) directory, one per O(dest), named after the SHA-256 of its path.
seealso:
  - module: ansible.builtin.get_url
  - module: ansible.builtin.unarchive
  - plugin: pronk8s.platform.artifact
    plugin_type: lookup
"""

EXAMPLES = r"""
---
- name: Install kubectl, verified against the collection's pinned catalog
  pronk8s.platform.verified_binary:
    name: kubectl
    version: "{{ entry.version }}"
    url: "{{ entry.url }}"
    checksum: "sha256:{{ entry.sha256 }}"
    dest: /usr/local/bin/kubectl
    validate: "%s version --client"
    validate_contains: v1.35.2
  vars:
    entry: "{{ lookup('pronk8s.platform.artifact', 'kubectl', version='1.35.2', arch='amd64') }}"

- name: Install helm from the release archive, checksum from the upstream checksum file
  pronk8s.platform.verified_binary:
    url: https://get.helm.sh/helm-v3.18.4-linux-arm64.tar.gz
    checksum: https://get.helm.sh/helm-v3.18.4-linux-arm64.tar.gz.sha256sum
    archive_member: linux-arm64/helm
    dest: /usr/local/bin/helm

- name: Air-gapped - push from a directory on the controller
  pronk8s.platform.verified_binary:
    src: /srv/artifacts/github.com/kubernetes-sigs/kind/releases/download/v0.31.0/kind-linux-amd64
    checksum: eb244cbafcc157dff60cf68693c14c9a75c4e6e6fedaf9cd71c58117cb93e3fa
    dest: /usr/local/bin/kind

- name: Private mirror with a token, distributed once from the controller
  pronk8s.platform.verified_binary:
    url: https://mirror.example.com/dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl
    checksum: 924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277
    headers:
      Authorization: "Bearer {{ mirror_token }}"
    dest: /usr/local/bin/kubectl
    distribute: controller
"""

RETURN = r"""
dest:
  description: The installed path.
  returned: always
  type: str
  sample: /usr/local/bin/kubectl
created_dirs:
  description: The directory of O(dest) when it had to be created.
  returned: when the directory was missing
  type: str
  sample: /opt/tools/bin
sha256:
  description: SHA-256 of the installed file (for an archive, of the extracted member).
  returned: success
  type: str
  sample: 924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277
artifact_sha256:
  description: Verified SHA-256 of the artifact (the archive when O(archive_member) is set).
  returned: success
  type: str
  sample: 924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277
name:
  description: Tool name recorded in the receipt.
  returned: always
  type: str
  sample: kubectl
version:
  description: Version recorded in the receipt.
  returned: always
  type: str
  sample: 1.35.2
url:
  description: Where the artifact came from (URL, or path of O(src)), user info and query string redacted.
  returned: always
  type: str
  sample: https://dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl
outcome:
  description:
    - What was done. V(unchanged) - already installed and intact; V(installed) - nothing was there;
      V(replaced) - another verified artifact (upgrade or downgrade) replaced the old file;
      V(repaired) - the installed file no longer matched its receipt and was replaced;
      V(adopted) - the file was already the verified content; only the receipt was written.
  returned: always
  type: str
  sample: installed
tampered:
  description: Whether the installed file differed from what its receipt recorded.
  returned: always
  type: bool
  sample: false
artifact_needed:
  description: Whether installing needs the artifact (false when O(dest) is already right).
  returned: always
  type: bool
  sample: false
downloaded_bytes:
  description: Bytes this host downloaded (0 when nothing was fetched or the artifact came from the controller).
  returned: always
  type: int
  sample: 57323672
receipt:
  description: Path of the receipt.
  returned: always
  type: str
  sample: /var/lib/pronk8s/receipts/kubectl-3b1a5c1f2b2d8e0f4b7c6a9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b.json
provenance:
  description: How the pin was chosen (O(provenance)), or what the receipt recorded when not given.
  returned: always
  type: dict
  sample: {arch: amd64, pin_origin: shipped, verification_level: sha256}
local_facts:
  description: The local facts file (O(local_facts_dir)) and whether this run changed it.
  returned: when O(local_facts_dir) is set and the install succeeded
  type: dict
  sample: {path: /etc/ansible/facts.d/pronk8s.fact, changed: false}
distributed_from:
  description: How the artifact reached the host - V(host) (downloaded there), V(controller) (copied from the controller cache) or V(none).
  returned: always
  type: str
  sample: controller
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pronk8s.platform.plugins.module_utils import _receipt as receipts
from ansible_collections.pronk8s.platform.plugins.module_utils._errors import exit_with
from ansible_collections.pronk8s.platform.plugins.module_utils._verified_install import (
    ITEM_RULES,
    argument_spec,
    contains_token,
    hide_secrets,
    install,
    record_local_facts,
    with_local_facts,
)

# The install code lives in _verified_install (shared with verified_binaries); receipts and contains_token stay
# reachable through this module, as before.
__all__ = ["main", "receipts", "contains_token"]


def run_one(module: AnsibleModule) -> dict:
    """Install the artifact, then record it in the local facts file (when asked), in the same round trip."""
    result = install(module)
    return with_local_facts(result, record_local_facts(module, [result], module.params["local_facts_dir"]))


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True, **ITEM_RULES)
    hide_secrets(module, module.params)
    exit_with(module, lambda: run_one(module))


if __name__ == "__main__":
    main()
