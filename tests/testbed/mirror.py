"""The test bed's artifact mirror: serves a directory of artifacts and checksum files over HTTP.

It listens on the docker network's gateway so containers reach it (never the internet), counts
the bytes it serves per path (the benchmark's "one copy per artifact and arch" figure), and
injects faults on demand under ``/_fault/<kind>/<path>``:

- ``404`` / ``500``: that status, no body;
- ``truncate``: announces the full Content-Length, sends half, closes;
- ``stall``: sends the headers and the first KiB, then goes silent for a long time;
- ``corrupt``: the file with its last byte flipped.

``GET /_stats`` returns ``{"bytes": {path: n}, "requests": {path: n}, "total_bytes": n}``;
``POST /_stats/reset`` clears it. Used as a background service (``testbed.sh up``) and
in-process by the pytest fixtures (``MirrorServer``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

STALL_SECONDS = 120
CHUNK = 256 * 1024


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        if self.server.verbose:
            super().log_message(format, *args)

    def _json(self, status: int, payload: object) -> None:
        body = json.dumps(payload, sort_keys=True).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        if urlsplit(self.path).path == "/_stats/reset":
            self.server.reset_stats()
            self._json(200, {"reset": True})
        else:
            self._json(404, {"error": "not found"})

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(head=True)

    def do_GET(self) -> None:  # noqa: N802
        if urlsplit(self.path).path == "/_stats":
            self._json(200, self.server.stats())
            return
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        fault = None
        if path.startswith("/_fault/"):
            fault, path = path.split("/", 3)[2:]
            path = "/" + path
        if fault in ("404", "500"):
            self.send_response(int(fault))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        target = self.server.resolve(path)
        if target is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        size = target.stat().st_size
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        if head:
            return
        self.server.count(path, 0)
        with target.open("rb") as src:
            if fault == "truncate":
                self._send(path, src.read(size // 2))
                self.close_connection = True
            elif fault == "stall":
                self._send(path, src.read(1024))
                self.wfile.flush()
                time.sleep(STALL_SECONDS)
                self.close_connection = True
            elif fault == "corrupt":
                data = bytearray(src.read())
                if data:
                    data[-1] ^= 0xFF
                self._send(path, bytes(data))
            else:
                while chunk := src.read(CHUNK):
                    self._send(path, chunk)

    def _send(self, path: str, data: bytes) -> None:
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            return
        self.server.count(path, len(data))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], root: Path, verbose: bool) -> None:
        super().__init__(address, _Handler)
        self.root = root.resolve()
        self.verbose = verbose
        self._lock = threading.Lock()
        self._bytes: Counter[str] = Counter()
        self._requests: Counter[str] = Counter()

    def resolve(self, path: str) -> Path | None:
        target = (self.root / path.lstrip("/")).resolve()
        if not target.is_relative_to(self.root) or not target.is_file():
            return None
        return target

    def count(self, path: str, n: int) -> None:
        with self._lock:
            if n == 0:
                self._requests[path] += 1
            self._bytes[path] += n

    def stats(self) -> dict[str, object]:
        with self._lock:
            return {
                "bytes": dict(self._bytes),
                "requests": dict(self._requests),
                "total_bytes": sum(self._bytes.values()),
            }

    def reset_stats(self) -> None:
        with self._lock:
            self._bytes.clear()
            self._requests.clear()


class MirrorServer:
    """The mirror in a background thread, for tests: ``with MirrorServer(root, "172.30.90.1") as m``."""

    def __init__(self, root: Path, bind: str = "127.0.0.1", port: int = 0, verbose: bool = False) -> None:
        self.root = Path(root)
        self._server = _Server((bind, port), self.root, verbose)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def publish(self, relpath: str, source: Path | bytes) -> str:
        """Place an artifact in the mirror and return its URL."""
        target = self.root / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, bytes):
            target.write_bytes(source)
        else:
            shutil.copyfile(source, target)
        return f"{self.url}/{relpath}"

    def stats(self) -> dict[str, object]:
        return self._server.stats()

    def reset_stats(self) -> None:
        self._server.reset_stats()

    def __enter__(self) -> "MirrorServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8690)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    args.root.mkdir(parents=True, exist_ok=True)
    server = _Server((args.bind, args.port), args.root, args.verbose)
    print(f"serving {args.root} at http://{args.bind}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
