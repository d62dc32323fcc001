# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller half of pronk8s.platform.verified_binaries: the verified_binary action, for a batch.

Per host, whatever the number of artifacts:
1. catalog tools are resolved on the controller (the artifact lookup's pins and policy), for the host's arch:
   from its facts, else one `uname -m; getconf LONG_BIT` (no module, no fact gathering);
2. when every artifact reaches the host by itself (hosts pull from a URL, or src is on the host): ONE module
   run does everything, as a plain get_url task would; a warm run is that one round trip;
3. otherwise the checksums are resolved on the controller (each checksum file read once per artifact), then
   ONE probe: the module in check mode for every artifact, from local state only (a warm run ends here);
4. each needed artifact is taken from the controller cache (one download per artifact for all forks) or
   the controller src is hashed, and copied into the host's temporary directory (one transfer each);
5. ONE install: the module for the needed artifacts; the host verifies each copy again.
The local facts file is written by the module in the same round trip as the install.
The steps are the verified_binary action's own methods; only the batching is here.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

from ansible.errors import AnsibleActionFail
from ansible.utils.display import Display
from ansible_collections.pronk8s.platform.plugins.action.verified_binary import ActionModule as SingleAction
from ansible_collections.pronk8s.platform.plugins.action.verified_binary import pushed_args
from ansible_collections.pronk8s.platform.plugins.module_utils import _catalog
from ansible_collections.pronk8s.platform.plugins.module_utils._checksum import ChecksumError
from ansible_collections.pronk8s.platform.plugins.module_utils._download import DownloadError
from ansible_collections.pronk8s.platform.plugins.module_utils._verified_install import (
    CATALOG_ITEM_SPEC,
    summarize,
)
from ansible_collections.pronk8s.platform.plugins.plugin_utils._catalog_request import (
    catalog_request,
    upstream_arch_name,
)

MODULE = "pronk8s.platform.verified_binaries"
BATCH_KEYS = ("distribute", "cache_dir")
ARCH_COMMAND = "uname -m; getconf LONG_BIT"
ARTIFACT_KEYS = ("url", "src", "checksum", "archive_member")  # what a catalog tool's pin decides
display = Display()


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
        host = task_vars.get("inventory_hostname", "the host")
        with self._phase("catalog"):
            items, artifacts = self._from_catalog(items, task_vars, host)
        batch = {k: args[k] for k in BATCH_KEYS if k in args}
        pushed = [self._use_controller({**item, **batch}, task_vars) for item in items]
        if not any(pushed):
            # Every artifact reaches the host by itself: one module run decides, downloads, verifies and installs.
            with self._phase("install"):
                return with_artifacts(self._run_module({**args, "artifacts": items}, task_vars), artifacts)
        resolved, origins = [], []
        with self._phase("resolve"):
            for item, push in zip(items, pushed):
                origin, ready = self._resolve_item(item, push, host)
                origins.append(origin)
                resolved.append(ready)
        with self._phase("probe"):
            probe = self._probe({**args, "artifacts": resolved}, task_vars, module=MODULE)
        needed = [i for i, r in enumerate(probe.get("results") or []) if r.get("artifact_needed")]
        facts_due = bool((probe.get("local_facts") or {}).get("changed"))
        if probe.get("failed") or self._task.check_mode or not (needed or facts_due):
            return with_artifacts(probe, artifacts)
        return with_artifacts(
            self._apply(args, resolved, origins, pushed, needed, facts_due, probe["results"], task_vars), artifacts)

    def _run_module(self, module_args: dict, task_vars: dict) -> dict:
        return self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars)

    # ---- catalog tools ------------------------------------------------------------------------

    def _from_catalog(self, items: list[dict], task_vars: dict, host: str) -> tuple[list[dict], list[dict | None]]:
        """Items naming a catalog tool become artifacts (URL or src, pin, member, validation, provenance)."""
        if not any(item.get("tool") for item in items):
            return items, [None] * len(items)
        arch = None
        expanded, artifacts = [], []
        for item in items:
            if not item.get("tool"):
                expanded.append(item)
                artifacts.append(None)
                continue
            given = [k for k in ARTIFACT_KEYS if item.get(k) is not None]
            if given:
                raise AnsibleActionFail(f"{item['tool']}: a catalog tool takes its {', '.join(given)} from the catalog; "
                                        f"give either tool or {', '.join(given)}; nothing was changed on {host}")
            if not item.get("arch") and arch is None:
                arch = self._host_arch(task_vars, host)
            artifact = self._find_artifact(item, item.get("arch") or arch, task_vars, host)
            expanded.append(module_item(item, artifact))
            artifacts.append(artifact)
        return expanded, artifacts

    def _find_artifact(self, item: dict, arch: str, task_vars: dict, host: str) -> dict:
        try:
            request = catalog_request(task_vars, self._templar.template, display.warning,
                                      source=item.get("source"), mirror_url=item.get("mirror_url"),
                                      local_dir=item.get("local_dir"))
            return _catalog.find_artifact(str(item["tool"]), item.get("version") or None, upstream_arch_name(arch),
                                          request).as_dict()
        except _catalog.CatalogError as exc:
            raise AnsibleActionFail(f"{item['tool']}: {exc}; nothing was changed on {host}") from exc

    def _host_arch(self, task_vars: dict, host: str) -> str:
        """The host's upstream arch: from its facts when gathered, else asked with one command (no module)."""
        facts = task_vars.get("ansible_facts") or {}
        machine, bits = facts.get("architecture"), facts.get("userspace_bits")
        if not machine:
            with self._phase("arch"):
                answer = self._low_level_execute_command(ARCH_COMMAND, sudoable=False)
            words = str(answer.get("stdout", "")).split()
            if answer.get("rc") != 0 or not words:
                raise AnsibleActionFail(
                    f"cannot tell the architecture of {host} ({ARCH_COMMAND!r} exited {answer.get('rc')}: "
                    f"{str(answer.get('stderr', '')).strip()[:300]}); set the item's arch, or gather facts")
            machine, bits = words[0], (words[1] if len(words) > 1 else None)
        try:
            return _catalog.upstream_arch(machine, bits)
        except _catalog.CatalogError as exc:
            raise AnsibleActionFail(f"{host}: {exc}; set the item's arch") from exc

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

    def _apply(self, args: dict, resolved: list, origins: list, pushed: list, needed: list, facts_due: bool,
               results: list, task_vars: dict) -> dict:
        """Copy the needed artifacts to the host, then install them all in one module run.

        When the local facts file needs writing, the items already installed go along (they are re-hashed, not
        fetched), so that the file lists every item of the batch.
        """
        results = list(results)
        failures: dict[int, str] = {}
        tmpdir = None  # made on the first push (host downloads need none), removed by run()
        send, index_of, remotes = [], [], []
        for i in range(len(resolved)) if facts_due else needed:
            item = resolved[i]
            if pushed[i] and i in needed:
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
                applied = self._run_module({**args, "artifacts": send}, task_vars)
            if "results" not in applied:  # the module could not run at all (bad input, no python)
                return applied
        for i, one in zip(index_of, applied.get("results", [])):
            if not one.get("failed") and pushed[i] and i in needed:
                one["distributed_from"] = "controller"
            results[i] = one
        for i, message in failures.items():
            results[i] = dict(results[i], failed=True, changed=False, msg=f"{message}; {results[i]['dest']} was left unchanged")
        summary = summarize(results, applied.get("local_facts"))
        if applied.get("warnings"):  # the install's warnings (tampering) replace the probe's, which say the same
            summary["warnings"] = applied["warnings"]
        return summary


