# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Streamed HTTP(S) downloads with retries, through ansible.module_utils.urls.

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.

`open_url` brings proxies (environment), CA bundles, client certificates and basic auth; this
module adds what an artifact download needs on top: streaming to disk while hashing, truncation
detection against Content-Length, retries with exponential backoff for transient failures
(connection errors, timeouts, cut bodies, HTTP 5xx and 429; client errors such as 404 fail at
once), an overall deadline, and redirects followed here rather than by urllib, so that
credentials never follow a redirect to another scheme, host or port and https never degrades to
http. URLs are redacted (user info, query string) in every message.
"""

from __future__ import annotations

import http.client
import signal
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator, TypeVar
from urllib.error import HTTPError, URLError
from urllib.parse import urljoin, urlsplit, urlunsplit

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.module_utils.urls import open_url
from ansible_collections.pronk8s.platform.plugins.module_utils._sha256 import HashingWriter

CHUNK = 1024 * 1024
MAX_REDIRECTS = 10
REDIRECT_CODES = (301, 302, 303, 307, 308)
SCHEMES = ("http", "https", "ftp")
# Headers that carry credentials: never sent to another origin than the one the user named.
CREDENTIAL_HEADERS = ("authorization", "cookie", "proxy-authorization")
T = TypeVar("T")


class DownloadError(Exception):
    """A download that did not deliver the whole body. `url` is already redacted."""

    def __init__(self, message: str, url: str, status: int | None = None, received: int = 0,
                 transient: bool | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.received = received
        self.transient = (status is None or status >= 500 or status == 429) if transient is None else transient


def redact_url(url: str) -> str:
    """`url` without what may be a secret: user info and query string become REDACTED, the fragment goes."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(invalid URL)" if "@" in url or "?" in url else url
    if not parts.scheme or not parts.netloc:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "REDACTED@" + netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, netloc, parts.path, "REDACTED" if parts.query else "", ""))


