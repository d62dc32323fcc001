"""Benchmark: installing kubectl, helm and kind on N sshd containers from the local mirror.

Compares, in the same run and on identical fresh fleets, the collection's batch path (the tools role, as the
node play uses it: hosts pull from the mirror, receipts) with a plain playbook doing the same job with
ansible.builtin.get_url (checksum) + unarchive (and, with --with-roles, the kubectl, helm and kind roles one by
one; with --with-push, the controller pushing instead of the hosts pulling from the mirror). Prints cold and warm
(no-op) wall time, the ratios, controller CPU, the load average when each run started,
the bytes the mirror served, the batch task's per-phase profile, the controller's peak RSS when it pushes a
10 MB and a 200 MB artifact (flat means streamed); then SHA-256 speed against `sha256sum` on the same
100 MB file, and the hashing's peak memory.

    source tests/testbed/env.sh && python benchmarks/artifact_install.py [--hosts 8] [--forks 8] [--no-pipelining]

Artifacts: the REAL kubectl v1.35.2 and helm v4.1.4 (amd64, from PyPI, see tests/testbed/real_binaries.sh);
helm packed into a release-shaped tar.gz pinned by this script; kind is a stand-in of kind's size (no kind
binary can be had here): a shell script that prints kind's version, padded with random bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS = os.environ.get("PRONK8S_COLLECTIONS", str(ROOT / ".cache" / "collections"))
sys.path[:0] = [str(ROOT / "tests" / "testbed"), COLLECTIONS]

from fleet import Ansible, Fleet, load_testbed  # noqa: E402
from mirror import MirrorServer  # noqa: E402
from real_artifacts import helm_archive, real_binaries  # noqa: E402
from ansible_collections.pronk8s.platform.plugins.module_utils._sha256 import sha256_file  # noqa: E402

KIND_VERSION = "0.0.1-bench"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def artifacts(mirror: MirrorServer) -> dict:
    real = real_binaries()
    kubectl = (real / "kubectl").read_bytes()
    helm_tgz = helm_archive(real)
    kind = (f"#!/bin/sh\necho 'kind v{KIND_VERSION} go1.24 linux/amd64'\nexit 0\n".encode() + os.urandom(10 * 1024 * 1024))
    paths = {
        "kubectl": "dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl",
        "helm": "get.helm.sh/helm-v4.1.4-linux-amd64.tar.gz",
        "kind": f"github.com/kubernetes-sigs/kind/releases/download/v{KIND_VERSION}/kind-linux-amd64",
    }
    for name, data in (("kubectl", kubectl), ("helm", helm_tgz), ("kind", kind)):
        mirror.publish(paths[name], data)
    return {
        "urls": {k: f"{mirror.url}/{v}" for k, v in paths.items()},
        "sha": {"kubectl": sha(kubectl), "helm": sha(helm_tgz), "kind": sha(kind)},
        "sizes": {"kubectl": len(kubectl), "helm": len(helm_tgz), "kind": len(kind)},
    }


def collection_playbook(tmp: Path, mirror: MirrorServer, art: dict, batch: bool = True,
                        distribute: str = "auto") -> Path:
    """The batch path (the tools role, as the node play uses it), or the three roles one after another."""
    play = {"name": "tools (pronk8s.platform)", "hosts": "all", "gather_facts": False,
            "vars": {"pronk8s_artifact_source": "mirror", "pronk8s_artifact_mirror_url": mirror.url,
                     "kubectl_version": "1.35.2", "helm_version": "4.1.4", "kind_version": KIND_VERSION,
                     "pronk8s_artifact_extra_pins": {"helm": {"4.1.4": {"amd64": art["sha"]["helm"]}},
                                                     "kind": {KIND_VERSION: {"amd64": art["sha"]["kind"]}}},
                     # The catalog pins upstream's helm 4.1.4 archive; the repacked one replaces it, loudly.
                     "pronk8s_artifact_unsafe_override_shipped_pins": True,
                     "pronk8s_artifact_distribute": distribute},
            "roles": ["pronk8s.platform.kubectl", "pronk8s.platform.helm", "pronk8s.platform.kind"]}
    if batch:
        play["roles"] = ["pronk8s.platform.tools"]
    path = tmp / f"collection-{'batch' if batch else 'roles'}-{distribute}.yml"
    path.write_text(json.dumps([play]))
    return path


def get_url_playbook(tmp: Path, art: dict) -> Path:
    """The same job the usual way: get_url with checksum, unarchive for helm, then a version check."""
    u, s = art["urls"], art["sha"]
    tasks = [
        {"name": "kubectl", "ansible.builtin.get_url": {"url": u["kubectl"], "dest": "/usr/local/bin/kubectl",
                                                        "checksum": f"sha256:{s['kubectl']}", "mode": "0755"}},
        {"name": "kind", "ansible.builtin.get_url": {"url": u["kind"], "dest": "/usr/local/bin/kind",
                                                     "checksum": f"sha256:{s['kind']}", "mode": "0755"}},
        {"name": "helm archive", "ansible.builtin.get_url": {"url": u["helm"], "dest": "/opt/helm-v4.1.4.tar.gz",
                                                             "checksum": f"sha256:{s['helm']}", "mode": "0644"}},
        {"name": "helm", "ansible.builtin.unarchive": {"src": "/opt/helm-v4.1.4.tar.gz", "remote_src": True,
                                                       "dest": "/usr/local/bin", "include": ["linux-amd64/helm"],
                                                       "extra_opts": ["--strip-components=1"]}},
        {"name": "versions", "ansible.builtin.command": {"argv": ["/usr/local/bin/{{ item.0 }}", "{{ item.1 }}"]},
         "loop": [["kubectl", "version"], ["helm", "version"], ["kind", "version"]], "changed_when": False},
    ]
    tasks[-1]["loop"][0] = ["kubectl", "version --client"]
    tasks[-1]["ansible.builtin.command"] = {"argv": "{{ ['/usr/local/bin/' ~ item.0] + item.1.split() }}"}
    path = tmp / "get_url.yml"
    path.write_text(json.dumps([{"name": "tools (get_url)", "hosts": "all", "gather_facts": False, "tasks": tasks}]))
    return path


def timed(ansible: Ansible, playbook: Path, inventory: Path, forks: int, env: dict) -> dict:
    """Wall time, controller CPU (ansible-playbook and its forks), the batch task's phases, the load average."""
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    res = ansible.playbook(playbook, inventory, "--forks", str(forks), env=env)
    elapsed = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.rc != 0:
        raise SystemExit(f"{playbook.name} failed:\n{res.stdout[-4000:]}\n{res.stderr[-2000:]}")
    phases: dict = {}
    for entry in res.results:
        for phase, seconds in (entry["result"].get("profile") or {}).items():
            phases[phase] = phases.get(phase, 0.0) + seconds
    return {"wall_s": elapsed, "cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "load1": load, "phases_host_s": {k: round(v, 2) for k, v in phases.items()}}


# Peak RSS of the largest process under a fresh parent: ansible-playbook, its forks, the ssh/sftp clients.
PEAK_RSS_CHILD = """
import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def controller_rss(bed, ansible: Ansible, tmp: Path, mirror: MirrorServer, sizes_mb=(10, 200)) -> dict:
    """Peak RSS of the controller pushing one artifact of each size (a kind stand-in) to one host, cold.

    The controller downloads into its cache and sends with SFTP, both streamed: the peak must not grow with
    the artifact (goal: flat).
    """
    out = {}
    fleet = Fleet(bed, tmp)
    try:
        fleet.start("sshd", 1, prefix="bench-rss")
        inventory = fleet.inventory()
        for size in sizes_mb:
            version = f"0.0.{size}-rss"
            data = f"#!/bin/sh\necho 'kind v{version}'\nexit 0\n".encode() + os.urandom(size * 1024 * 1024)
            mirror.publish(f"github.com/kubernetes-sigs/kind/releases/download/v{version}/kind-linux-amd64", data)
            play = [{"name": "rss", "hosts": "all", "gather_facts": False, "roles": ["pronk8s.platform.tools"],
                     "vars": {"tools_list": ["kind"], "kind_version": version, "kind_arch": "amd64",
                              "pronk8s_artifact_source": "mirror", "pronk8s_artifact_mirror_url": mirror.url,
                              "tools_distribute": "controller", "tools_local_facts": False,
                              "pronk8s_artifact_extra_pins": {"kind": {version: {"amd64": sha(data)}}}}}]
            path = tmp / f"rss-{size}.yml"
            path.write_text(json.dumps(play))
            env = {**ansible.env, "XDG_CACHE_HOME": str(tmp / f"cache-rss-{size}")}
            rc, peak_kb = subprocess.run(
                [sys.executable, "-c", PEAK_RSS_CHILD, "ansible-playbook", "-i", str(inventory), str(path)],
                check=True, capture_output=True, text=True, env=env, cwd=ROOT).stdout.split()
            if rc != "0":
                raise SystemExit(f"the RSS run with a {size} MB artifact failed")
            out[f"{size}_mb"] = round(int(peak_kb) / 1024, 1)
    finally:
        fleet.cleanup()
    return out


# VmHWM (peak resident set) of a fresh process: ru_maxrss would carry the parent's peak across fork+exec.
HASH_CHILD = """
import sys
sys.path.insert(0, sys.argv[2])
from ansible_collections.pronk8s.platform.plugins.module_utils._sha256 import sha256_file
def hwm():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
before = hwm()
sha256_file(sys.argv[1])
print(before, hwm())
"""


def hashing(size_mb: int = 100) -> dict:
    with tempfile.NamedTemporaryFile(dir="/var/tmp", delete=False) as handle:
        for _mb in range(size_mb):
            handle.write(os.urandom(1024 * 1024))
        path = handle.name
    try:
        ours, theirs = [], []
        for _round in range(3):
            t0 = time.monotonic()
            a = sha256_file(path)
            ours.append(time.monotonic() - t0)
            t0 = time.monotonic()
            b = subprocess.run(["sha256sum", path], check=True, capture_output=True, text=True).stdout.split()[0]
            theirs.append(time.monotonic() - t0)
            assert a == b
        # Peak memory of a fresh process hashing the file: flat means it does not grow with the file.
        before, after = map(int, subprocess.run([sys.executable, "-c", HASH_CHILD, path, COLLECTIONS], check=True,
                                                capture_output=True, text=True).stdout.split())
        return {"file_mb": size_mb, "sha256_file_s": min(ours), "sha256sum_s": min(theirs),
                "speed_ratio": min(theirs) / min(ours), "rss_before_mb": before / 1024, "rss_after_mb": after / 1024}
    finally:
        os.unlink(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--forks", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=2, help="warm runs; the fastest counts")
    parser.add_argument("--no-pipelining", action="store_true",
                        help="run every playbook without pipelining (Ansible's default; the test bed turns it on)")
    parser.add_argument("--with-roles", action="store_true", help="also time the kubectl, helm and kind roles one by one")
    parser.add_argument("--with-push", action="store_true",
                        help="also time the tools role with the controller pushing (distribute=controller) instead of "
                             "the hosts pulling from the mirror (the default for a mirror)")
    args = parser.parse_args()
    bed = load_testbed()
    tmp = Path(tempfile.mkdtemp(prefix="pronk8s-bench-"))
    ansible = Ansible(bed, tmp)
    results: dict = {"hosts": args.hosts, "forks": args.forks, "pipelining": not args.no_pipelining}
    with MirrorServer(tmp / "mirror", bind=bed.gateway) as mirror:
        art = artifacts(mirror)
        results["artifact_bytes"] = sum(art["sizes"].values())
        variants = [("collection", collection_playbook(tmp, mirror, art)), ("get_url", get_url_playbook(tmp, art))]
        if args.with_roles:
            variants.append(("roles", collection_playbook(tmp, mirror, art, batch=False)))
        if args.with_push:  # the mirror's artifacts fetched once by the controller and pushed (upstream's default)
            variants.append(("push", collection_playbook(tmp, mirror, art, distribute="controller")))
        for label, playbook in variants:
            fleet = Fleet(bed, tmp)
            try:
                fleet.start("sshd", args.hosts, prefix=f"bench-{label.replace('_', '')}")
                inventory = fleet.inventory()
                env = {"XDG_CACHE_HOME": str(tmp / f"cache-{label}"),
                       "ANSIBLE_PIPELINING": "false" if args.no_pipelining else "true"}
                mirror.reset_stats()
                cold = timed(ansible, playbook, inventory, args.forks, env)
                served_cold = mirror.stats()["total_bytes"]
                warm = min((timed(ansible, playbook, inventory, args.forks, env) for _run in range(args.repeat)),
                           key=lambda r: r["wall_s"])
                results[label] = {"cold_s": round(cold["wall_s"], 2), "warm_s": round(warm["wall_s"], 2),
                                  "cold_cpu_s": round(cold["cpu_s"], 2), "warm_cpu_s": round(warm["cpu_s"], 2),
                                  "cold_load1": cold["load1"], "warm_load1": warm["load1"],
                                  "cold_phases_host_s": cold["phases_host_s"], "mirror_bytes": served_cold,
                                  "mirror_bytes_warm": mirror.stats()["total_bytes"] - served_cold}
            finally:
                fleet.cleanup()
        results["controller_rss_by_artifact_mb"] = controller_rss(bed, ansible, tmp, mirror)
    results["cold_ratio"] = round(results["collection"]["cold_s"] / results["get_url"]["cold_s"], 2)
    results["warm_ratio"] = round(results["collection"]["warm_s"] / results["get_url"]["warm_s"], 2)
    results["hashing"] = hashing()
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "artifact_install.json").write_text(json.dumps(results, indent=2))
    c, g, h = results["collection"], results["get_url"], results["hashing"]
    print(f"{args.hosts} hosts, forks {args.forks}, pipelining {'off' if args.no_pipelining else 'on'}; "
          f"one copy of the three artifacts = {results['artifact_bytes']:,} bytes")
    print(f"{'':24}{'cold s':>8}{'warm s':>8}{'cold CPU s':>11}{'warm CPU s':>11}{'load (cold/warm)':>18}"
          f"{'mirror bytes (cold)':>21}{'warm bytes':>11}")
    rows = [("pronk8s.platform tools", c), ("get_url + unarchive", g)]
    if "roles" in results:
        rows.append(("roles one by one", results["roles"]))
    if "push" in results:
        rows.append(("tools, controller push", results["push"]))
    for label, r in rows:
        print(f"{label:24}{r['cold_s']:8.2f}{r['warm_s']:8.2f}{r['cold_cpu_s']:11.2f}{r['warm_cpu_s']:11.2f}"
              f"{r['cold_load1']:9.2f}/{r['warm_load1']:<8.2f}{r['mirror_bytes']:21,}{r['mirror_bytes_warm']:11,}")
    print(f"ratios (tools / get_url): cold {results['cold_ratio']} (goal <= 1.0), warm {results['warm_ratio']} "
          f"(goal <= 0.35)")
    for label, r in rows:
        if r.get("cold_phases_host_s"):
            print(f"{label} cold run, batch task phases summed over hosts (s): "
                  + ", ".join(f"{k} {v}" for k, v in r["cold_phases_host_s"].items()))
    print("controller peak RSS (ansible-playbook, its forks, ssh) pushing one artifact, by its size (goal: flat): "
          + ", ".join(f"{k.replace('_mb', ' MB')}: {v} MB" for k, v in results["controller_rss_by_artifact_mb"].items()))
    print(f"sha256 of {h['file_mb']} MB: sha256_file {h['sha256_file_s']:.3f} s, sha256sum {h['sha256sum_s']:.3f} s, "
          f"speed ratio {h['speed_ratio']:.2f} (goal >= 0.9)")
    print(f"memory while hashing {h['file_mb']} MB: peak RSS {h['rss_before_mb']:.1f} MB before, {h['rss_after_mb']:.1f} MB after")


if __name__ == "__main__":
    main()
