# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host half of the verified artifact engine: decide, verify, validate, rename, write the receipt.

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.

One artifact per VerifiedBinary; the verified_binary module runs one, verified_binaries a batch (one
round trip for all the tools a host needs). Both report failures through install(), with the same messages.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import time
from contextlib import ExitStack
from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pronk8s.platform.plugins.module_utils import _local_facts as local_facts
from ansible_collections.pronk8s.platform.plugins.module_utils import _receipt as receipts
from ansible_collections.pronk8s.platform.plugins.module_utils._archive import ArchiveError, extract_member
from ansible_collections.pronk8s.platform.plugins.module_utils._atomic_file import staged_file
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
from ansible_collections.pronk8s.platform.plugins.module_utils._download_spec import download_argument_spec
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
        **download_argument_spec(),
        receipt_dir=dict(type="path"),
        provenance=dict(type="dict", options=dict(
            arch=dict(type="str"), pin_origin=dict(type="str"), verification_level=dict(type="str"))),
        distribute=dict(type="str", default="auto", choices=["auto", "controller", "host"]),
        cache_dir=dict(type="path"),
        local_facts_dir=dict(type="path"),
    )


class InstallError(Exception):
    """A failure that leaves dest and the receipt untouched."""


class ReceiptError(Exception):
    """dest was installed, but its receipt could not be written."""


class VerifiedBinary:
    def __init__(self, module: AnsibleModule, params: dict | None = None) -> None:
        # params: one artifact's validated options (the module's own, or one item of a batch).
        self.module = module
        self.params: dict = module.params if params is None else params
        p = self.params
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
        temp_prefix = f"{TEMP_PREFIX}{os.path.basename(self.dest)}"

        def ready_to_install(path: str) -> None:
            # On the staged file, before the rename: a binary that fails validation never replaces dest.
            self._apply_attributes(path, report=False)
            self._validate_new(path)

        ready = dict(mode=None, check=ready_to_install)
        with staged_file(self.dest, prefix=f"{temp_prefix}-artifact-", **ready) as artifact:
            artifact_sha = self._obtain(artifact.path)
            if self.member:
                artifact.discard()  # the archive is scratch: its member is what gets installed
                with staged_file(self.dest, prefix=f"{temp_prefix}-new-", **ready) as staged:
                    writer = HashingWriter(staged.file)
                    extract_member(artifact.path, self.member, writer, self.shown)
                installed_sha = writer.hexdigest()
            else:
                installed_sha = artifact_sha
        self._write_receipt(installed_sha, artifact_sha)
        return installed_sha, artifact_sha

    def _obtain(self, path: str) -> str:
        """Put the artifact at `path` and check it against the pinned checksum; return its sha256."""
        p = self.params
        if p["url"]:
            got = download(p["url"], path, self.download_opts)
            self.result["downloaded_bytes"] = got.size
            artifact_sha, size = got.sha256, got.size
        elif not os.path.isfile(p["src"]):
            raise InstallError(f"src {p['src']} does not exist on the host")
        else:
            with open(p["src"], "rb") as source, open(path, "wb") as out:
                writer = HashingWriter(out)
                shutil.copyfileobj(source, writer, 1024 * 1024)
            artifact_sha, size = writer.hexdigest(), writer.size
        self.result["distributed_from"] = "host"
        expected = resolve_checksum(self.spec, self.origin, lambda url: fetch_text(url, self.download_opts))
        if artifact_sha != expected:
            raise InstallError(
                f"sha256 mismatch for {self.shown}: expected {expected}, got {artifact_sha} "
                f"({size} bytes received); {self.dest} and its receipt were left unchanged")
        return artifact_sha

    def _validate_new(self, path: str) -> None:
        command = self.params["validate"]
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
        wanted = self.params["validate_contains"]
        if wanted and not contains_token(f"{out}\n{err}", wanted):
            raise InstallError(
                f"the verified {self.name} does not report '{wanted}' ({' '.join(argv)} said: "
                f"{(out or err).strip()[:300]}); {self.dest} was left unchanged")

    def _apply_attributes(self, path: str, report: bool = True) -> None:
        p = self.params
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


BATCH_ONLY = ("distribute", "cache_dir", "local_facts_dir")
# A batch item may name a catalog tool instead of an artifact: the action plugin resolves it on the controller
# (url or src, checksum, archive member, validation, provenance) before anything reaches the host.
CATALOG_ITEM_SPEC = dict(
    tool=dict(type="str"),
    arch=dict(type="str"),
    source=dict(type="str", default="upstream", choices=["upstream", "mirror", "local"]),
    mirror_url=dict(type="str"),
    local_dir=dict(type="path"),
)


