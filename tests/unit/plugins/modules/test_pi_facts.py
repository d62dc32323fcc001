"""pi_facts: facts from fixture trees of real Pi models and OS layouts, and from non-Pi hosts.

A container cannot fake /proc/device-tree, a Pi 5 or a 32-bit userland, so each host is a
directory tree built from fixtures/pi/hosts.yml that the module's HostReader reads in place of /
(the only test double here); uname, the interpreter's word size and command output come from the
same fixture. The module entry point itself is run against this machine's real /.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ansible.module_utils.testing import patch_module_args
from ansible_collections.pronk8s.platform.plugins.module_utils._pi_facts import HostReader, PiFactsCollector
from ansible_collections.pronk8s.platform.plugins.module_utils._pi_revision import (
    decode_revision,
    decode_throttled,
    parse_revision,
)
from ansible_collections.pronk8s.platform.plugins.modules import pi_facts

HOSTS = yaml.safe_load((Path(__file__).parent / "fixtures" / "pi" / "hosts.yml").read_text())


class FixtureHost(HostReader):
    """A HostReader on a fixture tree, with the fixture's uname, word size and command output."""

    def __init__(self, root: Path, spec: dict) -> None:
        commands = spec.get("commands", {})
        super().__init__(
            str(root),
            run_command=lambda argv: (0, commands[" ".join([Path(argv[0]).name, *argv[1:]])], ""),
            find_command=lambda name: f"/usr/bin/{name}" if any(c.split()[0] == name for c in commands) else None,
        )
        self.spec = spec

    def machine(self) -> str:
        return self.spec["machine"]

    def userland_bits(self) -> int:
        return self.spec["userland_bits"]


def build_tree(root: Path, files: dict[str, str]) -> Path:
    for path, content in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode("utf-8"))
    return root


def collect(tmp_path: Path, name: str) -> dict:
    spec = HOSTS[name]
    return PiFactsCollector(FixtureHost(build_tree(tmp_path, spec["files"]), spec)).collect()


