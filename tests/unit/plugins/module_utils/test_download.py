"""Streamed downloads with retries, against a real HTTP server on loopback (tests/testbed/mirror.py)."""

import hashlib
import signal
import subprocess
import time

import pytest
from ansible_collections.pronk8s.platform.plugins.module_utils._download import (
    DownloadError,
    DownloadOptions,
    download,
    fetch_text,
    redact_url,
    url_secrets,
)
from hostile_http import body, header_values, hostile, raw_server, redirect
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
    assert got.sha256 == hashlib.sha256(DATA).hexdigest() and got.size == len(DATA)
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


# ---- hostile servers on loopback (tests/testbed/hostile_http.py) ------------------------------------

SECRET_TOKEN = "Bearer s3cr3t-token"


def auth_headers(server, path: str) -> list[str | None]:
    return header_values(server, path, "Authorization")


CREDS = dict(headers={"Authorization": SECRET_TOKEN, "X-Trace": "kept"})
BASIC = dict(url_username="alice", url_password="pw-alice", force_basic_auth=True)


@pytest.mark.parametrize("creds", [CREDS, BASIC], ids=["header", "basic"])
def test_credentials_never_follow_a_redirect_to_another_port(creds, tmp_path):
    with hostile({"/file": body(DATA)}) as other:
        with hostile({"/start": redirect(f"{other.url}/file")}) as origin:
            got = download(f"{origin.url}/start", str(tmp_path / "out"), opts(**creds))
    assert got.sha256 == hashlib.sha256(DATA).hexdigest()
    assert auth_headers(origin, "/start") != [None]  # the origin the user named gets them
    assert auth_headers(other, "/file") == [None]
    if "headers" in creds:
        assert other.seen[0][1].get("X-Trace") == "kept"  # only credentials are dropped


def test_credentials_never_follow_a_redirect_to_another_host_and_stay_on_the_same_origin(tmp_path):
    routes = {"/file": body(DATA)}
    with hostile(routes) as origin:
        port = origin.server_address[1]
        routes["/same"] = redirect("/file")  # relative: same origin
        routes["/other-host"] = redirect(f"http://localhost:{port}/file")  # same port, other host name
        download(f"{origin.url}/same", str(tmp_path / "out"), opts(**CREDS))
        assert auth_headers(origin, "/file") == [SECRET_TOKEN]
        origin.seen.clear()
        download(f"{origin.url}/other-host", str(tmp_path / "out"), opts(**CREDS))
        assert auth_headers(origin, "/file") == [None]


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
                   check=True, capture_output=True)
    return str(d / "cert.pem"), str(d / "key.pem")


def test_https_to_http_redirect_is_refused(cert, tmp_path):
    with hostile({"/file": body(DATA)}) as plain:
        with hostile({"/start": redirect(f"{plain.url}/file")}, tls=cert) as secure:
            with pytest.raises(DownloadError, match=r"refusing the redirect of https://127\.0\.0\.1:\d+/start from "
                                                    r"https to http://127\.0\.0\.1:\d+/file: it would leave TLS") as err:
                download(f"{secure.url}/start", str(tmp_path / "out"), opts(ca_path=cert[0], **CREDS), sleep=pytest.fail)
            # and a plain https download through the same code path works (CA option honoured)
            secure.routes["/direct"] = body(b"ok")
            assert fetch_text(f"{secure.url}/direct", opts(ca_path=cert[0])) == "ok"
    assert plain.seen == [] and not err.value.transient


def test_redirect_loops_are_capped(tmp_path):
    with hostile({}) as s:
        s.routes["/loop"] = redirect("/loop", 301)
        with pytest.raises(DownloadError, match="more than 10 redirects fetching"):
            download(f"{s.url}/loop", str(tmp_path / "out"), opts(), sleep=pytest.fail)
    assert len(s.seen) == 11


@pytest.mark.parametrize("location", ["file:///etc/passwd", "gopher://127.0.0.1/x", "http://[::1/x"])
def test_redirects_out_of_http_are_refused(location, tmp_path):
    with hostile({"/start": redirect(location)}) as s:
        with pytest.raises(DownloadError, match=r"invalid URL"):
            download(f"{s.url}/start", str(tmp_path / "out"), opts(), sleep=pytest.fail)


def _cut_chunked(h):
    h.send_response(200)
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    h.wfile.write(b"400\r\n" + b"x" * 1024 + b"\r\n" + b"400\r\n" + b"y" * 10)  # the 2nd chunk is cut
    h.wfile.flush()
    h.close_connection = True


def test_a_cut_chunked_body_is_a_transient_download_error(tmp_path):
    sleeps = []
    with hostile({"/cut": _cut_chunked}) as s:
        with pytest.raises(DownloadError, match=r"download of http://127\.0\.0\.1:\d+/cut broke after \d+ bytes: "
                                                r"the server closed the connection before the end of the body "
                                                r"\(after 3 attempts\)"):
            download(f"{s.url}/cut", str(tmp_path / "out"), opts(retries=2), sleep=sleeps.append)
    assert len(s.seen) == 3 and sleeps == [0.5, 1.0]