def url_secrets(url: str) -> list[str]:
    """The parts of `url` that redact_url hides (for AnsibleModule.no_log_values)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = [parts.password, parts.query]
    return [s for s in found if s and len(s) >= 4]


@dataclass
class DownloadOptions:
    timeout: float = 60.0
    deadline: float = 3600.0
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
        """From module parameters or task arguments: each option given (not None) overrides the default.

        Task arguments reach the action plugin untyped ("60" from -e); numbers and booleans are converted here.
        """
        opts = cls()
        for name in cls.__dataclass_fields__:
            value = params.get(name)
            if value is None:
                continue
            default = getattr(opts, name)
            try:
                if isinstance(default, bool):
                    value = boolean(value, strict=True)
                elif isinstance(default, (int, float)):
                    value = type(default)(value)
            except (TypeError, ValueError) as exc:
                raise DownloadError(f"option {name}: {value!r} is not a valid {type(default).__name__}", "",
                                    transient=False) from exc
            setattr(opts, name, value)
        return opts

    def without_credentials(self) -> "DownloadOptions":
        """The same options minus everything that authenticates the user to a server."""
        headers = {k: v for k, v in (self.headers or {}).items() if k.lower() not in CREDENTIAL_HEADERS}
        return DownloadOptions(**{**self.__dict__, "headers": headers, "url_username": None,
                                  "url_password": None, "force_basic_auth": False})


@dataclass
class DownloadResult:
    sha256: str
    size: int


class _Clock:
    """The overall deadline of one download, retries included (0 or less: none)."""

    def __init__(self, deadline: float, timeout: float) -> None:
        self.deadline = deadline
        self.timeout = timeout
        self.end = time.monotonic() + deadline if deadline and deadline > 0 else None

    def remaining(self) -> float | None:
        return None if self.end is None else self.end - time.monotonic()

    def io_timeout(self) -> float:
        """The socket timeout of the next operation: the per-read timeout, capped by the deadline."""
        left = self.remaining()
        return self.timeout if left is None else max(0.01, min(self.timeout, left))

    def check(self, url: str, received: int) -> None:
        left = self.remaining()
        if left is not None and left <= 0:
            raise DownloadError(f"download of {url} did not finish within the deadline of {self.deadline:g} s "
                                f"({received} bytes received)", url, received=received, transient=False)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443, "ftp": 21}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port or default


def _check_url(url: str) -> None:
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as exc:
        raise DownloadError(f"invalid URL {shown}: {exc}", shown, transient=False) from exc
    if parts.scheme.lower() not in SCHEMES or not parts.hostname:
        raise DownloadError(f"invalid URL {shown}: expected http://, https:// or ftp:// and a host", shown,
                            transient=False)


class _DeadlineReached(BaseException):
    """Raised by the alarm while waiting for a reply; a BaseException so no library handler swallows it."""


def _alarm_usable() -> bool:
    # SIGALRM only reaches the main thread, and a task `timeout` (ansible-core) may already own the timer.
    return (threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0))


@contextmanager
def _reply_deadline(clock: _Clock) -> Iterator[None]:
    """Bound the wait for the status line and headers by the deadline as well.

    Each read is bounded by `timeout`, but a server sending its headers one byte at a time never lets a
    read time out. Where the alarm cannot be used, the per-read timeout remains the only bound.
    """
    left = clock.remaining()
    if left is None or not _alarm_usable():
        yield
        return

    def expire(_signum, _frame):
        raise _DeadlineReached()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(left, 0.01))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _open_once(url: str, opts: DownloadOptions, clock: _Clock):
    return open_url(
        url,
        method="GET",
        headers=dict(opts.headers) if opts.headers else None,
        timeout=clock.io_timeout(),
        validate_certs=opts.validate_certs,
        use_proxy=opts.use_proxy,
        url_username=opts.url_username,
        url_password=opts.url_password,
        force_basic_auth=opts.force_basic_auth,
        client_cert=opts.client_cert,
        client_key=opts.client_key,
        ca_path=opts.ca_path,
        follow_redirects="none",
        http_agent="pronk8s.platform-verified-download",
    )


def _next_hop(first: str, current: str, exc: HTTPError, hops: int) -> str:
    """Where a redirect points, refused when it leaves http(s), degrades https, or loops."""
    location = exc.headers.get("Location") if exc.headers else None
    shown = redact_url(first)
    if not location:
        raise DownloadError(f"HTTP {exc.code} redirect without a Location fetching {shown}", shown, status=exc.code)
    if hops >= MAX_REDIRECTS:
        raise DownloadError(f"more than {MAX_REDIRECTS} redirects fetching {shown}", shown, status=exc.code,
                            transient=False)
    target = urljoin(current, location.strip())
    _check_url(target)
    scheme = urlsplit(target).scheme.lower()
    if urlsplit(current).scheme.lower() == "https" and scheme != "https":
        raise DownloadError(f"refusing the redirect of {shown} from https to {redact_url(target)}: "
                            f"it would leave TLS", shown, status=exc.code, transient=False)
    return target


def _open(url: str, opts: DownloadOptions, clock: _Clock):
    """The response for `url`, redirects followed here; credentials go only to the origin named by the user."""
    _check_url(url)
    shown = redact_url(url)
    home = _origin(url)
    current, hop_opts = url, opts
    for hops in range(MAX_REDIRECTS + 1):
        clock.check(shown, 0)
        try:
            with _reply_deadline(clock):
                return _open_once(current, hop_opts, clock)
        except _DeadlineReached as exc:
            raise DownloadError(f"no reply from {shown} within the deadline of {clock.deadline:g} s (the server "
                                f"was still sending its headers)", shown, transient=False) from exc
        except HTTPError as exc:
            exc.close()
            if exc.code not in REDIRECT_CODES:
                raise DownloadError(f"HTTP {exc.code} {exc.reason} fetching {shown}", shown, status=exc.code) from exc
            current = _next_hop(url, current, exc, hops)
            hop_opts = opts if _origin(current) == home else opts.without_credentials()
        except (socket.timeout, TimeoutError) as exc:
            raise DownloadError(f"cannot reach {shown}: no answer within {clock.io_timeout():g} s", shown) from exc
        except URLError as exc:
            raise DownloadError(f"cannot reach {shown}: {_reason(exc)}", shown) from exc
        except http.client.HTTPException as exc:
            raise _http_error(shown, exc, 0) from exc
        except ValueError as exc:
            raise DownloadError(f"invalid URL {shown}: {exc}", shown, transient=False) from exc
        except OSError as exc:
            raise DownloadError(f"cannot reach {shown}: {exc}", shown) from exc
    raise AssertionError("unreachable")


def _reason(exc: URLError) -> str:
    reason = getattr(exc, "reason", exc)
    return str(reason).replace("timed out", "timed out (no answer)")


def _http_error(shown: str, exc: http.client.HTTPException, received: int) -> DownloadError:
    """http.client's own exceptions, said plainly: a cut body is retried, a reply that is not HTTP is not."""
    if isinstance(exc, http.client.IncompleteRead):
        return DownloadError(f"download of {shown} broke after {received} bytes: the server closed the "
                             f"connection before the end of the body", shown, received=received)
    if isinstance(exc, http.client.RemoteDisconnected):
        return DownloadError(f"cannot reach {shown}: the server closed the connection without an answer",
                             shown, received=received)
    if isinstance(exc, (http.client.BadStatusLine, http.client.LineTooLong)):
        return DownloadError(f"{shown} did not answer with HTTP ({type(exc).__name__})", shown,
                             received=received, transient=False)
    return DownloadError(f"download of {shown} failed: {type(exc).__name__}: {exc}", shown, received=received)


