"""apt_repository_takeover on the layouts real install instructions leave, checked by the REAL apt of this machine.

Each test builds an apt configuration directory in tmp_path and points the module at it (apt_root); the
module's own check runs the real ``apt-get indextargets -o Dir::Etc=<that directory>``, so "apt can read
its sources" is apt's verdict, not ours. Keys are made by the real gpg; the global keyring is written by
the real ``apt-key add`` (as older install instructions did).

Real-world inputs, as their authors publish them:
- Docker's install docs (2023-2025): ``/etc/apt/keyrings/docker.asc`` (armored) and the one-line
  ``deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable``;
- Docker's install docs (late 2025): the same key in a deb822 ``docker.sources``;
- get.docker.com (docker/docker-install install.sh): ``gpg --dearmor`` to ``/etc/apt/keyrings/docker.gpg``
  and the one-line ``docker.list`` signed by it;
- the 2021 docs: ``/usr/share/keyrings/docker-archive-keyring.gpg``;
- the old apt-key method: the key in ``/etc/apt/trusted.gpg`` and a line with no signed-by (add-apt-repository
  wrote it into sources.list itself).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.pronk8s.platform.plugins.module_utils._apt_keyrings import fingerprints, without_keys
from ansible_collections.pronk8s.platform.plugins.module_utils._apt_sources import parse_file, uri_matches
from ansible_collections.pronk8s.platform.plugins.modules import apt_repository_takeover

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "module_utils"))
from gpg_keys import TestKey, make_key  # noqa: E402

DEBIAN = "deb http://deb.debian.org/debian bookworm main\n"
DOCS_LIST = "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable\n"
GET_DOCKER_LIST = "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.gpg] https://download.docker.com/linux/debian bookworm stable\n"
DOCS_SOURCES = ("Types: deb\nURIs: https://download.docker.com/linux/debian\nSuites: bookworm\nComponents: stable\n"
                "Signed-By: /etc/apt/keyrings/docker.asc\n")
APT_KEY_LINE = "deb [arch=amd64] https://download.docker.com/linux/debian bookworm stable\n"


def wanted(root: Path) -> str:
    return ("# managed\nTypes: deb\nURIs: https://download.docker.com/linux/debian\nSuites: bookworm\nComponents: stable\n"
            f"Architectures: amd64\nSigned-By: {root}/keyrings/docker.gpg\n")


@pytest.fixture(scope="module")
def docker_key(tmp_path_factory) -> TestKey:
    return make_key(tmp_path_factory.mktemp("gnupg-docker"), uid="Stand-in for Docker Release (CE deb) <test@pronk8s.invalid>")


@pytest.fixture(scope="module")
def vendor_key(tmp_path_factory) -> TestKey:
    return make_key(tmp_path_factory.mktemp("gnupg-vendor"), uid="Another vendor <vendor@pronk8s.invalid>")


@pytest.fixture
def apt(tmp_path: Path) -> Path:
    root = tmp_path / "etc/apt"
    for sub in ("sources.list.d", "keyrings", "trusted.gpg.d", "apt.conf.d", "preferences.d"):
        (root / sub).mkdir(parents=True)
    (root / "sources.list").write_text(DEBIAN)
    return root


def place(root: Path, text: str) -> str:
    """Install instructions name /etc/apt/...; the test tree lives elsewhere."""
    return text.replace("/etc/apt", str(root))


def run(capsys, root: Path, check_mode: bool = False, **args) -> dict:
    params = {"repository": ["https://download.docker.com/linux"], "dest": str(root / "sources.list.d/docker.sources"),
              "keyring": str(root / "keyrings/docker.gpg"), "apt_root": str(root),
              "backup_dir": str(root.parent.parent / "backups"), **args}
    if params.get("state", "present") == "present":
        params.setdefault("content", wanted(root))
    if check_mode:
        params["_ansible_check_mode"] = True
    with patch_module_args(params), pytest.raises(SystemExit):
        apt_repository_takeover.main()
    return json.loads(capsys.readouterr().out)


def apt_reads(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["apt-get", "-q", "-o", f"Dir::Etc={root}", "indextargets"], capture_output=True, text=True,
                          env={**os.environ, "LC_ALL": "C"}, check=False)


def tree(root: Path) -> dict[str, bytes]:
    return {str(path): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def apt_key_add(root: Path, key: TestKey) -> Path:
    """What `curl .../gpg | sudo apt-key add -` did: the real apt-key, into <root>/trusted.gpg."""
    trusted = root / "trusted.gpg"
    subprocess.run(["apt-key", "--keyring", str(trusted), "add", "-"], input=key.armored, check=True, capture_output=True,
                   env={**os.environ, "LC_ALL": "C", "APT_KEY_DONT_WARN_ON_DANGEROUS_USAGE": "1"})
    return trusted


# --- the reported bug, and each prior form -----------------------------------------------------------


def test_reported_conflict_is_what_apt_refuses_and_the_takeover_fixes_it(capsys, apt, docker_key) -> None:
    """Docker's docs left docker.asc + docker.list; a docker.sources signed by docker.gpg beside it breaks apt."""
    (apt / "keyrings/docker.asc").write_bytes(docker_key.armored)
    (apt / "keyrings/docker.gpg").write_bytes(docker_key.binary)
    (apt / "sources.list.d/docker.list").write_text(place(apt, DOCS_LIST))
    (apt / "sources.list.d/docker.sources").write_text(place(apt, DOCS_SOURCES.replace("docker.asc", "docker.gpg")))
    broken = apt_reads(apt)
    assert broken.returncode != 0 and "Conflicting values set for option Signed-By" in broken.stderr

    result = run(capsys, apt, fingerprints=[docker_key.fingerprint])
    assert result["changed"] is True and result["apt_readable_before"] is False
    assert any("could not read its sources before" in m and "now it can" in m for m in result["messages"])
    assert apt_reads(apt).returncode == 0
    assert sorted(os.listdir(apt / "sources.list.d")) == ["docker.sources"]
    assert (apt / "sources.list.d/docker.sources").read_text() == wanted(apt)
    assert not (apt / "keyrings/docker.asc").exists()
    backup = Path(result["backup_dir"])
    assert (Path(str(backup) + str(apt / "sources.list.d/docker.list"))).read_text() == place(apt, DOCS_LIST)
    assert (Path(str(backup) + str(apt / "keyrings/docker.asc"))).read_bytes() == docker_key.armored


