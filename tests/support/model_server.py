"""A real OpenAI-compatible server on loopback for the model picker's story: it lists `models` at
`/v1/models` and answers each transcription with the name of the model it was asked for, so the captions
say which model a request named. Started and stopped by the test (a thread of the test process)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ssl import SSLContext


def asked_model(body: bytes) -> str:
    """The multipart form's `model` field."""
    marker = b'name="model"\r\n\r\n'
    start = body.index(marker) + len(marker)
    return body[start : body.index(b"\r\n", start)].decode()


@contextmanager
def model_server(models: Sequence[str], tls: SSLContext | None = None) -> Iterator[str]:
    """Serve on a free loopback port (over TLS with `tls`, a server context); yields the URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/v1/models":
                self._json({"object": "list", "data": [{"id": name} for name in models]})
            else:
                self.send_error(404)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            text = f"model {asked_model(body)}"
            words = [
                {"word": w, "start": 0.2 + i * 0.4, "end": 0.5 + i * 0.4} for i, w in enumerate(text.split())
            ]
            self._json({"text": text, "segments": [{"start": 0.0, "end": 1.0, "text": text}], "words": words})

        def _json(self, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # quiet: the test reads the screen
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
