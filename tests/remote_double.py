"""OpenAI-compatible servers for the remote provider's tests, on httpx's MockTransport (no socket): a
scripted one answers the model list and each transcription with the next scripted reply and keeps the
requests it saw; an oracle one hears the known words of a test's speech and can go down and come back."""

from __future__ import annotations

import io
import threading
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np

from echotui import SAMPLE_RATE
from tests.support.speech import WordTiming

Reply = Callable[[], httpx.Response]
SENTENCE = "ask not what your country can do for you"


def verbose(text: str = SENTENCE, words: bool = True, duration: float = 3.0) -> dict[str, Any]:
    """A verbose_json reply for `text`, its words spread evenly over `duration`, words beside segments."""
    said = text.split()
    step = duration / len(said)
    body: dict[str, Any] = {
        "task": "transcribe",
        "language": "en",
        "duration": duration,
        "text": text,
        "segments": [{"id": 0, "start": 0.0, "end": duration, "text": text}],
    }
    if words:
        body["words"] = [{"word": w, "start": i * step, "end": (i + 1) * step} for i, w in enumerate(said)]
    return body


def ok(body: Any) -> Reply:
    return lambda: httpx.Response(200, json=body)


def status(code: int, headers: dict[str, str] | None = None, body: Any = None) -> Reply:
    return lambda: httpx.Response(
        code, headers=headers, json=body or {"error": {"message": f"scripted {code}"}}
    )


def raw(code: int, content: bytes, content_type: str) -> Reply:
    return lambda: httpx.Response(code, content=content, headers={"content-type": content_type})


def raises(error: type[Exception]) -> Reply:
    def reply() -> httpx.Response:
        raise error("scripted")

    return reply


@dataclass
class ScriptedServer:
    """Transcriptions answered by `script` in turn (the last one repeats); the model list by `models`."""

    script: list[Reply]
    models: Reply = field(default_factory=lambda: ok({"object": "list", "data": [{"id": "tiny.en"}]}))
    seen: list[httpx.Request] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if request.url.path == "/v1/models":
            return self.models()
        reply = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        return reply()

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


def posted_audio(body: bytes) -> np.ndarray:
    """The WAV a transcription request carries (the multipart body's file part), as float32."""
    with wave.open(io.BytesIO(body[body.index(b"RIFF") :]), "rb") as wav:
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return pcm.astype(np.float32) / 32768.0


def locate(source: np.ndarray, audio: np.ndarray) -> int | None:
    """Where `audio` lies in `source` (its 16-bit samples arrive exactly), or None (silence, not found)."""
    loudest = int(np.argmax(np.abs(audio)))
    if audio[loudest] == 0:
        return None
    for at in np.flatnonzero(np.abs(source - audio[loudest]) < 1e-7) - loudest:
        if at >= 0 and np.allclose(source[at : at + len(audio)], audio, atol=1.5 / 32768):
            return int(at)
    return None


@dataclass
class OracleServer:
    """An OpenAI-compatible server that hears the known words: each posted window is found in `source` and
    answered with the words whose middle lies in it, with their times (verbose_json, words beside the
    segment). After `down_after` answers it goes down (`down` set: every connection refused, as a stopped
    server's); it stays down until a test clears `down`, or for `down_for` refusals."""

    words: Sequence[WordTiming]
    source: np.ndarray
    down_after: int | None = None
    down_for: int | None = None
    down: threading.Event = field(default_factory=threading.Event)
    answered: int = 0
    refused: int = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down.is_set():
            self.refused += 1
            if self.down_for is not None and self.refused >= self.down_for:
                self.down.clear()
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == "/v1/models":
            return httpx.Response(200, json={"object": "list", "data": [{"id": "tiny.en"}]})
        audio = posted_audio(request.read())
        start = locate(self.source, audio)
        heard = []
        if start is not None:
            start_s, end_s = start / SAMPLE_RATE, (start + len(audio)) / SAMPLE_RATE
            heard = [w for w in self.words if start_s <= w.mid_s < end_s]
            heard = [WordTiming(w.word, w.start_s - start_s, w.end_s - start_s) for w in heard]
        self.answered += 1
        if self.answered == self.down_after:
            self.down.set()
        text = " ".join(w.word for w in heard)
        duration = len(audio) / SAMPLE_RATE
        return httpx.Response(
            200,
            json={
                "text": text,
                "segments": [{"start": 0.0, "end": duration, "text": text}] if heard else [],
                "words": [{"word": w.word, "start": w.start_s, "end": w.end_s} for w in heard],
            },
        )

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)
