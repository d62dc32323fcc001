# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-user directories of the collection, by the XDG Base Directory rules, computed in one place.

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.

``$XDG_CACHE_HOME`` (else ``~/.cache``) holds what can be fetched again; ``$XDG_STATE_HOME`` (else
``~/.local/state``) holds what should survive but is not configuration. A relative value is ignored,
as the specification requires.
"""

from __future__ import annotations

import os

APP = "pronk8s"
_FALLBACKS = {"XDG_CACHE_HOME": (".cache",), "XDG_STATE_HOME": (".local", "state")}


def _base(variable: str) -> str:
    value = os.environ.get(variable, "")
    if os.path.isabs(value):
        return value
    return os.path.join(os.path.expanduser("~"), *_FALLBACKS[variable])


def cache_dir(*parts: str) -> str:
    """``$XDG_CACHE_HOME/pronk8s/PARTS`` (``~/.cache/pronk8s/PARTS``)."""
    return os.path.join(_base("XDG_CACHE_HOME"), APP, *parts)


def state_dir(*parts: str) -> str:
    """``$XDG_STATE_HOME/pronk8s/PARTS`` (``~/.local/state/pronk8s/PARTS``)."""
    return os.path.join(_base("XDG_STATE_HOME"), APP, *parts)
