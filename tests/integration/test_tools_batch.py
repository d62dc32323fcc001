"""The batch path (pronk8s.platform.tools / verified_binaries) on real sshd containers and a mirror.

Counts what reaches each host from ansible-playbook's own -vvv log: every module run is one
`EXEC ... python3` (pipelining), every controller push one `PUT`; the temporary directory the pushes
need costs four small shell commands (home, mkdir, one chmod for all, rm). Controller push, cold: one probe
and one install per host, one push per missing artifact; hosts pulling from a mirror, cold: one module run per
host; warm: one module run per host and nothing else, local facts included. Without facts or a given arch,
the arch costs one `uname -m` command, not a fact gathering.

No kubectl, helm or kind release can be had offline for a made-up version, so the artifacts are shell
scripts (helm's inside a release-shaped tar.gz) pinned by the test as user pins: a test double of the
artifacts only; the roles, catalog rules, controller cache, transfer, verification and installs are real.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import tarfile
from collections import Counter
from pathlib import Path

import pytest

VERSION = "0.0.1-pronk8s.batch"
TOOLS = ["kubectl", "helm", "kind"]


def script(tool: str, arch: str = "amd64") -> bytes:
    return f"#!/bin/sh\necho '{tool} v{VERSION} linux/{arch}'\n".encode()


def helm_tgz(arch: str = "amd64") -> bytes:
    buf = io.BytesIO()
    # mtime 0: the same bytes every time, so the pin computed at import matches what is published later.
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        data = script("helm", arch)
        info = tarfile.TarInfo(f"linux-{arch}/helm")
        info.size, info.mode = len(data), 0o755
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def published(tool: str, arch: str = "amd64") -> tuple[str, bytes]:
    return {
        "kubectl": (f"dl.k8s.io/release/v{VERSION}/bin/linux/{arch}/kubectl", script("kubectl", arch)),
        "helm": (f"get.helm.sh/helm-v{VERSION}-linux-{arch}.tar.gz", helm_tgz(arch)),
        "kind": (f"github.com/kubernetes-sigs/kind/releases/download/v{VERSION}/kind-linux-{arch}", script("kind", arch)),
    }[tool]


PINS = {tool: {VERSION: {"amd64": hashlib.sha256(published(tool)[1]).hexdigest()}} for tool in TOOLS}


@pytest.fixture(scope="module")
def fleet(module_hosts):
    module_hosts.start("sshd", 2, prefix="batch")
    return module_hosts


@pytest.fixture(scope="module")
def mirror(module_mirror):
    for tool in TOOLS:
        module_mirror.publish(*published(tool))
    return module_mirror


def play(tmp: Path, mirror, tools_var: str = "tools_list", **variables) -> Path:
    path = tmp / f"play-{len(list(tmp.iterdir()))}.yml"
    base = {"kubectl_version": VERSION, "helm_version": VERSION, "kind_version": VERSION,
            "pronk8s_artifact_extra_pins": PINS, "pronk8s_artifact_source": "mirror",
            "pronk8s_artifact_mirror_url": mirror.url, "tools_local_facts": False,
            # The controller pushes (auto would let the hosts pull from the mirror: test_auto_lets_hosts_pull...).
            "tools_distribute": "controller",
            # The arch is given, so no fact gathering adds a module run to the counts (the node play gathers once).
            "kubectl_arch": "amd64", "helm_arch": "amd64", "kind_arch": "amd64"}
    path.write_text(json.dumps([{"name": "tools", "hosts": "all", "gather_facts": False, "vars": {**base, **variables},
                                 "roles": ["pronk8s.platform.tools"]}]))
    return path


def clean(fleet) -> None:
    for host in fleet.hosts:
        host.exec("sh", "-c", "rm -rf /usr/local/bin/kubectl /usr/local/bin/helm /usr/local/bin/kind "
                  "/var/lib/pronk8s /etc/ansible/facts.d/pronk8s.fact")


def round_trips(stdout: str, fleet) -> dict[str, Counter]:
    """Per host address: module runs (python3 EXECs), pushes (PUTs) and other commands in a -vvv log."""
    counts = {h.address: Counter() for h in fleet.hosts}
    for line in stdout.splitlines():
        match = re.match(r"^<([0-9.]+)> (SSH: EXEC|PUT) (.*)$", line)
        if not match or match.group(1) not in counts:
            continue
        if match.group(3).startswith(("sftp ", "scp ")):
            continue  # the transfer behind a PUT
        if match.group(2) == "PUT":
            counts[match.group(1)]["put"] += 1
        elif "python3" in match.group(3):
            counts[match.group(1)]["module"] += 1
        else:  # the temporary directory for pushed artifacts: find home, create, remove
            counts[match.group(1)]["shell"] += 1
    return counts


def verbose(ansible, pb, fleet, env, *args):
    return ansible.playbook(pb, fleet.inventory(), "-vvv", *args,
                            env={**env, "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"})


def test_cold_is_one_probe_and_one_install_per_host_and_warm_one_round_trip(fleet, mirror, module_ansible, tmp_path):
    clean(fleet)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    pb = play(tmp_path, mirror)
    mirror.reset_stats()
    cold = verbose(module_ansible, pb, fleet, env, "--forks", "4")
    assert cold.rc == 0, cold.stdout[-4000:]
    for address, count in round_trips(cold.stdout, fleet).items():
        assert count == Counter(module=2, put=3, shell=4), (address, count)
    # One copy per artifact from the mirror, whatever the number of hosts.
    assert sorted(mirror.stats()["requests"].values()) == [1, 1, 1]
    for host in fleet.hosts:
        for tool in TOOLS:
            assert host.exec(f"/usr/local/bin/{tool}").stdout == f"{tool} v{VERSION} linux/amd64\n"

    warm = verbose(module_ansible, pb, fleet, env)
    assert warm.rc == 0, warm.stdout[-4000:]
    for address, count in round_trips(warm.stdout, fleet).items():
        assert count == Counter(module=1), (address, count)
    assert "changed=0" in warm.stdout and "changed=1" not in warm.stdout


def test_facts_receipts_and_local_facts_through_the_batch(fleet, mirror, module_ansible, tmp_path):
    clean(fleet)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    pb = play(tmp_path, mirror, tools_local_facts=True)
    pb_json = json.loads(pb.read_text())
    pb_json[0]["tasks"] = [{"name": "Show", "ansible.builtin.debug": {"var": "verified_tool_installed"}}]
    pb.write_text(json.dumps(pb_json))
    run = module_ansible.playbook(pb, fleet.inventory(), env=env)
    assert run.rc == 0, run.stdout[-4000:]
    installed = run.task("Show", fleet.hosts[0].name)["verified_tool_installed"]
    assert set(installed) == set(TOOLS)
    assert installed["helm"]["outcome"] == "installed" and installed["helm"]["pin"] == "user"
    facts = json.loads(fleet.hosts[0].exec("cat", "/etc/ansible/facts.d/pronk8s.fact").stdout)
    assert set(facts["tools"]) == set(TOOLS)
    assert facts["tools"]["kind"]["artifact_sha256"] == PINS["kind"][VERSION]["amd64"]
    receipt = json.loads(fleet.hosts[0].exec("cat", facts["tools"]["kubectl"]["receipt"]).stdout)
    assert receipt["pin_origin"] == "user" and receipt["arch"] == "amd64"
    assert receipt["artifact_sha256"] == PINS["kubectl"][VERSION]["amd64"]

    # Warm, local facts included: the probe alone (the module reads the facts file itself), nothing changes.
    warm = verbose(module_ansible, pb, fleet, env)
    assert warm.rc == 0, warm.stdout[-4000:]
    for address, count in round_trips(warm.stdout, fleet).items():
        assert count == Counter(module=1), (address, count)
    assert "changed=0" in warm.stdout and "changed=1" not in warm.stdout
    # A facts file lost (or written by an older release) is rewritten with every tool, without any transfer.
    fleet.hosts[0].exec("rm", "/etc/ansible/facts.d/pronk8s.fact")
    again = verbose(module_ansible, pb, fleet, env)
    assert again.rc == 0, again.stdout[-4000:]
    counts = round_trips(again.stdout, fleet)
    assert counts[fleet.hosts[0].address] == Counter(module=2) and counts[fleet.hosts[1].address] == Counter(module=1)
    assert json.loads(fleet.hosts[0].exec("cat", "/etc/ansible/facts.d/pronk8s.fact").stdout) == facts


def test_one_bad_artifact_fails_alone_and_leaves_its_dest_untouched(fleet, mirror, module_ansible, tmp_path):
    clean(fleet)
    host = fleet.hosts[0]
    host.exec("sh", "-c", "printf '#!/bin/sh\\necho old helm\\n' > /usr/local/bin/helm && chmod 755 /usr/local/bin/helm")
    before = host.exec("sha256sum", "/usr/local/bin/helm").stdout
    # The mirror serves other bytes for helm than the pin: the controller refuses to cache or push it.
    path, _data = published("helm")
    mirror.publish(path, helm_tgz("tampered"))
    try:
        env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
        run = module_ansible.playbook(play(tmp_path, mirror), fleet.inventory([host]), env=env)
    finally:
        mirror.publish(path, published("helm")[1])
    assert run.rc != 0
    result = run.task("Install verified, in one engine call, kubectl, helm, kind", host.name)
    assert result["failed_items"] == ["helm"]
    assert "sha256 mismatch" in result["msg"] and "helm" in result["msg"]
    assert host.exec("sha256sum", "/usr/local/bin/helm").stdout == before
    outcomes = {r["name"]: r.get("outcome") for r in result["results"] if not r.get("failed")}
    assert outcomes == {"kubectl": "installed", "kind": "installed"}


def test_hosts_needing_different_subsets(fleet, mirror, module_ansible, tmp_path):
    clean(fleet)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    first, second = fleet.hosts
    # first already has kubectl and kind; second has nothing.
    seed = module_ansible.playbook(play(tmp_path, mirror, tools_list=["kubectl", "kind"]), fleet.inventory([first]),
                                   env=env)
    assert seed.rc == 0, seed.stdout[-3000:]
    run = verbose(module_ansible, play(tmp_path, mirror), fleet, env, "--forks", "2")
    assert run.rc == 0, run.stdout[-4000:]
    counts = round_trips(run.stdout, fleet)
    assert counts[first.address] == Counter(module=2, put=1, shell=4)
    assert counts[second.address] == Counter(module=2, put=3, shell=4)
    for host in fleet.hosts:
        assert host.exec("/usr/local/bin/helm").stdout == f"helm v{VERSION} linux/amd64\n"


def test_check_mode_changes_nothing(fleet, mirror, module_ansible, tmp_path):
    clean(fleet)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    run = module_ansible.playbook(play(tmp_path, mirror), fleet.inventory(), "--check", "--diff", env=env)
    assert run.rc == 0, run.stdout[-3000:]
    result = run.task("Install verified, in one engine call, kubectl, helm, kind")
    assert result["changed"] and {r["outcome"] for r in result["results"]} == {"installed"}
    for host in fleet.hosts:
        assert host.exec("test", "-e", "/usr/local/bin/kubectl", check=False).returncode == 1


def test_auto_lets_hosts_pull_from_a_mirror(fleet, mirror, module_ansible, tmp_path):
    clean(fleet)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    mirror.reset_stats()
    run = verbose(module_ansible, play(tmp_path, mirror, tools_distribute="auto"), fleet, env, "--forks", "2")
    assert run.rc == 0, run.stdout[-4000:]
    for address, count in round_trips(run.stdout, fleet).items():
        assert count == Counter(module=1), (address, count)  # decide, download, verify, install: one module run
    assert sorted(mirror.stats()["requests"].values()) == [2, 2, 2], "each host fetched each artifact once"
    assert not (tmp_path / "cache").exists(), "nothing went through the controller"


def test_arch_asked_of_the_host_without_gathering_facts(fleet, mirror, module_ansible, tmp_path):
    clean(fleet)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    pb = play(tmp_path, mirror, tools_distribute="auto", kubectl_arch="", helm_arch="", kind_arch="")
    run = verbose(module_ansible, pb, fleet, env, "--forks", "2")
    assert run.rc == 0, run.stdout[-4000:]
    for address, count in round_trips(run.stdout, fleet).items():
        assert count == Counter(module=1, shell=1), (address, count)  # `uname -m; getconf LONG_BIT`, the install
    assert "uname -m; getconf LONG_BIT" in run.stdout
    for host in fleet.hosts:
        arches = host.exec("python3", "-c", "import glob, json; print(json.dumps([json.load(open(f))['arch'] "
                           "for f in glob.glob('/var/lib/pronk8s/receipts/*.json')]))").stdout
        assert json.loads(arches) == ["amd64"] * 3


def test_a_tool_unpinned_for_the_host_arch_fails_before_anything_changes(fleet, mirror, module_ansible, tmp_path):
    clean(fleet)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    run = module_ansible.playbook(play(tmp_path, mirror, kubectl_arch="", helm_arch="arm64"), fleet.inventory(),
                                  env=env)
    assert run.rc != 0
    result = run.task("Install verified, in one engine call, kubectl, helm, kind")
    assert "helm" in result["msg"] and "arm64" in result["msg"] and "nothing was changed" in result["msg"]
    for host in fleet.hosts:
        assert host.exec("test", "-e", "/usr/local/bin/kubectl", check=False).returncode == 1


def test_a_copy_shadowing_a_verified_tool_fails_the_run_after_the_install_when_asked(fleet, mirror, module_ansible,
                                                                                     tmp_path):
    clean(fleet)
    host = fleet.hosts[0]
    # /usr/local/sbin comes before /usr/local/bin on root's login PATH: an unverified kubectl there wins.
    host.exec("sh", "-c", "printf '#!/bin/sh\\necho rogue\\n' > /usr/local/sbin/kubectl && chmod 755 /usr/local/sbin/kubectl")
    try:
        env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
        run = module_ansible.playbook(play(tmp_path, mirror, pronk8s_tools_fail_on_shadowing=True),
                                      fleet.inventory([host]), env=env)
    finally:
        host.exec("rm", "-f", "/usr/local/sbin/kubectl")
    assert run.rc != 0
    assert "/usr/local/sbin/kubectl shadows the verified kubectl on root's PATH" in run.stdout
    # The install itself happened and stands; the run fails so that the user sees the shadowing copy.
    assert host.exec("/usr/local/bin/kubectl").stdout == f"kubectl v{VERSION} linux/amd64\n"
