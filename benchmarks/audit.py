"""Benchmark: the fleet audit of 16 hosts against a warm no-op run of the same fleet's site playbook.

Starts 16 sshd containers (the `workstations` group), installs the REAL kubectl v1.35.2 and helm v4.1.4 on
each with `pronk8s.platform.site` (cold), then alternates warm no-op site runs and audits
(`pronk8s.platform.audit`: every binary re-hashed, receipts read, install directory listed, reports written).
Each run starts without SSH control sockets (a fresh ControlPath directory). The goal: an audit costs no
more than 1.2x a warm no-op run. Prints wall time, controller CPU, the ratio and the load average.

    source tests/testbed/env.sh && python benchmarks/audit.py [--hosts 16] [--forks 16] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "testbed"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from fleet import Ansible, Fleet, load_testbed  # noqa: E402
from fleet_site import publish_tools, workstations_inventory  # noqa: E402
from mirror import MirrorServer  # noqa: E402

GOAL = 1.2


def timed(ansible: Ansible, tmp: Path, playbook: str, inventory: Path, forks: int, *args: str) -> tuple[float, float, dict]:
    """Wall and controller CPU seconds (ansible-playbook and every waited-for child) of one run."""
    control = Path(tempfile.mkdtemp(prefix="cp-", dir=tmp))
    env = {"ANSIBLE_PIPELINING": "true", "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control),
           "XDG_CACHE_HOME": str(tmp / "controller-cache")}
    before, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    res = ansible.playbook(playbook, inventory, "--forks", str(forks), *args, env=env)
    elapsed, after = time.monotonic() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.rc != 0:
        raise SystemExit(f"{playbook} failed (rc {res.rc}):\n{res.stdout[-6000:]}\n{res.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    changed = sum(1 for r in res.results if r["result"].get("changed") and r["host"] != "localhost")
    return elapsed, cpu, {"changed_on_hosts": changed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=16)
    parser.add_argument("--forks", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3, help="warm/audit pairs; the fastest of each counts")
    args = parser.parse_args()
    bed = load_testbed()
    tmp = Path(tempfile.mkdtemp(prefix="pronk8s-audit-bench-"))
    ansible, fleet = Ansible(bed, tmp), Fleet(bed, tmp)
    report: dict = {"cpus": os.cpu_count(), "hosts": args.hosts, "forks": args.forks, "load_before": os.getloadavg(),
                    "warm": [], "audit": []}
    with MirrorServer(tmp / "mirror", bind=bed.gateway) as mirror:
        try:
            group_vars = publish_tools(mirror)
            hosts = fleet.start("sshd", args.hosts, prefix="auditb")
            inventory = workstations_inventory(fleet, hosts, group_vars)
            cold, _cpu, _info = timed(ansible, tmp, "pronk8s.platform.site", inventory, args.forks)
            print(f"cold site run: {args.hosts} hosts in {cold:.1f} s", flush=True)
            for i in range(args.repeat):
                for kind, playbook, extra in (("warm", "pronk8s.platform.site", ()),
                                              ("audit", "pronk8s.platform.audit",
                                               ("-e", f"audit_report_dir={tmp / f'report-{i}'}"))):
                    seconds, cpu, info = timed(ansible, tmp, playbook, inventory, args.forks, *extra)
                    if info["changed_on_hosts"]:
                        raise SystemExit(f"{kind} run changed {info['changed_on_hosts']} results on the hosts")
                    report[kind].append({"seconds": round(seconds, 2), "cpu_s": round(cpu, 2),
                                         "load_1min": round(os.getloadavg()[0], 2)})
                    print(f"  {kind:5s} run {i + 1}: {seconds:6.1f} s wall, {cpu:6.1f} s controller CPU, "
                          f"load {os.getloadavg()[0]:.2f}", flush=True)
            drift = json.loads((tmp / "report-0" / "audit.json").read_text())["summary"]
        finally:
            fleet.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)
    warm = min(r["seconds"] for r in report["warm"])
    audit = min(r["seconds"] for r in report["audit"])
    report.update(load_after=os.getloadavg(), warm_best_s=warm, audit_best_s=audit, ratio=round(audit / warm, 3),
                  audit_summary=drift)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "audit.json").write_text(json.dumps(report, indent=2))
    print(f"\naudit of {args.hosts} hosts vs a warm no-op site run (forks {args.forks}, pipelining on, fastest of "
          f"{args.repeat}; {report['cpus']} cores, load {report['load_before'][0]:.2f} before, "
          f"{report['load_after'][0]:.2f} after)")
    print(f"  warm site run: {warm:.1f} s ({warm / args.hosts:.2f} s/host)")
    print(f"  audit:         {audit:.1f} s ({audit / args.hosts:.2f} s/host), "
          f"{drift['cells'].get('ok', 0)} ok cells, {drift['drift']} drift")
    print(f"  ratio audit/warm: {audit / warm:.2f} (goal <= {GOAL}): {'met' if audit / warm <= GOAL else 'NOT met'}")


if __name__ == "__main__":
    main()
