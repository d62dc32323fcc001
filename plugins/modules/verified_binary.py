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
attributes:
  check_mode:
    support: full
    description: Needs no network; reports what would change from local state, the receipt and the pin.
  diff_mode:
    support: full
    description: Shows the version and SHA-256 of O(dest) before and after.
  idempotent:
    support: full
    description: A second run with the same pin changes nothing and downloads nothing.
  action:
    support: full
    description: An action plugin distributes artifacts from the controller when asked.
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
  timeout:
    description:
      - Seconds to wait for the server to answer or send more data.
    type: int
    default: 60
  deadline:
    description:
      - Seconds the whole download may take, retries and checksum file included; a server that keeps
        the connection alive by sending a byte now and then is cut off when it is reached.
      - V(0) means no deadline.
    type: float
    default: 3600
  retries:
    description:
      - Extra attempts after a transient failure (connection error, timeout, HTTP 5xx or 429), with
        exponential backoff starting at O(retry_delay). Client errors such as 404 are not retried.
    type: int
    default: 3
  retry_delay:
    description:
      - Seconds before the first retry; doubled for each further retry.
    type: float
    default: 2.0
  validate_certs:
    description:
      - Whether to verify the server's TLS certificate.
    type: bool
    default: true
  use_proxy:
    description:
      - Whether to use the proxies from the environment (C(https_proxy), C(http_proxy), C(no_proxy)).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of CA certificates to trust instead of the system's.
    type: path
  client_cert:
    description:
      - PEM client certificate for TLS client authentication.
    type: path
  client_key:
    description:
      - PEM private key for O(client_cert).
    type: path
  headers:
    description:
      - Extra HTTP headers, for example an authorization token for a private mirror.
    type: dict
  url_username:
    description:
      - Username for HTTP basic authentication.
    type: str
    aliases: [username]
  url_password:
    description:
      - Password for HTTP basic authentication.
    type: str
    aliases: [password]
  force_basic_auth:
    description:
      - Send the basic authentication header on the first request instead of waiting for a 401.
    type: bool
    default: false
  receipt_dir:
    description:
      - Directory of the receipts. Defaults to C(/var/lib/pronk8s/receipts) for root, and to
        C(~/.local/state/pronk8s/receipts) for other users.
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
distributed_from:
  description: How the artifact reached the host - V(host) (downloaded there), V(controller) (copied from the controller cache) or V(none).
  returned: always
  type: str
  sample: controller
