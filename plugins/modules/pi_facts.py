#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: pi_facts
short_description: Facts about a Raspberry Pi (model, memory, boot files, memory cgroup, swap, throttling)
version_added: 1.0.0
description:
  - Returns the fact C(raspberry_pi) describing the host, for roles that prepare a Raspberry Pi for
    containers and Kubernetes.
  - The model comes from the device tree (C(/proc/device-tree/model), then
    C(/sys/firmware/devicetree/base/model)), then from the C(Model) line of C(/proc/cpuinfo).
    Board type, processor, manufacturer and memory are decoded from the C(Revision) code in
    C(/proc/cpuinfo).
  - Reports the kernel architecture and the userland architecture separately, because a 64-bit
    kernel with a 32-bit userland (Raspberry Pi OS armhf with C(arm_64bit=1)) is common and needs
    armhf packages although C(uname -m) says C(aarch64).
  - Finds the boot partition in use (C(/boot/firmware) on Raspberry Pi OS bookworm and later and on
    Ubuntu, C(/boot) before) and the paths of C(cmdline.txt) and C(config.txt).
  - On a host that is not a Raspberry Pi it returns RV(ansible_facts.raspberry_pi.is_raspberry_pi=false)
    with the generic facts (architectures, OS, memory cgroup, swap) and never fails.
author:
  - pronk8s developers (@pronk8s)
extends_documentation_fragment:
  - pronk8s.platform.attributes
  - pronk8s.platform.attributes.facts
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  facts:
    support: full
  idempotent:
    support: full
    details: Only reads the host.
options: {}
notes:
  - Reads files only; runs C(dpkg --print-architecture) and, when it exists, C(vcgencmd get_throttled).
  - Inside a container C(/proc/cgroups), C(/proc/cmdline) and C(/proc/swaps) describe the container
    host's kernel; RV(ansible_facts.raspberry_pi.in_container) says when that is the case.
seealso:
  - name: Raspberry Pi revision codes
    description: The layout of the revision code this module decodes.
    link: https://www.raspberrypi.com/documentation/computers/raspberry-pi.html#raspberry-pi-revision-codes
  - module: pronk8s.platform.boot_cmdline
"""

EXAMPLES = r"""
---
- name: Gather Raspberry Pi facts
  pronk8s.platform.pi_facts:

- name: Show what kind of Pi this is
  ansible.builtin.debug:
    msg: >-
      {{ ansible_facts.raspberry_pi.model }} with {{ ansible_facts.raspberry_pi.memory_mb }} MiB,
      {{ ansible_facts.raspberry_pi.userland_arch }} userland on an {{ ansible_facts.raspberry_pi.kernel_arch }} kernel
  when: ansible_facts.raspberry_pi.is_raspberry_pi