def _to_file(url: str, path: str, opts: DownloadOptions, clock: _Clock) -> tuple[str, int]:
    response = _open(url, opts, clock)
    shown = redact_url(url)
    expected = response.headers.get("Content-Length")
    # read1 returns what has arrived (up to CHUNK), so a stall is reported with the true byte count.
    read = getattr(response, "read1", response.read)
    with open(path, "wb") as handle:
        writer = HashingWriter(handle)
        try:
            while True:
                clock.check(shown, writer.size)
                _set_read_timeout(response, clock.io_timeout())
                chunk = read(CHUNK)
                if not chunk:
                    break
                writer.write(chunk)
        except (socket.timeout, TimeoutError) as exc:
            clock.check(shown, writer.size)
            raise DownloadError(
                f"download of {shown} stalled: no data for {opts.timeout:g} s after {writer.size} bytes",
                shown, received=writer.size) from exc
        except http.client.HTTPException as exc:
            raise _http_error(shown, exc, writer.size) from exc
        except OSError as exc:
            raise DownloadError(f"download of {shown} broke after {writer.size} bytes: {exc}", shown,
                                received=writer.size) from exc
        finally:
            response.close()
    if expected is not None and expected.isdigit() and int(expected) != writer.size:
        raise DownloadError(
            f"download of {shown} truncated: received {writer.size} of {expected} bytes", shown, received=writer.size)
    return writer.hexdigest(), writer.size


def _set_read_timeout(response, seconds: float) -> None:
    """Shorten the socket timeout as the deadline nears (http.client keeps the socket in fp.raw._sock)."""
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        try:
            sock.settimeout(seconds)
        except OSError:
            pass


def _to_text(url: str, opts: DownloadOptions, limit: int, clock: _Clock) -> str:
    response = _open(url, opts, clock)
    shown = redact_url(url)
    try:
        return response.read(limit).decode("utf-8", errors="replace")
    except http.client.HTTPException as exc:
        raise _http_error(shown, exc, 0) from exc
    except (socket.timeout, OSError) as exc:
        raise DownloadError(f"reading {shown} failed: {exc}", shown) from exc
    finally:
        response.close()


def _with_retries(action: Callable[[_Clock], T], opts: DownloadOptions, sleep: Callable[[float], None]) -> T:
    """Run `action`, retrying transient DownloadErrors with exponential backoff, all within the deadline."""
    clock = _Clock(opts.deadline, opts.timeout)
    attempts = max(1, opts.retries + 1)
    delay = opts.retry_delay
    for attempt in range(1, attempts + 1):
        try:
            return action(clock)
        except DownloadError as exc:
            left = clock.remaining()
            out_of_time = left is not None and left <= delay
            if attempt == attempts or not exc.transient or out_of_time:
                if attempt > 1:
                    exc.args = (f"{exc.args[0]} (after {attempt} attempts)",)
                raise
            sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def download(url: str, path: str, opts: DownloadOptions, sleep: Callable[[float], None] = time.sleep) -> DownloadResult:
    """Download `url` into `path` (overwritten on each attempt) and return its sha256 and size."""
    digest, size = _with_retries(lambda clock: _to_file(url, path, opts, clock), opts, sleep)
    return DownloadResult(sha256=digest, size=size)


def fetch_text(url: str, opts: DownloadOptions, limit: int = 1024 * 1024,
               sleep: Callable[[float], None] = time.sleep) -> str:
    """A small text resource (a checksum file), with the same redirects, retries and deadline."""
    return _with_retries(lambda clock: _to_text(url, opts, limit, clock), opts, sleep)
