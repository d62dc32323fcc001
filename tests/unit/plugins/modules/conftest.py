"""Shared fixtures for module unit tests."""

from __future__ import annotations

import pytest

from ansible.module_utils.basic import AnsibleModule


@pytest.fixture
def module_exits(monkeypatch) -> list[dict]:
    """What AnsibleModule.exit_json/fail_json were called with, in order; each call ends the module (SystemExit)."""
    calls: list[dict] = []

    def exit_json(self, **kwargs):
        calls.append(kwargs)
        raise SystemExit(0)

    def fail_json(self, **kwargs):
        calls.append({**kwargs, "failed": True})
        raise SystemExit(1)

    monkeypatch.setattr(AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(AnsibleModule, "fail_json", fail_json)
    return calls
