# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller half of pronk8s.platform.verified_binaries: the verified_binary action, for a batch.

Per host, whatever the number of artifacts:
1. the checksums are resolved on the controller (each checksum file read once per artifact);
2. ONE probe: the module in check mode for every artifact, from local state only (a warm run ends here);
3. each needed artifact is taken from the controller cache (one download per artifact for all forks) or
   the controller src is hashed, and copied into the host's temporary directory (one transfer each);
4. ONE install: the module for the needed artifacts only; the host verifies each copy again.
The steps are the verified_binary action's own methods; only the batching is here.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

from ansible.errors import AnsibleActionFail
from ansible_collections.pronk8s.platform.plugins.action.verified_binary import ActionModule as SingleAction
from ansible_collections.pronk8s.platform.plugins.action.verified_binary import pushed_args
from ansible_collections.pronk8s.platform.plugins.module_utils._checksum import ChecksumError
from ansible_collections.pronk8s.platform.plugins.module_utils._download import DownloadError
from ansible_collections.pronk8s.platform.plugins.module_utils._verified_install import summarize

MODULE = "pronk8s.platform.verified_binaries"
BATCH_KEYS = ("distribute", "cache_dir")


class ActionModule(SingleAction):
    # The temporary directory is made only when an artifact is pushed: a warm run is the probe alone.
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(SingleAction, self).run(tmp, task_vars)  # ActionBase.run: the batch has its own flow
        self._profile: dict[str, float] = {}
        try:
            result.update(self._batch(dict(self._task.args), task_vars))
            result["profile"] = {k: round(v, 3) for k, v in self._profile.items()}
        finally:
            # The pushed artifacts, and the module files when the connection does not pipeline.
            if self._connection._shell.tmpdir:
                self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _batch(self, args: dict, task_vars: dict) -> dict:
        items = args.get("artifacts")
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise AnsibleActionFail("artifacts must be a list of dictionaries (the options of verified_binary)")
        batch = {k: args[k] for k in BATCH_KEYS if k in args}
        pushed = [self._use_controller({**item, **batch}, task_vars) for item in items]
        host = task_vars.get("inventory_hostname", "the host")
        resolved, origins = [], []
        with self._phase("resolve"):
            for item, push in zip(items, pushed):
                origin, ready = self._resolve_item(item, push, host)
                origins.append(origin)
                resolved.append(ready)
        with self._phase("probe"):
            probe = self._probe({**args, "artifacts": resolved}, task_vars, module=MODULE)
        needed = [i for i, r in enumerate(probe.get("results") or []) if r.get("artifact_needed")]
        if probe.get("failed") or not needed or self._task.check_mode:
            return probe
        return self._apply(args, resolved, origins, pushed, needed, probe["results"], task_vars)

    @contextmanager
    def _phase(self, name: str) -> Iterator[None]:
        """Wall time per phase, returned as `profile` (where a slow run spends its time)."""
        start = time.monotonic()
        try:
            yield
        finally:
            self._profile[name] = self._profile.get(name, 0.0) + time.monotonic() - start

    def _resolve_item(self, item: dict, push: bool, host: str) -> tuple[str | None, dict]:
        if not push:
            return None, item
        try:
            return self._resolved(item)
        except (ChecksumError, DownloadError, OSError) as exc:
            name = item.get("name") or item.get("dest")
            raise AnsibleActionFail(f"{name}: {exc}; nothing was changed on {host}") from exc

    def _apply(self, args: dict, resolved: list, origins: list, pushed: list, needed: list, results: list,
               task_vars: dict) -> dict:
        """Copy the needed artifacts to the host, then install them all in one module run."""
        results = list(results)
        failures: dict[int, str] = {}
        tmpdir = None  # made on the first push (host downloads need none), removed by run()
        send, index_of, remotes = [], [], []
        for i in needed:
            item = resolved[i]
            if pushed[i]:
                try:
                    with self._phase("fetch"):
                        local = self._local_artifact(item, origins[i], self._controller_src(item))
                except (AnsibleActionFail, DownloadError, OSError) as exc:
                    failures[i] = str(exc)  # this artifact only: the others still install
                    continue
                with self._phase("push"):
                    tmpdir = tmpdir or self._connection._shell.tmpdir or self._make_tmp_path()
                    remote = self._connection._shell.join_path(tmpdir, f"artifact-{i}")
                    self._transfer_file(local, remote)
                remotes.append(remote)
                item = pushed_args(item, remote, origins[i])
            send.append(item)
            index_of.append(i)
        if remotes:
            with self._phase("push"):
                self._fixup_perms2((tmpdir, *remotes))  # one permission fix-up for all the pushed artifacts
        applied = {}
        if send:
            with self._phase("install"):
                applied = self._execute_module(module_name=MODULE, module_args={**args, "artifacts": send},
                                               task_vars=task_vars)
            if "results" not in applied:  # the module could not run at all (bad input, no python)
                return applied
        for i, one in zip(index_of, applied.get("results", [])):
            if not one.get("failed") and pushed[i]:
                one["distributed_from"] = "controller"
            results[i] = one
        for i, message in failures.items():
            results[i] = dict(results[i], failed=True, changed=False, msg=f"{message}; {results[i]['dest']} was left unchanged")
        summary = summarize(results)
        if applied.get("warnings"):  # the install's warnings (tampering) replace the probe's, which say the same
            summary["warnings"] = applied["warnings"]
        return summary
