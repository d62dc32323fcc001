"""kind-demo-app: the smallest useful web app for the KIND flow (standard library only).

GET /         -> 200, one line naming the app, its version and the pod that answered
GET /healthz  -> 200 "ok" (liveness and readiness probes)
anything else -> 404
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = os.environ.get("APP_VERSION", "dev")
PORT = int(os.environ.get("PORT", "8080"))


class Handler(BaseHTTPRequestHandler):
    server_version = "kind-demo-app"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/healthz":
            self.reply(200, "ok\n")
        elif self.path == "/":
            host = self.headers.get("Host", "")
            self.reply(200, f"kind-demo-app {VERSION} answered by {socket.gethostname()} for host {host}\n")
        else:
            self.reply(404, "not found\n")

    def reply(self, status: int, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # one line per request on stdout
        sys.stdout.write(f"{self.address_string()} {format % args}\n")
        sys.stdout.flush()


def main() -> None:
    server = ThreadingHTTPServer(("", PORT), Handler)
    # As PID 1 the process gets no default SIGTERM action: shut down on it, or pods take 30 s to stop.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"kind-demo-app {VERSION} listening on :{PORT}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