@pytest.mark.parametrize("layout", ["docs-list", "docs-sources", "get.docker.com", "docs-2021"])
def test_each_documented_layout_converges_to_one_source_idempotently(capsys, apt, docker_key, layout) -> None:
    keyring, text, name = {
        "docs-list": ("keyrings/docker.asc", DOCS_LIST, "docker.list"),
        "docs-sources": ("keyrings/docker.asc", DOCS_SOURCES, "docker.sources"),
        "get.docker.com": ("keyrings/docker.gpg", GET_DOCKER_LIST, "docker.list"),
        "docs-2021": ("../../usr/share/keyrings/docker-archive-keyring.gpg",
                      DOCS_LIST.replace("/etc/apt/keyrings/docker.asc", "/usr/share/keyrings/docker-archive-keyring.gpg"),
                      "docker.list"),
    }[layout]
    key_path = (apt / keyring).resolve()
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(docker_key.armored if keyring.endswith(".asc") else docker_key.binary)
    text = text.replace("/usr/share/keyrings", str(key_path.parent)) if layout == "docs-2021" else place(apt, text)
    (apt / "sources.list.d" / name).write_text(text)
    leftovers = [str(apt / "keyrings/docker.asc"), str(key_path)]

    preview = run(capsys, apt, check_mode=True, fingerprints=[docker_key.fingerprint], leftover_keyrings=leftovers)
    assert preview["changed"] is True and preview["backup_dir"] is None
    assert (apt / "sources.list.d" / name).read_text() == text  # check mode wrote nothing
    assert preview["diff"][0]["after"] == wanted(apt)

    result = run(capsys, apt, fingerprints=[docker_key.fingerprint], leftover_keyrings=leftovers)
    assert result["changed"] is True
    assert apt_reads(apt).returncode == 0
    assert sorted(os.listdir(apt / "sources.list.d")) == ["docker.sources"]
    assert (apt / "sources.list.d/docker.sources").read_text() == wanted(apt)
    assert (apt / "sources.list").read_text() == DEBIAN
    if layout == "get.docker.com":
        # The script's keyring IS the role's path: it stays (the role's pinned key is written over it).
        assert key_path.exists()
    else:
        assert not key_path.exists()

    again = run(capsys, apt, fingerprints=[docker_key.fingerprint], leftover_keyrings=leftovers)
    assert again["changed"] is False and again["diff"] == []


