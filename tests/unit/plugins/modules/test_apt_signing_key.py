"""apt_signing_key: the pin decides, before anything is written (keys from the real gpg, served over real HTTP)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from mirror import MirrorServer

from ansible.module_utils.testing import patch_module_args
from ansible_collections.pronk8s.platform.plugins.modules import apt_signing_key

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "module_utils"))
from gpg_keys import TestKey, make_key  # noqa: E402

DOCKER_PIN = "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> TestKey:
    return make_key(tmp_path_factory.mktemp("gnupg"))


@pytest.fixture(scope="module")
def other_key(tmp_path_factory: pytest.TempPathFactory) -> TestKey:
    return make_key(tmp_path_factory.mktemp("gnupg-other"), uid="intruder <intruder@pronk8s.invalid>")


@pytest.fixture
def server(tmp_path: Path, key: TestKey, other_key: TestKey):
    root = tmp_path / "www"
    root.mkdir()
    with MirrorServer(root) as srv:
        srv.publish("linux/debian/gpg", key.armored)
        srv.publish("both.asc", key.armored + other_key.armored)
        srv.publish("binary.gpg", key.binary)
        yield srv


def run(capsys: pytest.CaptureFixture, check_mode: bool = False, **args) -> dict:
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args), pytest.raises(SystemExit):
        apt_signing_key.main()
    return json.loads(capsys.readouterr().out)


def test_real_pin_rejects_test_key_and_writes_nothing(capsys, server, key, tmp_path) -> None:
    dest = tmp_path / "etc/apt/keyrings/docker.gpg"
    result = run(capsys, url=server.url + "/linux/debian/gpg", fingerprint=[DOCKER_PIN], dest=str(dest))
    assert result["failed"] is True
    assert "REFUSED" in result["msg"]
    assert key.fingerprint in result["msg"] and DOCKER_PIN in result["msg"]
    assert result["fingerprints"] == [key.fingerprint]
    # Not even the keyrings directory was created.
    assert not (tmp_path / "etc").exists()


def test_test_pin_accepts_and_writes_dearmored(capsys, server, key, tmp_path) -> None:
    dest = tmp_path / "keyrings/docker.gpg"
    spaced = " ".join(key.fingerprint[i:i + 4] for i in range(0, 40, 4)).lower()
    result = run(capsys, url=server.url + "/linux/debian/gpg", fingerprint=[spaced], dest=str(dest))
    assert result["changed"] is True, result
    assert dest.read_bytes() == key.binary
    assert oct(dest.stat().st_mode & 0o777) == "0o644"
    assert result["diff"] == {"before": {"fingerprints": [], "sha256": None},
                              "after": {"fingerprints": [key.fingerprint], "sha256": result["sha256"]}}
    again = run(capsys, url=server.url + "/binary.gpg", fingerprint=[key.fingerprint], dest=str(dest))
    assert again["changed"] is False


def test_check_mode_verifies_but_does_not_write(capsys, server, key, tmp_path) -> None:
    dest = tmp_path / "keyrings/docker.gpg"
    result = run(capsys, check_mode=True, url=server.url + "/linux/debian/gpg", fingerprint=[key.fingerprint], dest=str(dest))
    assert result["changed"] is True and not dest.exists()
    refused = run(capsys, check_mode=True, url=server.url + "/linux/debian/gpg", fingerprint=[DOCKER_PIN], dest=str(dest))
    assert refused["failed"] is True and DOCKER_PIN in refused["msg"]


def test_extra_key_in_file_is_refused_and_existing_keyring_kept(capsys, server, key, other_key, tmp_path) -> None:
    dest = tmp_path / "docker.gpg"
    dest.write_bytes(b"previous keyring")
    result = run(capsys, url=server.url + "/both.asc", fingerprint=[key.fingerprint], dest=str(dest))
    assert result["failed"] is True
    assert other_key.fingerprint in result["msg"]
    assert dest.read_bytes() == b"previous keyring"


def test_changed_key_replaces_keyring_and_shows_diff(capsys, server, key, tmp_path) -> None:
    dest = tmp_path / "docker.gpg"
    dest.write_bytes(b"stale")
    result = run(capsys, url=server.url + "/linux/debian/gpg", fingerprint=[key.fingerprint], dest=str(dest), mode="0640")
    assert result["changed"] is True
    assert result["diff"]["before"]["fingerprints"] == []
    assert dest.read_bytes() == key.binary
    assert oct(dest.stat().st_mode & 0o777) == "0o640"


def test_src_on_host_and_http_errors(capsys, server, key, tmp_path) -> None:
    src = tmp_path / "key.asc"
    src.write_bytes(key.armored)
    ok = run(capsys, src=str(src), fingerprint=[key.fingerprint], dest=str(tmp_path / "k.gpg"))
    assert ok["changed"] is True
    missing = run(capsys, url=server.url + "/nope", fingerprint=[key.fingerprint], dest=str(tmp_path / "x.gpg"))
    assert missing["failed"] is True and "HTTP 404" in missing["msg"]
    garbage = run(capsys, url=server.url + "/_fault/corrupt/linux/debian/gpg", fingerprint=[key.fingerprint],
                  dest=str(tmp_path / "y.gpg"))
    assert garbage["failed"] is True and "unusable" in garbage["msg"]
    assert not (tmp_path / "x.gpg").exists() and not (tmp_path / "y.gpg").exists()


def test_short_key_id_pin_is_refused(capsys, server, key, tmp_path) -> None:
    result = run(capsys, url=server.url + "/linux/debian/gpg", fingerprint=[key.fingerprint[-16:]], dest=str(tmp_path / "k.gpg"))
    assert result["failed"] is True
    assert result["msg"].startswith("fingerprint[0]:") and "key id is not enough" in result["msg"]


def test_fetch_goes_through_the_download_stack_with_retries(capsys, server, key, tmp_path) -> None:
    # A 500 is transient for _download: retried (retries=2 -> 3 attempts), then reported with the count.
    result = run(capsys, url=server.url + "/_fault/500/linux/debian/gpg", fingerprint=[key.fingerprint],
                 dest=str(tmp_path / "k.gpg"), retries=2, retry_delay=0)
    assert result["failed"] is True
    assert result["msg"].startswith("url: HTTP 500") and "after 3 attempts" in result["msg"]
    assert result["status"] == 500
    assert not (tmp_path / "k.gpg").exists()


def test_binary_key_arrives_byte_for_byte(capsys, server, key, tmp_path) -> None:
    dest = tmp_path / "k.gpg"
    result = run(capsys, url=server.url + "/binary.gpg", fingerprint=[key.fingerprint], dest=str(dest))
    assert result["changed"] is True and dest.read_bytes() == key.binary