- name: Enable the memory cgroup in the cmdline.txt the firmware reads
  pronk8s.platform.boot_cmdline:
    path: "{{ ansible_facts.raspberry_pi.boot.cmdline_path }}"
    parameters: [cgroup_enable=memory, cgroup_memory=1]
  when: ansible_facts.raspberry_pi.is_raspberry_pi
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: dict
  contains:
    raspberry_pi:
      description: Facts about the Raspberry Pi, or generic host facts when it is not one.
      returned: always
      type: dict
      contains:
        is_raspberry_pi:
          description: Whether the device tree or C(/proc/cpuinfo) names a Raspberry Pi.
          returned: always
          type: bool
          sample: true
        model:
          description: The model string, or V(null) when not a Pi.
          returned: always
          type: str
          sample: Raspberry Pi 4 Model B Rev 1.4
        model_source:
          description: File the model string was read from.
          returned: always
          type: str
          sample: /proc/device-tree/model
        compatible:
          description: Device tree C(compatible) strings (empty where there is no device tree).
          returned: always
          type: list
          elements: str
          sample: ["raspberrypi,4-model-b", "brcm,bcm2711"]
        revision:
          description: Revision code from C(/proc/cpuinfo), lower case hex.
          returned: always
          type: str
          sample: c03114
        board:
          description: The revision code decoded, or V(null) when it is unknown or absent.
          returned: always
          type: dict
          sample:
            new_style: true
            type: 4B
            processor: BCM2711
            manufacturer: Sony UK
            memory_mb: 4096
            pcb_revision: "1.4"
            warranty_voided: false
        memory_mb:
          description: Board memory in MiB decoded from the revision code (V(null) when unknown).
          returned: always
          type: int
          sample: 4096
        kernel_arch:
          description: Machine name of the running kernel (C(uname -m)).
          returned: always
          type: str
          sample: aarch64
        kernel_bits:
          description: Word size of the kernel.
          returned: always
          type: int
          sample: 64
        userland_arch:
          description: Debian architecture of the userland (C(dpkg --print-architecture)), or a best guess.
          returned: always
          type: str
          sample: armhf
        userland_bits:
          description: Word size of the userland.
          returned: always
          type: int
          sample: 32
        mixed_arch:
          description: Whether a 64-bit kernel runs a 32-bit userland.
          returned: always
          type: bool
          sample: true
        os:
          description: Operating system from C(/etc/os-release); C(id) is one of V(raspios), V(ubuntu), V(debian), V(other).
          returned: always
          type: dict
          sample: {id: raspios, name: Debian GNU/Linux 12 (bookworm), version_id: "12", codename: bookworm}
        boot:
          description:
            - Boot partition in use and the paths of its C(cmdline.txt) and C(config.txt) (V(null) when not a Pi).
            - C(config_path) is C(usercfg.txt) where C(config.txt) includes it (Ubuntu 22.04 and earlier).
          returned: always
          type: dict
          sample: {dir: /boot/firmware, cmdline_path: /boot/firmware/cmdline.txt, config_path: /boot/firmware/config.txt}
        memory_cgroup:
          description:
            - Whether the memory cgroup controller is active now (from C(/proc/cgroups), else
              C(/sys/fs/cgroup/cgroup.controllers)), and what the running kernel's command line asks for.
          returned: always
          type: dict
          sample: {active: false, source: /proc/cgroups, enabled_on_cmdline: false, disabled_on_cmdline: false, cgroup_version: 2}
        swap:
          description:
            - Active swap areas from C(/proc/swaps), and the swap providers installed
              (V(dphys-swapfile), V(zram-tools), V(systemd-zram-generator), V(zram-config), V(rpi-swap)).
            - C(zram) is true when a zram device is active or a provider that can make one is installed.
          returned: always
          type: dict
          sample:
            active: true
            total_kb: 102396
            devices: [{path: /var/swap, type: file, size_kb: 102396, used_kb: 0}]
            providers: [dphys-swapfile]
            zram: false
        throttling:
          description: Decoded C(vcgencmd get_throttled), or V(null) where C(vcgencmd) is absent or fails.
          returned: always
          type: dict
          sample:
            raw: "0x50005"
            under_voltage_now: true
            arm_frequency_capped_now: false
            throttled_now: true
            soft_temperature_limit_now: false
            under_voltage_occurred: true
            arm_frequency_capped_occurred: false
            throttled_occurred: true
            soft_temperature_limit_occurred: false
        in_container:
          description: Whether the module runs inside a container (then kernel facts are the container host's).
          returned: always
          type: bool
          sample: false
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pronk8s.platform.plugins.module_utils._pi_facts import HostReader, PiFactsCollector


def host_reader(module: AnsibleModule) -> HostReader:
    """The real host, with parsed command output in the C locale."""
    def run(argv: list[str]) -> tuple[int, str, str]:
        return module.run_command(argv, environ_update={"LC_ALL": "C"})

    return HostReader("/", run_command=run, find_command=module.get_bin_path)


def argument_spec() -> dict:
    return {}


def main() -> None:
    # Never fails by design: a fact that cannot be read is None (see _pi_facts), so no ModuleError here.
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    facts = PiFactsCollector(host_reader(module)).collect()
    module.exit_json(changed=False, ansible_facts={"raspberry_pi": facts})


if __name__ == "__main__":
    main()
