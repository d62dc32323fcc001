"""boot_cmdline: edits keep every other parameter and the order, and a broken file is never written.

The module runs for real on real files in a temporary directory (laid out like a boot partition);
only the "disk fails during the rename" case replaces AnsibleModule.atomic_move, since a failing
disk cannot be had on demand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args
from ansible_collections.pronk8s.platform.plugins.module_utils._boot_cmdline import (
    CmdlineError,
    KernelCmdline,
    check_parameter,
    split_cmdline,
)
from ansible_collections.pronk8s.platform.plugins.modules import boot_cmdline

RPIOS = ("console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes "
         "rootwait quiet splash plymouth.ignore-serial-consoles\n")
CGROUP = ["cgroup_enable=memory", "cgroup_memory=1"]


def run(capsys: pytest.CaptureFixture, check_mode: bool = False, diff: bool = True, **args) -> dict:
    args.update(_ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(args), pytest.raises(SystemExit):
        boot_cmdline.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def cmdline(tmp_path: Path) -> Path:
    path = tmp_path / "firmware" / "cmdline.txt"
    path.parent.mkdir()
    path.write_text(RPIOS)
    return path


# (before, parameters, state, after, added, removed): the editing rules, one row each.
EDITS = [
    pytest.param("a b\n", ["c"], "present", "a b c\n", ["c"], [], id="append-flag"),
    pytest.param("a c b\n", ["c"], "present", "a c b\n", [], [], id="flag-already-there"),
    pytest.param("x=1 a x=2 b\n", ["x=3"], "present", "x=3 a b\n", ["x=3"], ["x=2", "x=1"],
                 id="replace-first-drop-duplicates"),
    pytest.param("a x=3 b\n", ["x=3"], "present", "a x=3 b\n", [], [], id="value-already-set"),
    pytest.param("a x=3 b x=3\n", ["x=3"], "present", "a x=3 b\n", [], ["x=3"], id="duplicate-of-same-value"),
    pytest.param("a cgroup_enable=cpuset\n", ["cgroup_enable=memory"], "present",
                 "a cgroup_enable=cpuset cgroup_enable=memory\n", ["cgroup_enable=memory"], [],
                 id="multi-value-key-keeps-others"),
    pytest.param("console=serial0,115200 console=tty1\n", ["console=tty1"], "present",
                 "console=serial0,115200 console=tty1\n", [], [], id="console-twice-is-fine"),
    pytest.param("a cgroup-memory=0\n", ["cgroup_memory=1"], "present", "a cgroup_memory=1\n",
                 ["cgroup_memory=1"], ["cgroup-memory=0"], id="dash-and-underscore-are-one-key"),
    pytest.param("a b -- init=1\n", ["c", "init=2"], "present", "a b c init=2 -- init=1\n", ["c", "init=2"], [],
                 id="kernel-part-only-before-double-dash"),
    pytest.param('a dyndbg="file x.c +p" b\n', ["c"], "present", 'a dyndbg="file x.c +p" b c\n', ["c"], [],
                 id="quoted-value-kept-whole"),
    pytest.param('a dyndbg="file x.c +p"\n', ['dyndbg="file y.c +p"'], "present",
                 'a dyndbg="file y.c +p"\n', ['dyndbg="file y.c +p"'], ['dyndbg="file x.c +p"'],
                 id="quoted-value-replaced"),
    pytest.param("a quiet b splash\n", ["quiet", "splash"], "absent", "a b\n", [], ["quiet", "splash"],
                 id="absent-flags"),
    pytest.param("a x=1 b x=2\n", ["x"], "absent", "a b\n", [], ["x=1", "x=2"], id="absent-bare-name-any-value"),
    pytest.param("a x=1 b x=2\n", ["x=2"], "absent", "a x=1 b\n", [], ["x=2"], id="absent-exact-pair-only"),
    pytest.param("a b -- quiet\n", ["quiet"], "absent", "a b -- quiet\n", [], [], id="absent-leaves-init-part"),
    pytest.param("a b\n", ["zz"], "absent", "a b\n", [], [], id="absent-already"),
]


@pytest.mark.parametrize(("before", "params", "state", "after", "added", "removed"), EDITS)
def test_edit_rules(before, params, state, after, added, removed) -> None:
    line = KernelCmdline.parse(before)
    if state == "present":
        line.ensure_present(params)
    else:
        line.ensure_absent(params)
    assert (line.render() if line.changed else before) == after
    assert line.added == added
    assert line.removed == removed


@pytest.mark.parametrize(("param", "message"), [
    ("", "empty parameter"),
    ("a b", "is not a single parameter"),
    ("a\nb", "line break"),
    ('x="a', "unbalanced double quote"),
    ("--", "separates kernel from init"),
    ("=1", "has no parameter name"),
])
def test_bad_parameters_are_refused(param: str, message: str) -> None:
    with pytest.raises(CmdlineError, match=message):
        check_parameter(param, "parameters[0]")


def test_split_like_the_kernel() -> None:
    assert split_cmdline('  a\tb="c d"  "e f" g\n') == ["a", 'b="c d"', '"e f"', "g"]
    with pytest.raises(CmdlineError):
        split_cmdline('a "b')


def test_check_mode_then_apply_then_idempotent(capsys, cmdline: Path) -> None:
    checked = run(capsys, check_mode=True, path=str(cmdline), parameters=CGROUP)
    assert checked["changed"] is True
    assert cmdline.read_text() == RPIOS, "check mode wrote the file"
    assert checked["diff"]["before"] == RPIOS
    assert checked["diff"]["after"] == RPIOS.rstrip("\n") + " cgroup_enable=memory cgroup_memory=1\n"

    applied = run(capsys, path=str(cmdline), parameters=CGROUP)
    assert applied["changed"] is True
    assert applied["added"] == CGROUP and applied["removed"] == []
    assert cmdline.read_text() == checked["diff"]["after"]
    assert applied["cmdline"] == checked["diff"]["after"].rstrip("\n")
    assert applied["parameters"][-2:] == CGROUP

    for check_mode in (True, False):
        again = run(capsys, check_mode=check_mode, path=str(cmdline), parameters=CGROUP)
        assert again["changed"] is False
        assert again["diff"]["before"] == again["diff"]["after"]
    assert cmdline.read_text() == checked["diff"]["after"]
    # No temporary file is left on the boot partition.
    assert sorted(p.name for p in cmdline.parent.iterdir()) == ["cmdline.txt"]


def test_absent_restores_the_original(capsys, cmdline: Path) -> None:
    run(capsys, path=str(cmdline), parameters=CGROUP)
    result = run(capsys, path=str(cmdline), parameters=CGROUP, state="absent")
    assert result["changed"] is True and result["removed"] == CGROUP
    assert cmdline.read_text() == RPIOS


def test_unchanged_file_keeps_its_odd_whitespace(capsys, tmp_path: Path) -> None:
    path = tmp_path / "cmdline.txt"
    path.write_text("a  b\tcgroup_enable=memory")
    result = run(capsys, path=str(path), parameters=["cgroup_enable=memory"])
    assert result["changed"] is False
    assert path.read_text() == "a  b\tcgroup_enable=memory"
    # A change writes the canonical form: one line, single spaces, one trailing newline.
    run(capsys, path=str(path), parameters=["c"])
    assert path.read_text() == "a b cgroup_enable=memory c\n"


def test_backup_name_is_fat_safe(capsys, cmdline: Path) -> None:
    result = run(capsys, path=str(cmdline), parameters=CGROUP, backup=True)
    backup = Path(result["backup_file"])
    assert backup.parent == cmdline.parent
    assert ":" not in backup.name and backup.name.endswith(".bak")
    assert backup.read_text() == RPIOS
    # No backup when nothing changes.
    assert "backup_file" not in run(capsys, path=str(cmdline), parameters=CGROUP, backup=True)


@pytest.mark.parametrize(("content", "message"), [
    ("", "is empty"),
    ("  \n\n", "is empty"),
    ("console=tty1 rootwait\nquiet\n", "has 2 lines"),
    ("DO NOT EDIT THIS FILE\n\nThe file you are looking for has moved to /boot/firmware/cmdline.txt\n", "has 3 lines"),
    ('console=tty1 init="/bin/sh\n', "unbalanced double quote"),
])
def test_refuses_broken_files_and_leaves_them_alone(capsys, tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "cmdline.txt"
    path.write_text(content)
    result = run(capsys, path=str(path), parameters=CGROUP)
    assert result["failed"] is True
    assert message in result["msg"] and str(path) in result["msg"]
    assert path.read_text() == content


def test_missing_file_is_a_clear_error(capsys, tmp_path: Path) -> None:
    path = tmp_path / "boot" / "cmdline.txt"
    result = run(capsys, path=str(path), parameters=CGROUP)
    assert result["failed"] is True
    assert result["msg"].startswith(f"{path} does not exist")
    assert not path.parent.exists()


def test_refuses_to_empty_the_line(capsys, tmp_path: Path) -> None:
    path = tmp_path / "cmdline.txt"
    path.write_text("quiet\n")
    result = run(capsys, path=str(path), parameters=["quiet"], state="absent")
    assert result["failed"] is True and "empty command line" in result["msg"]
    assert path.read_text() == "quiet\n"


def test_bad_parameter_names_its_index(capsys, cmdline: Path) -> None:
    result = run(capsys, path=str(cmdline), parameters=["cgroup_memory=1", "a b"])
    assert result["failed"] is True
    assert result["msg"].startswith("parameters[1]: 'a b'")
    assert cmdline.read_text() == RPIOS


def test_failed_rename_leaves_old_file_and_no_temp(capsys, cmdline: Path, monkeypatch) -> None:
    def broken_rename(self, src, dest, unsafe_writes=False, keep_dest_attrs=True):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(AnsibleModule, "atomic_move", broken_rename)
    result = run(capsys, path=str(cmdline), parameters=CGROUP)
    assert result["failed"] is True and "No space left on device" in result["msg"]
    assert cmdline.read_text() == RPIOS
    assert sorted(p.name for p in cmdline.parent.iterdir()) == ["cmdline.txt"]


# ---- issue 12: symlinked cmdline.txt, kernel length limit -----------------------------------------
def test_symlinked_file_is_edited_where_it_points(capsys, cmdline: Path) -> None:
    # Before: the link was replaced by a regular file; the real command line stayed as it was.
    link = cmdline.parent.parent / "cmdline.txt"
    link.symlink_to("firmware/cmdline.txt")
    result = run(capsys, path=str(link), parameters=CGROUP)
    assert result["changed"] is True and result["target"] == str(cmdline)
    assert link.is_symlink() and link.readlink() == Path("firmware/cmdline.txt")
    assert cmdline.read_text() == RPIOS.rstrip("\n") + " cgroup_enable=memory cgroup_memory=1\n"
    assert run(capsys, path=str(link), parameters=CGROUP)["changed"] is False
    backup = run(capsys, path=str(link), parameters=["quiet"], state="absent", backup=True)["backup_file"]
    assert Path(backup).parent == cmdline.parent
    assert sorted(p.name for p in cmdline.parent.iterdir() if not p.name.endswith(".bak")) == ["cmdline.txt"]


def test_dangling_symlink_is_a_clear_error(capsys, tmp_path: Path) -> None:
    link = tmp_path / "cmdline.txt"
    link.symlink_to(tmp_path / "gone" / "cmdline.txt")
    result = run(capsys, path=str(link), parameters=CGROUP)
    assert result["failed"] is True
    assert result["msg"].startswith(f"{link} does not exist (a symbolic link to {tmp_path / 'gone' / 'cmdline.txt'}")
    assert link.is_symlink()


def test_line_over_the_kernel_limit_is_refused(capsys, tmp_path: Path) -> None:
    path = tmp_path / "cmdline.txt"
    base = "root=/dev/mmcblk0p2 rootwait"
    path.write_text(base + "\n")
    # Up to COMMAND_LINE_SIZE - 1 = 2047 bytes (arm64, x86_64) is written ...
    fits = "x=" + "a" * (2047 - len(base) - 1 - 2)
    assert run(capsys, path=str(path), parameters=[fits])["changed"] is True
    assert len(path.read_text().rstrip("\n").encode()) == 2047
    # ... one byte more is refused, and the file is left alone.
    before = path.read_text()
    result = run(capsys, path=str(path), parameters=["y"])
    assert result["failed"] is True
    assert f"{path}: the new command line would be 2049 bytes, over the kernel's limit of 2047" in result["msg"]
    assert path.read_text() == before
    # A 32-bit ARM kernel (COMMAND_LINE_SIZE 1024) is set with max_bytes.
    path.write_text(base + "\n")
    small = run(capsys, path=str(path), parameters=["z=" + "b" * 1000], max_bytes=1023)
    assert small["failed"] is True and "over the kernel's limit of 1023" in small["msg"]


def test_removing_from_an_overlong_line_is_allowed_when_it_then_fits(capsys, tmp_path: Path) -> None:
    path = tmp_path / "cmdline.txt"
    path.write_text("root=/dev/sda1 junk=" + "c" * 2100 + "\n")
    result = run(capsys, path=str(path), parameters=["junk"], state="absent")
    assert result["changed"] is True and path.read_text() == "root=/dev/sda1\n"
