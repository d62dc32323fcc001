"""Fixtures for integration tests on real containers built by tests/testbed/testbed.sh.

- ``testbed``: the environment (network, gateway, images, SSH key); a missing test bed is an error,
  because `make test` always builds it first.
- ``hosts`` / ``module_hosts``: a factory that starts SSH-reachable containers (amd64 sshd, systemd, or
  the arm64 Pi image) on the test network and writes inventories for them; removed at the end.
- ``mirror`` / ``module_mirror``: an in-process artifact mirror bound to the network gateway (reachable
  from containers, never the internet), with fault injection and byte counters (tests/testbed/mirror.py).
- ``ansible`` / ``module_ansible``: runs ansible-playbook with the JSON callback and returns the results.
The classes live in tests/testbed/fleet.py, shared with the benchmarks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from fleet import Ansible, Fleet, Testbed, load_testbed
from mirror import MirrorServer


@pytest.fixture(scope="session")
def testbed() -> Testbed:
    return load_testbed()


@pytest.fixture
def hosts(testbed: Testbed, tmp_path: Path) -> Iterator[Fleet]:
    fleet = Fleet(testbed, tmp_path)
    try:
        yield fleet
    finally:
        fleet.cleanup()


@pytest.fixture(scope="module")
def module_hosts(testbed: Testbed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """Like `hosts`, shared by the tests of one module (containers are cheap, emulated arm64 ones less so)."""
    fleet = Fleet(testbed, tmp_path_factory.mktemp("fleet"))
    try:
        yield fleet
    finally:
        fleet.cleanup()


@pytest.fixture(scope="module")
def module_mirror(testbed: Testbed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MirrorServer]:
    """Like `mirror`, shared by the tests of one module."""
    with MirrorServer(tmp_path_factory.mktemp("mirror"), bind=testbed.gateway) as server:
        yield server


@pytest.fixture
def mirror(testbed: Testbed, tmp_path: Path) -> Iterator[MirrorServer]:
    root = tmp_path / "mirror"
    root.mkdir()
    with MirrorServer(root, bind=testbed.gateway) as server:
        yield server


@pytest.fixture
def ansible(testbed: Testbed, tmp_path: Path) -> Ansible:
    return Ansible(testbed, tmp_path)


@pytest.fixture(scope="module")
def module_ansible(testbed: Testbed, tmp_path_factory: pytest.TempPathFactory) -> Ansible:
    return Ansible(testbed, tmp_path_factory.mktemp("ansible"))