CATALOG_KEYS = tuple(CATALOG_ITEM_SPEC)


def module_item(item: dict, artifact: dict) -> dict:
    """A catalog tool as the module's item: the pinned artifact, validated by the version it must report."""
    out = {k: v for k, v in item.items() if k not in CATALOG_KEYS and v is not None}
    out.update(name=item.get("name") or artifact["name"], version=artifact["version"],
               checksum=f"sha256:{artifact['sha256']}",
               provenance={"arch": artifact["arch"], "pin_origin": artifact["pin_origin"],
                           "verification_level": artifact["verification_level"]})
    out.update({"url": artifact["url"]} if artifact["url"] else {"src": artifact["src"]})
    if artifact["archive_member"]:
        out["archive_member"] = artifact["archive_member"]
    # The new binary must run and report the pinned version BEFORE it replaces the installed one.
    out.setdefault("validate", "%s " + " ".join(artifact["version_args"]))
    out.setdefault("validate_contains", f"v{artifact['version']}")
    return out


def with_artifacts(result: dict, artifacts: list[dict | None]) -> dict:
    """Each catalog tool's result carries the artifact it was resolved to (version, arch, pin, level)."""
    for one, artifact in zip(result.get("results") or [], artifacts):
        if artifact is not None:
            one["artifact"] = artifact
    return result