def assert_subset(expected, actual, where: str = "facts") -> None:
    """Every key of `expected` has the same value in `actual` (dicts compared recursively)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected a dict, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}.{key} missing"
            assert_subset(value, actual[key], f"{where}.{key}")
    else:
        assert actual == expected, f"{where}: expected {expected!r}, got {actual!r}"


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_host_fixture(tmp_path: Path, name: str) -> None:
    assert_subset(HOSTS[name]["expect"], collect(tmp_path, name), name)


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_every_fact_key_is_always_returned(tmp_path: Path, name: str) -> None:
    """Callers may index any documented key on any host, Pi or not."""
    facts = collect(tmp_path, name)
    assert set(facts) == {
        "is_raspberry_pi", "model", "model_source", "compatible", "revision", "board", "memory_mb",
        "kernel_arch", "kernel_bits", "userland_arch", "userland_bits", "mixed_arch", "os", "boot",
        "memory_cgroup", "swap", "throttling", "in_container",
    }
    json.dumps(facts)  # facts must be plain data


def test_empty_root_is_not_a_pi_and_does_not_fail(tmp_path: Path) -> None:
    facts = PiFactsCollector(HostReader(str(tmp_path))).collect()
    assert facts["is_raspberry_pi"] is False
    assert facts["memory_cgroup"] == {"active": False, "source": None, "enabled_on_cmdline": False,
                                      "disabled_on_cmdline": False, "cgroup_version": 1}
    assert facts["swap"]["active"] is False
    assert facts["os"]["id"] == "other"


def test_unbalanced_quote_in_proc_cmdline_is_tolerated(tmp_path: Path) -> None:
    build_tree(tmp_path, {"/proc/cmdline": 'init="/bin/sh cgroup_enable=memory\n'})
    assert PiFactsCollector(HostReader(str(tmp_path))).collect()["memory_cgroup"]["enabled_on_cmdline"] is False


def test_boot_stub_only_means_no_boot_partition(tmp_path: Path) -> None:
    """/boot/firmware not mounted on bookworm: only the stub is left, which must not be picked."""
    spec = HOSTS["pi4-raspios-bookworm-arm64"]
    files = {k: v for k, v in spec["files"].items() if not k.startswith("/boot/firmware/")}
    facts = PiFactsCollector(FixtureHost(build_tree(tmp_path, files), spec)).collect()
    assert facts["boot"] == {"dir": None, "cmdline_path": None, "config_path": None}


def test_failing_command_gives_no_fact(tmp_path: Path) -> None:
    build_tree(tmp_path, {"/proc/device-tree/model": "Raspberry Pi 4 Model B Rev 1.4\0"})
    reader = HostReader(str(tmp_path), run_command=lambda argv: (1, "", "VCHI initialization failed"),
                        find_command=lambda name: "/usr/bin/" + name)
    facts = PiFactsCollector(reader).collect()
    assert facts["is_raspberry_pi"] is True
    assert facts["throttling"] is None


@pytest.mark.parametrize(("code", "expected"), [
    ("c03114", {"type": "4B", "memory_mb": 4096, "processor": "BCM2711", "pcb_revision": "1.4"}),
    ("a02082", {"type": "3B", "memory_mb": 1024, "processor": "BCM2837", "manufacturer": "Sony UK"}),
    ("a22082", {"type": "3B", "manufacturer": "Embest"}),
    ("902120", {"type": "Zero 2 W", "memory_mb": 512, "processor": "BCM2837"}),
    ("d04170", {"type": "5", "memory_mb": 8192, "processor": "BCM2712"}),
    ("e04171", {"type": "5", "memory_mb": 16384, "pcb_revision": "1.1"}),
    ("c03130", {"type": "400", "memory_mb": 4096}),
    ("9000c1", {"type": "Zero W", "memory_mb": 512, "processor": "BCM2835"}),
    # Warranty bit (25) set by over-volting a new-style board.
    ("2a02082", {"type": "3B", "warranty_voided": True}),
    # Old-style codes of first-generation boards, and the over-volted prefix.
    ("000e", {"new_style": False, "type": "B", "memory_mb": 512, "manufacturer": "Sony UK"}),
    ("1000002", {"new_style": False, "type": "B", "memory_mb": 256, "warranty_voided": True}),
    ("0015", {"type": "A+", "memory_mb": None}),
    # Memory field 7 means "other": unknown, never a guess.
    ("f04170", {"type": "5", "memory_mb": None}),
    ("0x00c03114", {"type": "4B"}),
])
def test_decode_revision(code: str, expected: dict) -> None:
    parsed = parse_revision(code)
    assert parsed is not None
    assert_subset(expected, decode_revision(parsed), code)


@pytest.mark.parametrize("code", ["", None, "zz", "0000", "000a"])
def test_unknown_revision(code) -> None:
    parsed = parse_revision(code)
    assert parsed is None or decode_revision(parsed) is None


def test_decode_throttled() -> None:
    flags = decode_throttled("throttled=0x50005\n")
    assert flags["raw"] == "0x50005"
    assert [k for k, v in flags.items() if v is True] == [
        "under_voltage_now", "throttled_now", "under_voltage_occurred", "throttled_occurred"]
    assert decode_throttled("error=1 error_msg=\"Command not registered\"") is None
    assert decode_throttled("garbage") is None


def test_module_on_this_machine(capsys: pytest.CaptureFixture) -> None:
    """The real entry point on the real test machine (not a Pi): facts, no change, no failure."""
    with patch_module_args({"_ansible_check_mode": True}), pytest.raises(SystemExit) as exit_info:
        pi_facts.main()
    assert exit_info.value.code == 0
    result = json.loads(capsys.readouterr().out)
    facts = result["ansible_facts"]["raspberry_pi"]
    assert result["changed"] is False
    assert facts["is_raspberry_pi"] is False
    assert facts["kernel_arch"] == __import__("os").uname().machine
    assert facts["userland_arch"] in ("amd64", "arm64")
