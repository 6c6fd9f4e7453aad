"""The fake Messages API (`tests/fakes/claude.py`) served over real HTTP on loopback,
for processes that reach Claude through ANTHROPIC_BASE_URL (the CLI, benchmarks)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx2

from tests.fakes.claude import FakeClaude


def _handler_class(fake: FakeClaude) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            request = httpx2.Request(
                "POST", f"http://fake{self.path}", headers=dict(self.headers), content=body
            )
            response = fake.handler(request)
            payload = response.content
            self.send_response(response.status_code)
            for key in ("content-type", "request-id", "retry-after"):
                if key in response.headers:
                    self.send_header(key, response.headers[key])
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@contextmanager
def serve(fake: FakeClaude) -> Iterator[str]:
    """Run `fake` on 127.0.0.1; yields the base URL for ANTHROPIC_BASE_URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
