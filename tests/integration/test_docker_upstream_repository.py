"""Docker's upstream repository path of the docker role, on real containers, as far as this machine allows.

Docker's real key and repository cannot be reached here, so a throwaway key made by the real gpg stands
in for Docker's: the test mirror serves it at the same path as download.docker.com
(``<base>/debian/gpg``) beside a small apt repository signed with it. Then:

- under the REAL pin (9DC8...CD88) the role refuses the key, shows both fingerprints and leaves /etc/apt
  exactly as it was (no keyring, no source, nothing else touched);
- under an explicit test pin (``docker_upstream_key_unsafe_fingerprint_override``) it installs the
  de-armored keyring and the deb822 source, and apt really verifies the repository's signature with it;
  a second run changes nothing; a repository re-signed by another key is refused by apt;
- on the arm64 Raspberry Pi image, a check-mode run of the whole role picks Docker's debian repository
  for arm64 and the upstream packages, and writes nothing.

The packages in the test repository are index entries only (never downloaded): installing Docker's real
packages needs download.docker.com.
"""

from __future__ import annotations

import email.utils
import hashlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "unit" / "plugins" / "module_utils"))
from gpg_keys import TestKey, make_key  # noqa: E402

DOCKER_PIN = "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"
KEYRING = "/etc/apt/keyrings/docker.gpg"
SOURCES = "/etc/apt/sources.list.d/docker.sources"
OVERRIDE = "docker_upstream_key_unsafe_fingerprint_override"

REPOSITORY_PLAYBOOK = """\
- name: Docker's upstream apt repository only
  hosts: all
  gather_facts: true
  tasks:
    - name: Set up the repository
      ansible.builtin.include_role:
        name: pronk8s.platform.docker
        tasks_from: repository
"""

ROLE_PLAYBOOK = """\
- name: The whole docker role
  hosts: all
  gather_facts: true
  roles:
    - role: pronk8s.platform.docker
"""


@pytest.fixture(scope="module")
def docker_key(tmp_path_factory: pytest.TempPathFactory) -> TestKey:
    return make_key(tmp_path_factory.mktemp("gnupg-docker"), uid="Stand-in for Docker Release (CE deb) <test@pronk8s.invalid>",
                    algo="rsa3072")


@pytest.fixture(scope="module")
def intruder_key(tmp_path_factory: pytest.TempPathFactory) -> TestKey:
    return make_key(tmp_path_factory.mktemp("gnupg-intruder"), uid="intruder <intruder@pronk8s.invalid>")


def publish_repository(mirror, key: TestKey, signer: TestKey, archs: tuple[str, ...] = ("amd64", "arm64")) -> str:
    """Lay out <base>/debian like download.docker.com (key, InRelease signed by ``signer``); return <base>."""
    files = {}
    for arch in archs:
        files[f"stable/binary-{arch}/Packages"] = (
            "Package: docker-ce\n"
            "Version: 5:99.0.0-1~debian.12~bookworm\n"
            f"Architecture: {arch}\n"
            "Maintainer: pronk8s tests <test@pronk8s.invalid>\n"
            f"Filename: pool/stable/{arch}/docker-ce_99.0.0_{arch}.deb\n"
            "Size: 1\n"
            f"SHA256: {'0' * 64}\n"
            "Description: index entry of the test repository (never downloaded)\n\n"
        ).encode()
    release = (
        "Origin: pronk8s test\nLabel: pronk8s test\nSuite: bookworm\nCodename: bookworm\n"
        f"Date: {email.utils.formatdate(usegmt=True)}\nArchitectures: {' '.join(archs)}\nComponents: stable\nSHA256:\n"
        + "".join(f" {hashlib.sha256(data).hexdigest()} {len(data)} {name}\n" for name, data in files.items())
    ).encode()
    mirror.publish("docker/debian/gpg", key.armored)
    for name, data in files.items():
        mirror.publish(f"docker/debian/dists/bookworm/{name}", data)
    mirror.publish("docker/debian/dists/bookworm/InRelease", signer.clearsign(release))
    return f"{mirror.url}/docker"


def etc_apt(host) -> str:
    """Every path under /etc/apt with its size and modification time: a change anywhere shows."""
    return host.exec("find", "/etc/apt", "-printf", "%p %s %T@\\n").stdout


