#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: apt_signing_key
short_description: Install an apt repository signing key only after its fingerprint matches a pin
version_added: 1.0.0
description:
  - Fetches an OpenPGP public key from O(url) (or reads O(src) on the managed host), computes the
    fingerprint of every primary key in it, and compares them with O(fingerprint).
  - Only when every primary key in the data is pinned does it write the key, de-armored (the bytes
    C(gpg --dearmor) would write), to O(dest), for a deb822 C(Signed-By:) line.
  - A key that does not match fails the task with both the pinned and the found fingerprints, and
    nothing is written; O(dest) and its directory are left as they were.
  - Parses OpenPGP in Python; C(gpg) is not needed on the managed host.
  - O(url) is fetched through the collection's HTTP stack, as P(pronk8s.platform.verified_binary#module)
    fetches binaries (proxies, CA bundle, client certificates, retries of transient failures).
author:
  - pronk8s developers (@pronk8s)
extends_documentation_fragment:
  - pronk8s.platform.attributes
  - pronk8s.platform.download
attributes:
  check_mode:
    support: full
    details: The key is still fetched and checked in check mode (read-only); only the write is skipped.
  diff_mode:
    support: full
  idempotent:
    support: full
    details: A second run with the same key and pin changes nothing.
options:
  url:
    description:
      - HTTP(S) URL of the key, armored or binary.
      - Exactly one of O(url) and O(src) is required.
    type: str
  src:
    description:
      - Path of the key file on the managed host, armored or binary.
    type: path
  fingerprint:
    description:
      - Full fingerprints (40 hex digits for v4 keys, 64 for v5/v6) the key data must consist of.
      - Spaces and a C(0x) prefix are ignored, case does not matter. Short and long key ids are refused.
      - Every primary key found in the data must be one of these; extra keys fail the task, so a key
        file cannot smuggle in a second trusted key.
    type: list
    elements: str
    required: true
  dest:
    description:
      - Where the de-armored keyring is written, for example C(/etc/apt/keyrings/docker.gpg).
      - The parent directory is created (mode C(0755)) only after the key passed the check.
    type: path
    required: true
  mode:
    description: Permissions of O(dest).
    type: raw
    default: "0644"
notes:
  - Signatures inside the key (self-signatures, subkey bindings) are not verified here; C(gpgv), which
    apt runs with the written keyring, verifies repository signatures cryptographically.
seealso:
  - name: Docker's apt repository installation
    description: Docker's own instructions, which publish the fingerprint this collection pins.
    link: https://docs.docker.com/engine/install/debian/
  - module: ansible.builtin.deb822_repository
  - module: pronk8s.platform.verified_binary
"""

EXAMPLES = r"""
---
- name: Install Docker's signing key, pinned by fingerprint
  pronk8s.platform.apt_signing_key:
    url: https://download.docker.com/linux/debian/gpg
    fingerprint: 9DC858229FC7DD38854AE2D88D81803C0EBFCD88
    dest: /etc/apt/keyrings/docker.gpg

- name: Install a key shipped to the host, accepting either of two pinned keys
  pronk8s.platform.apt_signing_key:
    src: /tmp/vendor.asc
    fingerprint:
      - 9DC8 5822 9FC7 DD38 854A  E2D8 8D81 803C 0EBF CD88
      - 0x0123456789ABCDEF0123456789ABCDEF01234567
    dest: /etc/apt/keyrings/vendor.gpg
"""

RETURN = r"""
dest:
  description: Path of the keyring.
  returned: always
  type: str
  sample: /etc/apt/keyrings/docker.gpg
fingerprints:
  description: Fingerprints of the primary keys found in the key data.
  returned: when the key data was read
  type: list
  elements: str
  sample: [9DC858229FC7DD38854AE2D88D81803C0EBFCD88]
expected_fingerprints:
  description: The pinned fingerprints, normalized.
  returned: always
  type: list
  elements: str
  sample: [9DC858229FC7DD38854AE2D88D81803C0EBFCD88]
user_ids:
  description: User ids of the primary keys found.
  returned: when the key data was read
  type: list
  elements: str
  sample: ["Docker Release (CE deb) <docker@docker.com>"]
sha256:
  description: SHA-256 of the de-armored keyring written (or that would be written in check mode).
  returned: success
  type: str
  sample: 1500c1f56fa9e26b9b8f42452a553675796ade0807cdce11975eb98170b3a570
diff:
  description: Fingerprints and digest of O(dest) before and after.
  returned: success
  type: dict
  sample: {before: {fingerprints: []}, after: {fingerprints: [9DC858229FC7DD38854AE2D88D81803C0EBFCD88]}}
