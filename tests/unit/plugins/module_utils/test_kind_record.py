"""_kind.Record on disk: owner-only, written through the collection's one atomic writer (issue 12, item 10)."""

from __future__ import annotations

import os
import stat

from ansible_collections.pronk8s.platform.plugins.module_utils._kind import Record


def record() -> Record:
    return Record(name="dev", fingerprint="f" * 64, ca_sha256="c" * 64,
                  config={"containerdConfigPatches": ["password = 's3cret'"]}, image=None)


def test_planted_tmp_symlink_is_not_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    path = tmp_path / "records" / "dev.json"
    path.parent.mkdir()
    (path.parent / "dev.json.tmp").symlink_to(victim)

    record().save(str(path))

    assert victim.read_text() == "keep me\n"
    assert not path.is_symlink()
    assert Record.load(str(path)) == record()


def test_record_is_owner_only_even_over_an_existing_0644_file(tmp_path):
    path = tmp_path / "dev.json"
    path.write_text("{}")
    os.chmod(path, 0o644)

    record().save(str(path))

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name != "dev.json"]
