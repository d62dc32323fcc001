# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters mapping host architectures to upstream release names (docs in the .yml files beside this one)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.pronk8s.platform.plugins.module_utils import _catalog


def upstream_arch(machine: str, userspace_bits: str | int | None = None) -> str:
    try:
        return _catalog.upstream_arch(machine, userspace_bits)
    except _catalog.CatalogError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    def filters(self):
        return {"upstream_arch": upstream_arch}