def test_apt_key_global_keyring_loses_only_dockers_key(capsys, apt, docker_key, vendor_key) -> None:
    """The old method: apt-key added Docker's key to trusted.gpg; add-apt-repository wrote the line into sources.list."""
    trusted = apt_key_add(apt, vendor_key)
    apt_key_add(apt, docker_key)
    assert sorted(fingerprints(trusted.read_bytes())) == sorted([vendor_key.fingerprint, docker_key.fingerprint])
    vendor_only = subprocess.run(["gpg", "--no-default-keyring", "--keyring", str(trusted), "--export", vendor_key.fingerprint],
                                 capture_output=True, check=True).stdout
    (apt / "sources.list").write_text(DEBIAN + APT_KEY_LINE + "# deb-src [arch=amd64] https://download.docker.com/linux/debian bookworm stable\n")
    before = trusted.read_bytes()

    result = run(capsys, apt, fingerprints=[docker_key.fingerprint])
    assert result["keys_removed"] == [{"keyring": str(trusted), "fingerprints": [docker_key.fingerprint]}]
    assert any("EVERY repository" in m and "removed from there" in m and str(trusted) in m for m in result["messages"])
    after = trusted.read_bytes()
    assert fingerprints(after) == [vendor_key.fingerprint]
    # The other vendor's key keeps its bytes (gpg exports the same key from the result).
    exported = subprocess.run(["gpg", "--no-default-keyring", "--keyring", str(trusted), "--export", vendor_key.fingerprint],
                              capture_output=True, check=True).stdout
    assert exported == vendor_only
    assert Path(result["backup_dir"] + str(trusted)).read_bytes() == before
    # sources.list stays, Debian's line untouched, Docker's disabled with a note.
    lines = (apt / "sources.list").read_text().splitlines()
    assert lines[0] == DEBIAN.strip()
    assert lines[1].startswith("# disabled by pronk8s.platform") and lines[1].endswith(APT_KEY_LINE.strip())
    assert apt_reads(apt).returncode == 0


def test_armored_global_keyring_holding_only_dockers_key_is_moved(capsys, apt, docker_key) -> None:
    (apt / "trusted.gpg.d/docker.asc").write_bytes(docker_key.armored)
    (apt / "sources.list.d/docker.list").write_text(APT_KEY_LINE)
    result = run(capsys, apt, fingerprints=[docker_key.fingerprint])
    assert not (apt / "trusted.gpg.d/docker.asc").exists()
    assert result["keys_removed"][0]["keyring"] == str(apt / "trusted.gpg.d/docker.asc")


def test_distro_removes_the_repository_the_same_careful_way(capsys, apt, docker_key) -> None:
    (apt / "keyrings/docker.gpg").write_bytes(docker_key.binary)
    (apt / "sources.list.d/docker.sources").write_text(wanted(apt))
    (apt / "sources.list.d/docker.list").write_text(place(apt, GET_DOCKER_LIST))
    result = run(capsys, apt, state="absent", fingerprints=[docker_key.fingerprint])
    assert result["changed"] is True
    assert os.listdir(apt / "sources.list.d") == [] and os.listdir(apt / "keyrings") == []
    moved = {m["path"] for m in result["moved"]}
    assert moved == {str(apt / "sources.list.d/docker.sources"), str(apt / "sources.list.d/docker.list"),
                     str(apt / "keyrings/docker.gpg")}
    assert apt_reads(apt).returncode == 0
    assert run(capsys, apt, state="absent", fingerprints=[docker_key.fingerprint])["changed"] is False


