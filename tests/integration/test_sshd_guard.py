"""host_base's sshd lock-out guard on real systemd+sshd containers (issue 12, item 1).

Ansible logs in as `ansible` (key, sudo) over real SSH; another drop-in read before the role's one
(`05-local.conf`) sets what would lock it out. The guard must refuse it before sshd is reloaded, put the
previous state back, and say why; a configuration that lets the login in is accepted and idempotent.
"Sshd untouched" is proven by logging in as `ansible` afterwards: a reload with the refused
configuration would deny that login.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

DROPIN = "/etc/ssh/sshd_config.d/10-pronk8s-hardening.conf"
LOCAL = "/etc/ssh/sshd_config.d/05-local.conf"


@pytest.fixture
def node(hosts):
    """A systemd container with an `ansible` login (the test key, sudo without password, group adm)."""
    host = hosts.start("systemd", prefix="sshguard")[0]
    host.exec("sh", "-c", "useradd -m -s /bin/bash -G adm ansible && install -d -m 700 -o ansible -g ansible "
              "/home/ansible/.ssh && install -m 600 -o ansible -g ansible /root/.ssh/authorized_keys "
              "/home/ansible/.ssh/authorized_keys && echo 'ansible ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/ansible")
    return host


@pytest.fixture
def playbook(tmp_path: Path) -> Path:
    path = tmp_path / "sshd.yml"
    path.write_text(yaml.safe_dump([{
        "name": "host_base sshd hardening only", "hosts": "all", "become": True, "gather_facts": True,
        "tasks": [{"name": "Harden sshd", "ansible.builtin.include_role": {
            "name": "pronk8s.platform.host_base", "tasks_from": "sshd"}}],
    }]))
    return path


def run(ansible, hosts, node, playbook, extra_vars=None, **group_vars):
    inventory = hosts.inventory([node], group_vars={"ansible_user": "ansible", **group_vars})
    return ansible.playbook(playbook, inventory, extra_vars=extra_vars or {})


def can_login(hosts, node, user: str = "ansible") -> bool:
    return subprocess.run(["ssh", *hosts.ssh_options(), f"{user}@{node.address}", "true"],
                          capture_output=True, check=False).returncode == 0


def failure(result) -> str:
    return " ".join(r["result"].get("msg", "") for r in result.results if r["result"].get("failed"))


def refused(ansible, hosts, node, playbook, local_conf: str, **kwargs) -> str:
    node.exec("sh", "-c", f"printf '%s' '{local_conf}' > {LOCAL}")
    result = run(ansible, hosts, node, playbook, **kwargs)
    assert result.rc != 0, result.stdout[-3000:]
    message = failure(result)
    assert "sshd hardening rolled back" in message and "sshd NOT reloaded" in message, message
    # The role's drop-in did not exist before: it is gone; the running sshd still lets ansible in.
    assert node.exec("test", "-e", DROPIN, check=False).returncode != 0
    node.exec("rm", "-f", LOCAL)
    assert can_login(hosts, node), "sshd was reloaded with the refused configuration"
    return message


def test_denyusers_with_two_users_is_refused(ansible, hosts, node, playbook) -> None:
    # sshd -T prints one denyusers line per user; reading only the last (ops) let this through.
    message = refused(ansible, hosts, node, playbook, "DenyUsers ansible ops\n")
    assert f"denyusers ansible matches ansible from {hosts.testbed.gateway}" in message


def test_allow_users_list_is_accepted_and_idempotent(ansible, hosts, node, playbook) -> None:
    # The role writes "AllowUsers ansible ops" itself; reading only the last value (ops) refused it on every run.
    extra = {"host_base_sshd_allow_users": ["ansible", "ops"]}
    first = run(ansible, hosts, node, playbook, extra_vars=extra)
    assert first.rc == 0, failure(first) or first.stdout[-3000:]
    assert first.task("Write the sshd hardening drop-in")["changed"]
    assert "AllowUsers ansible ops\n" in node.exec("cat", DROPIN).stdout
    second = run(ansible, hosts, node, playbook, extra_vars=extra)
    assert second.rc == 0, failure(second)
    assert not any(r["result"].get("changed") for r in second.results), [r["task"] for r in second.results if r["result"].get("changed")]
    assert can_login(hosts, node)
    assert not can_login(hosts, node, "root")  # AllowUsers is in force after the reload


def test_denygroups_with_a_group_of_the_user_is_refused(ansible, hosts, node, playbook) -> None:
    message = refused(ansible, hosts, node, playbook, "DenyGroups nosuch adm\n")
    assert "denygroups nosuch adm matches the group(s) of ansible: adm (adm)" in message


def test_match_address_block_for_the_client_is_refused(ansible, hosts, node, playbook) -> None:
    # The real client address (the network gateway) is used, not 127.0.0.1.
    message = refused(ansible, hosts, node, playbook,
                      f"Match Address {hosts.testbed.gateway}\n  PubkeyAuthentication no\n")
    assert "pubkeyauthentication=no" in message
    node.exec("sh", "-c", f"printf 'Match Address 127.0.0.1\\n  DenyUsers ansible\\n' > {LOCAL}")
    result = run(ansible, hosts, node, playbook)
    assert result.rc == 0, failure(result)


def test_pubkey_algorithms_without_the_key_type_are_refused(ansible, hosts, node, playbook) -> None:
    message = refused(ansible, hosts, node, playbook, "PubkeyAcceptedAlgorithms rsa-sha2-512,rsa-sha2-256\n")
    assert "accepts no signature of a ssh-ed25519 key" in message


def test_unknown_client_address_fails_closed(ansible, hosts, node, playbook, tmp_path) -> None:
    # The docker connection has no SSH_CONNECTION: the role stops before writing anything.
    inventory = tmp_path / "docker.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {node.name: {
        "ansible_connection": "community.docker.docker", "ansible_host": node.container,
        "ansible_python_interpreter": "/usr/bin/python3"}}}}))
    result = ansible.playbook(playbook, inventory)
    assert result.rc != 0
    assert "Set host_base_ssh_client_address" in failure(result)
    assert node.exec("test", "-e", DROPIN, check=False).returncode != 0
    given = ansible.playbook(playbook, inventory, extra_vars={"host_base_ssh_client_address": hosts.testbed.gateway})
    assert given.rc == 0, failure(given)