def test_pin_decides_before_apt_is_touched(hosts, mirror, ansible, tmp_path, docker_key, intruder_key) -> None:
    (host,) = hosts.start("sshd", prefix="dockrepo")
    base = publish_repository(mirror, docker_key, signer=docker_key)
    playbook = tmp_path / "repository.yml"
    playbook.write_text(REPOSITORY_PLAYBOOK)
    before = etc_apt(host)

    # 1. Docker's real pin: the stand-in key is REFUSED, with both fingerprints, and /etc/apt is as it was.
    refused = ansible.playbook(playbook, hosts.inventory(), extra_vars={"docker_upstream_repo_url": base})
    assert refused.rc != 0
    result = refused.task("Install and verify Docker's signing key (pinned fingerprint, de-armored)")
    assert result["failed"] is True
    assert DOCKER_PIN in result["msg"] and docker_key.fingerprint in result["msg"], result["msg"]
    assert "REFUSED" in result["msg"]
    assert host.exec("test", "-e", KEYRING, check=False).returncode != 0
    assert host.exec("test", "-e", SOURCES, check=False).returncode != 0
    assert etc_apt(host) == before
    with pytest.raises(KeyError):
        refused.task("Add Docker's repository as a deb822 source signed by that key only")

    # 2. An explicit test pin: accepted, keyring de-armored, deb822 source, and apt verifies the signature.
    accepted = ansible.playbook(playbook, hosts.inventory(), "--diff",
                                extra_vars={"docker_upstream_repo_url": base, OVERRIDE: docker_key.fingerprint})
    assert accepted.rc == 0, accepted.stdout[-3000:] + accepted.stderr[-2000:]
    assert "WARNING: docker_upstream_key_unsafe_fingerprint_override is set" in accepted.stdout
    key_result = accepted.task("Install and verify Docker's signing key (pinned fingerprint, de-armored)")
    assert key_result["changed"] is True and key_result["fingerprints"] == [docker_key.fingerprint]
    written = host.exec("sha256sum", KEYRING).stdout.split()[0]
    assert written == hashlib.sha256(docker_key.binary).hexdigest()
    assert host.exec("stat", "-c", "%a %U", KEYRING).stdout.strip() == "644 root"
    source = host.exec("cat", SOURCES).stdout
    assert [line for line in source.splitlines() if not line.startswith("#")] == [
        "Types: deb", f"URIs: {base}/debian", "Suites: bookworm", "Components: stable",
        "Architectures: amd64", f"Signed-By: {KEYRING}",
    ]
    refresh = accepted.task("Refresh apt's lists for the new source")
    assert not refresh.get("skipped") and not refresh.get("failed")
    policy = host.exec("apt-cache", "policy", "docker-ce").stdout
    assert "Candidate: 5:99.0.0-1~debian.12~bookworm" in policy and f"{base}/debian bookworm/stable" in policy

    # 3. Idempotent: a second run changes nothing.
    again = ansible.playbook(playbook, hosts.inventory(),
                             extra_vars={"docker_upstream_repo_url": base, OVERRIDE: docker_key.fingerprint})
    assert again.rc == 0
    assert [r["task"] for r in again.results if r["result"].get("changed")] == []

    # 4. Signed-By binds the source to that key alone: the same repository re-signed by another key fails apt.
    publish_repository(mirror, docker_key, signer=intruder_key)
    update = host.exec("apt-get", "update", check=False)
    assert "NO_PUBKEY" in update.stdout + update.stderr or "not signed" in update.stdout + update.stderr, update.stderr
    assert f"{base}/debian bookworm InRelease" in update.stdout + update.stderr


def test_raspberry_pi_check_mode_selects_debian_arm64(hosts, mirror, ansible, tmp_path, docker_key) -> None:
    """The arm64 Pi image (emulated, slow): one lean check-mode run of the whole role."""
    (pi,) = hosts.start("pi", prefix="dockpi")
    # No subordinate ids from useradd, so the role's allocation shows in the check-mode prediction.
    pi.exec("useradd", "--create-home", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", "pi")
    base = publish_repository(mirror, docker_key, signer=docker_key, archs=("arm64",))
    playbook = tmp_path / "role.yml"
    playbook.write_text(ROLE_PLAYBOOK)
    before = etc_apt(pi)
    run = ansible.playbook(playbook, hosts.inventory(), "--check", "--diff", extra_vars={
        "docker_source": "upstream", "docker_upstream_repo_url": base, OVERRIDE: docker_key.fingerprint,
        "docker_rootless_users": ["pi"], "docker_users": ["pi"],
    })
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert run.task("Look for the Raspberry Pi OS marker")["stat"]["exists"] is True
    assert run.task("Ask dpkg for the package architecture (a Pi may run a 64-bit kernel with 32-bit packages)")["stdout"] == "arm64"
    # Check mode still fetches and checks the key (read-only), and predicts the source it would write.
    assert run.task("Install and verify Docker's signing key (pinned fingerprint, de-armored)")["changed"] is True
    source = run.task("Add Docker's repository as a deb822 source signed by that key only")
    after = source["diff"][0]["after"] if isinstance(source["diff"], list) else source["diff"]["after"]
    assert f"URIs: {base}/debian\n" in after and "Architectures: arm64\n" in after and "Suites: bookworm\n" in after
    plan = run.task("Show the packages chosen for this host")["msg"]
    assert plan["packages"] == ["docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin", "docker-compose-plugin"]
    assert "docker-ce-rootless-extras" in plan["rootless_packages"] and "uidmap" in plan["rootless_packages"]
    assert plan["repository"] == f"{base}/debian bookworm stable [arm64]"
    ids = run.task("Give each rootless user subordinate uid and gid ranges")["results"][0]
    assert ids["changed"] is True and ids["subuid"] == {"start": 100000, "count": 65536}
    # Nothing was written.
    assert etc_apt(pi) == before
    assert pi.exec("grep", "-c", "^pi:", "/etc/subuid", check=False).stdout.strip() in ("", "0")
