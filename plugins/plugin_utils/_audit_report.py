# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet audit's report: per-host findings -> drift -> JSON, Markdown, text and one HTML page.

This is private to the pronk8s.platform collection (controller side): the audit_report action plugin
imports it, nothing else should.

Input per host: what `installed_artifacts` found there (or why it could not be asked) and what the
inventory asks of it. The catalog is consulted in one place, `catalog_status`, so a reshaped catalog
needs one function changed.
"""

from __future__ import annotations

import fnmatch
import html
import json
from dataclasses import dataclass, field

from ansible_collections.pronk8s.platform.plugins.module_utils import _catalog

SCHEMA_VERSION = 1
SCHEMA_ID = "https://github.com/pronk8s/platform/blob/main/docs/schemas/audit-report-v1.schema.json"

# Weakest to strongest: the catalog's trust levels. A receipt without a level predates levels.
VERIFICATION_LEVELS = _catalog.LEVELS

# Cell states, most severe first: a cell shows the worst state among its findings.
CELL_STATES = ("unreachable", "receipt-malformed", "tampered", "missing", "not-installed", "unmanaged",
               "unpinned", "wrong-version", "below-minimum", "ok", "absent")
# Every state but these is drift.
NOT_DRIFT = ("ok", "absent", "unreachable")
COLOURS = {
    "ok": ("#1e7b34", "#ffffff"), "tampered": ("#b00020", "#ffffff"), "missing": ("#d4511e", "#ffffff"),
    "receipt-malformed": ("#6a1b9a", "#ffffff"), "not-installed": ("#8d6e63", "#ffffff"),
    "unmanaged": ("#f2c200", "#1a1a1a"), "unpinned": ("#c2185b", "#ffffff"),
    "wrong-version": ("#ef8f00", "#1a1a1a"), "below-minimum": ("#ffcc80", "#1a1a1a"),
    "unreachable": ("#555555", "#ffffff"), "absent": ("#f4f4f4", "#777777"),
}
MEANING = {
    "ok": "installed by pronk8s, the file still has the verified sha256, the version the inventory asks for",
    "tampered": "the file's sha256 changed after it was installed",
    "missing": "a receipt says it was installed, the file is gone",
    "receipt-malformed": "a receipt cannot be read or lacks the installed path or sha256",
    "not-installed": "the inventory asks for the tool, nothing installed it",
    "unmanaged": "an executable in an install directory that no receipt accounts for",
    "unpinned": "the installed artifact's sha256 is no longer a pin of the catalog (shipped or inventory pins)",
    "wrong-version": "a verified install, of another version than the inventory asks for",
    "below-minimum": "the pin's verification level is below the required minimum",
    "unreachable": "the host could not be asked",
    "absent": "not asked for, not installed",
}


def level_rank(level: str | None) -> int:
    """-1 for a missing or unknown level (weaker than any)."""
    return VERIFICATION_LEVELS.index(level) if level in VERIFICATION_LEVELS else -1


def _plain_version(version) -> str | None:
    return str(version).strip().lstrip("v") if version not in (None, "") else None


def catalog_status(tool: str, version: str | None, arch: str | None, artifact_sha256: str | None,
                   extra_pins: dict | None, allow_override: bool) -> dict:
    """Is this installed artifact still a pin of the catalog? The ONE place the audit reads the catalog.

    Returns {"known_tool": bool, "pinned": bool | None, "pin_origin": str | None, "verification_level": str | None}.
    `pinned` is None when it cannot be judged (a tool the catalog does not know, or no artifact sha256).
    """
    return _catalog.pin_status(tool, version, arch, artifact_sha256, extra_pins, allow_override)


@dataclass
class HostInput:
    """What the audit play gathered about one host."""

    name: str
    reachable: bool = True
    error: str | None = None
    installed: dict = field(default_factory=dict)   # installed_artifacts' result
    expected: dict = field(default_factory=dict)    # tool -> version the inventory asks for
    extra_pins: dict = field(default_factory=dict)
    allow_override: bool = False
    minimum_verification: str | None = None
    unmanaged_ignore: list = field(default_factory=list)


def _finding(kind: str, message: str) -> dict:
    return {"state": kind, "message": message}


def _artifact_findings(entry: dict, host: HostInput) -> list[dict]:
    tool, path = entry.get("tool") or "?", entry.get("path") or entry.get("receipt")
    state = entry.get("state")
    if state != "ok":
        return [_finding(state, entry.get("message") or f"{tool} at {path} is {state}")]
    findings = []
    version = _plain_version(entry.get("version"))
    catalog = entry.get("catalog") or {}
    if catalog.get("pinned") is False:
        findings.append(_finding("unpinned", f"{tool} {version} at {path}: artifact sha256 {entry.get('artifact_sha256')} "
                                             "is no longer pinned in the catalog"))
    wanted = _plain_version(host.expected.get(tool))
    if wanted and version != wanted:
        findings.append(_finding("wrong-version", f"{tool} {version or '(unknown version)'} at {path}, the inventory "
                                                  f"asks for {wanted}"))
    minimum = host.minimum_verification
    if minimum and level_rank(entry.get("verification_level")) < level_rank(minimum):
        level = entry.get("verification_level") or "not recorded"
        findings.append(_finding("below-minimum", f"{tool} {version} at {path}: verification level {level}, "
                                                  f"the minimum is {minimum}"))
    return findings or [_finding("ok", f"{tool} {version} at {path} verified")]


def _worst(states: list[str]) -> str:
    return min(states, key=CELL_STATES.index) if states else "absent"


def host_report(host: HostInput) -> dict:
    """One host: its artifacts (with the catalog's view), unmanaged executables, cells per tool, drift."""
    if not host.reachable or host.error:
        return {"name": host.name, "reachable": host.reachable, "error": host.error, "verified_at": None,
                "receipt_dir": None, "expected": dict(host.expected), "artifacts": [], "unmanaged": [],
                "cells": {}, "drift": []}
    artifacts = []
    for raw in host.installed.get("artifacts", []):
        entry = dict(raw)
        entry["catalog"] = catalog_status(entry.get("tool") or "", _plain_version(entry.get("version")),
                                          entry.get("arch"), entry.get("artifact_sha256"), host.extra_pins,
                                          host.allow_override)
        # A level recorded at install time wins; else what the catalog says about the pin now.
        entry["verification_level"] = entry.get("verification_level") or entry["catalog"]["verification_level"]
        entry["findings"] = _artifact_findings(entry, host)
        artifacts.append(entry)
    unmanaged = []
    for raw in host.installed.get("unmanaged", []):
        item = dict(raw)
        item["ignored"] = any(fnmatch.fnmatch(item.get("path", ""), pat) for pat in host.unmanaged_ignore)
        unmanaged.append(item)
    findings_by_tool: dict[str, list[dict]] = {}
    for entry in artifacts:
        findings_by_tool.setdefault(entry.get("tool") or "(unknown)", []).extend(entry["findings"])
    for item in unmanaged:
        if not item["ignored"]:
            findings_by_tool.setdefault(item["tool"], []).append(
                _finding("unmanaged", f"{item['path']} is an executable no receipt accounts for (sha256 {item.get('sha256')})"))
    for tool, version in host.expected.items():
        if tool not in findings_by_tool:
            findings_by_tool[tool] = [_finding("not-installed", f"the inventory asks for {tool} {version}, "
                                                                "no receipt records an install")]
    cells = {tool: {"state": _worst([f["state"] for f in found]),
                    "messages": [f["message"] for f in found if f["state"] != "ok"]}
             for tool, found in sorted(findings_by_tool.items())}
    drift = [{"host": host.name, "tool": tool, "state": f["state"], "message": f["message"]}
             for tool, found in sorted(findings_by_tool.items()) for f in found if f["state"] not in NOT_DRIFT]
    return {"name": host.name, "reachable": True, "error": None, "verified_at": host.installed.get("verified_at"),
            "receipt_dir": host.installed.get("receipt_dir"), "expected": dict(host.expected),
            "artifacts": artifacts, "unmanaged": unmanaged, "cells": cells, "drift": drift}


def build_report(hosts: list[HostInput], generated_at: str, collection_version: str,
                 minimum_verification: str | None = None) -> dict:
    """The whole audit, as written to audit.json (see docs/schemas/audit-report-v1.schema.json)."""
    reports = [host_report(h) for h in sorted(hosts, key=lambda h: h.name)]
    # Columns: tools the inventory asks for or receipts name first, then other unmanaged executables.
    managed = sorted({t for r in reports for t in r["expected"]} |
                     {a["tool"] for r in reports for a in r["artifacts"] if a.get("tool")})
    others = sorted({t for r in reports for t in r["cells"]} - set(managed))
    tools = managed + others
    counts = {state: 0 for state in CELL_STATES}
    for r in reports:
        for tool in tools:
            state = "unreachable" if not r["reachable"] or r["error"] else r["cells"].get(tool, {}).get("state", "absent")
            counts[state] += 1
    drift = [d for r in reports for d in r["drift"]]
    return {
        "$schema": SCHEMA_ID,
        "schema_version": SCHEMA_VERSION,
        "generated_at": generated_at,
        "collection": {"name": "pronk8s.platform", "version": collection_version},
        "policy": {"minimum_verification": minimum_verification},
        "tools": tools,
        "summary": {"hosts": len(reports), "reachable": sum(1 for r in reports if r["reachable"] and not r["error"]),
                    "unreachable": [r["name"] for r in reports if not r["reachable"] or r["error"]],
                    "cells": counts, "drift": len(drift)},
        "hosts": reports,
        "drift": drift,
    }


def cell_state(report: dict, host: dict, tool: str) -> str:
    if not host["reachable"] or host["error"]:
        return "unreachable"
    return host["cells"].get(tool, {}).get("state", "absent")


# ---- renderers -----------------------------------------------------------------------------------------

def to_json(report: dict) -> str:
    return json.dumps(report, indent=2, sort_keys=True) + "\n"


def to_text(report: dict) -> str:
    """A plain matrix for a terminal (the demo prints it)."""
    tools = report["tools"]
    width = max([len(h["name"]) for h in report["hosts"]] + [4])
    cols = [max(len(t), *(len(cell_state(report, h, t)) for h in report["hosts"])) for t in tools] if report["hosts"] else []
    lines = ["host".ljust(width) + "  " + "  ".join(t.ljust(w) for t, w in zip(tools, cols))]
    for h in report["hosts"]:
        lines.append(h["name"].ljust(width) + "  " + "  ".join(cell_state(report, h, t).ljust(w) for t, w in zip(tools, cols)))
    counts = ", ".join(f"{n} {s}" for s, n in report["summary"]["cells"].items() if n)
    lines.append(f"{report['summary']['hosts']} hosts ({len(report['summary']['unreachable'])} unreachable), "
                 f"{report['summary']['drift']} drift finding(s); cells: {counts}")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _md(text) -> str:
    """Host data in Markdown: no pipe, newline, backtick or raw HTML from a host changes the page's structure."""
    text = html.escape(str(text if text is not None else ""), quote=False)
    for char in "\\|`*_[]":
        text = text.replace(char, "\\" + char)
    return text.replace("\r", " ").replace("\n", " ")


def to_markdown(report: dict) -> str:
    s = report["summary"]
    out = [f"# Fleet audit, {report['generated_at']}", "",
           f"pronk8s.platform {report['collection']['version']}: {s['hosts']} hosts, {s['reachable']} reachable, "
           f"**{s['drift']} drift finding(s)**.", ""]
    if s["unreachable"]:
        out += [f"Unreachable (not audited): {', '.join(_md(n) for n in s['unreachable'])}", ""]
    out += ["| host | " + " | ".join(_md(t) for t in report["tools"]) + " |",
            "|---|" + "---|" * len(report["tools"])]
    for h in report["hosts"]:
        out.append(f"| {_md(h['name'])} | " + " | ".join(cell_state(report, h, t) for t in report["tools"]) + " |")
    out += ["", "Cells: " + ", ".join(f"{n} {st}" for st, n in s["cells"].items() if n), ""]
    if report["drift"]:
        out += ["## Drift", ""]
        out += [f"- **{_md(d['host'])}** {_md(d['tool'])}: {d['state']}: {_md(d['message'])}" for d in report["drift"]]
        out.append("")
    out += ["## Installed", "", "| host | tool | version | arch | path | state | verification | installed | sha256 |",
            "|---|---|---|---|---|---|---|---|---|"]
    for h in report["hosts"]:
        for a in h["artifacts"]:
            out.append(f"| {_md(h['name'])} | {_md(a.get('tool'))} | {_md(a.get('version'))} | {_md(a.get('arch'))} | "
                       f"{_md(a.get('path'))} | {a['state']} | {_md(a.get('verification_level') or '-')} | "
                       f"{_md(a.get('installed_at'))} | {_md((a.get('installed_sha256') or '-')[:16])} |")
    return "\n".join(out) + "\n"


_CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1a1a1a;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}h3{font-size:15px;margin:18px 0 6px}
.meta{color:#555;margin-bottom:16px}
.counts{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0 20px;padding:0;list-style:none}
.counts li{padding:6px 10px;border-radius:6px;font-weight:600}.counts li.label{padding-left:0;color:#555}
table{border-collapse:collapse;margin:6px 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td.cell{text-align:center;font-weight:600;min-width:90px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.legend dt{display:inline-block;min-width:130px;padding:2px 6px;border-radius:4px;margin:2px 0;font-weight:600}
.legend dd{display:inline;margin:0 0 0 8px}.legend div{margin:2px 0}
.msgs{margin:4px 0 0;padding-left:18px;color:#333}
"""


def _state_css() -> str:
    return "".join(f".state-{s}{{background:{bg};color:{fg}}}" for s, (bg, fg) in COLOURS.items())


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def to_html(report: dict) -> str:
    """ONE self-contained page: no script, no external asset, a CSP that forbids loading any."""
    s = report["summary"]
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Fleet audit {_e(report['generated_at'])}</title>",
        f"<style>{_CSS}{_state_css()}</style></head><body>",
        "<h1>Fleet audit</h1>",
        f'<div class="meta">Audited <time id="generated-at" datetime="{_e(report["generated_at"])}">'
        f'{_e(report["generated_at"])}</time> by pronk8s.platform <span id="collection-version">'
        f'{_e(report["collection"]["version"])}</span>; report schema {report["schema_version"]}; '
        f'{s["hosts"]} hosts, {s["reachable"]} reachable, <strong id="drift-count">{s["drift"]}</strong> drift finding(s)'
        + (f'; minimum verification level {_e(report["policy"]["minimum_verification"])}'
           if report["policy"].get("minimum_verification") else "") + ".</div>",
        '<ul class="counts" id="counts" aria-label="matrix cells by state">',
        '<li class="label">Matrix cells:</li>',
    ]
    for state, n in s["cells"].items():
        if n:
            parts.append(f'<li class="state-{state}" data-state="{state}" data-count="{n}">{n} {state}</li>')
    parts.append("</ul>")
    if s["unreachable"]:
        parts.append('<p id="unreachable">Unreachable, not audited: '
                     + ", ".join(f"<strong>{_e(n)}</strong>" for n in s["unreachable"]) + "</p>")
    parts += ['<h2>Hosts and tools</h2>', '<table id="matrix"><thead><tr><th scope="col">host</th>']
    parts += [f'<th scope="col">{_e(t)}</th>' for t in report["tools"]]
    parts.append("</tr></thead><tbody>")
    for h in report["hosts"]:
        parts.append(f'<tr data-host="{_e(h["name"])}"><th scope="row"><a href="#host-{_e(h["name"])}">{_e(h["name"])}</a></th>')
        for t in report["tools"]:
            state = cell_state(report, h, t)
            tip = "; ".join(h["cells"].get(t, {}).get("messages", [])) or MEANING[state]
            parts.append(f'<td class="cell state-{state}" data-host="{_e(h["name"])}" data-tool="{_e(t)}" '
                         f'data-state="{state}" title="{_e(tip)}">{state}</td>')
        parts.append("</tr>")
    parts.append("</tbody></table>")
    if report["drift"]:
        parts += ['<h2>Drift</h2>', '<table id="drift"><thead><tr><th>host</th><th>tool</th><th>state</th>'
                  '<th>what</th></tr></thead><tbody>']
        parts += [f'<tr><td>{_e(d["host"])}</td><td>{_e(d["tool"])}</td><td class="state-{d["state"]}">{d["state"]}</td>'
                  f'<td>{_e(d["message"])}</td></tr>' for d in report["drift"]]
        parts.append("</tbody></table>")
    parts.append("<h2>Per host</h2>")
    for h in report["hosts"]:
        parts.append(f'<section class="host" id="host-{_e(h["name"])}"><h3>{_e(h["name"])}</h3>')
        if not h["reachable"] or h["error"]:
            parts.append(f'<p class="state-unreachable">not audited: {_e(h["error"] or "unreachable")}</p></section>')
            continue
        parts.append(f'<p class="meta">verified {_e(h["verified_at"])}, receipts in <code>{_e(h["receipt_dir"])}</code>; '
                     "inventory asks for " + (", ".join(f"{_e(t)} {_e(v)}" for t, v in sorted(h["expected"].items()))
                                              or "nothing") + "</p>")
        parts.append('<table class="detail"><thead><tr><th>tool</th><th>version</th><th>arch</th><th>path</th>'
                     '<th>state</th><th>installed sha256</th><th>artifact sha256</th><th>pin</th><th>verification</th>'
                     '<th>installed at</th><th>verified at</th></tr></thead><tbody>')
        for a in h["artifacts"]:
            worst = _worst([f["state"] for f in a["findings"]])
            msgs = [f["message"] for f in a["findings"] if f["state"] != "ok"]
            pin = a.get("pin_origin") or a["catalog"].get("pin_origin")
            pin = pin or ("not in catalog" if a["catalog"].get("pinned") is False else "")
            parts.append(
                f'<tr><td>{_e(a.get("tool"))}</td><td>{_e(a.get("version"))}</td><td>{_e(a.get("arch"))}</td>'
                f'<td><code>{_e(a.get("path") or a.get("receipt"))}</code></td>'
                f'<td class="state-{worst}">{worst}'
                + ('<ul class="msgs">' + "".join(f"<li>{_e(m)}</li>" for m in msgs) + "</ul>" if msgs else "")
                + f'</td><td><code>{_e(a.get("installed_sha256"))}</code></td><td><code>{_e(a.get("artifact_sha256"))}</code></td>'
                f'<td>{_e(pin)}</td><td>{_e(a.get("verification_level") or "-")}</td><td>{_e(a.get("installed_at"))}</td>'
                f'<td>{_e(a.get("verified_at"))}</td></tr>')
        for u in h["unmanaged"]:
            state = "absent" if u["ignored"] else "unmanaged"
            parts.append(f'<tr><td>{_e(u.get("tool"))}</td><td></td><td></td><td><code>{_e(u.get("path"))}</code></td>'
                         f'<td class="state-{state}">{"unmanaged (ignored)" if u["ignored"] else "unmanaged"}</td>'
                         f'<td><code>{_e(u.get("sha256"))}</code></td><td></td><td></td><td></td><td></td><td></td></tr>')
        parts.append("</tbody></table></section>")
    parts.append('<h2>What the states mean</h2><dl class="legend">')
    parts += [f'<div><dt class="state-{st}">{st}</dt><dd>{_e(MEANING[st])}</dd></div>' for st in CELL_STATES]
    parts.append("</dl></body></html>")
    return "\n".join(parts) + "\n"
