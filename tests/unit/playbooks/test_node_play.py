"""bare_metal, pi_cluster and workstation are one node play: each keeps its FQCN, hosts variable and switches.

Runs the real ansible-playbook (--list-hosts / --list-tasks, which resolve the plays without touching
any host) on a static inventory.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

INVENTORY = """
[bare_metal]
bm-1
[pi_cluster]
pi-1
[workstations]
ws-1
[other]
x-1
"""

CASES = [
    ("bare_metal", "bare_metal_hosts", "bm-1", "bare-metal hosts"),
    ("pi_cluster", "pi_cluster_hosts", "pi-1", "Raspberry Pi nodes"),
    ("workstation", "workstation_hosts", "ws-1", "workstations"),
]


def ansible_playbook(tmp_path: Path, *args: str) -> str:
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(INVENTORY)
    proc = subprocess.run(["ansible-playbook", "-i", str(inventory), *args], capture_output=True, text=True,
                          env={**os.environ, "ANSIBLE_FORCE_COLOR": "0"}, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.mark.parametrize(("name", "hosts_var", "default_host", "title"), CASES)
def test_fqcn_default_group_and_hosts_variable(tmp_path: Path, name: str, hosts_var: str, default_host: str,
                                               title: str) -> None:
    out = ansible_playbook(tmp_path, f"pronk8s.platform.{name}", "--list-hosts")
    assert re.findall(r"play #\d+ \(\S+\): (.+?)\tTAGS", out) == [f"Preflight - {title}", f"Provision - {title}"]
    assert out.count(f"      {default_host}\n") == 2
    moved = ansible_playbook(tmp_path, f"pronk8s.platform.{name}", "--list-hosts", "-e", f"{hosts_var}=other")
    assert moved.count("      x-1\n") == 2 and default_host not in moved


def test_one_provisioning_order_for_every_kind_of_node(tmp_path: Path) -> None:
    out = ansible_playbook(tmp_path, "pronk8s.platform.site", "--list-tasks")
    steps = re.findall(r"^      (Base host|Prepare the Pi's boot|Install the Docker engine|Install the tools, verified)",
                       out, flags=re.MULTILINE)
    # host_base before raspberry_pi (swap off before the Pi reboots), Docker, then the one tool-install step.
    assert steps == ["Base host", "Prepare the Pi's boot", "Install the Docker engine", "Install the tools, verified"] * 3
