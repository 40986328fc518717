"""A server's OpenAI-compatible transcription API as an engine: `--provider remote --server URL`.

Each pass and revision is one `POST {URL}/v1/audio/transcriptions` with the window's audio as WAV, the
prompt, and `response_format=verbose_json` with word and segment times (`echotui serve`, speaches, vLLM,
whisper.cpp's server and OpenAI answer it). With word times the committing policy runs unchanged.

A server that answers without words: `capabilities.word_timestamps` is decided by the first reply that has
text. It starts True (the class's declaration, what selection sees); once a reply with text comes back with
no words, this instance's capabilities say False, and the pipeline's policy (which reads them on every
pass) closes lines per utterance from then on.

The API key (`--api-key`, ECHOTUI_API_KEY, OPENAI_API_KEY) goes only into the Authorization header: it
is never printed, logged or shown (`Settings` keeps it out of its repr; errors name the host only).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from echotui import SAMPLE_RATE
from echotui.errors import EchoError
from echotui.providers.base import Capabilities, LoadedModel, Provider, Segment, Word
from echotui.providers.machine import Hardware, ProviderStatus
from echotui.providers.names import REMOTE
from echotui.providers.remote_http import RemoteClient, server_url, wav_bytes

if TYPE_CHECKING:
    from echotui.config import Settings
    from echotui.providers.base import TranscribeRequest

log = logging.getLogger(__name__)

FULL_WINDOW_FIELD = "echotui_full_window"
"""A form field only `echotui serve` reads: decode the whole 30 s window (a long window at --speed 0)."""

TRANSCRIPTIONS = "/v1/audio/transcriptions"
MODELS = "/v1/models"
DEFAULT_MODEL = "whisper-1"
"""The model asked for when the server lists none and the user named none (OpenAI's only name)."""
NO_WORDS = "the server gives no word times: lines now close per utterance"


class RemoteProvider(Provider):
    """A transcription server over HTTP(S), spoken to through one kept-alive client."""

    name: ClassVar[str] = REMOTE
    capabilities: ClassVar[Capabilities] = Capabilities(("remote",), word_timestamps=True)

    @classmethod
    def status(cls, hw: Hardware, settings: Settings) -> ProviderStatus:
        """Available once a URL is given (it is reached when it loads); never chosen by auto-selection."""
        if not settings.server:
            return ProviderStatus(
                cls.name, False, "No server: add --server URL (or ECHOTUI_SERVER).", (), settings.model
            )
        return ProviderStatus(
            cls.name, True, f"Runs on the server at {settings.server}.", ("remote",), settings.model
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteProvider:
        if not settings.server:
            raise EchoError("--provider remote needs a server: add --server URL (or set ECHOTUI_SERVER)")
        return cls(
            settings.server, api_key=settings.api_key, model=settings.model, language=settings.language
        )

    def __init__(
        self,
        server: str,
        *,
        api_key: str | None = None,
        model: str | None = None,
        language: str = "en",
        transport: Any = None,
        sleep: Any = None,
    ) -> None:
        self.url = server_url(server)
        self._api_key = api_key
        self.asked_model, self.language = model, language
        self.model = model or DEFAULT_MODEL
        self._transport, self._sleep = transport, sleep
        self._client: RemoteClient | None = None
        self._notices: list[str] = []
        self._words_decided = False
        self._served: list[str] = []

    def __repr__(self) -> str:
        return f"RemoteProvider({self.url!r})"

    def load(self) -> LoadedModel:
        """Reach the server (its model list, where it has one) and choose the model to ask for."""
        self.close()
        extra = {"sleep": self._sleep} if self._sleep is not None else {}
        self._client = RemoteClient(self.url, self._api_key, self._transport, **extra)
        listed = _model_ids(self._client.get(MODELS))
        self._served = listed or [self.model]
        if listed and self.asked_model not in listed:
            self.model = listed[0]
            if self.asked_model:
                self._notices.append(f"the server serves {self.model}, not {self.asked_model}")
        log.info("remote server %s: models %s, asking for %s", self._client.host, listed, self.model)
        return LoadedModel(self.name, self.model, f"remote · {self._client.host}", self.url)

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        if self._client is None:
            raise RuntimeError("transcribe() before load()")
        data: dict[str, Any] = {
            "model": self.model,
            "language": self.language,
            "response_format": "verbose_json",
            "temperature": "0",
        }
        if request.prompt:
            data["prompt"] = request.prompt
        if request.word_timestamps:
            data["timestamp_granularities[]"] = ["word", "segment"]
        if request.full_window:  # echotui serve then decodes as offline does; other servers ignore it
            data[FULL_WINDOW_FIELD] = "true"
        files = {"file": ("window.wav", wav_bytes(request.audio), "audio/wav")}
        reply = self._client.post(TRANSCRIPTIONS, data, files)
        duration = len(request.audio) / SAMPLE_RATE
        segments = parse_reply(reply, duration, self._client.host)
        if request.word_timestamps and not self._words_decided and segments:
            self._decide_words(any(s.words for s in segments))
        return segments

    def _decide_words(self, has_words: bool) -> None:
        self._words_decided = True
        if not has_words:
            log.info("remote server %s: %s", self.url, NO_WORDS)
            self.capabilities = replace(self.capabilities, word_timestamps=False)  # type: ignore[misc]
            self._notices.append(NO_WORDS)

    @property
    def served_models(self) -> list[str] | None:
        """The server's `/v1/models` when it loaded (the model asked for when it lists none)."""
        return list(self._served)

    @property
    def busy_waited_s(self) -> float:
        """Seconds this engine waited on a busy server (429/503), read by the overload governor."""
        return self._client.busy_waited_s if self._client is not None else 0.0

    @property
    def server_timing(self) -> dict[str, float]:
        """The last call's time on the server in seconds (`queue`, `engine`, `total` from `echotui serve`'s
        Server-Timing header; {} from servers that send none): the round trip less `total` is the
        network's."""
        return self._client.last_timing if self._client is not None else {}

    def drain_notices(self) -> list[str]:
        notices, self._notices = self._notices, []
        return notices

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _model_ids(listing: Any) -> list[str]:
    """The ids in an OpenAI model list ({"data": [{"id": ...}]}); [] for anything else."""
    data = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(data, list):
        return []
    return [str(item["id"]) for item in data if isinstance(item, dict) and item.get("id")]


def _number(value: Any, duration: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{value!r} is not a time")
    return float(min(max(value, 0.0), duration))


def _words(items: Any, duration: float) -> list[Word]:
    if not isinstance(items, list):
        return []
    out = []
    for item in items:
        said = str(item.get("word", item.get("text", ""))).strip()
        if said:
            start = _number(item["start"], duration)
            out.append(Word(start, max(start, _number(item["end"], duration)), said))
    return out


def parse_reply(reply: Any, duration: float, host: str) -> list[Segment]:
    """Segments (with their words, when the server sent any) from a verbose_json, json or text reply.
    OpenAI puts the words beside the segments, other servers inside each: both are read. Words go to the
    last segment that starts before them. Raises EchoError when the reply is not a transcription."""
    try:
        return _segments(reply, duration)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        log.warning("malformed reply from %s: %s", host, error)
        raise EchoError(
            f"server {host} sent a malformed reply ({type(error).__name__}): "
            "is --server an OpenAI-compatible transcription API?"
        ) from None


def _segments(reply: Any, duration: float) -> list[Segment]:
    if isinstance(reply, str):
        text = reply.strip()
        return [Segment(0.0, duration, text)] if text else []
    if not isinstance(reply, dict) or not isinstance(reply.get("text"), str):
        raise TypeError("no text in the reply")
    loose = _words(reply.get("words"), duration)
    pieces = reply.get("segments") or []
    if not isinstance(pieces, list):
        raise TypeError("segments is not a list")
    if not pieces:
        text = reply["text"].strip()
        return [Segment(0.0, duration, text, tuple(loose))] if text else []
    starts = [_number(piece["start"], duration) for piece in pieces]
    owner = [max([i for i, s in enumerate(starts) if s <= w.start_s] or [0]) for w in loose]
    segments = []
    for index, piece in enumerate(pieces):
        start, end = starts[index], _number(piece["end"], duration)
        inner = _words(piece.get("words"), duration) or [
            w for w, i in zip(loose, owner, strict=True) if i == index
        ]
        text = str(piece["text"]).strip()
        if text:
            segments.append(Segment(start, max(start, end), text, tuple(inner)))
    return segments
