"""docker_apt_repository: the right Docker repository for Debian, Ubuntu and Raspberry Pi OS on each arch."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.pronk8s.platform.plugins.filter.docker_apt_repository import FilterModule, docker_apt_repository

BASE = "https://download.docker.com/linux"


@pytest.mark.parametrize(("distribution", "codename", "arch", "rpi", "family"), [
    ("Debian", "bookworm", "amd64", False, "debian"),
    ("Debian", "bookworm", "arm64", False, "debian"),
    ("Debian", "bookworm", "armhf", False, "debian"),
    ("Ubuntu", "jammy", "amd64", False, "ubuntu"),
    ("Ubuntu", "noble", "arm64", False, "ubuntu"),
    ("Ubuntu", "noble", "armhf", False, "ubuntu"),
    # Raspberry Pi OS: 64-bit is Debian for Docker, 32-bit has its own raspbian repository.
    ("Debian", "bookworm", "arm64", True, "debian"),
    ("Debian", "bookworm", "armhf", True, "raspbian"),
    # os-release of 32-bit Raspberry Pi OS says ID=raspbian.
    ("Raspbian", "bookworm", "armhf", False, "raspbian"),
])
def test_repository(distribution, codename, arch, rpi, family) -> None:
    repo = docker_apt_repository(distribution, codename=codename, arch=arch, raspberry_pi_os=rpi)
    assert repo == {
        "family": family,
        "url": f"{BASE}/{family}",
        "suite": codename,
        "components": ["stable"],
        "architectures": [arch],
        "key_url": f"{BASE}/{family}/gpg",
    }


def test_mirror_and_channel() -> None:
    repo = docker_apt_repository("Debian", codename="bookworm", arch="amd64",
                                 base_url="http://172.30.90.1:8690/docker/", channel="test")
    assert repo["url"] == "http://172.30.90.1:8690/docker/debian"
    assert repo["key_url"] == "http://172.30.90.1:8690/docker/debian/gpg"
    assert repo["components"] == ["test"]


@pytest.mark.parametrize(("args", "message"), [
    (("Fedora", "39", "amd64", False), "no apt repository for distribution 'Fedora'"),
    (("Debian", "bookworm", "i386", False), "no debian packages for architecture 'i386'"),
    # ARMv6 Pis (Zero, 1) on plain Debian armel: Docker has nothing.
    (("Debian", "bookworm", "armel", True), "no debian packages for architecture 'armel'"),
    (("Debian", "", "amd64", False), "no release codename"),
    (("Debian", "NA", "amd64", False), "no release codename"),
])
def test_unsupported(args, message) -> None:
    distribution, codename, arch, rpi = args
    with pytest.raises(AnsibleFilterError, match=message):
        docker_apt_repository(distribution, codename=codename, arch=arch, raspberry_pi_os=rpi)


def test_registered() -> None:
    assert FilterModule().filters()["docker_apt_repository"] is docker_apt_repository
