# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Decode Raspberry Pi revision codes and ``vcgencmd get_throttled`` flags.

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.

Source: the "Raspberry Pi revision codes" page of the official documentation
(new-style layout ``NOQuuuWuFMMMCCCCPPPPTTTTTTTTRRRR``) and the ``get_throttled`` bit table of
the vcgencmd documentation.
"""

from __future__ import annotations

MEMORY_MB = {0: 256, 1: 512, 2: 1024, 3: 2048, 4: 4096, 5: 8192, 6: 16384}
MANUFACTURERS = {0: "Sony UK", 1: "Egoman", 2: "Embest", 3: "Sony Japan", 4: "Embest", 5: "Stadium"}
PROCESSORS = {0: "BCM2835", 1: "BCM2836", 2: "BCM2837", 3: "BCM2711", 4: "BCM2712"}
TYPES = {
    0x00: "A", 0x01: "B", 0x02: "A+", 0x03: "B+", 0x04: "2B", 0x05: "Alpha", 0x06: "CM1", 0x08: "3B",
    0x09: "Zero", 0x0A: "CM3", 0x0C: "Zero W", 0x0D: "3B+", 0x0E: "3A+", 0x10: "CM3+", 0x11: "4B",
    0x12: "Zero 2 W", 0x13: "400", 0x14: "CM4", 0x15: "CM4S", 0x17: "5", 0x18: "CM5", 0x19: "500",
    0x1A: "CM5 Lite", 0x1B: "CM0",
}
# Old-style codes (first-generation boards): code -> (type, pcb revision, memory MB, manufacturer).
OLD_STYLE = {
    0x02: ("B", "1.0", 256, "Egoman"), 0x03: ("B", "1.0", 256, "Egoman"),
    0x04: ("B", "2.0", 256, "Sony UK"), 0x05: ("B", "2.0", 256, "Qisda"),
    0x06: ("B", "2.0", 256, "Egoman"), 0x07: ("A", "2.0", 256, "Egoman"),
    0x08: ("A", "2.0", 256, "Sony UK"), 0x09: ("A", "2.0", 256, "Qisda"),
    0x0D: ("B", "2.0", 512, "Egoman"), 0x0E: ("B", "2.0", 512, "Sony UK"),
    0x0F: ("B", "2.0", 512, "Egoman"), 0x10: ("B+", "1.2", 512, "Sony UK"),
    0x11: ("CM1", "1.0", 512, "Sony UK"), 0x12: ("A+", "1.1", 256, "Sony UK"),
    0x13: ("B+", "1.2", 512, "Embest"), 0x14: ("CM1", "1.0", 512, "Embest"),
    # 0015 was made with 256 MB and 512 MB; the code cannot tell them apart.
    0x15: ("A+", "1.1", None, "Embest"),
}
# Old-style codes of over-volted boards carry this prefix (1000002 is a voided 0002).
OLD_STYLE_WARRANTY_PREFIX = 0x1000000

THROTTLE_BITS = {
    "under_voltage_now": 0,
    "arm_frequency_capped_now": 1,
    "throttled_now": 2,
    "soft_temperature_limit_now": 3,
    "under_voltage_occurred": 16,
    "arm_frequency_capped_occurred": 17,
    "throttled_occurred": 18,
    "soft_temperature_limit_occurred": 19,
}


def parse_revision(text: str | None) -> int | None:
    """The revision code as an integer, or None when it is not a hex number."""
    if not text:
        return None
    value = text.strip().lower()
    if value.startswith("0x"):
        value = value[2:]
    try:
        return int(value, 16)
    except ValueError:
        return None


def decode_revision(code: int) -> dict | None:
    """Board facts from a revision code, or None when the code is not a known Pi code."""
    if code & (1 << 23):
        return _decode_new_style(code)
    warranty_voided = bool(code & OLD_STYLE_WARRANTY_PREFIX)
    entry = OLD_STYLE.get(code & ~OLD_STYLE_WARRANTY_PREFIX)
    if entry is None:
        return None
    board_type, pcb, memory, maker = entry
    return {
        "new_style": False, "type": board_type, "processor": "BCM2835", "manufacturer": maker,
        "memory_mb": memory, "pcb_revision": pcb, "warranty_voided": warranty_voided,
    }


def _decode_new_style(code: int) -> dict:
    board_type = (code >> 4) & 0xFF
    return {
        "new_style": True,
        "type": TYPES.get(board_type, f"unknown (0x{board_type:02x})"),
        "processor": PROCESSORS.get((code >> 12) & 0xF),
        "manufacturer": MANUFACTURERS.get((code >> 16) & 0xF),
        # 7 means "other": the size is then only known to the firmware.
        "memory_mb": MEMORY_MB.get((code >> 20) & 0x7),
        "pcb_revision": f"1.{code & 0xF}",
        "warranty_voided": bool(code & (1 << 25)),
    }


def decode_throttled(output: str) -> dict | None:
    """Flags from ``vcgencmd get_throttled`` output (``throttled=0x50005``), or None if unreadable."""
    sep, value = output.strip().partition("=")[1:]
    if not sep:
        return None
    try:
        bits = int(value.strip(), 16)
    except ValueError:
        return None
    flags = {name: bool(bits & (1 << bit)) for name, bit in THROTTLE_BITS.items()}
    return {"raw": f"0x{bits:x}", **flags}
