"""_xdg: the per-user cache and state directories, by the XDG Base Directory rules."""

from __future__ import annotations

import pytest

from ansible_collections.pronk8s.platform.plugins.module_utils import _xdg


def test_defaults_under_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/alice")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    assert _xdg.cache_dir("artifacts") == "/home/alice/.cache/pronk8s/artifacts"
    assert _xdg.state_dir("receipts") == "/home/alice/.local/state/pronk8s/receipts"


def test_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "/srv/cache")
    monkeypatch.setenv("XDG_STATE_HOME", "/srv/state")
    assert _xdg.cache_dir("kind") == "/srv/cache/pronk8s/kind"
    assert _xdg.state_dir() == "/srv/state/pronk8s"


def test_relative_value_is_ignored_as_the_specification_says(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/alice")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert _xdg.cache_dir() == "/home/alice/.cache/pronk8s"
