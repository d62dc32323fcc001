"""_atomic_file: the one writer of the collection (temp beside the target, fsync, check, rename, no leftovers)."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.pronk8s.platform.plugins.module_utils import _atomic_file
from ansible_collections.pronk8s.platform.plugins.module_utils._atomic_file import replace_file, staged_file


def test_replace_file_writes_the_bytes_with_the_mode_and_leaves_no_temp(tmp_path):
    target = tmp_path / "conf"
    target.write_bytes(b"old")
    replace_file(str(target), b"new", mode=0o640)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ["conf"]


def test_replace_file_makes_the_directory_when_asked(tmp_path):
    target = tmp_path / "a" / "b" / "conf"
    replace_file(str(target), b"x", make_dirs=True)
    assert target.read_bytes() == b"x"


def test_streaming_writes_through_the_handle_and_renames_on_a_clean_exit(tmp_path):
    target = tmp_path / "bin"
    seen = []
    with staged_file(str(target), prefix=".t-", mode=None, check=seen.append) as staged:
        assert os.path.dirname(staged.path) == str(tmp_path)
        assert os.path.basename(staged.path).startswith(".t-")
        assert stat.S_IMODE(os.stat(staged.path).st_mode) == 0o600  # mkstemp's, left alone with mode None
        for _chunk in range(4):
            staged.file.write(b"0123456789")
        assert not target.exists()
    assert seen and seen[0] != str(target)  # the check saw the temporary file, before the rename
    assert target.read_bytes() == b"0123456789" * 4
    assert os.listdir(tmp_path) == ["bin"]


def test_content_written_by_name_is_kept_too(tmp_path):
    target = tmp_path / "artifact"
    with staged_file(str(target)) as staged:
        with open(staged.path, "wb") as other:  # what _download.download() does with the path
            other.write(b"by name")
    assert target.read_bytes() == b"by name"


def test_a_refusing_check_leaves_the_target_and_no_temp(tmp_path):
    target = tmp_path / "bin"
    target.write_bytes(b"old")

    def refuse(path: str) -> None:
        raise ValueError(f"refused {os.path.basename(path)}")

    with pytest.raises(ValueError, match="refused .pronk8s."):
        with staged_file(str(target), check=refuse) as staged:
            staged.file.write(b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["bin"]


def test_an_exception_in_the_body_leaves_the_target_and_no_temp(tmp_path):
    target = tmp_path / "bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with staged_file(str(target)) as staged:
            staged.file.write(b"half")
            raise RuntimeError("download broke")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["bin"]


def test_discard_removes_the_temp_and_never_touches_the_target(tmp_path):
    target = tmp_path / "bin"
    with staged_file(str(target), check=lambda path: pytest.fail("no check for a discarded file")) as staged:
        staged.file.write(b"scratch")
        staged.discard()
    assert os.listdir(tmp_path) == []


def test_a_planted_symlink_is_never_followed(tmp_path, monkeypatch):
    """Every predictable temporary name is taken by a symlink to a victim: mkstemp (O_EXCL) picks another."""
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    names = iter(["planted", "planted", "fresh"])
    monkeypatch.setattr(_atomic_file.tempfile, "_get_candidate_names", lambda: names)
    (tmp_path / ".pronk8s.planted").symlink_to(victim)
    replace_file(str(tmp_path / "conf"), b"new")
    assert victim.read_bytes() == b"precious"
    assert (tmp_path / "conf").read_bytes() == b"new"
    assert os.path.islink(tmp_path / ".pronk8s.planted")


def test_the_move_function_is_the_callers(tmp_path):
    moves = []

    def move(src: str, dest: str) -> None:
        moves.append(dest)
        os.replace(src, dest)

    replace_file(str(tmp_path / "conf"), b"x", move=move)
    assert moves == [str(tmp_path / "conf")]
