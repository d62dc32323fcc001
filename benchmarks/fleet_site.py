"""Benchmark: the `site` playbook's warm (no-op) run on fleets of 4, 8 and 16 sshd containers.

One fleet of the largest size is started; a cold run installs kubectl and helm on every host, then warm
runs time the whole `pronk8s.platform.site` playbook (preflight, workstation play, summary) on the first
4, 8 and 16 hosts, for each forks and pipelining setting. Every warm run must change nothing. Each run
starts without SSH control sockets (a fresh ControlPath directory), as an AWX job in a fresh execution
environment does. Prints wall time, seconds per host, the marginal cost of a host, and a recommendation.

    source tests/testbed/env.sh && python benchmarks/fleet_site.py [--sizes 4 8 16] [--forks 5 16] [--repeat 2]

Hosts: pronk8s/sshd:bookworm containers in the `workstations` group (no systemd, so workstation_docker is
false). Artifacts: the REAL kubectl v1.35.2 and helm v4.1.4 (amd64, tests/testbed/real_binaries.sh) from an
in-process mirror on the test network gateway; helm packed into a release-shaped tar.gz pinned by this
script as a user pin (upstream's archive cannot be rebuilt byte for byte).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "testbed"))

from fleet import Ansible, Fleet, Host, load_testbed  # noqa: E402
from mirror import MirrorServer  # noqa: E402
from real_artifacts import helm_archive, real_binaries  # noqa: E402

KUBECTL_PATH = "dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl"
HELM_PATH = "get.helm.sh/helm-v4.1.4-linux-amd64.tar.gz"


def publish_tools(mirror: MirrorServer) -> dict:
    """Publish the real kubectl and a helm tar.gz; return the play variables that install them."""
    real = real_binaries()
    mirror.publish(KUBECTL_PATH, real / "kubectl")
    archive = helm_archive(real)
    mirror.publish(HELM_PATH, archive)
    return {"workstation_docker": False, "workstation_tools": ["kubectl", "helm"],
            "kubectl_version": "1.35.2", "helm_version": "4.1.4",
            "pronk8s_artifact_source": "mirror", "pronk8s_artifact_mirror_url": mirror.url,
            "pronk8s_artifact_extra_pins": {"helm": {"4.1.4": {"amd64": hashlib.sha256(archive).hexdigest()}}},
            # The catalog pins upstream's 4.1.4 archive; the repacked one replaces it, loudly.
            "pronk8s_artifact_unsafe_override_shipped_pins": True}


def workstations_inventory(fleet: Fleet, hosts: list[Host], group_vars: dict) -> Path:
    """Fleet.inventory's connection settings, with the hosts moved into the `workstations` group."""
    path = fleet.inventory(hosts)
    data = json.loads(path.read_text())
    data["all"]["children"] = {"workstations": {"hosts": data["all"].pop("hosts"), "vars": group_vars}}
    path.write_text(json.dumps(data))
    return path


@dataclass
class Run:
    size: int
    forks: int
    pipelining: bool
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    load: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def per_host(self) -> float:
        return self.best / self.size

    @property
    def cpu_per_host(self) -> float:
        return min(self.cpu) / self.size

    def as_dict(self) -> dict:
        return {"hosts": self.size, "forks": self.forks, "pipelining": self.pipelining, "seconds": self.seconds,
                "best_s": round(self.best, 2), "s_per_host": round(self.per_host, 3), "controller_cpu_s": self.cpu,
                "cpu_s_per_host": round(self.cpu_per_host, 3), "load_1min": self.load}


class SiteBenchmark:
    def __init__(self, ansible: Ansible, tmp: Path) -> None:
        self.ansible = ansible
        self.tmp = tmp
        self.cache = tmp / "controller-cache"

    def play(self, inventory: Path, forks: int, pipelining: bool) -> tuple[float, float, int]:
        """One site run; returns wall seconds, controller CPU seconds (ansible-playbook, its workers and ssh
        clients: every waited-for descendant) and the number of changed task results."""
        control = Path(tempfile.mkdtemp(prefix="cp-", dir=self.tmp))
        env = {"ANSIBLE_PIPELINING": str(pipelining).lower(), "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control),
               "XDG_CACHE_HOME": str(self.cache)}
        before, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
        res = self.ansible.playbook("pronk8s.platform.site", inventory, "--forks", str(forks), env=env)
        elapsed, after = time.monotonic() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if res.rc != 0:
            raise SystemExit(f"site failed (forks {forks}, pipelining {pipelining}, rc {res.rc}):\n"
                             f"{res.stdout[-6000:]}\n{res.stderr[-3000:]}")
        return elapsed, cpu, sum(1 for r in res.results if r["result"].get("changed"))


def growth(runs: list[Run], forks: int, pipelining: bool) -> str:
    """Marginal seconds per extra host between the smallest and largest fleet."""
    same = sorted((r for r in runs if r.forks == forks and r.pipelining == pipelining), key=lambda r: r.size)
    small, large = same[0], same[-1]
    return f"{(large.best - small.best) / (large.size - small.size):.2f} s per extra host ({small.size}->{large.size})"


