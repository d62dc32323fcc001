"""tool_copies_info: every copy of a command, the one PATH picks, the verified one; dpkg is this machine's real dpkg.

``dpkg-query`` stands in for the tool: it really is in /usr/bin and really belongs to the dpkg package here,
as /usr/bin/kubectl belongs to the kubectl package on a host set up from pkgs.k8s.io.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.pronk8s.platform.plugins.module_utils._tool_copies import provider_of, split_path
from ansible_collections.pronk8s.platform.plugins.modules import tool_copies_info

TOOL = "dpkg-query"


def run(capsys, **args) -> dict:
    with patch_module_args({"name": TOOL, **args}), pytest.raises(SystemExit):
        tool_copies_info.main()
    return json.loads(capsys.readouterr().out)


def executable(path: Path, target: Path | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if target is not None:
        path.symlink_to(target)
    else:
        path.write_text("#!/bin/sh\necho stand-in\n")
        path.chmod(0o755)
    return path


def test_dpkg_copy_wins_before_the_verified_one_is_installed(capsys, tmp_path) -> None:
    verified = tmp_path / "opt/bin" / TOOL
    result = run(capsys, verified_path=str(verified), search_path=f"/usr/bin:{verified.parent}:/bin")
    first = result["copies"][0]
    assert first["path"] == f"/usr/bin/{TOOL}" and first["provider"] == "dpkg" and first["package"] == "dpkg"
    assert first["remove_hint"] == "apt-get remove dpkg" and first["wins"] is True
    assert result["winner"] == f"/usr/bin/{TOOL}" and result["winner_verified"] is False
    assert result["shadowing"] == [f"/usr/bin/{TOOL}"]
    assert "NOT the verified one" in result["summary"] and "not installed yet" in result["summary"]
    assert "dpkg package dpkg" in result["summary"]


def test_verified_copy_first_on_path_wins_and_others_are_listed(capsys, tmp_path) -> None:
    verified = executable(tmp_path / "opt/bin" / TOOL)
    stray = executable(tmp_path / "stray" / TOOL)
    link = executable(tmp_path / "links" / TOOL, target=verified)
    result = run(capsys, verified_path=str(verified), search_path=f"{link.parent}:{verified.parent}:/usr/bin",
                 extra_dirs=[str(stray.parent)])
    by_path = {c["path"]: c for c in result["copies"]}
    # A symlink to the verified file is the verified one.
    assert by_path[str(link)]["verified"] is True and by_path[str(link)]["wins"] is True
    assert result["winner_verified"] is True and result["shadowing"] == []
    assert by_path[f"/usr/bin/{TOOL}"]["shadows_verified"] is False
    assert by_path[str(stray)]["on_path"] is False and by_path[str(stray)]["provider"] == "unknown"
    assert "it is the verified one" in result["summary"] and "not on PATH" in result["summary"]


def test_verified_dir_not_on_path_means_every_copy_on_it_shadows(capsys, tmp_path) -> None:
    verified = executable(tmp_path / "opt/bin" / TOOL)
    result = run(capsys, verified_path=str(verified), search_path="/usr/bin:/bin")
    assert result["verified_on_path"] is False and result["shadowing"] == [f"/usr/bin/{TOOL}"]
    assert f"{verified.parent} is not on" in result["summary"]


def test_login_shell_path_is_asked(capsys, tmp_path, monkeypatch) -> None:
    """The shell's own $PATH, not this process's (run_command must not expand "$PATH" in the script)."""
    monkeypatch.setenv("PATH", "/pronk8s-not-a-login-path:/usr/bin:/bin")
    result = run(capsys, verified_path=str(tmp_path / TOOL))
    assert result["path_source"] == "login shell" and "/usr/bin" in result["search_path"]
    assert "/pronk8s-not-a-login-path" not in result["search_path"]


def test_a_path_as_name_is_refused(capsys, tmp_path) -> None:
    with patch_module_args({"name": "/usr/bin/kubectl", "verified_path": str(tmp_path)}), pytest.raises(SystemExit):
        tool_copies_info.main()
    assert "must be a command name" in json.loads(capsys.readouterr().out)["msg"]


@pytest.mark.parametrize("path, real, provider", [
    ("/snap/bin/kubectl", "/usr/bin/snap", "snap"),
    ("/home/a/.asdf/shims/kubectl", "/home/a/.asdf/shims/kubectl", "asdf"),
    ("/home/a/.local/share/mise/shims/helm", "/home/a/.local/share/mise/shims/helm", "mise"),
    ("/home/a/go/bin/kind", "/home/a/go/bin/kind", "go install"),
    ("/home/a/.local/bin/helm", "/home/a/.local/bin/helm", "user"),
    ("/opt/x/kubectl", "/opt/x/kubectl", "unknown"),
])
def test_provider_from_the_path(path, real, provider) -> None:
    assert provider_of(path, real, "/home/a", None)[0] == provider


def test_snap_remove_hint_names_the_snap() -> None:
    assert provider_of("/snap/bin/kubectl", "/usr/bin/snap", "/home/a", None) == ("snap", "snap remove kubectl")


def test_split_path_keeps_the_first_of_repeats() -> None:
    assert split_path("/a::/b/:relative:/a:/c") == ["/a", "/b", "/c"]
