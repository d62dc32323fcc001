# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
name: docker_apt_repository
short_description: Docker's upstream apt repository (URL, suite, architecture, key URL) for a host
version_added: 1.0.0
description:
  - Computes where Docker's upstream packages for a host live, from the host's distribution, release
    codename and dpkg architecture.
  - Raspberry Pi OS on C(armhf) (32-bit) uses Docker's C(raspbian) repository; Raspberry Pi OS on
    C(arm64) (64-bit) is plain Debian for Docker and uses the C(debian) repository.
  - Use the dpkg architecture (C(dpkg --print-architecture)), not C(ansible_architecture), because a Pi
    running a 64-bit kernel with the 32-bit OS reports C(aarch64) but installs C(armhf) packages.
  - Fails, naming the value, for a distribution or architecture Docker publishes no packages for.
positional: _input
options:
  _input:
    description: The distribution, as in C(ansible_facts.distribution) (V(Debian), V(Ubuntu), V(Raspbian)).
    type: str
    required: true
  codename:
    description: The release codename, as in C(ansible_facts.distribution_release) (V(bookworm), V(noble)).
    type: str
    required: true
  arch:
    description: The dpkg architecture (V(amd64), V(arm64), V(armhf), ...).
    type: str
    required: true
  raspberry_pi_os:
    description: Whether the host runs Raspberry Pi OS (it has C(/etc/rpi-issue), or os-release says C(raspbian)).
    type: bool
    default: false
  base_url:
    description: Base of Docker's repositories, or of a mirror laid out the same way.
    type: str
    default: https://download.docker.com/linux
  channel:
    description: Repository component.
    type: str
    default: stable
"""

EXAMPLES = r"""
---
- name: Where Docker's packages for this host live
  ansible.builtin.debug:
    msg: >-
      {{ ansible_facts.distribution | pronk8s.platform.docker_apt_repository(
           codename=ansible_facts.distribution_release, arch='armhf', raspberry_pi_os=true) }}
  # -> {family: raspbian, url: https://download.docker.com/linux/raspbian, suite: bookworm,
  #     components: [stable], architectures: [armhf], key_url: https://download.docker.com/linux/raspbian/gpg}
"""

RETURN = r"""
_value:
  description: The repository.
  type: dict
  contains:
    family:
      description: Docker's name for the repository (V(debian), V(ubuntu) or V(raspbian)).
      type: str
    url:
      description: The C(URIs:) of the deb822 source.
      type: str
    suite:
      description: The C(Suites:) of the deb822 source (the release codename).
      type: str
    components:
      description: The C(Components:) of the deb822 source.
      type: list
      elements: str
    architectures:
      description: The C(Architectures:) of the deb822 source.
      type: list
      elements: str
    key_url:
      description: Where Docker publishes the repository's signing key.
      type: str
"""

from ansible.errors import AnsibleFilterError

# Architectures Docker publishes packages for, per repository (download.docker.com/linux/*/dists/*).
SUPPORTED_ARCHITECTURES: dict[str, tuple[str, ...]] = {
    "debian": ("amd64", "arm64", "armhf", "ppc64el", "s390x"),
    "ubuntu": ("amd64", "arm64", "armhf", "ppc64el", "s390x"),
    "raspbian": ("armhf",),
}
DEFAULT_BASE_URL = "https://download.docker.com/linux"


def docker_apt_repository(distribution: str, codename: str, arch: str, raspberry_pi_os: bool = False,
                          base_url: str = DEFAULT_BASE_URL, channel: str = "stable") -> dict:
    """The deb822 fields of Docker's repository for one host."""
    dist = str(distribution).strip().lower()
    arch = str(arch).strip().lower()
    codename = str(codename or "").strip().lower()
    if dist == "raspbian":
        dist, raspberry_pi_os = "debian", True
    if dist not in ("debian", "ubuntu"):
        raise AnsibleFilterError(f"docker_apt_repository: Docker publishes no apt repository for distribution {distribution!r} "
                                 "(supported: Debian, Ubuntu, Raspberry Pi OS)")
    if not codename or codename in ("na", "n/a"):
        raise AnsibleFilterError(f"docker_apt_repository: no release codename for {distribution} (got {codename!r})")
    family = "raspbian" if raspberry_pi_os and dist == "debian" and arch == "armhf" else dist
    if arch not in SUPPORTED_ARCHITECTURES[family]:
        label = "Raspberry Pi OS" if raspberry_pi_os else distribution
        raise AnsibleFilterError(f"docker_apt_repository: Docker publishes no {family} packages for architecture {arch!r} "
                                 f"({label}; supported: {', '.join(SUPPORTED_ARCHITECTURES[family])}); "
                                 "use the distribution's packages (docker_source: distro) instead")
    url = f"{str(base_url).rstrip('/')}/{family}"
    return {"family": family, "url": url, "suite": codename, "components": [channel],
            "architectures": [arch], "key_url": f"{url}/gpg"}


class FilterModule:
    def filters(self) -> dict:
        return {"docker_apt_repository": docker_apt_repository}
