"""The Vagrant flow with REAL Vagrant: the collection's Vagrantfile, the docker provider and the
test-bed sshd image stand in for VMs (no VirtualBox or libvirt on the test machines).

One test, in the order a user works: playbooks/vagrant.yml brings two machines up (vagrant_up=true)
and reaches them over SSH through the pronk8s.platform.vagrant inventory; `ansible-inventory`
shows them with Vagrant's connection details; a playbook runs over SSH on both; a second
vagrant_up run changes nothing; a halted machine leaves the inventory with a warning. The
machines are destroyed at the end whatever happens (`vagrant destroy -f`, then `docker rm -f` of
anything left with this run's label). The inventory uses a file cache, as a user would to save
Vagrant's start-up time on every run.

playbooks/vagrant.yml runs here with vagrant_roles=[]: the roles it applies by default
(host_base, docker, kubectl, helm, kind) have their own tests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VAGRANT_DIR = ROOT / "inventories" / "vagrant"
PLAYBOOK = ROOT / "playbooks" / "vagrant.yml"
# One name the shipped vagrant.yml groups (k8s-*), one odd one (underscore, dot, capital).
CP, EDGE = "k8s-cp", "Edge_1.lab"


@dataclass
class VagrantProject:
    path: Path
    env: dict[str, str]
    label: str

    @property
    def inventory(self) -> Path:
        return self.path / "vagrant.yml"

    def vagrant(self, *argv: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["vagrant", *argv], cwd=self.path, env={**self.env, "LC_ALL": "C"}, capture_output=True,
                              text=True, timeout=timeout, check=False)


@pytest.fixture
def vagrant_project(testbed, ansible, tmp_path: Path) -> Iterator[VagrantProject]:
    """A copy of inventories/vagrant with a two-machine file for the docker provider; destroyed at the end."""
    if shutil.which("vagrant") is None:
        pytest.fail("vagrant is not installed: `make setup` (tests/testbed/bootstrap.sh) installs it")
    path = tmp_path / "vagrant"
    path.mkdir()
    shutil.copy(VAGRANT_DIR / "Vagrantfile", path / "Vagrantfile")
    # The shipped inventory configuration plus a file cache, so that the runs after `vagrant up`
    # need no vagrant call (the playbook's refresh_inventory fills it; --flush-cache reads afresh).
    config = yaml.safe_load((VAGRANT_DIR / "vagrant.yml").read_text())
    config.update(cache=True, cache_plugin="ansible.builtin.jsonfile", cache_connection=str(tmp_path / "cache"))
    (path / "vagrant.yml").write_text(yaml.safe_dump(config))
    shutil.copytree(VAGRANT_DIR / "group_vars", path / "group_vars")
    label = f"pytest-vagrant-{uuid.uuid4().hex[:8]}"
    (path / "machines.yml").write_text(yaml.safe_dump({
        "machines": [CP, {"name": EDGE}],
        "docker": {"image": testbed.image_sshd, "network": testbed.network, "name_prefix": "pronk8s-it-",
                   "labels": {"pronk8s.testbed": label}},
    }))
    project = VagrantProject(path, {**ansible.env, "VAGRANT_CHECKPOINT_DISABLE": "1"}, label)
    try:
        yield project
    finally:
        destroy = project.vagrant("destroy", "-f", timeout=300)
        left = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=pronk8s.testbed={label}"],
                              capture_output=True, text=True, check=False).stdout.split()
        if left:
            subprocess.run(["docker", "rm", "-f", *left], capture_output=True, check=False)
        assert destroy.returncode == 0, f"vagrant destroy -f failed: {destroy.stderr}"
        assert not left, f"vagrant destroy -f left containers behind: {left}"


def plain(value):
    """ansible-inventory --list output without ansible-core 2.19's {"__ansible_unsafe": ...} wrappers."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def inventory_list(project: VagrantProject, *args: str) -> tuple[dict, str]:
    proc = subprocess.run(["ansible-inventory", "-i", str(project.inventory), "--list", *args], cwd=ROOT,
                          env={**project.env, "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"},
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return plain(json.loads(proc.stdout)), proc.stderr


SMOKE_PLAYBOOK = """
- name: Reach every Vagrant machine over SSH
  hosts: vagrant
  gather_facts: true
  tasks:
    - name: Who am I
      ansible.builtin.command: id -un
      changed_when: false
    - name: Who am I with become
      ansible.builtin.command: id -un
      become: true
      changed_when: false
    - name: Reach the other machine's sshd over the docker network
      ansible.builtin.wait_for:
        host: "{{ hostvars[item].ansible_facts.default_ipv4.address }}"
        port: 22
        timeout: 10
      loop: "{{ groups['vagrant'] | difference([inventory_hostname]) }}"
"""


def test_vagrant_machines_up_inventory_and_ssh(vagrant_project: VagrantProject, ansible, testbed, tmp_path):
    project = vagrant_project

    # 1. The shipped playbook brings the machines up, re-reads the inventory and connects.
    up = ansible.playbook(PLAYBOOK, project.inventory, extra_vars={
        "vagrant_up": True, "vagrant_provider": "docker", "vagrant_roles": []})
    assert up.rc == 0, up.stdout[-3000:] + up.stderr[-3000:]
    assert up.task("Run vagrant up")["changed"] is True
    assert up.task("Run vagrant up")["cmd"] == ["vagrant", "up", "--provider=docker", CP, EDGE]
    facts = {h: up.task("Gathering Facts", h)["ansible_facts"] for h in (CP, EDGE)}
    # The Vagrantfile turns machine names into valid host names.
    assert facts[CP]["ansible_hostname"] == "k8s-cp"
    assert facts[EDGE]["ansible_hostname"] == "edge-1-lab"
    assert facts[EDGE]["ansible_user_id"] == "root"  # the play runs with become

    # 2. The inventory (from the cache the playbook's refresh wrote): Vagrant's connection details,
    #    groups from the shipped vagrant.yml.
    inventory, _warnings = inventory_list(project)
    assert sorted(inventory["vagrant"]["hosts"]) == sorted([CP, EDGE])
    assert inventory["k8s"]["hosts"] == [CP]
    assert sorted(inventory["vagrant_provider_docker"]["hosts"]) == sorted([CP, EDGE])
    hostvars = inventory["_meta"]["hostvars"]
    for name in (CP, EDGE):
        host = hostvars[name]
        assert host["ansible_host"] == "127.0.0.1"
        assert host["ansible_user"] == "vagrant"
        assert host["vagrant_state"] == "running" and host["vagrant_provider"] == "docker"
        key = Path(host["ansible_ssh_private_key_file"])
        # Vagrant replaced the insecure key with one of its own for this machine.
        assert key == project.path / ".vagrant" / "machines" / name / "docker" / "private_key" and key.is_file()
        assert "-o IdentitiesOnly=yes" in host["ansible_ssh_common_args"]
        assert host["ansible_python_interpreter"] == "/usr/bin/python3"  # group_vars/vagrant.yml
    assert hostvars[CP]["ansible_port"] != hostvars[EDGE]["ansible_port"]

    # 3. A playbook over SSH through the plugin: the vagrant user, sudo, the machines see each other.
    smoke = tmp_path / "smoke.yml"
    smoke.write_text(SMOKE_PLAYBOOK)
    run = ansible.playbook(smoke, project.inventory)
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-3000:]
    for name in (CP, EDGE):
        assert run.task("Who am I", name)["stdout"] == "vagrant"
        assert run.task("Who am I with become", name)["stdout"] == "root"
        assert run.task("Reach the other machine's sshd over the docker network", name)["results"][0]["state"] == "started"
        address = run.task("Gathering Facts", name)["ansible_facts"]["ansible_default_ipv4"]["address"]
        assert address.startswith(testbed.subnet.rsplit(".", 1)[0] + "."), f"{name} is not on {testbed.network}"

    # 4. Nothing to bring up the second time (so nothing notifies the inventory refresh either).
    again = ansible.playbook(PLAYBOOK, project.inventory, extra_vars={
        "vagrant_up": True, "vagrant_provider": "docker", "vagrant_roles": [], "vagrant_hosts": CP})
    assert again.rc == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert again.task("Run vagrant up").get("skipped") is True
    assert not any(e["result"].get("changed") for e in again.results)

    # 5. A halted machine is no host, and the warning names it (--flush-cache: vagrant is asked again).
    halt = project.vagrant("halt", EDGE)
    assert halt.returncode == 0, halt.stderr
    inventory, stderr = inventory_list(project, "--flush-cache")
    assert inventory["vagrant"]["hosts"] == [CP]
    assert EDGE not in inventory["_meta"]["hostvars"]
    assert f"not added as hosts: {EDGE} (stopped)" in " ".join(stderr.split())