def recommend(runs: list[Run], sizes: list[int], forks_list: list[int]) -> list[str]:
    """Settings from the measured figures on the largest fleet."""
    largest = max(sizes)
    at = {(r.forks, r.pipelining): r.best for r in runs if r.size == largest}
    best_forks = min(forks_list, key=lambda f: at[(f, True)])
    saving = {f: 100 * (1 - at[(f, True)] / at[(f, False)]) for f in forks_list}
    lines = [f"pipelining on {largest} hosts saves " + ", ".join(f"{saving[f]:.0f}% at forks {f}" for f in forks_list)
             + ": " + ("keep ANSIBLE_PIPELINING=true (with become, sudoers must not set requiretty)."
                       if min(saving.values()) > 0 else "no gain measured here.")]
    ratio = at[(max(forks_list), True)] / at[(min(forks_list), True)]
    lines.append(f"forks {max(forks_list)} vs {min(forks_list)} on {largest} hosts (pipelining on): "
                 f"{at[(max(forks_list), True)]:.1f} s vs {at[(min(forks_list), True)]:.1f} s "
                 f"({100 * (1 - ratio):+.0f}% time saved); fastest measured: forks {best_forks}.")
    return lines


def table(runs: list[Run], sizes: list[int], forks_list: list[int], cell) -> None:
    print(f"{'hosts':>6}" + "".join(f"{f'forks {f} pipe ' + ('on' if p else 'off'):>24}"
                                    for f in forks_list for p in (True, False)))
    for size in sizes:
        cells = [cell(next(r for r in runs if (r.size, r.forks, r.pipelining) == (size, f, p)))
                 for f in forks_list for p in (True, False)]
        print(f"{size:>6}" + "".join(f"{c:>24}" for c in cells))


def print_summary(report: dict, runs: list[Run], args: argparse.Namespace) -> None:
    print(f"\nsite, warm no-op run (fastest of {args.repeat}); controller: {report['cpus']} cores, "
          f"load average {report['load_before'][0]:.2f} before, {report['load_after'][0]:.2f} after")
    print("wall time (seconds per host):")
    table(runs, args.sizes, args.forks, lambda r: f"{r.best:.1f} s ({r.per_host:.2f} s/h)")
    print("controller CPU time (per host):")
    table(runs, args.sizes, args.forks, lambda r: f"{min(r.cpu):.1f} s ({r.cpu_per_host:.2f} s/h)")
    print("\ngrowth:")
    for forks in args.forks:
        for pipelining in (True, False):
            print(f"  forks {forks:3d} pipelining {'on ' if pipelining else 'off'}: {growth(runs, forks, pipelining)}")
    print("\nrecommendation:")
    for line in recommend(runs, args.sizes, args.forks):
        print("  " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--forks", type=int, nargs="+", default=[5, 16])
    parser.add_argument("--repeat", type=int, default=2, help="warm runs per setting; the fastest counts")
    args = parser.parse_args()
    bed = load_testbed()
    tmp = Path(tempfile.mkdtemp(prefix="pronk8s-fleet-site-"))
    ansible = Ansible(bed, tmp)
    bench = SiteBenchmark(ansible, tmp)
    fleet = Fleet(bed, tmp)
    runs: list[Run] = []
    report: dict = {"cpus": os.cpu_count(), "load_before": os.getloadavg()}
    with MirrorServer(tmp / "mirror", bind=bed.gateway) as mirror:
        try:
            group_vars = publish_tools(mirror)
            t0 = time.monotonic()
            hosts = fleet.start("sshd", max(args.sizes), prefix="fleet")
            report["start_s"] = round(time.monotonic() - t0, 1)
            inventories = {n: workstations_inventory(fleet, hosts[:n], group_vars) for n in args.sizes}
            cold_s, _cold_cpu, cold_changed = bench.play(inventories[max(args.sizes)], max(args.forks), True)
            report["cold"] = {"hosts": max(args.sizes), "forks": max(args.forks), "seconds": round(cold_s, 1),
                              "changed": cold_changed, "mirror_bytes": mirror.stats()["total_bytes"]}
            print(f"cold run: {max(args.sizes)} hosts in {cold_s:.1f} s, {cold_changed} changed results", flush=True)
            for size in args.sizes:
                for forks in args.forks:
                    for pipelining in (True, False):
                        run = Run(size, forks, pipelining)
                        for _attempt in range(args.repeat):
                            seconds, cpu, changed = bench.play(inventories[size], forks, pipelining)
                            if changed:
                                raise SystemExit(f"warm run changed {changed} results ({size} hosts, forks {forks})")
                            run.seconds.append(round(seconds, 2))
                            run.cpu.append(round(cpu, 2))
                            run.load.append(round(os.getloadavg()[0], 2))
                        runs.append(run)
                        print(f"  {size:3d} hosts  forks {forks:3d}  pipelining {'on ' if pipelining else 'off'}  "
                              f"{run.best:6.1f} s  {run.per_host:5.2f} s/host  cpu {run.cpu_per_host:4.2f} s/host  "
                              f"(runs {run.seconds}, load {run.load})",
                              flush=True)
        finally:
            fleet.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)  # the mirror's copy of the artifacts and the controller cache
    report["load_after"] = os.getloadavg()
    report["warm"] = [r.as_dict() for r in runs]
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "fleet_site.json").write_text(json.dumps(report, indent=2))

    print_summary(report, runs, args)


if __name__ == "__main__":
    main()
