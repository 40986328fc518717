"""Voice activity detection in two stages.

`FrameVad` classifies 30 ms frames with webrtcvad: cheap enough to run on every frame, and it decides
where utterances start and end. webrtcvad alone calls loud noise speech, so `SpeechGate` confirms a whole
utterance with Silero VAD (the ONNX model shipped inside faster-whisper, run offline) before any engine
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
