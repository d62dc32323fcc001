# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The argument spec of the HTTP options every downloading module takes.

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.

Documented by the doc fragment ``pronk8s.platform.download``; the parameters it yields are read by
``_download.DownloadOptions.from_params``. Built on ansible-core's ``url_argument_spec()`` for the
options the collection's HTTP stack shares with it; ``url``, ``force``, ``http_agent`` and
``use_gssapi`` are left out because _download does not take them.
"""

from __future__ import annotations

from ansible.module_utils.urls import url_argument_spec

_FROM_ANSIBLE_CORE = ("use_proxy", "validate_certs", "url_username", "url_password", "force_basic_auth",
                      "client_cert", "client_key")


def download_argument_spec() -> dict:
    """A new dict each call, so a module may add to it or change a default without touching others'."""
    core = url_argument_spec()
    spec = {name: dict(core[name]) for name in _FROM_ANSIBLE_CORE}
    spec["url_username"]["aliases"] = ["username"]
    spec["url_password"]["aliases"] = ["password"]
    # A path, not the key itself: nothing secret to hide from the log.
    spec["client_key"]["no_log"] = False
    spec.update(
        timeout=dict(type="int", default=60),
        deadline=dict(type="float", default=3600),
        retries=dict(type="int", default=3),
        retry_delay=dict(type="float", default=2.0),
        ca_path=dict(type="path"),
        headers=dict(type="dict", no_log=True),
    )
    return spec
