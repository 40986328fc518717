"""Voice activity detection.

Frames: `FrameVad` classifies 30 ms frames with webrtcvad, and `SileroStream` runs Silero VAD (the ONNX
model shipped inside faster-whisper, offline, about 0.15 ms per 32 ms) over the same stream; a frame is
speech when both say so (`CombinedVad`). webrtcvad alone hears the hiss of a real recording as speech and
bridges the pauses between phrases (on jfk.wav it finds one 11 s utterance where Silero finds four), and it
calls loud noise speech. Utterances: `SpeechGate` runs Silero over a whole utterance before any engine
sees it. Silence and noise therefore produce no text.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from echotui import SAMPLE_RATE

FRAME_SAMPLES = SAMPLE_RATE * 30 // 1000
"""webrtcvad accepts 10, 20 or 30 ms frames; 30 ms is the most reliable."""


class FrameClassifier(Protocol):
    def is_speech(self, frame: np.ndarray) -> bool: ...


def to_pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


class FrameVad:
    """webrtcvad on 30 ms float32 frames."""

    def __init__(self, aggressiveness: int = 2) -> None:
        import webrtcvad

        self._vad = webrtcvad.Vad(aggressiveness)

    def is_speech(self, frame: np.ndarray) -> bool:
        return bool(self._vad.is_speech(to_pcm16(frame), SAMPLE_RATE))


class SileroStream:
    """Streaming Silero VAD: feed samples in any sizes, read the speech state of the latest 32 ms.

    Keeps the model's recurrent state and 64 samples of context between chunks, as Silero expects, and
    applies its usual hysteresis (speech starts above `threshold`, ends below `threshold - 0.15`).
    """

    CHUNK = 512
    CONTEXT = 64

    def __init__(self, threshold: float = 0.5) -> None:
        from faster_whisper.vad import get_vad_model

        self._session = get_vad_model().session
        self.threshold = threshold
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(self.CONTEXT, dtype=np.float32)
        self._buffer = np.zeros(0, dtype=np.float32)
        self.speaking = False

    def feed(self, samples: np.ndarray) -> bool:
        """Add samples; returns whether the latest complete chunk is speech."""
        self._buffer = np.concatenate((self._buffer, samples.astype(np.float32, copy=False)))
        while len(self._buffer) >= self.CHUNK:
            chunk, self._buffer = self._buffer[: self.CHUNK], self._buffer[self.CHUNK :]
            window = np.concatenate((self._context, chunk))[None, :]
            out, self._h, self._c = self._session.run(None, {"input": window, "h": self._h, "c": self._c})
            self._context = chunk[-self.CONTEXT :]
            probability = float(np.asarray(out).reshape(-1)[0])
            if probability >= self.threshold:
                self.speaking = True
            elif probability < self.threshold - 0.15:
                self.speaking = False
        return self.speaking


class CombinedVad:
    """A frame is speech when webrtcvad and streaming Silero both say so."""

    def __init__(self, aggressiveness: int = 2) -> None:
        self._webrtc = FrameVad(aggressiveness)
        self._silero = SileroStream()

    def is_speech(self, frame: np.ndarray) -> bool:
        silero = self._silero.feed(frame)  # always fed, so its state follows the stream
        return silero and self._webrtc.is_speech(frame)


class AllSpeech:
    """Used with --no-vad: every frame counts as speech."""

    def is_speech(self, frame: np.ndarray) -> bool:
        return True


class SpeechGate:
    """Silero VAD over a whole utterance: does it contain at least `min_speech_s` of speech?"""

    def __init__(self, min_speech_s: float = 0.25) -> None:
        self.min_speech_s = min_speech_s

    def contains_speech(self, audio: np.ndarray) -> bool:
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        spans = get_speech_timestamps(audio, VadOptions(min_speech_duration_ms=150))
        speech = sum(span["end"] - span["start"] for span in spans)
        return speech >= self.min_speech_s * SAMPLE_RATE


class NoGate:
    """Used with --no-vad: everything goes to the engine."""

    def contains_speech(self, audio: np.ndarray) -> bool:
        return True


class Gate(Protocol):
    def contains_speech(self, audio: np.ndarray) -> bool: ...
