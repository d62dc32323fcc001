"""The fleet audit on real containers: install, break the fleet in every way the audit must see, audit.

Hosts: five amd64 sshd containers in the `workstations` group. Artifacts from an in-process mirror on the test
network: the REAL upstream kubectl v1.35.2 (the shipped pin) and the real helm v4.1.4 packed into a release-shaped
archive pinned by this test (upstream's archive cannot be rebuilt here). The "older pinned version" is kubectl
1.33.99, a small script standing in for an old kubectl (no older real binary can be had offline), pinned as a
user pin: a test double of the artifact only; download, verification and install run for real.

Then: one kubectl tampered, one helm deleted, a malformed receipt, an unmanaged executable, one host on the old
version, one host stopped. The audit must report each, change nothing, and fail only with audit_fail_on_drift.
The HTML page is opened in a real headless Chromium (Debian's package), screenshot kept under tests/output/.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from real_artifacts import helm_archive, real_binaries

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "schemas" / "audit-report-v1.schema.json").read_text())
OUTPUT = ROOT / "tests" / "output" / "audit"
OLD_KUBECTL = b"#!/bin/sh\necho 'Client Version: v1.33.99'\n"
RECEIPTS = "/var/lib/pronk8s/receipts"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def workstations(fleet, hosts, group_vars: dict, host_vars: dict | None = None) -> Path:
    path = fleet.inventory(hosts)
    data = json.loads(path.read_text())
    members = data["all"].pop("hosts")
    for name, extra in (host_vars or {}).items():
        members[name].update(extra)
    data["all"]["children"] = {"workstations": {"hosts": members, "vars": group_vars}}
    path.write_text(json.dumps(data))
    return path


def snapshot(host) -> str:
    """Everything the audit must leave alone on a host: binaries, receipts, facts (content, mode, mtime)."""
    return host.exec("sh", "-c", "cd / && find usr/local/bin var/lib/pronk8s etc/ansible -printf '%p %m %T@ %s\\n' "
                     "2>/dev/null | sort; sha256sum usr/local/bin/* 2>/dev/null", check=False).stdout


def without_times(value):
    """The report minus what must differ between two audits: times, and the wording of a stopped host's
    transport error (ssh says "Connection timed out" once and "No route to host" the next time)."""
    if isinstance(value, dict):
        if value.get("reachable") is False:
            value = {**value, "error": str(value.get("error")).split(":", 1)[0]}
        return {k: without_times(v) for k, v in value.items() if k not in ("generated_at", "verified_at")}
    if isinstance(value, list):
        return [without_times(v) for v in value]
    return value


def adhoc_setup(ansible, inventory: Path, host: str) -> dict:
    """`ansible HOST -m setup -a filter=ansible_local`, exactly as a user would ask, with JSON output."""
    proc = subprocess.run(["ansible", host, "-i", str(inventory), "-m", "ansible.builtin.setup", "-a", "filter=ansible_local"],
                          capture_output=True, text=True, check=False, cwd=ROOT,
                          env={**ansible.env, "ANSIBLE_LOAD_CALLBACK_PLUGINS": "true"})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"][host]


@pytest.fixture(scope="module")
def fleet(module_hosts, module_mirror, module_ansible, tmp_path_factory):
    """Install kubectl and helm on five hosts (one on an older pinned kubectl), then break the fleet."""
    tmp = tmp_path_factory.mktemp("audit")
    real = real_binaries()
    archive = helm_archive(real)
    module_mirror.publish("dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl", real / "kubectl")
    module_mirror.publish("dl.k8s.io/release/v1.33.99/bin/linux/amd64/kubectl", OLD_KUBECTL)
    module_mirror.publish("get.helm.sh/helm-v4.1.4-linux-amd64.tar.gz", archive)
    group_vars = {"workstation_docker": False, "workstation_tools": ["kubectl", "helm"], "kubectl_version": "1.35.2",
                  "helm_version": "4.1.4", "pronk8s_artifact_source": "mirror",
                  "pronk8s_artifact_mirror_url": module_mirror.url, "preflight_min_free_mb": 64,
                  "pronk8s_artifact_extra_pins": {"helm": {"4.1.4": {"amd64": sha(archive)}},
                                                  "kubectl": {"1.33.99": {"amd64": sha(OLD_KUBECTL)}}},
                  # The catalog pins upstream's helm 4.1.4 archive; the repacked one replaces it, loudly.
                  "pronk8s_artifact_unsafe_override_shipped_pins": True}
    hosts = module_hosts.start("sshd", 5, prefix="audit")
    by = {h.name.rsplit("-", 1)[-1]: h for h in hosts}  # "0".."4"
    install_inv = workstations(module_hosts, hosts, group_vars, {by["3"].name: {"kubectl_version": "1.33.99"}})
    res = module_ansible.playbook("pronk8s.platform.workstation", install_inv)
    assert res.rc == 0, res.stdout[-4000:] + res.stderr[-2000:]

    facts = adhoc_setup(module_ansible, install_inv, by["0"].name)
    warm = module_ansible.playbook("pronk8s.platform.workstation", install_inv, "--limit", by["0"].name)
    assert warm.rc == 0, warm.stdout[-3000:]
    by["0"].exec("sh", "-c", "printf 'junk' >> /usr/local/bin/rogue-tool && chmod 755 /usr/local/bin/rogue-tool")
    by["1"].exec("sh", "-c", "printf X >> /usr/local/bin/kubectl")
    by["2"].exec("rm", "/usr/local/bin/helm")
    by["2"].exec("sh", "-c", f"printf '{{\"dest\": 42' > {RECEIPTS}/zz-broken.json")
    subprocess.run(["docker", "stop", "-t", "1", by["4"].container], check=True, capture_output=True)
    audit_inv = workstations(module_hosts, hosts, group_vars)
    return {"hosts": by, "inventory": audit_inv, "tmp": tmp, "facts": facts, "warm": warm,
            "old_kubectl_sha": sha(OLD_KUBECTL)}


@pytest.fixture(scope="module")
def first(fleet, module_ansible):
    before = {n: snapshot(h) for n, h in fleet["hosts"].items() if n != "4"}
    res = module_ansible.playbook("pronk8s.platform.audit", fleet["inventory"],
                                  extra_vars={"audit_report_dir": str(fleet["tmp"] / "r1")})
    after = {n: snapshot(h) for n, h in fleet["hosts"].items() if n != "4"}
    assert (fleet["tmp"] / "r1" / "audit.json").exists(), res.stdout[-5000:] + res.stderr[-3000:]
    report = json.loads((fleet["tmp"] / "r1" / "audit.json").read_text())
    return {"res": res, "report": report, "before": before, "after": after}


def cells(report: dict) -> dict:
    out = {}
    for host in report["hosts"]:
        suffix = host["name"].rsplit("-", 1)[-1]
        for tool in report["tools"]:
            out[(suffix, tool)] = "unreachable" if not host["reachable"] else host["cells"].get(tool, {}).get("state", "absent")
    return out


def test_every_install_writes_local_facts(fleet):
    result = fleet["facts"]
    tools = result["ansible_facts"]["ansible_local"]["pronk8s"]["tools"]
    assert tools["kubectl"]["version"] == "1.35.2"
    assert tools["kubectl"]["sha256"] == "924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277"
    assert tools["helm"]["version"] == "4.1.4" and tools["helm"]["path"] == "/usr/local/bin/helm"
    # A warm run finds both tools already recorded: the install module, which keeps the file, leaves it alone.
    warm = fleet["warm"]
    assert not any(r["result"].get("changed") for r in warm.results)
    # The workstation play installs its tools in one batch (pronk8s.platform.tools), which keeps the file itself.
    installs = [r["result"] for r in warm.results if r["task"].endswith("Install verified, in one engine call, kubectl, helm")]
    assert len(installs) == 1 and installs[0]["local_facts"] == {"path": "/etc/ansible/facts.d/pronk8s.fact", "changed": False}


def test_audit_reports_each_fault(first, fleet):
    res, report = first["res"], first["report"]
    assert res.rc == 0, res.stdout[-4000:] + res.stderr[-2000:]
    jsonschema.validate(report, SCHEMA)
    got = cells(report)
    assert got[("0", "kubectl")] == got[("0", "helm")] == "ok"
    assert got[("0", "rogue-tool")] == "unmanaged"
    assert got[("1", "kubectl")] == "tampered" and got[("1", "helm")] == "ok"
    assert got[("2", "kubectl")] == "ok" and got[("2", "helm")] == "missing"
    assert got[("2", "(unknown)")] == "receipt-malformed"
    assert got[("3", "kubectl")] == "wrong-version" and got[("3", "helm")] == "ok"
    assert got[("4", "kubectl")] == got[("4", "helm")] == "unreachable"
    assert report["summary"]["unreachable"] == [fleet["hosts"]["4"].name]
    drift_states = {"unmanaged", "tampered", "missing", "receipt-malformed", "wrong-version"}
    assert {d["state"] for d in report["drift"]} == drift_states
    old = next(a for h in report["hosts"] if h["name"].endswith("-3") for a in h["artifacts"] if a["tool"] == "kubectl")
    assert old["version"] == "1.33.99" and old["installed_sha256"] == fleet["old_kubectl_sha"]
    assert old["catalog"]["pinned"] is True and old["catalog"]["pin_origin"] == "user"
    ok = next(a for h in report["hosts"] if h["name"].endswith("-0") for a in h["artifacts"] if a["tool"] == "kubectl")
    assert ok["catalog"] == {"known_tool": True, "pinned": True, "pin_origin": "shipped", "verification_level": "copied"}
    assert ok["installed_at"] and ok["verified_at"]
    md = (fleet["tmp"] / "r1" / "audit.md").read_text()
    assert "**5 drift finding(s)**" in md and "Unreachable (not audited)" in md
    shown = res.task("Show the matrix and where the reports are", "localhost")["msg"]
    assert shown[-1] == f"HTML report: {fleet['tmp'] / 'r1' / 'audit.html'}"


def test_audit_changes_nothing_and_repeats(first, fleet, module_ansible):
    assert first["before"] == first["after"]
    host_results = [r for r in first["res"].results if r["host"] != "localhost"]
    assert host_results and not any(r["result"].get("changed") for r in host_results)
    again = module_ansible.playbook("pronk8s.platform.audit", fleet["inventory"],
                                    extra_vars={"audit_report_dir": str(fleet["tmp"] / "r2")})
    assert again.rc == 0
    second = json.loads((fleet["tmp"] / "r2" / "audit.json").read_text())
    assert without_times(second) == without_times(first["report"])


def test_fail_on_drift_is_opt_in(fleet, module_ansible):
    res = module_ansible.playbook("pronk8s.platform.audit", fleet["inventory"],
                                  extra_vars={"audit_report_dir": str(fleet["tmp"] / "r3"), "audit_fail_on_drift": True})
    assert res.rc != 0
    failed = res.task("Fail on drift (audit_fail_on_drift)", "localhost")
    assert failed["failed"] and failed["msg"].startswith("5 drift finding(s):")
    assert f"{fleet['hosts']['1'].name} kubectl sha256 is now" in failed["msg"]
    assert (fleet["tmp"] / "r3" / "audit.html").exists(), "the reports are written before the play fails"


def test_ara_records_the_summary_when_its_callback_is_on(fleet, module_ansible, tmp_path):
    pytest.importorskip("ara.setup")

    def ara_dir(kind: str) -> str:
        return subprocess.run(["python", "-m", f"ara.setup.{kind}_plugins"], capture_output=True, text=True,
                              check=True).stdout.strip()
    env = {"ANSIBLE_CALLBACK_PLUGINS": ara_dir("callback"), "ANSIBLE_ACTION_PLUGINS": ara_dir("action"),
           "ARA_API_CLIENT": "offline", "ARA_BASE_DIR": str(tmp_path / "ara")}
    res = module_ansible.playbook("pronk8s.platform.audit", fleet["inventory"], env=env,
                                  extra_vars={"audit_report_dir": str(tmp_path / "report")})
    assert res.rc == 0, res.stdout[-3000:] + res.stderr[-3000:]
    # ARA's offline client prints Django's migration report on stdout before the JSON callback's document.
    doc = json.loads(res.stdout[re.search(r"^\{$", res.stdout, re.M).start():])
    tasks = {t["task"]["name"]: t["hosts"] for play in doc["plays"] for t in play["tasks"]}
    recorded = tasks["Record the audit summary in ARA"]["localhost"]
    assert recorded["changed"] and recorded["key"] == "pronk8s_audit_summary"
    listing = subprocess.run(["ara", "record", "list", "-f", "json"], capture_output=True, text=True, check=True,
                             env={**os.environ, **env})
    keys = {r["key"] for r in json.loads(listing.stdout)}
    assert {"pronk8s_audit_summary", "pronk8s_audit_drift", "pronk8s_audit_report"} <= keys
    summary = next(r for r in json.loads(listing.stdout) if r["key"] == "pronk8s_audit_summary")
    shown = subprocess.run(["ara", "record", "show", str(summary["id"]), "-f", "json"], capture_output=True, text=True,
                           check=True, env={**os.environ, **env})
    assert json.loads(shown.stdout)["value"]["drift"] == 5


def test_without_ara_nothing_is_recorded(first):
    skipped = first["res"].task("Record the audit in ARA", "localhost")
    assert skipped.get("skipped")


class Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str], str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "td" and "data-state" in a:
            self.cells[(a["data-host"].rsplit("-", 1)[-1], a["data-tool"])] = a["data-state"]


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync", "--no-first-run", "--enable-logging=stderr",
                           "--v=0", f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is installed by tests/testbed/bootstrap.sh")
def test_html_page_in_a_real_browser(first, fleet, tmp_path):
    page = fleet["tmp"] / "r1" / "audit.html"
    dom = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile-dom")
    assert dom.returncode == 0, dom.stderr[-3000:]
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE(" in line or "Refused to" in line]
    assert console == [], console
    parsed = Cells()
    parsed.feed(dom.stdout)
    assert parsed.cells == cells(first["report"])
    assert re.search(r'<span id="collection-version">\d+\.\d+\.\d+</span>', dom.stdout)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    shot = OUTPUT / "audit-report.png"
    shot.unlink(missing_ok=True)
    taken = chromium("--hide-scrollbars", "--window-size=1280,900", f"--screenshot={shot}", page.as_uri(),
                     profile=tmp_path / "profile-shot")
    assert taken.returncode == 0 and shot.stat().st_size > 10_000, taken.stderr[-3000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("PRONK8S_UPDATE_DOCS_SCREENSHOT"):
        shutil.copyfile(shot, ROOT / "docs" / "images" / "audit-report.png")
