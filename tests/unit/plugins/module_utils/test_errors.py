"""_errors: the one failure path of every module (exit_with)."""

from __future__ import annotations

import pytest

from ansible_collections.pronk8s.platform.plugins.module_utils._errors import ModuleError, exit_with


class Module:
    """Records how AnsibleModule would end: exit_json and fail_json never return."""

    def __init__(self) -> None:
        self.ended: tuple[str, dict] | None = None

    def exit_json(self, **result) -> None:
        self.ended = ("exit", result)
        raise SystemExit(0)

    def fail_json(self, **result) -> None:
        self.ended = ("fail", result)
        raise SystemExit(1)


def test_the_result_of_run_is_what_the_module_exits_with() -> None:
    module = Module()
    with pytest.raises(SystemExit):
        exit_with(module, lambda: {"changed": True, "dest": "/etc/x"})
    assert module.ended == ("exit", {"changed": True, "dest": "/etc/x"})


def test_a_module_error_fails_with_its_message_and_result_fields() -> None:
    def run() -> dict:
        raise ModuleError("name: no user 'bob' on this host", changed=False, diff={"before": "", "after": ""})

    module = Module()
    with pytest.raises(SystemExit):
        exit_with(module, run)
    assert module.ended == ("fail", {"msg": "name: no user 'bob' on this host", "changed": False,
                                     "diff": {"before": "", "after": ""}})


def test_other_exceptions_are_not_hidden() -> None:
    def run() -> dict:
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        exit_with(Module(), run)
