#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: verified_binaries
short_description: Install several executables, each only after its SHA-256 is verified, in one round trip
version_added: 1.1.0
description:
  - The batch form of M(pronk8s.platform.verified_binary) - the same engine, guarantees and options, for
    every artifact a host needs at once - so a host costs one probe round trip for all its artifacts, one
    transfer per missing artifact and one install round trip, and a warm run (nothing to do) one round trip.
  - Each item of O(artifacts) takes the options of M(pronk8s.platform.verified_binary) (O(artifacts[].dest),
    O(artifacts[].url) or O(artifacts[].src), O(artifacts[].checksum), O(artifacts[].archive_member),
    O(artifacts[].validate)...) and is installed exactly as that module installs it - verified on the host
    after transfer, validated before an atomic rename, a receipt per path, under a per-path lock.
  - Items are independent - a failed item leaves its O(artifacts[].dest) and receipt exactly as they were,
    is named in the message and in RV(results), and the other items are still installed; the task fails.
  - Has an action plugin. With O(distribute=controller) (the default for plays with more than one host,
    and always for a controller-side O(artifacts[].src)) the controller downloads each artifact once into
    its cache, verifies it, and copies it to the hosts that need it; each host verifies it again.
author:
  - pronk8s developers (@pronk8s)
requirements:
  - Python 3.10 or later on the managed host.
extends_documentation_fragment:
  - pronk8s.platform.attributes
  - pronk8s.platform.attributes.action
attributes:
  check_mode:
    support: full
    details: Needs no network; reports what would change from local state, the receipts and the pins.
  diff_mode:
    support: full
    details: Shows the version and SHA-256 of each O(artifacts[].dest) before and after.
  idempotent:
    support: full
    details: A second run with the same pins changes nothing, downloads nothing and copies nothing.
  action:
    support: full
    details: An action plugin distributes artifacts from the controller when asked.