def item_argument_spec() -> dict:
    """One artifact's options, with the rules the module applies to its own (for a batch's list items)."""
    spec = argument_spec()
    for batch_only in BATCH_ONLY:
        spec.pop(batch_only)
    spec["checksum"] = dict(spec["checksum"], required=False)  # a catalog tool's comes from its pin
    return {**spec, **CATALOG_ITEM_SPEC}


ITEM_RULES = dict(
    mutually_exclusive=[("url", "src")],
    required_one_of=[("url", "src")],
    required_by={"validate_contains": ("validate",)},
)
BATCH_ITEM_RULES = dict(
    mutually_exclusive=[("url", "src", "tool")],
    required_one_of=[("url", "src", "tool")],
    required_by={"validate_contains": ("validate",)},
    # Without a catalog tool, the pin is the caller's to give.
    required_if=[("tool", None, ("checksum",))],
)


def hide_secrets(module: AnsibleModule, params: dict) -> None:
    """Secrets in URLs (user info, pre-signed query strings) are masked wherever Ansible prints the arguments."""
    for key in ("url", "origin", "checksum"):
        module.no_log_values.update(url_secrets(params.get(key) or ""))


def install(module: AnsibleModule, params: dict | None = None) -> dict:
    """Install one artifact; a failure comes back as a result with failed=True, saying what and where."""
    params = module.params if params is None else params
    try:
        return VerifiedBinary(module, params).run()
    except ReceiptError as exc:
        return dict(failed=True, msg=str(exc), dest=params["dest"], changed=True)
    except (InstallError, ChecksumError, ArchiveError, DownloadError) as exc:
        extra = {}
        if isinstance(exc, DownloadError):
            extra = dict(status=exc.status, received_bytes=exc.received)
        return dict(failed=True, msg=_with_context(str(exc), params), dest=params["dest"], **extra)


def _with_context(message: str, params: dict) -> str:
    """Every failure says what was expected and that nothing was changed."""
    if "left unchanged" in message:
        return message
    try:
        spec = parse_spec(params["checksum"]).describe()
    except ChecksumError:
        return message
    return f"{message} (expected {spec}); {params['dest']} and its receipt were left unchanged"


def record_local_facts(module: AnsibleModule, results: list[dict], directory: str | None) -> dict | None:
    """Add the installed tools to the host's local facts file, in the same round trip as the install.

    Returns None when not asked (no directory) or nothing was installed; a failure to write is a failed
    result that says the install itself stands.
    """
    entries = {r["name"]: local_facts.entry_for(r) for r in results if not r.get("failed") and r.get("name")}
    if not directory or not entries:
        return None
    try:
        return local_facts.record(directory, entries, module.check_mode)
    except OSError as exc:
        path = local_facts.facts_path(directory)
        return dict(path=path, changed=False, failed=True,
                    msg=f"the tools were installed and verified, but the local facts file {path} could not be "
                        f"written: {exc} (set local_facts_dir to a writable directory, or leave it unset)")


def with_local_facts(result: dict, facts: dict | None) -> dict:
    """A task result with the local facts outcome merged in: changed, its diff, a failure to write it."""
    if facts is None:
        return result
    result["local_facts"] = facts  # whole, so that the action plugin can merge it into a batch's summary
    result["changed"] = bool(result.get("changed")) or facts["changed"]
    if facts.get("diff"):
        diffs = result.get("diff")
        result["diff"] = (diffs if isinstance(diffs, list) else [diffs] if diffs else []) + [facts["diff"]]
    if facts.get("failed") and not result.get("failed"):
        result.update(failed=True, msg=facts["msg"])
    return result


def summarize(results: list[dict], facts: dict | None = None) -> dict:
    """A batch's task result from its items' results: changed, failed and which, one diff per dest, a message."""
    failed = [r["name"] for r in results if r.get("failed")]
    summary = dict(changed=any(r.get("changed") for r in results), results=results, failed_items=failed,
                   failed=bool(failed),
                   diff=[dict(r["diff"], before_header=r["dest"], after_header=r["dest"]) for r in results if r.get("diff")])
    if failed:
        reasons = "; ".join(f"{r['name']}: {r['msg']}" for r in results if r.get("failed"))
        summary["msg"] = f"{len(failed)} of {len(results)} artifacts failed ({reasons})"
    else:
        summary["msg"] = "; ".join(r.get("msg", "") for r in results)
    return with_local_facts(summary, facts)
