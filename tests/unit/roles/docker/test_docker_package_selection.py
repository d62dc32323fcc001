"""The role's package selection (vars/main.yml over defaults/main.yml), templated by Ansible itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:  # ansible-core 2.19+: only trusted text (as a role's own files are) is templated
    from ansible.template import trust_as_template
except ImportError:
    def trust_as_template(text: str) -> str:
        return text

ROLE = Path(__file__).resolve().parents[4] / "roles" / "docker"
UPSTREAM = ["docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin", "docker-compose-plugin"]


def load(path: Path) -> dict:
    data = DataLoader().load_from_file(str(path))
    return {key: trust_as_template(value) if isinstance(value, str) else value for key, value in data.items()}


def role_value(name: str, **overrides) -> object:
    """The value of role variable ``name`` as a play would see it (vars over defaults, overrides over both)."""
    variables = {**load(ROLE / "defaults" / "main.yml"), **load(ROLE / "vars" / "main.yml"), **overrides}
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template("{{ " + name + " }}"))


@pytest.mark.parametrize(("source", "version", "expected", "hold"), [
    ("distro", "", ["docker.io"], False),
    ("distro", "20.10.24+dfsg1-1+deb12u1+b6", ["docker.io=20.10.24+dfsg1-1+deb12u1+b6"], True),
    ("upstream", "", UPSTREAM, False),
    ("upstream", "5:27.3.1*", ["docker-ce=5:27.3.1*", "docker-ce-cli=5:27.3.1*", *UPSTREAM[2:]], True),
])
def test_engine_packages_and_hold(source, version, expected, hold) -> None:
    assert role_value("_docker_package_specs", docker_source=source, docker_version=version) == expected
    assert role_value("docker_hold", docker_source=source, docker_version=version) is hold


TRIXIE = {"distribution": "Debian", "distribution_major_version": "13", "distribution_release": "trixie"}
BOOKWORM = {"distribution": "Debian", "distribution_major_version": "12", "distribution_release": "bookworm"}


@pytest.mark.parametrize(("facts", "version", "expected"), [
    # Debian 13's docker.io only Recommends docker-cli, where /usr/bin/docker now lives.
    (TRIXIE, "", ["docker.io", "docker-cli"]),
    (TRIXIE, "26.1.5+dfsg1-9+deb13u1+b1", ["docker.io=26.1.5+dfsg1-9+deb13u1+b1", "docker-cli=26.1.5+dfsg1-9+deb13u1+b1"]),
    (BOOKWORM, "", ["docker.io"]),
    ({"distribution": "Ubuntu", "distribution_major_version": "24"}, "", ["docker.io"]),
])
def test_distro_cli_package_per_release(facts, version, expected) -> None:
    assert role_value("_docker_package_specs", docker_source="distro", docker_version=version, ansible_facts=facts) == expected
    assert role_value("_docker_package_specs", docker_source="upstream", docker_version="", ansible_facts=facts) == UPSTREAM


def test_conflicts_are_the_other_source() -> None:
    conflicts = role_value("docker_conflicting_packages")
    assert {"docker.io", "docker-cli"} <= set(conflicts["upstream"]) and not set(conflicts["upstream"]) & set(UPSTREAM)
    assert set(UPSTREAM) <= set(conflicts["distro"]) and "docker.io" not in conflicts["distro"]


def test_rootless_packages_per_source() -> None:
    packages = role_value("docker_rootless_packages")
    assert {"uidmap", "dbus-user-session", "slirp4netns"} <= set(packages["common"])
    assert packages["distro"] == ["rootlesskit"]  # Debian ships rootlesskit on its own
    assert packages["upstream"] == ["docker-ce-rootless-extras"]  # Docker bundles it there


def test_pin_lives_in_vars_not_defaults() -> None:
    # An inventory cannot silently replace a role var the way it replaces a default.
    assert "docker_upstream_key_fingerprint" not in load(ROLE / "defaults" / "main.yml")
    assert role_value("docker_upstream_key_fingerprint") == "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"
