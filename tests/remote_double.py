"""A scripted OpenAI-compatible server for the remote provider's tests, on httpx's MockTransport (no
socket): it answers the model list and each transcription with the next scripted reply, and keeps the
requests it saw."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

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
