"""The remote provider's HTTP side: one kept-alive httpx client per server, and every way a call can fail
turned into a one-line EchoError that names the server (never the key) and says what to do.

httpx rather than the `openai` package: it is already what huggingface_hub uses, it gives keep-alive,
separate connect/read timeouts and plain multipart fields (`timestamp_granularities[]` twice), and it lets
echotui read replies from servers whose verbose_json differs from OpenAI's (words inside segments, missing
fields) instead of failing in a strict model class. 429 and 503 are retried here, honouring Retry-After.
"""

from __future__ import annotations

import contextlib
import io
import logging
import ssl
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from echotui import SAMPLE_RATE
from echotui.errors import EchoError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 30.0
"""A 30 s window on a slow server must fit; anything longer is a server that stopped answering."""
BUSY_RETRIES = 3
"""Further tries after a 429 or 503, each after Retry-After (or `BUSY_WAIT_S`), at most `MAX_WAIT_S`."""
BUSY_WAIT_S = 1.0
MAX_WAIT_S = 10.0
ERROR_CHARS = 120
FIX_URL = "check --server (or ECHOTUI_SERVER)"
FIX_KEY = "set the server's key with --api-key or ECHOTUI_API_KEY"
FIX_TRUST = "point SSL_CERT_FILE at the certificate authority that signed it, or use its http:// address"


class ServerUnreachable(EchoError):
    """The server gave no transcription it could have given later: it refused the connection, timed out,
    failed (5xx) or stayed busy. A session rides this out (`pipeline.fallback`): the window is sent again,
    and a local engine stands in after `--fallback-after`. Other failures (a wrong key, a malformed reply)
    are plain EchoErrors: sending again would not help."""


class ServerBusy(ServerUnreachable):
    """429 or 503 still after the retries: the server is overloaded (back pressure).

    Attributes:
        status: the HTTP status (429 or 503).
        retry_after_s: how long the server last asked to wait (Retry-After, capped at `MAX_WAIT_S`).
    """

    def __init__(self, message: str, status: int, retry_after_s: float) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s


def server_url(raw: str) -> str:
    """The server's base URL: http(s)://host[:port][/prefix] without a trailing `/v1` or slash."""
    url = raw.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EchoError(f"--server {raw!r} is not an http(s) URL: use e.g. --server http://127.0.0.1:8000")
    return url.removesuffix("/v1")


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def wav_bytes(audio: np.ndarray) -> bytes:
    """16 kHz mono 16-bit PCM WAV: every server decodes it, at half float32's bytes. Scaled by 32768 as
    decoders scale back, so audio that came from 16-bit (files, most microphones) arrives bit-exact."""
    pcm = np.clip(np.round(audio * 32768.0), -32768, 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm.tobytes())
    return out.getvalue()


def _server_message(response: Any) -> str:
    """The server's own words for an error, one line, short: OpenAI's {"error": {"message"}}, FastAPI's
    {"detail"}, or the text."""
    try:
        body = response.json()
    except ValueError:
        body = response.text
    if isinstance(body, dict):
        inner = body.get("error", body.get("detail", body))
        body = inner.get("message", inner) if isinstance(inner, dict) else inner
    lines = str(body).strip().splitlines()
    return lines[0][:ERROR_CHARS] if lines else ""