"""

import hashlib
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.pronk8s.platform.plugins.module_utils._atomic_file import replace_file
from ansible_collections.pronk8s.platform.plugins.module_utils._download import (
    DownloadError,
    DownloadOptions,
    download,
)
from ansible_collections.pronk8s.platform.plugins.module_utils._download_spec import download_argument_spec
from ansible_collections.pronk8s.platform.plugins.module_utils._errors import ModuleError, exit_with
from ansible_collections.pronk8s.platform.plugins.module_utils._openpgp import (
    OpenPGPError,
    dearmor,
    normalize_fingerprints,
    read_public_keys,
)


def argument_spec() -> dict:
    return dict(
        url=dict(type="str"),
        src=dict(type="path"),
        fingerprint=dict(type="list", elements="str", required=True),
        dest=dict(type="path", required=True),
        mode=dict(type="raw", default="0644"),
        **download_argument_spec(),
    )


class AptSigningKey:
    """Fetch, check against the pin, and only then write one apt keyring."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params = module.params
        self.dest: str = self.params["dest"]
        self.result: dict = {"changed": False, "dest": self.dest, "expected_fingerprints": []}

    def _error(self, msg: str, **extra) -> ModuleError:
        """The error to raise, carrying what the run found so far."""
        return ModuleError(msg, **{**self.result, **extra})

    def run(self) -> dict:
        expected = self._expected()
        source = self.params["url"] or self.params["src"]
        try:
            keyring = dearmor(self._read_source())
            keys = read_public_keys(keyring)
        except OpenPGPError as exc:
            raise self._error(f"the key from {source} is unusable: {exc}") from exc
        found = [key.fingerprint for key in keys]
        self.result.update(fingerprints=found, user_ids=[uid for key in keys for uid in key.user_ids])
        unexpected = [fpr for fpr in found if fpr not in expected]
        if unexpected:
            raise self._error(
                f"REFUSED the signing key from {source}: its fingerprint {', '.join(unexpected)} "
                f"is not the pinned {', '.join(expected)}. Nothing was written to {self.dest}. "
                "If the vendor really rotated its key, verify the new fingerprint out of band and update the pin."
            )
        self._write(keyring, found)
        return self.result

    def _expected(self) -> list[str]:
        try:
            expected = normalize_fingerprints(self.params["fingerprint"], "fingerprint")
        except OpenPGPError as exc:
            raise self._error(str(exc)) from exc
        if not expected:
            raise self._error("fingerprint: at least one fingerprint must be pinned")
        self.result["expected_fingerprints"] = expected
        return expected

    def _read_source(self) -> bytes:
        if self.params["src"]:
            try:
                with open(self.params["src"], "rb") as handle:
                    return handle.read()
            except OSError as exc:
                raise self._error(f"src: cannot read {self.params['src']}: {to_native(exc)}") from exc
        return self._fetch(self.params["url"])

    def _fetch(self, url: str) -> bytes:
        # Binary keys are bytes, not text: the one HTTP stack streams them into the module's private
        # temporary directory (removed when the module exits), and they are read back from there.
        path = os.path.join(self.module.tmpdir, "signing-key")
        try:
            download(url, path, DownloadOptions.from_params(self.params))
            with open(path, "rb") as handle:
                return handle.read()
        except DownloadError as exc:
            raise self._error(f"url: {exc}", status=exc.status) from exc
        except OSError as exc:
            raise self._error(f"url: cannot keep the key fetched from {url}: {to_native(exc)}") from exc

    def _current(self) -> tuple[bytes | None, list[str]]:
        try:
            with open(self.dest, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            return None, []
        except OSError as exc:
            raise self._error(f"dest: cannot read {self.dest}: {to_native(exc)}") from exc
        try:
            return data, [key.fingerprint for key in read_public_keys(dearmor(data))]
        except OpenPGPError:
            return data, []

    def _write(self, keyring: bytes, found: list[str]) -> None:
        before, before_fprs = self._current()
        digest = hashlib.sha256(keyring).hexdigest()
        self.result["sha256"] = digest
        self.result["diff"] = {
            "before": {"fingerprints": before_fprs, "sha256": hashlib.sha256(before).hexdigest() if before is not None else None},
            "after": {"fingerprints": found, "sha256": digest},
        }
        if before != keyring:
            self.result["changed"] = True
            if not self.module.check_mode:
                self._replace(keyring)
        file_args = self.module.load_file_common_arguments({"path": self.dest, "mode": self.params["mode"]})
        if os.path.exists(self.dest):
            self.result["changed"] = self.module.set_fs_attributes_if_different(file_args, self.result["changed"])
        elif self.module.check_mode:
            self.result["changed"] = True

    def _replace(self, keyring: bytes) -> None:
        try:
            # Only now, after the pin matched, may the keyrings directory be created.
            replace_file(self.dest, keyring, make_dirs=True, move=self.module.atomic_move)
        except OSError as exc:
            raise self._error(f"dest: cannot write {self.dest}: {to_native(exc)}") from exc


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_one_of=[("url", "src")],
        mutually_exclusive=[("url", "src")],
        supports_check_mode=True,
    )
    exit_with(module, lambda: AptSigningKey(module).run())


if __name__ == "__main__":
    main()