def test_failed_apt_check_restores_every_file_byte_for_byte(capsys, apt, docker_key, vendor_key) -> None:
    """A malformed, unrelated entry makes apt refuse the sources after the change: all is put back as it was."""
    apt_key_add(apt, vendor_key)
    apt_key_add(apt, docker_key)
    (apt / "keyrings/docker.asc").write_bytes(docker_key.armored)
    (apt / "sources.list.d/docker.list").write_text(place(apt, DOCS_LIST))
    (apt / "sources.list.d/zz-broken.list").write_text("deb [arch=amd64 https://example.invalid/repo bookworm main\n")
    os.chmod(apt / "sources.list.d/docker.list", 0o640)
    before = tree(apt)
    modes = {path: os.stat(path).st_mode for path in before}

    result = run(capsys, apt, fingerprints=[docker_key.fingerprint])
    assert result["failed"] is True
    assert "apt cannot read its sources" in result["msg"] and "restored byte for byte" in result["msg"]
    assert str(apt / "sources.list.d/zz-broken.list") in result["msg"].split("Files apt points at:")[1]
    assert tree(apt) == before
    assert {path: os.stat(path).st_mode for path in before} == modes
    assert result["backup_dir"] is None


def test_other_entries_in_a_mixed_file_are_kept(capsys, apt, docker_key) -> None:
    mixed = apt / "sources.list.d/vendors.sources"
    mixed.write_text("Types: deb\nURIs: https://example.invalid/repo\nSuites: stable\nComponents: main\n\n" + DOCS_SOURCES)
    run(capsys, apt, fingerprints=[docker_key.fingerprint])
    entries = parse_file(str(mixed), mixed.read_text()).entries
    assert [entry.uris for entry in entries] == [["https://example.invalid/repo"]]
    assert apt_reads(apt).returncode == 0


def test_bad_input_is_refused_before_anything_changes(capsys, apt) -> None:
    before = tree(apt)
    result = run(capsys, apt, dest=str(apt / "sources.list.d/docker.list"))
    assert result["failed"] is True and "dest" in result["msg"] and ".sources" in result["msg"]
    result = run(capsys, apt, fingerprints=["0EBFCD88"])
    assert result["failed"] is True and "fingerprints[0]" in result["msg"]
    assert tree(apt) == before


# --- the helpers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("uri, expected", [
    ("https://download.docker.com/linux/debian", True),
    ("http://download.docker.com/linux/ubuntu/", True),
    ("https://DOWNLOAD.docker.com/linux", True),
    ("https://download.docker.com/linuxx", False),
    ("https://mirror.example/download.docker.com/linux", False),
])
def test_uri_matching(uri, expected) -> None:
    assert uri_matches(uri, ["https://download.docker.com/linux/"]) is expected


def test_one_line_options_and_comments() -> None:
    source = parse_file("/x.list", "# deb https://download.docker.com/linux/debian bookworm stable\n"
                                   "deb [ arch=amd64,arm64 signed-by=/k.gpg ] https://download.docker.com/linux/debian bookworm stable # docker\n")
    (entry,) = source.entries
    assert entry.signed_by == ["/k.gpg"] and entry.options["arch"] == "amd64,arm64" and entry.components == ["stable"]


def test_keyring_without_keys_keeps_armor(docker_key, vendor_key) -> None:
    both = docker_key.armored + vendor_key.armored
    after, removed = without_keys(both, [docker_key.fingerprint])
    assert removed == [docker_key.fingerprint]
    assert after.startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK-----") and fingerprints(after) == [vendor_key.fingerprint]
    assert without_keys(docker_key.binary, [docker_key.fingerprint]) == (None, [docker_key.fingerprint])


def test_absent_removes_the_modules_own_files_whatever_they_hold(capsys, apt) -> None:
    """A stale docker.sources pointing elsewhere and a keyring that is no key (as the docker scenario leaves them)."""
    stale = ("Types: deb\nURIs: http://127.0.0.1:9/linux/debian\nSuites: bookworm\nComponents: stable\n"
             "Signed-By: /etc/apt/keyrings/docker.gpg\n")
    (apt / "sources.list.d/docker.sources").write_text(stale)
    (apt / "keyrings/docker.gpg").write_text("stale")
    result = run(capsys, apt, state="absent", check_mode=True)
    assert result["changed"] is True and [d["after"] for d in result["diff"]] == ["", ""]
    assert "<5 bytes, not a keyring>" in result["diff"][1]["before"]
    result = run(capsys, apt, state="absent")
    assert os.listdir(apt / "sources.list.d") == [] and os.listdir(apt / "keyrings") == []
