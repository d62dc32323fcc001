"""subordinate_ids: ranges never overlap, existing ones are kept, check mode writes nothing."""

from __future__ import annotations

import json
import pwd
from pathlib import Path

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.pronk8s.platform.plugins.modules import subordinate_ids
from ansible_collections.pronk8s.platform.plugins.modules.subordinate_ids import IdRange, first_free, parse_ranges

USER = "nobody"  # exists on every Debian host (the module refuses unknown users)


@pytest.mark.parametrize(("taken", "count", "expected"), [
    ([], 65536, 100000),
    ([IdRange("a", 100000, 65536)], 65536, 165536),
    # a gap big enough between two ranges is used
    ([IdRange("a", 100000, 65536), IdRange("b", 300000, 65536)], 65536, 165536),
    # a gap too small is skipped
    ([IdRange("a", 100000, 65536), IdRange("b", 200000, 65536)], 65536, 265536),
    # a range below min_id does not matter, one straddling it does
    ([IdRange("a", 1000, 100)], 10, 100000),
    ([IdRange("a", 99990, 20)], 10, 100010),
    # unsorted input
    ([IdRange("b", 165536, 65536), IdRange("a", 100000, 65536)], 1, 231072),
])
def test_first_free(taken, count, expected) -> None:
    assert first_free(taken, count, 100000, 600100000) == expected


def test_first_free_full() -> None:
    assert first_free([IdRange("a", 100000, 1000)], 10, 100000, 100500) is None


def test_parse_skips_comments_and_junk() -> None:
    text = "# comment\nalice:100000:65536\n\nbroken line\nbob:x:1\n1001:165536:65536\n"
    assert parse_ranges(text) == [IdRange("alice", 100000, 65536), IdRange("1001", 165536, 65536)]


def run(capsys, tmp_path: Path, check_mode: bool = False, **args) -> dict:
    args = {"subuid_path": str(tmp_path / "subuid"), "subgid_path": str(tmp_path / "subgid"), **args}
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args), pytest.raises(SystemExit):
        subordinate_ids.main()
    return json.loads(capsys.readouterr().out)


def test_allocates_after_existing_ranges_and_is_idempotent(capsys, tmp_path: Path) -> None:
    (tmp_path / "subuid").write_text("alice:100000:65536")  # no trailing newline, as hand edits leave it
    (tmp_path / "subgid").write_text("alice:100000:65536\nbob:165536:65536\n")
    result = run(capsys, tmp_path, name=USER)
    assert result["changed"] is True
    assert result["subuid"] == {"start": 165536, "count": 65536}
    assert result["subgid"] == {"start": 231072, "count": 65536}
    assert (tmp_path / "subuid").read_text() == f"alice:100000:65536\n{USER}:165536:65536\n"
    assert (tmp_path / "subgid").read_text().endswith(f"{USER}:231072:65536\n")
    assert result["diff"][0]["before"] == "alice:100000:65536"
    again = run(capsys, tmp_path, name=USER)
    assert again["changed"] is False and again["subuid"] == result["subuid"]


def test_range_given_by_uid_is_kept(capsys, tmp_path: Path) -> None:
    uid = pwd.getpwnam(USER).pw_uid
    for name in ("subuid", "subgid"):
        (tmp_path / name).write_text(f"{uid}:500000:70000\n")
    result = run(capsys, tmp_path, name=USER)
    assert result["changed"] is False
    assert result["subuid"] == {"start": 500000, "count": 70000}


def test_too_small_range_gets_a_new_one(capsys, tmp_path: Path) -> None:
    for name in ("subuid", "subgid"):
        (tmp_path / name).write_text(f"{USER}:100000:1000\n")
    result = run(capsys, tmp_path, name=USER)
    assert result["changed"] is True and result["subuid"]["start"] == 101000


def test_check_mode_writes_nothing(capsys, tmp_path: Path) -> None:
    result = run(capsys, tmp_path, check_mode=True, name=USER)
    assert result["changed"] is True and result["subuid"]["start"] == 100000
    assert not (tmp_path / "subuid").exists() and not (tmp_path / "subgid").exists()


def test_unknown_user_is_refused(capsys, tmp_path: Path) -> None:
    result = run(capsys, tmp_path, name="no-such-user-pronk8s")
    assert result["failed"] is True and "no user 'no-such-user-pronk8s'" in result["msg"]
    assert not (tmp_path / "subuid").exists()
