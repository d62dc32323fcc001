"""One owner per host concern: host_base owns the hostname and swap; raspberry_pi only the Pi's boot work.

Real here: an emulated arm64 Raspberry Pi OS container (the test bed's `pi` image with a real Pi 4
/proc/cpuinfo bind-mounted), reached over SSH by ansible-playbook. It is a container, so the hostname
itself is left to the engine (host_base says so and names the hostname it wanted): what is checked is
WHICH role's tasks ran with WHICH value, and the deprecation warnings of the renamed variables.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CPUINFO = ROOT / "roles" / "molecule_images" / "files" / "pi" / "proc" / "cpuinfo-pi4-model-b"
HOSTNAME_TASK = "Leave the hostname to the container engine"
WARN_TASK = "Warn about renamed variables that are still set"


def _pi_playbook(tmp_path: Path) -> Path:
    playbook = tmp_path / "pi.yml"
    playbook.write_text(
        "- name: Pi boot work\n  hosts: all\n  gather_facts: false\n"
        "  roles:\n    - role: pronk8s.platform.raspberry_pi\n")
    return playbook


def test_deprecated_pi_variables_still_work_through_host_base(hosts, ansible, tmp_path):
    pi = hosts.start("pi", 1, prefix="own", extra_args=["-v", f"{CPUINFO}:/proc/cpuinfo:ro"])[0]
    inventory = hosts.inventory()
    playbook = _pi_playbook(tmp_path)

    old = ansible.playbook(playbook, inventory, extra_vars={
        "raspberry_pi_hostname": "pi-old", "raspberry_pi_disable_swap": False, "raspberry_pi_reboot": False})
    assert old.rc == 0, old.stdout[-3000:] + old.stderr[-3000:]
    assert sorted(old.task(WARN_TASK)["deprecated"]) == ["raspberry_pi_disable_swap", "raspberry_pi_hostname"]
    assert "The variable raspberry_pi_hostname is deprecated and still used for now: set host_base_hostname instead" in old.stdout, \
        old.task(WARN_TASK)
    # The hostname task that ran is host_base's own, with the old variable's value.
    ran = [entry for entry in old.results if entry["task"].endswith(HOSTNAME_TASK)]
    assert [entry["task"].split(" : ")[0] for entry in ran] == ["pronk8s.platform.host_base"]
    assert "wanted: pi-old" in ran[0]["result"]["msg"]
    # raspberry_pi_disable_swap: false still decides: the swap services are left alone, as before the rename.
    assert not any(entry["task"].endswith("Leave the swap services to the container host") for entry in old.results)

    both = ansible.playbook(playbook, inventory, extra_vars={
        "raspberry_pi_hostname": "pi-old", "host_base_hostname": "pi-new", "raspberry_pi_reboot": False})
    assert both.rc == 0, both.stdout[-3000:] + both.stderr[-3000:]
    assert both.task(WARN_TASK)["deprecated"] == ["raspberry_pi_hostname"]
    # host_base_hostname is set: the hostname is left to host_base itself, the Pi role does not touch it.
    assert not any(entry["task"].endswith(HOSTNAME_TASK) for entry in both.results)

    new = ansible.playbook(playbook, inventory, extra_vars={"raspberry_pi_reboot": False})
    assert new.rc == 0, new.stdout[-3000:] + new.stderr[-3000:]
    assert new.task(WARN_TASK)["deprecated"] == []
    assert "is deprecated and still used for now" not in new.stdout
    assert new.task("Leave the swap services to the container host")["msg"].startswith(f"Skipped: {pi.name} is a container")