def _certificate_error(error: BaseException) -> str | None:
    """Why TLS refused the server's certificate, when that is what `error` came from; else None."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return str(seen.verify_message or seen.reason or "verification failed")
        seen = seen.__cause__ or seen.__context__
    return None


def server_timing(header: str | None) -> dict[str, float]:
    """A `Server-Timing` header's durations in seconds by name (`echotui serve` sends queue, engine and
    total); {} without one. Entries without a duration are left out."""
    spans: dict[str, float] = {}
    for entry in (header or "").split(","):
        name, *params = (part.strip() for part in entry.split(";"))
        for param in params:
            key, _, value = param.partition("=")
            if name and key.strip() == "dur":
                with contextlib.suppress(ValueError):
                    spans[name] = float(value.strip().strip('"')) / 1000.0
    return spans


def _retry_after(response: Any) -> float:
    try:
        wait = float(response.headers.get("retry-after", BUSY_WAIT_S))
    except ValueError:
        wait = BUSY_WAIT_S
    return min(max(wait, 0.0), MAX_WAIT_S)


@dataclass
class RemoteClient:
    """POSTs and GETs to one server through a kept-alive httpx client; raises EchoError, one line."""

    url: str
    api_key: str | None = field(default=None, repr=False)
    transport: Any = None
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        import httpx

        self.host = host_of(self.url)
        self.busy_waited_s = 0.0
        """Seconds spent waiting on a busy server (429/503): the overload governor's back-pressure."""
        self.last_timing: dict[str, float] = {}
        """The last reply's `Server-Timing` spans in seconds (`server_timing`), {} when it sent none."""
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        self._client = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
            limits=httpx.Limits(max_keepalive_connections=2, keepalive_expiry=60.0),
            transport=self.transport,
        )

    def get(self, path: str) -> Any:
        """The JSON at `path`, or None when the server has no such path (404)."""
        return self._request("GET", path, missing_ok=True)

    def post(self, path: str, data: dict[str, Any], files: dict[str, Any]) -> Any:
        return self._request("POST", path, data=data, files=files)

    def _request(self, method: str, path: str, missing_ok: bool = False, **kwargs: Any) -> Any:
        """The response's JSON (or text), after up to `BUSY_RETRIES` waits on 429/503."""
        for attempt in range(BUSY_RETRIES + 1):
            response = self._send(method, path, **kwargs)
            if response.status_code in (429, 503) and attempt < BUSY_RETRIES:
                wait = _retry_after(response)
                log.info("server %s busy (%d); trying again in %.1f s", self.host, response.status_code, wait)
                self.busy_waited_s += wait
                self.sleep(wait)
                continue
            if missing_ok and response.status_code == 404:
                return None
            self.last_timing = server_timing(response.headers.get("server-timing"))
            return self._read(response, attempt)
        raise AssertionError("unreachable")

    def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        where = f"server {self.host}"
        try:
            return self._client.request(method, path, **kwargs)
        except httpx.ConnectError as error:
            if (untrusted := _certificate_error(error)) is not None:  # not an outage: waiting will not help
                raise EchoError(
                    f"{where} sent a certificate this machine does not trust ({untrusted}): {FIX_TRUST}"
                ) from None
            raise ServerUnreachable(f"{where} refused the connection: start it, or {FIX_URL}") from None
        except httpx.TimeoutException as error:
            what = "connect" if isinstance(error, httpx.ConnectTimeout) else "answer"
            raise ServerUnreachable(f"{where} did not {what} in time: check it is up and reachable") from None
        except httpx.HTTPError as error:
            raise ServerUnreachable(f"{where} failed: {type(error).__name__}: {FIX_URL}") from None

    def _read(self, response: Any, attempt: int) -> Any:
        code, where = response.status_code, f"server {self.host}"
        message = _server_message(response) if code >= 400 else ""
        said = f": {message}" if message else ""
        if code in (401, 403):
            raise EchoError(f"{where} refused the API key ({code}{said}): {FIX_KEY}")
        if code in (429, 503):
            tries, wait = attempt + 1, _retry_after(response)
            busy = f"{where} is busy ({code}) after {tries} tries: try later, or add replicas"
            raise ServerBusy(busy, code, wait)
        if code >= 500:
            raise ServerUnreachable(f"{where} failed ({code}{said}): see the server's log")
        if code == 404:
            raise EchoError(f"{where} has no {response.request.url.path} (404): {FIX_URL}")
        if code >= 400:
            raise EchoError(f"{where} rejected the request ({code}{said})")
        if response.headers.get("content-type", "").startswith("text/plain"):  # response_format=text
            return response.text
        try:
            return response.json()
        except ValueError:
            raise EchoError(f"{where} sent malformed JSON: {FIX_URL} (an OpenAI-compatible API)") from None

    def close(self) -> None:
        self._client.close()
