"""deprecated_variables: one deprecation per renamed variable that is set, none otherwise (controller only)."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.playbook.task import Task
from ansible_collections.pronk8s.platform.plugins.action.deprecated_variables import ActionModule

RENAMED = {"raspberry_pi_hostname": "host_base_hostname", "raspberry_pi_disable_swap": "raspberry_pi_disable_swap_services"}


def run(args: dict, task_vars: dict) -> dict:
    task = Task()
    task.args = args
    action = ActionModule(task, MagicMock(), MagicMock(), loader=None, templar=None, shared_loader_obj=None)
    return action.run(task_vars=task_vars)


def test_each_old_name_set_gets_a_deprecation_naming_the_new_one() -> None:
    result = run({"renamed": RENAMED, "version": "2.0.0"}, {"raspberry_pi_hostname": "pi-1", "other": 1})
    assert result["changed"] is False
    assert result["deprecated"] == ["raspberry_pi_hostname"]
    assert result["deprecations"] == [{
        "msg": "The variable raspberry_pi_hostname is deprecated and still used for now: set host_base_hostname instead",
        "version": "2.0.0", "collection_name": "pronk8s.platform"}]


def test_nothing_set_nothing_said() -> None:
    result = run({"renamed": RENAMED, "version": "2.0.0"}, {"host_base_hostname": "pi-1"})
    assert result["deprecated"] == [] and result["deprecations"] == []


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(AnsibleActionFail, match="missing required arguments: version"):
        run({"renamed": RENAMED}, {})
