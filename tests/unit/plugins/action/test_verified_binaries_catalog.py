"""The verified_binaries action resolves catalog tools on the controller, for the host's arch.

The action is built without a task executor (only the catalog step is exercised); the host's answer to
`uname -m; getconf LONG_BIT` is a recorded one (the real command runs in tests/integration/test_tools_batch.py).
"""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleActionFail
from ansible.template import Templar
from ansible.parsing.dataloader import DataLoader

from ansible_collections.pronk8s.platform.plugins.action.verified_binaries import ActionModule, module_item

KUBECTL = {"tool": "kubectl", "version": "1.35.2", "dest": "/usr/local/bin/kubectl", "source": "upstream"}


def action(answer: dict | None = None) -> tuple[ActionModule, list[str]]:
    commands: list[str] = []
    act = ActionModule.__new__(ActionModule)
    act._templar = Templar(loader=DataLoader())
    act._profile = {}

    def execute(command, sudoable=True):
        commands.append(command)
        return answer or {"rc": 0, "stdout": "x86_64\n64\n", "stderr": ""}

    act._low_level_execute_command = execute
    return act, commands


def test_arch_from_gathered_facts_asks_the_host_nothing():
    act, commands = action()
    items, artifacts = act._from_catalog([KUBECTL], {"ansible_facts": {"architecture": "aarch64",
                                                                       "userspace_bits": "64"}}, "h")
    assert commands == [] and artifacts[0]["arch"] == "arm64"
    assert items[0]["url"] == "https://dl.k8s.io/release/v1.35.2/bin/linux/arm64/kubectl"


def test_arch_asked_once_per_host_for_every_tool():
    act, commands = action({"rc": 0, "stdout": "aarch64\n32\n", "stderr": ""})
    helm = {**KUBECTL, "tool": "helm", "version": "3.20.0", "dest": "/usr/local/bin/helm"}
    items, artifacts = act._from_catalog([KUBECTL, helm], {}, "h")
    assert commands == ["uname -m; getconf LONG_BIT"]
    assert {a["arch"] for a in artifacts} == {"arm"}, "a 64-bit kernel with a 32-bit userland is arm"
    assert items[1]["archive_member"] == "linux-arm/helm" and items[1]["validate_contains"] == "v3.20.0"


def test_given_arch_needs_no_question_and_plain_items_pass_through():
    act, commands = action()
    plain = {"url": "https://example.org/x", "checksum": "0" * 64, "dest": "/usr/local/bin/x"}
    items, artifacts = act._from_catalog([{**KUBECTL, "arch": "amd64"}, plain], {}, "h")
    assert commands == [] and items[1] is plain and artifacts[1] is None


def test_unknown_machine_and_failed_question_are_clear_errors():
    act, _commands = action({"rc": 0, "stdout": "sparc64\n64\n", "stderr": ""})
    with pytest.raises(AnsibleActionFail, match="unknown architecture 'sparc64'.*set the item's arch"):
        act._from_catalog([KUBECTL], {}, "h")
    act, _commands = action({"rc": 127, "stdout": "", "stderr": "sh: uname: not found"})
    with pytest.raises(AnsibleActionFail, match="cannot tell the architecture of h.*uname: not found"):
        act._from_catalog([KUBECTL], {}, "h")


def test_unpinned_version_fails_before_anything_reaches_the_host():
    act, _commands = action()
    with pytest.raises(AnsibleActionFail, match=r"kubectl: kubectl 9.9.9 has no sha256 pin.*nothing was changed on h"):
        act._from_catalog([{**KUBECTL, "version": "9.9.9"}], {}, "h")


def test_module_item_pins_validates_and_keeps_the_callers_install_options():
    artifact = {"name": "helm", "version": "3.20.0", "sha256": "a" * 64, "url": None, "src": "/srv/helm.tgz",
                "archive_member": "linux-amd64/helm", "arch": "amd64", "pin_origin": "shipped",
                "verification_level": "copied", "version_args": ["version"]}
    item = module_item({"tool": "helm", "source": "local", "local_dir": "/srv", "arch": None, "mirror_url": None,
                        "dest": "/opt/bin/helm", "mode": "0750", "validate": "%s version --short"}, artifact)
    assert item == {"name": "helm", "version": "3.20.0", "checksum": "sha256:" + "a" * 64, "src": "/srv/helm.tgz",
                    "archive_member": "linux-amd64/helm", "dest": "/opt/bin/helm", "mode": "0750",
                    "validate": "%s version --short", "validate_contains": "v3.20.0",
                    "provenance": {"arch": "amd64", "pin_origin": "shipped", "verification_level": "copied"}}
    assert module_item({"tool": "helm", "dest": "/x"}, {**artifact, "url": "https://h/x", "src": None})["validate"] == "%s version"
    assert "tool" not in item and "source" not in item and "local_dir" not in item


def test_a_tool_with_its_own_url_or_checksum_is_refused():
    act, commands = action()
    with pytest.raises(AnsibleActionFail, match="kubectl: a catalog tool takes its url, checksum from the catalog"):
        act._from_catalog([{**KUBECTL, "url": "https://example.org/kubectl", "checksum": "0" * 64}], {}, "h")
    assert commands == []