"""

import os
import re
import shlex
import shutil
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pronk8s.platform.plugins.module_utils import _receipt as receipts
from ansible_collections.pronk8s.platform.plugins.module_utils._archive import ArchiveError, extract_member
from ansible_collections.pronk8s.platform.plugins.module_utils._checksum import (
    ChecksumError,
    ChecksumSpec,
    parse_spec,
)
from ansible_collections.pronk8s.platform.plugins.module_utils._checksum import resolve as resolve_checksum
from ansible_collections.pronk8s.platform.plugins.module_utils._download import (
    DownloadError,
    DownloadOptions,
    download,
    fetch_text,
    redact_url,
    url_secrets,
)
from ansible_collections.pronk8s.platform.plugins.module_utils._sha256 import HashingWriter, sha256_if_file

TEMP_PREFIX = ".pronk8s-"
STALE_TEMP_SECONDS = 3600
PROVENANCE_KEYS = ("arch", "pin_origin", "verification_level")


def argument_spec() -> dict:
    return dict(
        dest=dict(type="path", required=True),
        url=dict(type="str"),
        src=dict(type="path"),
        origin=dict(type="str"),
        remote_src=dict(type="bool", default=False),
        checksum=dict(type="str", required=True),
        archive_member=dict(type="str"),
        name=dict(type="str"),
        version=dict(type="str"),
        mode=dict(type="raw", default="0755"),
        owner=dict(type="str"),
        group=dict(type="str"),
        validate=dict(type="str"),
        validate_contains=dict(type="str"),
        timeout=dict(type="int", default=60),
        deadline=dict(type="float", default=3600),
        retries=dict(type="int", default=3),
        retry_delay=dict(type="float", default=2.0),
        validate_certs=dict(type="bool", default=True),
        use_proxy=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        client_cert=dict(type="path"),
        client_key=dict(type="path", no_log=False),
        headers=dict(type="dict", no_log=True),
        url_username=dict(type="str", aliases=["username"]),
        url_password=dict(type="str", aliases=["password"], no_log=True),
        force_basic_auth=dict(type="bool", default=False),
        receipt_dir=dict(type="path"),
        provenance=dict(type="dict", options=dict(
            arch=dict(type="str"), pin_origin=dict(type="str"), verification_level=dict(type="str"))),
        distribute=dict(type="str", default="auto", choices=["auto", "controller", "host"]),
        cache_dir=dict(type="path"),
    )


class InstallError(Exception):
    """A failure that leaves dest and the receipt untouched."""


class ReceiptError(Exception):
    """dest was installed, but its receipt could not be written."""


class VerifiedBinary:
    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        p = module.params
        self.dest: str = os.path.abspath(p["dest"])
        self.member: str | None = p["archive_member"]
        self.name: str = p["name"] or os.path.basename(self.dest)
        self.version: str | None = p["version"]
        self.origin: str = p["origin"] or p["url"] or p["src"]
        self.shown: str = redact_url(self.origin)
        self.spec: ChecksumSpec = parse_spec(p["checksum"])
        self.checksum_source: str | None = redact_url(self.spec.source) if self.spec.source else None
        self.receipt_dir: str = p["receipt_dir"] or receipts.default_receipt_dir()
        self.receipt_file = receipts.receipt_path(self.receipt_dir, self.dest)
        self.download_opts = DownloadOptions.from_params(p)
        self.provenance: dict = {k: (p["provenance"] or {}).get(k) for k in PROVENANCE_KEYS}
        self.suspect: str | None = None  # the installed sha256 when it differs from the receipt's
        self.result: dict = dict(
            changed=False, dest=self.dest, name=self.name, version=self.version, url=self.shown,
            receipt=self.receipt_file, tampered=False, artifact_needed=False, downloaded_bytes=0,
            outcome="unchanged", distributed_from="none", provenance=dict(self.provenance),
        )

    # ---- inspection -------------------------------------------------------------------------

    def _validate_paths(self) -> None:
        if os.path.isdir(self.dest):
            raise InstallError(f"dest {self.dest} is a directory; give the full path of the executable")
        parent = os.path.dirname(self.dest)
        if not os.path.isdir(parent):
            if os.path.lexists(parent):
                raise InstallError(f"{parent}, the directory of dest, exists but is not a directory")
            self.result["created_dirs"] = parent
            if not self.module.check_mode:
                os.makedirs(parent, mode=0o755, exist_ok=True)
        if self.member and (self.member.startswith("/") or ".." in self.member.split("/")):
            raise InstallError(f"archive_member '{self.member}' must be a relative path without '..'")

    def _decide(self, current_sha: str | None, receipt: receipts.Receipt | None) -> str:
        """unchanged | adopt | install | repair, from local state and the pin only (no network)."""
        same_pin = receipt is not None and receipt.describes(self.spec.digest, self.member, self.checksum_source)
        if current_sha is not None and same_pin and receipt.sha256 == current_sha:
            return "unchanged"
        # The file IS the pinned artifact (e.g. a run died between the rename and the receipt write): adopt it.
        if current_sha is not None and self.member is None and self.spec.digest == current_sha:
            return "adopt"
        if current_sha is not None and receipt is not None and receipt.sha256 != current_sha:
            self.suspect = receipt.sha256
            return "repair"
        return "install"

    def _report_tampered(self, current_sha: str) -> None:
        self.result["tampered"] = True
        self.module.warn(
            f"{self.dest} was modified after it was installed: its sha256 is {current_sha}, the receipt "
            f"recorded {self.suspect}; it is replaced by the verified artifact")

    # ---- main flow --------------------------------------------------------------------------

    def run(self) -> dict:
        self._validate_paths()
        if self.module.check_mode:
            return self._run_locked()
        # Two runs on one dest (two playbooks, or one dest listed twice) take turns: the second one finds the
        # first one's receipt and has nothing to do.
        with ExitStack() as stack:
            try:
                stack.enter_context(receipts.dest_lock(self.receipt_file))
            except OSError as exc:
                raise InstallError(f"cannot lock {self.dest} for this run: {exc}") from exc
            return self._run_locked()

    def _run_locked(self) -> dict:
        self._remove_stale_temps()
        receipt = receipts.read_for(self.receipt_dir, self.dest)
        current_sha = sha256_if_file(self.dest)
        decision = self._decide(current_sha, receipt)
        if decision == "repair" and (self.module.check_mode or self.member is None):
            self._report_tampered(current_sha)
        if receipt is not None and not any(self.provenance.values()):
            self.result["provenance"] = {k: getattr(receipt, k) for k in PROVENANCE_KEYS}
        before = self._describe(receipt.version if receipt else None, current_sha, absent=current_sha is None)
        self.result["sha256"] = current_sha
        self.result["artifact_sha256"] = receipt.artifact_sha256 if receipt and decision == "unchanged" else self.spec.digest

        if decision in ("unchanged", "adopt"):
            if not self.module.check_mode and (decision == "adopt" or self._provenance_differs(receipt)):
                self._write_receipt(current_sha, self.spec.digest or receipt.artifact_sha256, receipt)
            self.result["outcome"] = "unchanged" if decision == "unchanged" else "adopted"
            self.result["version"] = self.version or (receipt.version if receipt else None)
            self._apply_attributes(self.dest)
            self.result["diff"] = dict(before=before, after=self._describe(self.result["version"], current_sha))
            self.result["msg"] = f"{self.name} at {self.dest} is the verified artifact ({current_sha})"
            return self.result

        self.result["artifact_needed"] = True
        self.result["changed"] = True
        self.result["outcome"] = "repaired" if decision == "repair" else ("replaced" if current_sha else "installed")
        if self.module.check_mode:
            expected = self.spec.digest if self.member is None else None
            self.result["diff"] = dict(before=before, after=self._describe(self.version, expected))
            self.result["msg"] = f"{self.name} would be {self.result['outcome']} at {self.dest}"
            return self.result

        installed_sha, artifact_sha = self._install()
        self.result.update(sha256=installed_sha, artifact_sha256=artifact_sha)
        if installed_sha == current_sha:
            # Same bytes were already there: an archive install without a receipt, or one whose receipt write
            # was interrupted (the member's sha256 is only known after extraction).
            self.result.update(changed=False, outcome="adopted")
        elif decision == "repair" and not self.result["tampered"]:
            self._report_tampered(current_sha)
        self.result["diff"] = dict(before=before, after=self._describe(self.version, installed_sha))
        self.result["msg"] = (f"{self.name} {self.version or ''} {self.result['outcome']} at {self.dest} "
                              f"(sha256 {installed_sha})").replace("  ", " ")
        return self.result

    def _install(self) -> tuple[str, str]:
        directory = os.path.dirname(self.dest)
        base = os.path.basename(self.dest)
        fd, artifact = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{base}-artifact-", dir=directory)
        os.close(fd)
        staged = None
        try:
            artifact_sha, size = self._obtain(artifact)
            expected = resolve_checksum(self.spec, self.origin, lambda url: fetch_text(url, self.download_opts))
            if artifact_sha != expected:
                raise InstallError(
                    f"sha256 mismatch for {self.shown}: expected {expected}, got {artifact_sha} "
                    f"({size} bytes received); {self.dest} and its receipt were left unchanged")
            if self.member:
                fd, staged = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{base}-new-", dir=directory)
                with os.fdopen(fd, "wb") as out:
                    writer = HashingWriter(out)
                    extract_member(artifact, self.member, writer, self.shown)
                installed_sha = writer.hexdigest()
            else:
                staged, artifact = artifact, None
                installed_sha = artifact_sha
            self._apply_attributes(staged, report=False)
            self._validate_new(staged)
            # Same directory, same filesystem: the rename is atomic, readers see old or new, never half.
            os.replace(staged, self.dest)
            staged = None
            self._write_receipt(installed_sha, artifact_sha)
            return installed_sha, artifact_sha
        finally:
            for leftover in (artifact, staged):
                if leftover and os.path.exists(leftover):
                    os.unlink(leftover)

    def _obtain(self, path: str) -> tuple[str, int]:
        """Put the artifact at `path`; return its sha256 and size."""
        p = self.module.params
        if p["url"]:
            got = download(p["url"], path, self.download_opts)
            self.result["downloaded_bytes"] = got.size
            self.result["distributed_from"] = "host"
            return got.sha256, got.size
        if not os.path.isfile(p["src"]):
            raise InstallError(f"src {p['src']} does not exist on the host")
        with open(p["src"], "rb") as source, open(path, "wb") as out:
            writer = HashingWriter(out)
            shutil.copyfileobj(source, writer, 1024 * 1024)
        self.result["distributed_from"] = "host"
        return writer.hexdigest(), writer.size

    def _validate_new(self, path: str) -> None:
        command = self.module.params["validate"]
        if not command:
            return
        if "%s" not in command:
            raise InstallError(f"validate command '{command}' must contain %s (the new file's path)")
        argv = [arg.replace("%s", path) for arg in shlex.split(command)]
        rc, out, err = self.module.run_command(argv, environ_update={"LC_ALL": "C"})
        if rc != 0:
            raise InstallError(
                f"the verified {self.name} failed its validation ({' '.join(argv)} exited {rc}: "
                f"{(err or out).strip()[:500]}); {self.dest} was left unchanged")
        wanted = self.module.params["validate_contains"]
        if wanted and not contains_token(f"{out}\n{err}", wanted):
            raise InstallError(
                f"the verified {self.name} does not report '{wanted}' ({' '.join(argv)} said: "
                f"{(out or err).strip()[:300]}); {self.dest} was left unchanged")

    def _apply_attributes(self, path: str, report: bool = True) -> None:
        p = self.module.params
        changed = False
        changed = self.module.set_mode_if_different(path, p["mode"], changed)
        changed = self.module.set_owner_if_different(path, p["owner"], changed)
        changed = self.module.set_group_if_different(path, p["group"], changed)
        if report and changed:
            self.result["changed"] = True

    def _provenance_differs(self, receipt: receipts.Receipt | None) -> bool:
        """New provenance for the same install (the catalog learnt more about a pin): refresh the receipt."""
        return (receipt is not None and any(self.provenance.values())
                and any(getattr(receipt, k) != v for k, v in self.provenance.items()))

    def _write_receipt(self, installed_sha: str, artifact_sha: str | None,
                       previous: receipts.Receipt | None = None) -> None:
        keep = previous if previous is not None and previous.sha256 == installed_sha else None
        try:
            receipts.write(self.receipt_file, receipts.Receipt(
                dest=self.dest, sha256=installed_sha, artifact_sha256=artifact_sha or installed_sha,
                archive_member=self.member, name=self.name, version=self.version or (keep.version if keep else None),
                source=self.shown if keep is None else keep.source,
                checksum_source=self.checksum_source,
                installed_at=keep.installed_at if keep else datetime.now(timezone.utc).isoformat(timespec="seconds"),
                **self.provenance,
            ))
        except OSError as exc:
            raise ReceiptError(f"{self.dest} is the verified artifact, but its receipt {self.receipt_file} "
                               f"could not be written: {exc}; the next run adopts it or installs it again") from exc

    def _remove_stale_temps(self) -> None:
        """Temp files of an interrupted run (SIGKILL, power loss) are removed once they are old.

        Only regular files named exactly as this module's mkstemp names them; never in check mode; what cannot
        be removed is left (the sweep is housekeeping, it never fails a run).
        """
        directory = os.path.dirname(self.dest)
        pattern = re.compile(
            rf"^{re.escape(TEMP_PREFIX + os.path.basename(self.dest))}-(artifact|new)-[a-z0-9_]{{8}}$")
        now = time.time()
        if self.module.check_mode or not os.path.isdir(directory):
            return
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return
        for entry in entries:
            if not pattern.match(entry.name):
                continue
            try:
                if entry.is_file(follow_symlinks=False) and now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP_SECONDS:
                    os.unlink(entry.path)
            except OSError:
                continue

    def _describe(self, version: str | None, sha: str | None, absent: bool = False) -> str:
        if absent:
            return "absent\n"
        return f"version: {version or 'unknown'}\nsha256: {sha or '(known after extraction)'}\n"


def contains_token(text: str, wanted: str) -> bool:
    """Whether `wanted` occurs in `text` as a whole token: v1.34.1 is not in v1.34.11, v1.34.1.2 or v1.34.1-rc.1.

    An alphanumeric edge of `wanted` must not touch another letter or digit (nor ".x"/"-x" after it, which
    would continue the version); "1.34.1" is found in "v1.34.1"; "+build" metadata after it is accepted.
    """
    if not wanted:
        return True
    start = text.find(wanted)
    while start >= 0:
        end = start + len(wanted)
        if _clean_start(text, start, wanted) and _clean_end(text, end, wanted):
            return True
        start = text.find(wanted, start + 1)
    return False


def _clean_start(text: str, start: int, wanted: str) -> bool:
    if not wanted[0].isalnum() or start == 0:
        return True
    prev = text[start - 1]
    if wanted[0].isdigit() and prev in "vV":
        return start < 2 or not (text[start - 2].isalnum() or text[start - 2] == ".")
    return not (prev.isalnum() or prev == ".")


def _clean_end(text: str, end: int, wanted: str) -> bool:
    if not wanted[-1].isalnum() or end == len(text):
        return True
    nxt = text[end]
    if nxt.isalnum():
        return False
    return not (nxt in ".-" and end + 1 < len(text) and text[end + 1].isalnum())


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[("url", "src")],
        required_one_of=[("url", "src")],
        required_by={"validate_contains": ("validate",)},
        supports_check_mode=True,
    )
    # Secrets in URLs (user info, pre-signed query strings) are masked wherever Ansible prints the arguments.
    for key in ("url", "origin", "checksum"):
        module.no_log_values.update(url_secrets(module.params[key] or ""))
    try:
        result = VerifiedBinary(module).run()
    except ReceiptError as exc:
        module.fail_json(msg=str(exc), dest=module.params["dest"], changed=True)
    except (InstallError, ChecksumError, ArchiveError, DownloadError) as exc:
        extra = {}
        if isinstance(exc, DownloadError):
            extra = dict(status=exc.status, received_bytes=exc.received)
        module.fail_json(msg=_with_context(str(exc), module), dest=module.params["dest"], **extra)
    module.exit_json(**result)


def _with_context(message: str, module: AnsibleModule) -> str:
    """Every failure says what was expected and that nothing was changed."""
    if "left unchanged" in message:
        return message
    try:
        spec = parse_spec(module.params["checksum"]).describe()
    except ChecksumError:
        return message
    return f"{message} (expected {spec}); {module.params['dest']} and its receipt were left unchanged"


if __name__ == "__main__":
    main()
