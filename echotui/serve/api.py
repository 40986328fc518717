"""The transcription API's HTTP side, free of Ray: the key check, the audio a request may carry, and the
replies in OpenAI's shapes (verbose_json with word and segment times, json, text). Every refusal is one
line of JSON, `{"error": {"message", "type", "code"}}`, as OpenAI's API words them.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import itertools
from typing import Any

import numpy as np

from echotui import SAMPLE_RATE
from echotui.providers.base import Segment

MAX_AUDIO_S = 30.0
"""Longest audio one request may carry: one whisper window, what `--provider remote` sends at most."""
MAX_BODY_BYTES = 25 * 1024 * 1024
"""OpenAI's own upload limit; a longer body is refused before it is read."""
FORMATS = ("verbose_json", "json", "text")


class BadRequest(Exception):
    """A request the server refuses: `status` and a one-line `message` that says what to send instead."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.message, self.kind = status, message, kind

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.kind, "code": self.status}}


def key_digest(key: str | None) -> bytes | None:
    """What the replicas hold instead of the key itself: its SHA-256."""
    return hashlib.sha256(key.encode()).digest() if key else None


def check_key(authorization: str | None, digest: bytes | None) -> None:
    """Raise a 401 unless the request carries `Authorization: Bearer KEY` with the server's key (compared in
    constant time, as digests); a server started without a key takes every request."""
    if digest is None:
        return
    scheme, _, token = (authorization or "").partition(" ")
    given = hashlib.sha256(token.strip().encode()).digest()
    if not (hmac.compare_digest(given, digest) and scheme.lower() == "bearer"):
        raise BadRequest(
            401, "missing or wrong API key: send Authorization: Bearer KEY", "authentication_error"
        )


def decode_audio(data: bytes, max_s: float = MAX_AUDIO_S) -> np.ndarray:
    """16 kHz mono float32 from an uploaded file (anything FFmpeg reads); a 400 for no audio, damaged
    audio, or more than `max_s` seconds (decoding stops there)."""
    import av

    if not data:
        raise BadRequest(400, "the file is empty: send audio (wav, flac, mp3, ogg) as the 'file' field")
    try:
        container: Any = av.open(io.BytesIO(data))
    except (av.error.FFmpegError, ValueError):
        raise BadRequest(400, "the file is not audio FFmpeg can read: send wav, flac, mp3 or ogg") from None
    limit = int(max_s * SAMPLE_RATE) + SAMPLE_RATE // 10
    chunks: list[np.ndarray] = []
    held = 0
    try:
        if not container.streams.audio:
            raise BadRequest(400, "the file has no audio stream: send a recording with sound in it")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        for frame in itertools.chain(container.decode(audio=0), [None]):  # None: the resampler's tail
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
                held += out.samples
            if held > limit:
                raise BadRequest(
                    400, f"the audio is longer than {max_s:g} s: send at most {max_s:g} s a request"
                )
    except av.error.FFmpegError as error:
        raise BadRequest(400, f"the audio is damaged ({type(error).__name__}): send it again") from None
    finally:
        container.close()
    if not held:
        raise BadRequest(400, "the file holds no audio samples: send a recording with sound in it")
    return np.concatenate(chunks).astype(np.float32, copy=False)


def reply(
    response_format: str, segments: list[Segment], duration: float, language: str, words: bool
) -> dict[str, Any] | str:
    """The transcription in the asked-for shape: a dict for JSON, a str for text."""
    text = " ".join(s.text for s in segments)
    if response_format == "text":
        return text
    if response_format == "json":
        return {"text": text}
    body: dict[str, Any] = {
        "task": "transcribe",
        "language": language,
        "duration": round(duration, 3),
        "text": text,
        "segments": [
            {
                "id": i, "seek": 0, "start": s.start_s, "end": s.end_s, "text": s.text, "tokens": [],
                "temperature": 0.0, "avg_logprob": 0.0, "compression_ratio": 0.0, "no_speech_prob": 0.0,
            }
            for i, s in enumerate(segments)
        ],
    }  # fmt: skip
    if words:
        body["words"] = [
            {"word": w.text, "start": w.start_s, "end": w.end_s} for s in segments for w in s.words
        ]
    return body


def check_format(response_format: str) -> str:
    if response_format not in FORMATS:
        raise BadRequest(400, f"response_format {response_format!r} is not served: use {', '.join(FORMATS)}")
    return response_format
