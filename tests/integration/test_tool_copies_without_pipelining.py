"""tool_copies_info asks the user's interactive login shell for its PATH: with Ansible's default settings too.

Without pipelining (Ansible's default), modules run on a pseudo-terminal (`ssh -tt`). An interactive shell
started there outside the terminal's foreground process group is stopped by SIGTTOU and never ends (the
module hung until the task was killed); the module now starts it in a session of its own, without a terminal.
"""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def host(hosts):
    return hosts.start("sshd", 1, prefix="copies")[0]


def test_login_shell_path_is_read_on_a_pty(host, hosts, ansible, tmp_path):
    host.exec("sh", "-c", "printf 'export PATH=\"$HOME/.local/bin:$PATH\"\\n' >> /root/.bashrc && mkdir -p /root/.local/bin"
              " && printf '#!/bin/sh\\n' > /root/.local/bin/kubectl && chmod 755 /root/.local/bin/kubectl")
    pb = tmp_path / "copies.yml"
    pb.write_text(json.dumps([{"hosts": "all", "gather_facts": False, "tasks": [{
        "name": "copies", "pronk8s.platform.tool_copies_info": {"name": "kubectl", "verified_path": "/usr/local/bin/kubectl"},
        "timeout": 120}]}]))
    res = ansible.playbook(pb, hosts.inventory(), env={"ANSIBLE_PIPELINING": "false"})
    assert res.rc == 0, res.stdout[-3000:]
    copies = res.task("copies")
    assert copies["path_source"] == "login shell"
    assert copies["winner"] == "/root/.local/bin/kubectl", "the .bashrc of an interactive shell was read"
