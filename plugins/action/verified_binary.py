# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller half of pronk8s.platform.verified_binary: fetch once, verify, push to the hosts that need it.

Flow for controller distribution:
1. resolve a checksum file (URL or controller path) to a digest, on the controller;
2. run the module in check mode on the host: it says, from local state only, whether the artifact is needed;
3. only then put the artifact in the controller cache (one download per artifact, whatever the number of
   forks: an exclusive file lock per digest) or verify the controller-side src;
4. copy it into the host's temporary directory and run the module on it: the host verifies it again.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from typing import Iterator

from urllib.parse import urlsplit

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible_collections.pronk8s.platform.plugins.module_utils._atomic_file import staged_file
from ansible_collections.pronk8s.platform.plugins.module_utils._checksum import ChecksumError, parse_spec
from ansible_collections.pronk8s.platform.plugins.module_utils._checksum import resolve as resolve_checksum
from ansible_collections.pronk8s.platform.plugins.module_utils._download import (
    DownloadError,
    DownloadOptions,
    download,
    fetch_text,
    redact_url,
)
from ansible_collections.pronk8s.platform.plugins.module_utils._sha256 import sha256_file
from ansible_collections.pronk8s.platform.plugins.module_utils._xdg import cache_dir as cache_dir_for

MODULE = "pronk8s.platform.verified_binary"


def pushed_args(args: dict, remote: str, origin: str) -> dict:
    """The module's arguments once the artifact is on the host: installed from there, origin recorded (redacted)."""
    module_args = {k: v for k, v in args.items() if k not in ("url", "src")}
    module_args.update(src=remote, remote_src=True, origin=redact_url(origin))
    return module_args


class ActionModule(ActionBase):
    TRANSFERS_FILES = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        controller_src = self._controller_src(args)
        if not self._use_controller(args, task_vars):
            result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
            return result
        try:
            result.update(self._distribute(args, controller_src, task_vars))
        except (ChecksumError, DownloadError, OSError) as exc:
            raise AnsibleActionFail(
                f"{exc}; nothing was changed on {task_vars.get('inventory_hostname', 'the host')}") from exc
        return result

    @staticmethod
    def _controller_src(args: dict) -> bool:
        return bool(args.get("src")) and not boolean(args.get("remote_src", False), strict=False)

    @classmethod
    def _use_controller(cls, args: dict, task_vars: dict) -> bool:
        if args.get("src") and not cls._controller_src(args):
            return False  # a host-side source (remote_src) is on the host: nothing to fetch on the controller
        mode = args.get("distribute", "auto")
        if args.get("src") or mode == "controller":
            return True
        return mode == "auto" and len(task_vars.get("ansible_play_hosts_all") or []) > 1

    def _distribute(self, args: dict, controller_src: bool, task_vars: dict) -> dict:
        origin, args = self._resolved(args)
        probe = self._probe(args, task_vars)
        if probe.get("failed") or self._task.check_mode:
            return probe
        if not probe.get("artifact_needed"):
            if (probe.get("local_facts") or {}).get("changed"):  # only the local facts file: nothing to copy
                return self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
            return probe
        local = self._local_artifact(args, origin, controller_src)
        return self._push_and_install(args, local, origin, task_vars)

    def _resolved(self, args: dict) -> tuple[str, dict]:
        """(origin, args pinned to the digest): the checksum file, when there is one, is read on the controller."""
        opts = DownloadOptions.from_params(args)
        origin = args.get("url") or self._find_src(args["src"])
        spec = parse_spec(str(args.get("checksum", "")))
        digest = resolve_checksum(spec, origin, lambda url: fetch_text(url, opts))
        return origin, {**args, "checksum": f"sha256:{digest}"}

    def _local_artifact(self, args: dict, origin: str, controller_src: bool) -> str:
        """The verified artifact on the controller: the controller src (hashed now) or the cache entry."""
        digest = args["checksum"].split(":", 1)[1]
        if not controller_src:
            return self._cached(origin, digest, DownloadOptions.from_params(args), args.get("cache_dir"))
        actual = sha256_file(origin)
        if actual != digest:
            raise AnsibleActionFail(
                f"sha256 mismatch for controller file {origin}: expected {digest}, got {actual} "
                f"({os.path.getsize(origin)} bytes); nothing was copied to the host")
        return origin

    def _probe(self, args: dict, task_vars: dict, module: str = MODULE) -> dict:
        """The module in check mode: local state only, no network, no transfer."""
        with self._forced_check_mode():
            return self._execute_module(module_name=module, module_args=args, task_vars=task_vars)

    @contextmanager
    def _forced_check_mode(self) -> Iterator[None]:
        # _execute_module takes check mode from the task; flip it for the probe only.
        saved = self._task.check_mode
        self._task.check_mode = True
        try:
            yield
        finally:
            self._task.check_mode = saved

    def _push_and_install(self, args: dict, local: str, origin: str, task_vars: dict) -> dict:
        tmpdir = self._connection._shell.tmpdir or self._make_tmp_path()
        remote = self._connection._shell.join_path(tmpdir, "artifact")
        try:
            self._transfer_file(local, remote)
            self._fixup_perms2((tmpdir, remote))
            module_args = pushed_args(args, remote, origin)
            result = self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars)
        finally:
            self._remove_tmp_path(tmpdir)
        if not result.get("failed"):
            result["distributed_from"] = "controller"
            result["cache_path"] = local
        return result

    def _find_src(self, src: str) -> str:
        try:
            return to_text(self._find_needle("files", src))
        except Exception as exc:  # AnsibleError and friends: say which file was not found
            raise AnsibleActionFail(f"src {src} was not found on the controller: {exc}") from exc

    def _cached(self, url: str, digest: str, opts: DownloadOptions, cache_dir: str | None = None) -> str:
        """Path of the verified artifact in the controller cache, downloading it at most once."""
        cache_dir = cache_dir or self._task.args.get("cache_dir") or cache_dir_for("artifacts")
        entry = os.path.join(cache_dir, digest[:2], digest)
        final = os.path.join(entry, os.path.basename(urlsplit(url).path) or "artifact")
        os.makedirs(entry, mode=0o755, exist_ok=True)
        # O_NOFOLLOW and no O_TRUNC: a symlink planted as .lock is refused, and no file is ever emptied.
        fd = os.open(os.path.join(entry, ".lock"), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "rb") as lock:
            # Forks are processes: the first takes the lock and downloads, the others wait and reuse.
            fcntl.flock(lock, fcntl.LOCK_EX)
            if os.path.isfile(final) and sha256_file(final) == digest:
                return final
            # mode None: the cached artifact keeps mkstemp's 0600, it is only ever read by this user.
            with staged_file(final, prefix=".partial-", mode=None) as partial:
                got = download(url, partial.path, opts)
                if got.sha256 != digest:
                    raise AnsibleActionFail(
                        f"sha256 mismatch for {redact_url(url)}: expected {digest}, got {got.sha256} ({got.size} bytes "
                        f"received); nothing was cached or copied to any host")
        return final
