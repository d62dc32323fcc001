"""The fleet audit's report: drift rules, the catalog comparison, and JSON/Markdown/HTML/text rendering."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from ansible_collections.pronk8s.platform.plugins.module_utils import _catalog
from ansible_collections.pronk8s.platform.plugins.plugin_utils import _audit_report as audit

ROOT = Path(__file__).resolve().parents[4]
SCHEMA = json.loads((ROOT / "docs" / "schemas" / "audit-report-v1.schema.json").read_text())
PINS = {"kubectl": {v: {a: p.sha256 for a, p in arches.items()} for v, arches in _catalog.merged_pins("kubectl").items()}}
KUBECTL_PIN = PINS["kubectl"]["1.35.2"]["amd64"]
USER_PIN = "c" * 64


def artifact(tool="kubectl", version="1.35.2", state="ok", artifact_sha256=KUBECTL_PIN, path=None, **extra) -> dict:
    path = path or f"/usr/local/bin/{tool}"
    return {"tool": tool, "version": version, "arch": "amd64", "path": path, "state": state,
            "installed_sha256": "a" * 64 if state != "missing" else None, "recorded_sha256": "a" * 64,
            "artifact_sha256": artifact_sha256, "pin_origin": None, "verification_level": None, "source": None,
            "installed_at": "2026-11-30T10:00:00Z", "verified_at": "2026-12-01T00:00:00Z",
            "receipt": f"/var/lib/pronk8s/receipts/{tool}.json", "message": None if state == "ok" else f"{tool} {state}",
            **extra}


def installed(*artifacts, unmanaged=()) -> dict:
    return {"receipt_dir": "/var/lib/pronk8s/receipts", "verified_at": "2026-12-01T00:00:00Z",
            "artifacts": list(artifacts), "unmanaged": list(unmanaged), "counts": {}}


def unmanaged(path: str) -> dict:
    return {"path": path, "tool": path.rsplit("/", 1)[-1], "state": "unmanaged", "sha256": "d" * 64, "link_target": None}


def report_for(*hosts: audit.HostInput, minimum=None) -> dict:
    report = audit.build_report(list(hosts), "2026-12-01T00:00:00Z", "1.1.0", minimum)
    jsonschema.validate(report, SCHEMA)
    return report


def cells(report: dict) -> dict:
    return {(h["name"], t): audit.cell_state(report, h, t) for h in report["hosts"] for t in report["tools"]}


def test_every_state_in_one_fleet_and_valid_against_the_schema():
    expected = {"kubectl": "1.35.2", "helm": "9.1.4"}
    pins = {"helm": {"9.1.4": {"amd64": USER_PIN}}}
    hosts = [
        audit.HostInput("ok", installed=installed(artifact(), artifact("helm", "9.1.4", artifact_sha256=USER_PIN)),
                        expected=expected, extra_pins=pins),
        audit.HostInput("tampered", installed=installed(artifact(state="tampered")), expected=expected, extra_pins=pins),
        audit.HostInput("missing", installed=installed(artifact(state="missing")), expected={"kubectl": "1.35.2"}),
        audit.HostInput("old", installed=installed(artifact(version="1.34.0", artifact_sha256=PINS["kubectl"]["1.34.0"]["amd64"])
                                                   if "1.34.0" in PINS["kubectl"] else artifact(version="1.34.0")),
                        expected={"kubectl": "1.35.2"}),
        audit.HostInput("unpinned", installed=installed(artifact(version="1.29.9", artifact_sha256="e" * 64)),
                        expected={"kubectl": "1.29.9"}),
        audit.HostInput("rogue", installed=installed(artifact(), unmanaged=[unmanaged("/usr/local/bin/helm")]),
                        expected={"kubectl": "1.35.2"}),
        audit.HostInput("down", reachable=False, error="unreachable: ssh: connect timed out", expected=expected),
    ]
    report = report_for(*hosts)
    got = cells(report)
    assert report["tools"] == ["helm", "kubectl"]
    assert got[("ok", "kubectl")] == got[("ok", "helm")] == "ok"
    assert got[("tampered", "kubectl")] == "tampered"
    assert got[("tampered", "helm")] == "not-installed"
    assert got[("missing", "kubectl")] == "missing"
    assert got[("missing", "helm")] == "absent"
    assert got[("old", "kubectl")] in ("wrong-version",)
    assert got[("unpinned", "kubectl")] == "unpinned"
    assert got[("rogue", "helm")] == "unmanaged"
    assert got[("down", "kubectl")] == got[("down", "helm")] == "unreachable"
    assert report["summary"]["unreachable"] == ["down"]
    assert report["summary"]["reachable"] == 6
    assert sum(report["summary"]["cells"].values()) == 14
    kinds = {(d["host"], d["tool"], d["state"]) for d in report["drift"]}
    assert ("old", "kubectl", "wrong-version") in kinds and ("rogue", "helm", "unmanaged") in kinds
    assert not any(d["host"] in ("ok", "down") for d in report["drift"]), "ok and unreachable hosts are not drift"
    old = next(d for d in report["drift"] if d["host"] == "old")
    assert old["message"] == "kubectl 1.34.0 at /usr/local/bin/kubectl, the inventory asks for 1.35.2"


def test_user_pins_count_as_the_catalog_and_a_removed_pin_is_unpinned():
    entry = artifact("helm", "9.1.4", artifact_sha256=USER_PIN)
    pinned = report_for(audit.HostInput("h", installed=installed(entry), extra_pins={"helm": {"9.1.4": {"amd64": USER_PIN}}}))
    assert cells(pinned)[("h", "helm")] == "ok"
    assert pinned["hosts"][0]["artifacts"][0]["catalog"] == {"known_tool": True, "pinned": True, "pin_origin": "user",
                                                             "verification_level": "copied"}
    removed = report_for(audit.HostInput("h", installed=installed(entry)))
    assert cells(removed)[("h", "helm")] == "unpinned"
    assert "is no longer pinned in the catalog" in removed["drift"][0]["message"]


def test_a_tool_the_catalog_does_not_know_is_not_judged_by_it():
    report = report_for(audit.HostInput("h", installed=installed(artifact("mytool", "2.0", artifact_sha256="f" * 64))))
    assert cells(report)[("h", "mytool")] == "ok"
    assert report["hosts"][0]["artifacts"][0]["catalog"]["pinned"] is None


@pytest.mark.parametrize("level, minimum, state", [
    ("signature", "signature", "ok"),
    ("checksum-file", "signature", "below-minimum"),
    ("checksum-file", "checksum-file", "ok"),
    ("copied", "checksum-file", "below-minimum"),
    (None, "checksum-file", "below-minimum"),  # no level in the receipt: the catalog's ('copied' for this pin)
    (None, None, "ok"),
])
def test_minimum_verification_level(level, minimum, state):
    host = audit.HostInput("h", installed=installed(artifact(verification_level=level)), minimum_verification=minimum)
    report = report_for(host, minimum=minimum)
    assert cells(report)[("h", "kubectl")] == state
    assert report["hosts"][0]["artifacts"][0]["verification_level"] == (level or "copied")


def test_unmanaged_ignore_globs():
    found = [unmanaged("/usr/local/bin/docker-compose"), unmanaged("/usr/local/bin/evil")]
    host = audit.HostInput("h", installed=installed(unmanaged=found), unmanaged_ignore=["/usr/local/bin/docker-*"])
    report = report_for(host)
    assert report["tools"] == ["evil"]
    assert [d["tool"] for d in report["drift"]] == ["evil"]
    assert [u["ignored"] for u in report["hosts"][0]["unmanaged"]] == [True, False]


def test_worst_finding_wins_in_a_cell():
    host = audit.HostInput("h", installed=installed(artifact(), artifact(path="/opt/bin/kubectl", state="tampered")),
                           expected={"kubectl": "1.35.2"})
    assert cells(report_for(host))[("h", "kubectl")] == "tampered"


HOSTILE = '<script>alert("x")</script>&"\'|`'


class Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def hostile_report() -> dict:
    path = f"/usr/local/bin/{HOSTILE}"
    host = audit.HostInput(HOSTILE, installed=installed(artifact(tool=HOSTILE, path=path, state="tampered"),
                                                        unmanaged=[unmanaged("/usr/local/bin/a|b\nc")]),
                           expected={"kubectl": "1.35.2"})
    return report_for(host, audit.HostInput("ok-host", installed=installed(artifact())))


def test_html_escapes_everything_from_hosts_and_is_self_contained():
    page = audit.to_html(hostile_report())
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&quot;&#x27;|`" in page
    parser = Collect()
    parser.feed(page)
    tags = {tag for tag, _attrs in parser.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert not re.search(r"(src|href)=\"(https?:|//)", page), "no external asset"
    assert "default-src 'none'" in page
    matrix = [a for t, a in parser.tags if t == "td" and "data-state" in a]
    assert {(a["data-host"], a["data-tool"], a["data-state"]) for a in matrix} >= {
        (HOSTILE, HOSTILE, "tampered"), (HOSTILE, "kubectl", "not-installed"), ("ok-host", "kubectl", "ok")}
    assert 'id="collection-version">1.1.0<' in page and 'datetime="2026-12-01T00:00:00Z"' in page


def test_markdown_keeps_the_table_shape_whatever_the_names():
    md = audit.to_markdown(hostile_report())
    table = [line for line in md.splitlines() if line.startswith("| ")]
    header_cols = len(re.split(r"(?<!\\)\|", table[0]))
    assert [len(re.split(r"(?<!\\)\|", row)) for row in table[:3]] == [header_cols] * 3
    assert "a\\|b c" in md
    assert "<script" not in md and "&lt;script&gt;" in md and "\\`" in md


def test_text_matrix():
    report = report_for(audit.HostInput("pi-1", installed=installed(artifact())),
                        audit.HostInput("pi-2", reachable=False, error="unreachable: x"))
    text = audit.to_text(report)
    assert text.splitlines()[:3] == ["host  kubectl", "pi-1  ok", "pi-2  unreachable"]
    assert "2 hosts (1 unreachable), 0 drift finding(s); cells: 1 unreachable, 1 ok" in text


def test_json_is_stable_text():
    report = report_for(audit.HostInput("h", installed=installed(artifact())))
    assert json.loads(audit.to_json(report)) == report
    assert audit.to_json(report) == audit.to_json(json.loads(audit.to_json(report)))
