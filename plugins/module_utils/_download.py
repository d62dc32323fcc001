# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Streamed HTTP(S) downloads with retries, through ansible.module_utils.urls.

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.

`open_url` brings proxies (environment), CA bundles, client certificates and basic auth; this
module adds what an artifact download needs on top: streaming to disk while hashing, truncation
detection against Content-Length, and retries with exponential backoff for transient failures
(connection errors, timeouts, HTTP 5xx and 429). Client errors (404, 403...) fail at once.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from typing import Callable, TypeVar
from urllib.error import HTTPError, URLError

from ansible.module_utils.urls import open_url
from ansible_collections.pronk8s.platform.plugins.module_utils._sha256 import HashingWriter

CHUNK = 1024 * 1024
T = TypeVar("T")


class DownloadError(Exception):
    """A download that did not deliver the whole body."""

    def __init__(self, message: str, url: str, status: int | None = None, received: int = 0) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.received = received


@dataclass
class DownloadOptions:
    timeout: float = 60
    retries: int = 3
    retry_delay: float = 2.0
    validate_certs: bool = True
    use_proxy: bool = True
    headers: dict[str, str] = field(default_factory=dict)
    url_username: str | None = None
    url_password: str | None = None
    force_basic_auth: bool = False
    client_cert: str | None = None
    client_key: str | None = None
    ca_path: str | None = None

    @classmethod
    def from_params(cls, params: dict) -> "DownloadOptions":
        """From module parameters or task arguments: each option given (not None) overrides the default."""
        opts = cls()
        for name in cls.__dataclass_fields__:
            if params.get(name) is not None:
                setattr(opts, name, params[name])
        return opts


@dataclass
class DownloadResult:
    sha256: str
    size: int
    attempts: int


def _transient(exc: DownloadError) -> bool:
    return exc.status is None or exc.status >= 500 or exc.status == 429


def _open(url: str, opts: DownloadOptions):
    return open_url(
        url,
        method="GET",
        headers=opts.headers or None,
        timeout=opts.timeout,
        validate_certs=opts.validate_certs,
        use_proxy=opts.use_proxy,
        url_username=opts.url_username,
        url_password=opts.url_password,
        force_basic_auth=opts.force_basic_auth,
        client_cert=opts.client_cert,
        client_key=opts.client_key,
        ca_path=opts.ca_path,
        http_agent="pronk8s.platform-verified-download",
    )


def _open_or_raise(url: str, opts: DownloadOptions):
    try:
        return _open(url, opts)
    except HTTPError as exc:
        raise DownloadError(f"HTTP {exc.code} {exc.reason} fetching {url}", url, status=exc.code) from exc
    except (URLError, socket.timeout, OSError) as exc:
        raise DownloadError(f"cannot reach {url}: {getattr(exc, 'reason', exc)}", url) from exc


def _to_file(url: str, path: str, opts: DownloadOptions) -> tuple[str, int]:
    response = _open_or_raise(url, opts)
    expected = response.headers.get("Content-Length")
    # read1 returns what has arrived (up to CHUNK), so a stall is reported with the true byte count.
    read = getattr(response, "read1", response.read)
    with open(path, "wb") as handle:
        writer = HashingWriter(handle)
        try:
            while chunk := read(CHUNK):
                writer.write(chunk)
        except (socket.timeout, TimeoutError) as exc:
            raise DownloadError(
                f"download of {url} stalled: no data for {opts.timeout:g} s after {writer.size} bytes",
                url, received=writer.size) from exc
        except OSError as exc:
            raise DownloadError(f"download of {url} broke after {writer.size} bytes: {exc}", url, received=writer.size) from exc
        finally:
            response.close()
    if expected is not None and expected.isdigit() and int(expected) != writer.size:
        raise DownloadError(
            f"download of {url} truncated: received {writer.size} of {expected} bytes", url, received=writer.size)
    return writer.hexdigest(), writer.size


def _to_text(url: str, opts: DownloadOptions, limit: int) -> str:
    response = _open_or_raise(url, opts)
    try:
        return response.read(limit).decode("utf-8", errors="replace")
    except (socket.timeout, OSError) as exc:
        raise DownloadError(f"reading {url} failed: {exc}", url) from exc
    finally:
        response.close()


def _with_retries(action: Callable[[], T], opts: DownloadOptions, sleep: Callable[[float], None]) -> tuple[T, int]:
    """Run `action`, retrying transient DownloadErrors with exponential backoff; returns (result, attempts)."""
    attempts = max(1, opts.retries + 1)
    delay = opts.retry_delay
    for attempt in range(1, attempts + 1):
        try:
            return action(), attempt
        except DownloadError as exc:
            if attempt == attempts or not _transient(exc):
                if attempt > 1:
                    exc.args = (f"{exc.args[0]} (after {attempt} attempts)",)
                raise
            sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def download(url: str, path: str, opts: DownloadOptions, sleep: Callable[[float], None] = time.sleep) -> DownloadResult:
    """Download `url` into `path` (overwritten on each attempt) and return its sha256 and size."""
    (digest, size), attempts = _with_retries(lambda: _to_file(url, path, opts), opts, sleep)
    return DownloadResult(sha256=digest, size=size, attempts=attempts)


def fetch_text(url: str, opts: DownloadOptions, limit: int = 1024 * 1024,
               sleep: Callable[[float], None] = time.sleep) -> str:
    """A small text resource (a checksum file), with the same retries."""
    return _with_retries(lambda: _to_text(url, opts, limit), opts, sleep)[0]
