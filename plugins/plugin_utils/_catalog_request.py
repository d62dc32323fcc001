# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The user's pins and policy for a catalog resolution, from the play's variables (controller side).

This is private to the pronk8s.platform collection: the artifact lookup and the verified_binaries action
plugin import it, so that both resolve a tool from the same pins with the same policy.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from ansible_collections.pronk8s.platform.plugins.module_utils import _catalog


def catalog_request(variables: dict, template: Callable[[Any], Any], warn: Callable[[str], None], *,
                    source: str | None = None, mirror_url: str | None = None, local_dir: str | None = None,
                    given: dict | None = None) -> _catalog.Request:
    """A Request from explicit values (`given`: pins_dir, allow_override, extra_pins, minimum_verification;
    None means not given) or else the play's pronk8s_artifact_* variables, templated (group_vars and vault
    hold templates)."""
    given = given or {}

    def setting(option: str, var: str, default=None):
        value = given.get(option)
        if value is None:
            value = variables.get(var, default)
        return template(value) if value is not None else None

    allow = bool(setting("allow_override", _catalog.OVERRIDE_VAR, False))
    if allow:
        warn(f"{_catalog.OVERRIDE_VAR} is true: user pins may REPLACE the collection's upstream pins")
    return _catalog.Request(
        source=source or "upstream", mirror_url=mirror_url or None,
        local_dir=os.path.expanduser(local_dir) if local_dir else None,
        extra_pins=setting("extra_pins", _catalog.EXTRA_PINS_VAR) or {},
        allow_override=allow, pins_dir=_pins_dir(setting("pins_dir", _catalog.PINS_DIR_VAR), variables),
        minimum=setting("minimum_verification", _catalog.MINIMUM_VAR, "copied"))


def _pins_dir(value, variables: dict) -> str | None:
    """The pins directory given, else `pronk8s-pins` beside the inventory when it exists."""
    if value:
        return os.path.expanduser(str(value))
    beside = os.path.join(str(variables.get("inventory_dir") or ""), "pronk8s-pins")
    return beside if variables.get("inventory_dir") and os.path.isdir(beside) else None


def upstream_arch_name(arch: str) -> str:
    """Kernel names (x86_64, aarch64...) are mapped; anything else is taken as an upstream name as is."""
    return _catalog.upstream_arch(arch) if arch in _catalog.ARCH_MAP else arch
