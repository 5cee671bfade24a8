"""A minimal NemoVideo-like upload endpoint on 127.0.0.1, for bench/upload.py.

Accepts any POST, reads the body as fast as the socket gives it (into one reused
buffer, then dropped), and answers with the upload envelope the client expects. It
knows nothing else of the API: the bench calls the client's upload step only.

    python bench/loopback_server.py      # prints the port, serves until killed
"""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 1024 * 1024


class UploadHandler(BaseHTTPRequestHandler):
    # HTTP/1.1, so `Expect: 100-continue` (curl sends it for big bodies) is answered at once.
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        buffer = bytearray(CHUNK)
        view = memoryview(buffer)
        left = length
        while left > 0:
            got = self.rfile.readinto(view[: min(CHUNK, left)])
            if not got:
                break
            left -= got
        files = [{"filename": "upload.mp4", "duration": 1.0, "width": 320, "height": 180}]
        body = json.dumps(
            {"code": 0, "message": "ok", "data": {"files": files, "received": length - left}}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        del format, args  # quiet: the bench prints its own table


def main() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), UploadHandler)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