def test_a_non_http_reply_is_a_clear_error(tmp_path):
    with raw_server(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n") as s:
        url = f"http://127.0.0.1:{s.server_address[1]}/x"
        with pytest.raises(DownloadError, match=f"{url} did not answer with HTTP") as err:
            download(url, str(tmp_path / "out"), opts(retries=2), sleep=pytest.fail)
    assert not err.value.transient and s.hits == 1


@pytest.mark.parametrize("url,why", [
    ("http://[::1/x", "invalid URL http://\\[::1/x"),
    ("http://127.0.0.1:port/x", "invalid URL"),
    ("/srv/tool", "invalid URL /srv/tool: expected http://, https:// or ftp://"),
])
def test_invalid_urls_are_clear_errors(url, why, tmp_path):
    with pytest.raises(DownloadError, match=why):
        download(url, str(tmp_path / "out"), opts(), sleep=pytest.fail)
    with pytest.raises(DownloadError, match=why):
        fetch_text(url, opts(), sleep=pytest.fail)


def _drip_bytes(h, data: bytes) -> None:
    """Send `data` one byte every 0.4 s, until done or the client hangs up."""
    try:
        for byte in data:
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            time.sleep(0.4)
    except OSError:
        pass


def _drip(h):
    h.send_response(200)
    h.send_header("Content-Length", "1000")
    h.end_headers()
    _drip_bytes(h, b"x" * 1000)


def test_a_dripping_server_hits_the_deadline(tmp_path):
    with hostile({"/drip": _drip}) as s:
        start = time.monotonic()
        with pytest.raises(DownloadError, match=r"did not finish within the deadline of 2 s \(\d+ bytes received\)"):
            download(f"{s.url}/drip", str(tmp_path / "out"), opts(timeout=5, deadline=2, retries=3), sleep=pytest.fail)
        assert time.monotonic() - start < 4


def _drip_headers(h):
    _drip_bytes(h, b"HTTP/1.1 200 OK\r\nX-Slow: " + b"y" * 1000)


def test_a_server_dripping_its_headers_hits_the_deadline(tmp_path):
    with hostile({"/drip-headers": _drip_headers}) as s:
        start = time.monotonic()
        with pytest.raises(DownloadError, match=r"no reply from .* within the deadline of 2 s"):
            download(f"{s.url}/drip-headers", str(tmp_path / "out"), opts(timeout=5, deadline=2, retries=3),
                     sleep=pytest.fail)
        assert time.monotonic() - start < 4
        with pytest.raises(DownloadError, match=r"within the deadline of 2 s"):
            fetch_text(f"{s.url}/drip-headers", opts(timeout=5, deadline=2, retries=3), sleep=pytest.fail)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_an_alarm_someone_else_set_is_left_alone(server, tmp_path):
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(True))
    signal.setitimer(signal.ITIMER_REAL, 30)
    try:
        download(f"{server.url}/_stats", str(tmp_path / "out"), opts(deadline=2), sleep=pytest.fail)
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not fired


def test_the_deadline_bounds_retries_too(server, tmp_path):
    sleeps = []
    with pytest.raises(DownloadError, match="HTTP 500"):
        download(f"{server.url}/_fault/500/a/tool", str(tmp_path / "out"),
                 opts(retries=10, retry_delay=1, deadline=2.5), sleep=lambda s: (sleeps.append(s), time.sleep(s)))
    assert sleeps == [1]  # a second wait of 2 s would go past the deadline


def test_secrets_in_urls_never_reach_messages(server, tmp_path):
    url = f"{server.url.replace('http://', 'http://alice:pw-alice@')}/a/nothing?X-Amz-Signature=deadbeef1234"
    with pytest.raises(DownloadError) as err:
        download(url, str(tmp_path / "out"), opts(), sleep=pytest.fail)
    for text in (str(err.value), err.value.url):
        assert "pw-alice" not in text and "deadbeef1234" not in text
    assert str(err.value).startswith("HTTP 404 Not Found fetching http://REDACTED@127.0.0.1:")
    assert str(err.value).endswith("/a/nothing?REDACTED")


def test_redact_url_and_secrets():
    assert redact_url("https://u:p@h:1/a/b?sig=1#frag") == "https://REDACTED@h:1/a/b?REDACTED"
    assert redact_url("https://h/a/b") == "https://h/a/b"
    assert redact_url("/srv/a") == "/srv/a"
    assert url_secrets("https://u:pass1234@h/a?X-Amz-Signature=abcd") == ["pass1234", "X-Amz-Signature=abcd"]


def test_untyped_task_arguments_are_converted():
    o = DownloadOptions.from_params({"timeout": "7", "retries": "2", "validate_certs": "no", "deadline": "1.5"})
    assert (o.timeout, o.retries, o.validate_certs, o.deadline) == (7.0, 2, False, 1.5)