options:
  artifacts:
    description:
      - The executables to install, each with the options of M(pronk8s.platform.verified_binary) except
        O(distribute) and O(cache_dir), which apply to the whole batch.
      - Two items may not share a O(artifacts[].dest).
    type: list
    elements: dict
    required: true
    suboptions:
      dest:
        description: Absolute path of the executable to install.
        type: path
        required: true
      url:
        description:
          - URL of the artifact, as in M(pronk8s.platform.verified_binary) (redirect, credential and redaction
            rules included). Mutually exclusive with O(artifacts[].src).
        type: str
      src:
        description: Path of the artifact on the controller, or on the host with O(artifacts[].remote_src=true).
        type: path
      origin:
        description: Where the artifact originally came from (set by the action plugin when it pushes one).
        type: str
      remote_src:
        description: Whether O(artifacts[].src) is on the managed host.
        type: bool
        default: false
      checksum:
        description:
          - The artifact's SHA-256 (V(sha256:HEX), 64 hex digits, or a checksum file URL or host path).
          - Required unless O(artifacts[].tool) is given (the pin then comes from the catalog).
        type: str
      tool:
        description:
          - A tool of the collection's catalog (V(kubectl), V(helm), V(kind)), instead of O(artifacts[].url) or
            O(artifacts[].src) and O(artifacts[].checksum).
          - Resolved on the controller, exactly as the P(pronk8s.platform.artifact#lookup) lookup resolves it
            (shipped pins, C(pronk8s_artifact_pins_dir), C(pronk8s_artifact_extra_pins),
            C(pronk8s_artifact_minimum_verification)) - into its URL or controller path, its pinned SHA-256, its
            archive member, a validation that the new binary reports the pinned version, and its provenance.
          - An unpinned version or arch, or a pin below the minimum verification level, fails the task before
            anything reaches the host.
        type: str
      arch:
        description:
          - Upstream architecture of a O(artifacts[].tool) (V(amd64), V(arm64), V(arm)).
          - Default - the host's, from its facts when the play gathered them, otherwise asked of the host
            (C(uname -m) and C(getconf LONG_BIT), no module and no fact gathering); a 64-bit kernel with a
            32-bit userland is V(arm).
        type: str
      source:
        description:
          - Where a O(artifacts[].tool) comes from - V(upstream), V(mirror) (O(artifacts[].mirror_url), upstream's
            host/path layout) or V(local) (a controller directory, O(artifacts[].local_dir)).
        type: str
        choices: [upstream, mirror, local]
        default: upstream
      mirror_url:
        description: Base URL of the mirror for O(artifacts[].source=mirror).
        type: str
      local_dir:
        description: Controller directory for O(artifacts[].source=local).
        type: path
      archive_member:
        description: Path of the executable inside a C(tar.gz), C(tar.xz) or C(zip) archive.
        type: str
      name:
        description: Name of the tool (default - the base name of O(artifacts[].dest)).
        type: str
      version:
        description: Version of the tool, recorded in the receipt.
        type: str
      mode:
        description: Permissions of O(artifacts[].dest).
        type: raw
        default: '0755'
      owner:
        description: Owner of O(artifacts[].dest).
        type: str
      group:
        description: Group of O(artifacts[].dest).
        type: str
      validate:
        description: Command run against the new executable (C(%s)) before it replaces O(artifacts[].dest).
        type: str
      validate_contains:
        description: Text the output of O(artifacts[].validate) must contain, as a whole token.
        type: str
      timeout:
        description: Seconds to wait for the server to answer or send more data.
        type: int
        default: 60
      deadline:
        description: Seconds the whole download may take (V(0) - no deadline).
        type: float
        default: 3600
      retries:
        description: Extra attempts after a transient failure.
        type: int
        default: 3
      retry_delay:
        description: Seconds before the first retry; doubled for each further retry.
        type: float
        default: 2.0
      validate_certs:
        description: Whether to verify the server's TLS certificate.
        type: bool
        default: true
      use_proxy:
        description: Whether to use the proxies from the environment.
        type: bool
        default: true
      ca_path:
        description: PEM file of CA certificates to trust instead of the system's.
        type: path
      client_cert:
        description: PEM client certificate for TLS client authentication.
        type: path
      client_key:
        description: PEM private key of O(artifacts[].client_cert).
        type: path
      headers:
        description: Extra HTTP headers (credentials in them go to the origin of the URL only).
        type: dict
      url_username:
        description: User name for HTTP basic authentication.
        type: str
        aliases: [username]
      url_password:
        description: Password for HTTP basic authentication.
        type: str
        aliases: [password]
      force_basic_auth:
        description: Send the basic authentication header on the first request.
        type: bool
        default: false
      receipt_dir:
        description: Directory of the receipts (default - C(/var/lib/pronk8s/receipts) for root).
        type: path
      provenance:
        description: How the pin was chosen, recorded in the receipt.
        type: dict
        suboptions:
          arch:
            description: Upstream architecture of the artifact.
            type: str
          pin_origin:
            description: Where the pin comes from.
            type: str
          verification_level:
            description: How the pin was verified.
            type: str
  distribute:
    description:
      - How artifacts from a URL reach the hosts, as O(pronk8s.platform.verified_binary#module:distribute).
    type: str
    default: auto
    choices: [auto, controller, host]
  cache_dir:
    description: The controller's artifact cache (default - C(~/.cache/pronk8s/artifacts)).
    type: path
  local_facts_dir:
    description:
      - Record every installed item in C(pronk8s.fact), a JSON local facts file in this directory (for example
        V(/etc/ansible/facts.d)), in the same round trip as the install, so that the C(setup) module shows them
        under C(ansible_local.pronk8s.tools) without this collection.
      - The file is merged, never replaced - tools installed by other runs stay listed. Its content is stable, so
        a warm run leaves it alone. Not written when unset.
    type: path
seealso:
  - module: pronk8s.platform.verified_binary
"""

EXAMPLES = r"""
- name: Install kubectl and helm, verified, in one round trip per host
  pronk8s.platform.verified_binaries:
    artifacts:
      - name: kubectl
        version: 1.35.2
        url: https://dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl
        checksum: https://dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl.sha256
        dest: /usr/local/bin/kubectl
        validate: "%s version --client"
        validate_contains: v1.35.2
      - name: helm
        version: 4.1.4
        url: https://get.helm.sh/helm-v4.1.4-linux-amd64.tar.gz
        checksum: https://get.helm.sh/helm-v4.1.4-linux-amd64.tar.gz.sha256sum
        archive_member: linux-amd64/helm
        dest: /usr/local/bin/helm
        validate: "%s version"
  register: tools
"""

RETURN = r"""
results:
  description:
    - One result per item of O(artifacts), in order, with the keys M(pronk8s.platform.verified_binary)
      returns (RV(pronk8s.platform.verified_binary#module:outcome), RV(pronk8s.platform.verified_binary#module:sha256),
      RV(pronk8s.platform.verified_binary#module:receipt)...), plus C(failed) and C(msg) for an item that failed.
  returned: always
  type: list
  elements: dict
  sample: [{dest: /usr/local/bin/kubectl, name: kubectl, outcome: installed, changed: true, distributed_from: controller}]
profile:
  description:
    - Seconds the action plugin spent in each phase on the controller - C(resolve) (checksum files), C(probe),
      C(fetch) (controller cache or src hashing), C(push) (copies to the host) and C(install); phases not run are absent.
  returned: always
  type: dict
  sample: {resolve: 0.0, probe: 0.41, fetch: 0.9, push: 0.35, install: 0.8}
local_facts:
  description: The local facts file (O(local_facts_dir)) and whether this run changed it.
  returned: when O(local_facts_dir) is set and an item succeeded
  type: dict
  sample: {path: /etc/ansible/facts.d/pronk8s.fact, changed: false}
failed_items:
  description: Names of the items that failed (their dest and receipt were left as they were).
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pronk8s.platform.plugins.module_utils._errors import ModuleError, exit_with
from ansible_collections.pronk8s.platform.plugins.module_utils._verified_install import (
    BATCH_ITEM_RULES,
    hide_secrets,
    install,
    item_argument_spec,
    record_local_facts,
    summarize,
)


def argument_spec() -> dict:
    return dict(
        artifacts=dict(type="list", elements="dict", required=True, options=item_argument_spec(), **BATCH_ITEM_RULES),
        distribute=dict(type="str", default="auto", choices=["auto", "controller", "host"]),
        cache_dir=dict(type="path"),
        local_facts_dir=dict(type="path"),
    )


def item_name(item: dict) -> str:
    return item.get("name") or item["dest"].rstrip("/").rsplit("/", 1)[-1]


def run_batch(module: AnsibleModule) -> dict:
    items = module.params["artifacts"]
    dests = [item["dest"] for item in items]
    twice = sorted({d for d in dests if dests.count(d) > 1})
    if twice:
        raise ModuleError(f"several artifacts have the same dest: {', '.join(twice)}; nothing was changed",
                          results=[], failed_items=[])
    unresolved = [item["tool"] for item in items if item["tool"]]
    if unresolved:  # only when the module is run without its action plugin
        raise ModuleError(f"catalog tools ({', '.join(unresolved)}) are resolved by the action plugin on the "
                          "controller; give url or src and checksum instead; nothing was changed",
                          results=[], failed_items=[])
    for item in items:
        hide_secrets(module, item)
    # Items are independent: one that fails leaves its own dest as it was and the others still install.
    results = []
    for item in items:
        result = install(module, item)
        result.setdefault("name", item_name(item))
        result["failed"] = bool(result.get("failed"))
        results.append(result)
    return summarize(results, record_local_facts(module, results, module.params["local_facts_dir"]))


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    exit_with(module, lambda: run_batch(module))


if __name__ == "__main__":
    main()
