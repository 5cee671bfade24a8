"""A loopback HTTP server that records notification requests (ntfy and webhooks).

Written from ntfy's publishing docs: a JSON publish goes to the server root and must name
its topic; priority is 1-5; tags a list of strings. Anything else answers 400, like ntfy.
A path listed in `down` answers 503 (a target that is down).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class NotifyServer:
    received: list[Received] = field(default_factory=list)
    down: set[str] = field(default_factory=set)
    refused: int = 0

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if self.path in server.down:
                    server.refused += 1
                    self.send_response(503)
                    self.end_headers()
                    return
                if self.path == "/" and not _valid_ntfy(body):
                    self.send_response(400)
                    self.end_headers()
                    return
                server.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="notify-server")
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def wait(self, path: str, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.at(path)) >= count:
                return self.at(path)
            time.sleep(0.05)
        raise AssertionError(f"{path}: {len(self.at(path))} of {count} requests arrived")

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def _valid_ntfy(body: bytes) -> bool:
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return (
        isinstance(data, dict)
        and isinstance(data.get("topic"), str)
        and bool(data["topic"])
        and isinstance(data.get("message"), str)
        and data.get("priority", 3) in {1, 2, 3, 4, 5}
        and all(isinstance(t, str) for t in data.get("tags", []))
    )
