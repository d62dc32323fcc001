"""Safe, streamed extraction of one archive member."""

import io
import tarfile
import zipfile

import pytest
from ansible_collections.pronk8s.platform.plugins.module_utils._archive import ArchiveError, detect_format, extract_member


def make_tar(path, mode, members=(), symlinks=(), hardlinks=(), devices=(), fifos=()):
    with tarfile.open(path, mode) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target, kind in [(n, t, tarfile.SYMTYPE) for n, t in symlinks] + [(n, t, tarfile.LNKTYPE) for n, t in hardlinks]:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, target
            tar.addfile(info)
        for name in devices:
            info = tarfile.TarInfo(name)
            info.type = tarfile.BLKTYPE
            tar.addfile(info)
        for name in fifos:
            info = tarfile.TarInfo(name)
            info.type = tarfile.FIFOTYPE
            tar.addfile(info)
    return str(path)


@pytest.mark.parametrize("mode,fmt", [("w:gz", "tar.gz"), ("w:xz", "tar.xz")])
def test_tar_member(tmp_path, mode, fmt):
    archive = make_tar(tmp_path / "a", mode, members=[("linux-amd64/helm", b"HELM"), ("linux-amd64/LICENSE", b"L")])
    assert detect_format(archive) == fmt
    out = io.BytesIO()
    extract_member(archive, "linux-amd64/helm", out, "http://m/a")
    assert out.getvalue() == b"HELM"
    out = io.BytesIO()
    extract_member(archive, "./linux-amd64/helm", out, "http://m/a")
    assert out.getvalue() == b"HELM"


def test_zip_member(tmp_path):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("bin/tool", b"TOOL")
    out = io.BytesIO()
    extract_member(str(path), "bin/tool", out, "z")
    assert out.getvalue() == b"TOOL"


def test_missing_member_lists_what_is_there(tmp_path):
    archive = make_tar(tmp_path / "a", "w:gz", members=[("linux-arm64/helm", b"x"), ("README.md", b"r")])
    with pytest.raises(ArchiveError, match=r"archive u has no file member 'linux-amd64/helm' \(it holds: linux-arm64/helm, README.md\)"):
        extract_member(archive, "linux-amd64/helm", io.BytesIO(), "u")


@pytest.mark.parametrize("kwargs,reason", [
    (dict(members=[("/abs", b"x")]), "member '/abs' has an absolute path"),
    (dict(members=[("a/../../x", b"x")]), "member 'a/../../x' has a '..' component"),
    (dict(symlinks=[("a/l", "../../etc/passwd")]), "member 'a/l' is a link to '../../etc/passwd'"),
    (dict(symlinks=[("a/l", "helm")]), "member 'a/l' is a link to 'helm'"),
    (dict(hardlinks=[("a/h", "a/helm")]), "member 'a/h' is a link to 'a/helm'"),
    (dict(devices=["a/sda"]), "member 'a/sda' is a device, FIFO or other special file"),
    (dict(fifos=["a/pipe"]), "member 'a/pipe' is a device, FIFO or other special file"),
])
def test_unsafe_tar_members_refuse_the_whole_archive(tmp_path, kwargs, reason):
    kwargs.setdefault("members", [])
    kwargs["members"] = [("a/helm", b"ok")] + kwargs["members"]
    archive = make_tar(tmp_path / "a", "w:gz", **kwargs)
    out = io.BytesIO()
    with pytest.raises(ArchiveError, match="refusing archive URL: " + reason.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        extract_member(archive, "a/helm", out, "URL")
    assert out.getvalue() == b""


def test_unsafe_zip_members(tmp_path):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("bin/tool", b"TOOL")
        link = zipfile.ZipInfo("bin/link")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, "/etc/shadow")
    with pytest.raises(ArchiveError, match="member 'bin/link' is a symbolic link"):
        extract_member(str(path), "bin/tool", io.BytesIO(), "z")
    with zipfile.ZipFile(tmp_path / "b.zip", "w") as zf:
        zf.writestr("../evil", b"x")
    with pytest.raises(ArchiveError, match="member '../evil' has a '..' component"):
        extract_member(str(tmp_path / "b.zip"), "evil", io.BytesIO(), "z")


def test_not_an_archive(tmp_path):
    path = tmp_path / "plain"
    path.write_bytes(b"#!/bin/sh\n")
    assert detect_format(str(path)) is None
    with pytest.raises(ArchiveError, match="u is not a tar.gz, tar.xz or zip archive, so member 'x' cannot be extracted"):
        extract_member(str(path), "x", io.BytesIO(), "u")


def test_corrupt_archive(tmp_path):
    path = tmp_path / "bad.tar.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(ArchiveError, match="cannot read archive u"):
        extract_member(str(path), "x", io.BytesIO(), "u")
