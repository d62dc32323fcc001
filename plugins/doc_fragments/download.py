# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTTP options of every module that downloads, paired with _download_spec.download_argument_spec().

ansible-core's C(ansible.builtin.url) fragment is not extended as a whole: it also documents
C(url), C(force), C(http_agent) and C(use_gssapi), which the collection's HTTP stack
(module_utils/_download.py) does not take. The options both share keep ansible-core's names and
types, so a task written for ansible.builtin.get_url reads the same here.
"""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  timeout:
    description:
      - Seconds to wait for the server to answer or send more data.
    type: int
    default: 60
  deadline:
    description:
      - Seconds the whole download may take, retries and checksum file included; a server that keeps
        the connection alive by sending a byte now and then is cut off when it is reached.
      - V(0) means no deadline.
    type: float
    default: 3600
  retries:
    description:
      - Extra attempts after a transient failure (connection error, timeout, HTTP 5xx or 429), with
        exponential backoff starting at O(retry_delay). Client errors such as 404 are not retried.
    type: int
    default: 3
  retry_delay:
    description:
      - Seconds before the first retry; doubled for each further retry.
    type: float
    default: 2.0
  validate_certs:
    description:
      - Whether to verify the server's TLS certificate.
    type: bool
    default: true
  use_proxy:
    description:
      - Whether to use the proxies from the environment (C(https_proxy), C(http_proxy), C(no_proxy)).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of CA certificates to trust instead of the system's.
    type: path
  client_cert:
    description:
      - PEM client certificate for TLS client authentication.
    type: path
  client_key:
    description:
      - PEM private key for O(client_cert).
    type: path
  headers:
    description:
      - Extra HTTP headers, for example an authorization token for a private mirror.
    type: dict
  url_username:
    description:
      - Username for HTTP basic authentication.
    type: str
    aliases: [username]
  url_password:
    description:
      - Password for HTTP basic authentication.
    type: str
    aliases: [password]
  force_basic_auth:
    description:
      - Send the basic authentication header on the first request instead of waiting for a 401.
    type: bool
    default: false
"""
