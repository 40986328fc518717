"""A Wyoming speech server (Home Assistant's protocol) as an engine: `--provider wyoming --server
tcp://host:port` (or unix:///path), e.g. `wyoming-faster-whisper`.

Wyoming is one utterance per connection: `transcribe`, `audio-start`, `audio-chunk`…, `audio-stop`, then a
`transcript`. It gives no word times, so the pipeline closes lines per utterance (partials are the window
so far, decoded again). The events are the `wyoming` package's own classes over its own client, not
hand-made framing. A server that refuses, times out or hangs up is `ServerUnreachable`, so a session rides
its outage out as it does a remote one's (`pipeline.fallback`).

The client is asyncio; engine calls run on the provider's own thread, which runs one event loop of its own
for them (`load`, `transcribe` and `close` all run there).
"""

from __future__ import annotations

import asyncio
import logging
from importlib.util import find_spec
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import numpy as np

from echotui import SAMPLE_RATE
from echotui.errors import EchoError
from echotui.models.naming import GENERIC_NAMES
from echotui.providers.base import Capabilities, LoadedModel, Provider, Segment
from echotui.providers.machine import Hardware, ProviderStatus
from echotui.providers.names import WYOMING
from echotui.providers.remote_http import CONNECT_TIMEOUT_S, READ_TIMEOUT_S, ServerUnreachable

if TYPE_CHECKING:
    from echotui.config import Settings
    from echotui.providers.base import TranscribeRequest

log = logging.getLogger(__name__)

CHUNK_SAMPLES = 1024
"""Samples per `audio-chunk` event (64 ms, as Home Assistant's satellites send)."""
FIX_URI = "check --server (or ECHOTUI_SERVER), e.g. tcp://127.0.0.1:10300"


def server_uri(raw: str) -> str:
    """The server's Wyoming URI, checked: tcp://host:port or unix:///path."""
    uri = raw.strip().rstrip("/")
    parts = urlsplit(uri)
    tcp = parts.scheme == "tcp" and parts.hostname is not None and _port(parts) is not None
    if not (tcp or (parts.scheme == "unix" and parts.path)):
        raise EchoError(f"--server {raw!r} is not a Wyoming URI: use e.g. --server tcp://127.0.0.1:10300")
    return uri


def _port(parts: Any) -> int | None:
    try:
        return int(parts.port) if parts.port is not None else None
    except ValueError:
        return None


def pcm16(audio: np.ndarray) -> bytes:
    """16-bit little-endian PCM, scaled by 32768 as the remote provider's WAV is."""
    return np.clip(np.round(audio * 32768.0), -32768, 32767).astype("<i2").tobytes()


class WyomingProvider(Provider):
    """A Wyoming ASR server, one connection per engine call."""

    name: ClassVar[str] = WYOMING
    capabilities: ClassVar[Capabilities] = Capabilities(("remote",), word_timestamps=False)

    @classmethod
    def status(cls, hw: Hardware, settings: Settings) -> ProviderStatus:
        """Available once a tcp:// or unix:// server is given and the `wyoming` package is there; never
        chosen by auto-selection, only by --provider wyoming."""
        model, server = settings.model, settings.server or ""
        if find_spec("wyoming") is None:
            missing = "The wyoming package is missing: pip install 'echotui[wyoming]'."
            return ProviderStatus(cls.name, False, missing, (), model)
        if not server.startswith(("tcp://", "unix://")):
            no_server = "No Wyoming server: add --server tcp://HOST:PORT."
            return ProviderStatus(cls.name, False, no_server, (), model)
        return ProviderStatus(cls.name, True, f"Runs on the Wyoming server at {server}.", ("remote",), model)

    @classmethod
    def from_settings(cls, settings: Settings) -> WyomingProvider:
        if not settings.server:
            raise EchoError("--provider wyoming needs a server: add --server tcp://HOST:PORT")
        return cls(settings.server, language=settings.language)

    def __init__(self, server: str, *, language: str = "en") -> None:
        self.uri = server_uri(server)
        parts = urlsplit(self.uri)
        self.where = f"{parts.hostname}:{parts.port}" if parts.scheme == "tcp" else parts.path
        self.language = language
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"WyomingProvider({self.uri!r})"

    def load(self) -> LoadedModel:
        """Ask the server what it runs (`describe` → `info`): its speech-to-text program and model."""
        try:
            from wyoming.info import Describe, Info
        except ImportError:
            missing = "--provider wyoming needs the wyoming package: pip install 'echotui[wyoming]'"
            raise EchoError(missing) from None

        self.close()
        self._loop = asyncio.new_event_loop()
        reply = self._run(self._exchange([Describe().event()], Info.is_type))
        programs = Info.from_event(reply).asr
        if not programs:
            raise EchoError(f"server {self.where} has no speech-to-text service: {FIX_URI}")
        models = [model.name for model in programs[0].models if model.installed] or [programs[0].name]
        model = PurePosixPath(models[0]).name or models[0]
        model = programs[0].name if model.lower() in GENERIC_NAMES else model
        log.info("wyoming server %s: %s, model %s", self.where, programs[0].name, models[0])
        return LoadedModel(self.name, model, f"wyoming · {self.where}", self.uri)

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        from wyoming.asr import Transcribe, Transcript
        from wyoming.audio import AudioChunk, AudioStart, AudioStop

        pcm, rate = pcm16(request.audio), SAMPLE_RATE
        step = CHUNK_SAMPLES * 2
        sent = [
            Transcribe(language=self.language).event(),
            AudioStart(rate=rate, width=2, channels=1).event(),
            *(
                AudioChunk(rate=rate, width=2, channels=1, audio=pcm[at : at + step]).event()
                for at in range(0, len(pcm), step)
            ),
            AudioStop().event(),
        ]
        text = Transcript.from_event(self._run(self._exchange(sent, Transcript.is_type))).text.strip()
        return [Segment(0.0, len(request.audio) / SAMPLE_RATE, text)] if text else []

    def _run(self, exchange: Any) -> Any:
        if self._loop is None:
            exchange.close()
            raise RuntimeError("transcribe() before load()")
        where = f"server {self.where}"
        try:
            return self._loop.run_until_complete(asyncio.wait_for(exchange, READ_TIMEOUT_S))
        except TimeoutError:
            raise ServerUnreachable(f"{where} did not answer in time: check it is up and reachable") from None
        except ConnectionRefusedError:
            raise ServerUnreachable(f"{where} refused the connection: start it, or {FIX_URI}") from None
        except OSError as error:
            raise ServerUnreachable(f"{where} failed: {type(error).__name__}: {FIX_URI}") from None

    async def _exchange(self, events: list[Any], wanted: Any) -> Any:
        """Send `events` on a new connection, then read until the event `wanted` accepts (returned)."""
        from wyoming.client import AsyncClient
        from wyoming.error import Error

        client = AsyncClient.from_uri(self.uri, connect_timeout=CONNECT_TIMEOUT_S)
        async with client:
            for event in events:
                await client.write_event(event)
            while (reply := await client.read_event()) is not None:
                if wanted(reply.type):
                    return reply
                if Error.is_type(reply.type):
                    said = Error.from_event(reply).text.strip().splitlines()
                    raise EchoError(f"server {self.where} failed: {said[0] if said else 'no reason'}")
        raise ServerUnreachable(f"server {self.where} hung up without an answer: see its log")

    def close(self) -> None:
        if self._loop is not None:
            self._loop.close()
            self._loop = None
