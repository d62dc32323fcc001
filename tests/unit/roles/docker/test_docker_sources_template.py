"""The role's deb822 source, rendered by Ansible's own templar for each supported OS and arch."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:  # ansible-core 2.19+: only trusted text (as read from a role's files) is templated
    from ansible.template import trust_as_template
except ImportError:  # older cores template any string
    def trust_as_template(text: str) -> str:
        return text
from ansible_collections.pronk8s.platform.plugins.filter.docker_apt_repository import docker_apt_repository

ROLE = Path(__file__).resolve().parents[4] / "roles" / "docker"
TEMPLATE = trust_as_template((ROLE / "templates" / "docker.sources.j2").read_text())


def render(distribution: str, codename: str, arch: str, rpi: bool) -> dict[str, str]:
    variables = {
        "ansible_managed": "Ansible managed",
        "docker_upstream_keyring": "/etc/apt/keyrings/docker.gpg",
        "_docker_repo": docker_apt_repository(distribution, codename=codename, arch=arch, raspberry_pi_os=rpi),
    }
    text = Templar(loader=DataLoader(), variables=variables).template(TEMPLATE)
    fields = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _sep, value = line.partition(": ")
            fields[key] = value
    return fields


CASES = [
    ("Debian", "bookworm", arch, False, "debian") for arch in ("amd64", "arm64", "armhf")
] + [
    ("Ubuntu", codename, arch, False, "ubuntu") for codename in ("jammy", "noble") for arch in ("amd64", "arm64", "armhf")
] + [
    ("Debian", "bookworm", "arm64", True, "debian"),    # Raspberry Pi OS 64-bit
    ("Debian", "bookworm", "armhf", True, "raspbian"),  # Raspberry Pi OS 32-bit
]


@pytest.mark.parametrize(("distribution", "codename", "arch", "rpi", "family"), CASES)
def test_deb822_source(distribution, codename, arch, rpi, family) -> None:
    assert render(distribution, codename, arch, rpi) == {
        "Types": "deb",
        "URIs": f"https://download.docker.com/linux/{family}",
        "Suites": codename,
        "Components": "stable",
        "Architectures": arch,
        "Signed-By": "/etc/apt/keyrings/docker.gpg",
    }


def test_template_is_a_single_deb822_stanza() -> None:
    text = Templar(loader=DataLoader(), variables={
        "ansible_managed": "Ansible managed", "docker_upstream_keyring": "/k.gpg",
        "_docker_repo": docker_apt_repository("Debian", codename="bookworm", arch="amd64")}).template(TEMPLATE)
    body = [line for line in text.splitlines() if not line.startswith("#")]
    assert "" not in body, "a blank line would start a second, incomplete stanza"
    assert text.endswith("\n")
