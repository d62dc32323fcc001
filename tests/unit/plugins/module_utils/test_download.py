"""Streamed downloads with retries, against a real HTTP server on loopback (tests/testbed/mirror.py)."""

import hashlib

import pytest
from ansible_collections.pronk8s.platform.plugins.module_utils._download import (
    DownloadError,
    DownloadOptions,
    download,
    fetch_text,
)
from mirror import MirrorServer

DATA = bytes(range(256)) * 4096  # 1 MiB


@pytest.fixture
def server(tmp_path):
    with MirrorServer(tmp_path / "root") as m:
        m.publish("a/tool", DATA)
        yield m


def opts(**kw):
    return DownloadOptions(timeout=kw.pop("timeout", 5), retries=kw.pop("retries", 2), retry_delay=kw.pop("retry_delay", 0.5), **kw)


def test_download_hashes_while_streaming(server, tmp_path):
    got = download(f"{server.url}/a/tool", str(tmp_path / "out"), opts())
    assert got.sha256 == hashlib.sha256(DATA).hexdigest() and got.size == len(DATA) and got.attempts == 1
    assert (tmp_path / "out").read_bytes() == DATA


def test_client_errors_are_not_retried(server, tmp_path):
    sleeps = []
    with pytest.raises(DownloadError, match=r"^HTTP 404 Not Found fetching http://.*/a/nothing$") as err:
        download(f"{server.url}/a/nothing", str(tmp_path / "out"), opts(), sleep=sleeps.append)
    assert err.value.status == 404 and sleeps == []
    assert server.stats()["requests"].get("/a/nothing") is None  # 404s are answered before counting bytes


def test_server_errors_are_retried_with_backoff(server, tmp_path):
    sleeps = []
    with pytest.raises(DownloadError, match=r"HTTP 500 Internal Server Error fetching .* \(after 3 attempts\)"):
        download(f"{server.url}/_fault/500/a/tool", str(tmp_path / "out"), opts(retries=2), sleep=sleeps.append)
    assert sleeps == [0.5, 1.0]


def test_truncation_is_detected(server, tmp_path):
    with pytest.raises(DownloadError, match=f"truncated: received {len(DATA) // 2} of {len(DATA)} bytes") as err:
        download(f"{server.url}/_fault/truncate/a/tool", str(tmp_path / "out"), opts(retries=0))
    assert err.value.received == len(DATA) // 2


def test_stall_is_reported_with_bytes_received(server, tmp_path):
    with pytest.raises(DownloadError, match="stalled: no data for 1 s after 1024 bytes"):
        download(f"{server.url}/_fault/stall/a/tool", str(tmp_path / "out"), opts(timeout=1, retries=0))


def test_unreachable(tmp_path):
    with pytest.raises(DownloadError, match="cannot reach http://127.0.0.1:9/x"):
        download("http://127.0.0.1:9/x", str(tmp_path / "out"), opts(retries=1, retry_delay=0.01))


def test_fetch_text(server):
    server.publish("a/tool.sha256", b"abc\n")
    assert fetch_text(f"{server.url}/a/tool.sha256", opts()) == "abc\n"
