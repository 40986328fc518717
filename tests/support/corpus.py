"""Known texts spoken with espeak-ng, for the accuracy tests: each file comes with the words it holds.

- continuous: one paragraph with no pause long enough to end an utterance, longer than the utterance limit;
- pauses: sentences with a second of silence between them;
- after_noise: silence, then hiss, then speech, then hiss again;
- runs_on (not in `build_corpus`): about 36 s with no pause, longer than the 30 s whisper hears at once;
- two_sentences (not in `build_corpus`): the first two of `paused`'s, about 6 s: two utterances, briefly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.support.speech import SAMPLE_RATE, _espeak, write_wav

CONTINUOUS = (
    "The old lighthouse keeper climbed the narrow stairs every evening to light the great lamp. "
    "He had done this for forty years, through storms and calm nights, and he never missed a single day. "
    "Ships passing the rocky coast depended on his light to find their way into the harbor. "
    "One winter night the wind was so strong that the windows shook and the rain came down like a river."
)
PAUSED = (
    "Please open the window before the meeting starts.",
    "The train to the city leaves at seven in the morning.",
    "We should plant more trees along the main road.",
    "Her brother plays the piano every weekend.",
)
AFTER_NOISE = "Good morning everyone, thank you for joining the call today."


@dataclass(frozen=True)
class Speech:
    """A speech file and the text spoken in it."""

    name: str
    path: Path
    text: str
    duration_s: float


def save_speech(path: Path, audio: np.ndarray, name: str, text: str) -> Speech:
    write_wav(path, audio)
    return Speech(name, path, text, len(audio) / SAMPLE_RATE)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SAMPLE_RATE), dtype=np.float32)


def continuous(folder: Path) -> Speech:
    audio = np.concatenate((silence(0.5), _espeak(CONTINUOUS, "en-us", 160), silence(0.5)))
    return save_speech(folder / "continuous.wav", audio, "continuous", CONTINUOUS)


def paused(folder: Path) -> Speech:
    pieces = [silence(0.5)]
    for sentence in PAUSED:
        pieces += [_espeak(sentence, "en-us", 160), silence(1.0)]
    return save_speech(folder / "paused.wav", np.concatenate(pieces), "paused", " ".join(PAUSED))


def two_sentences(folder: Path) -> Speech:
    pieces = [silence(0.5)]
    for sentence in PAUSED[:2]:
        pieces += [_espeak(sentence, "en-us", 160), silence(1.0)]
    text = " ".join(PAUSED[:2])
    return save_speech(folder / "two_sentences.wav", np.concatenate(pieces), "two_sentences", text)


def after_noise(folder: Path) -> Speech:
    rng = np.random.default_rng(11)

    def hiss(seconds: float) -> np.ndarray:
        return (rng.standard_normal(round(seconds * SAMPLE_RATE)) * 0.02).astype(np.float32)

    speech = _espeak(AFTER_NOISE, "en-us", 160)
    audio = np.concatenate((silence(3.0), hiss(2.0), speech + hiss(len(speech) / SAMPLE_RATE), hiss(2.0)))
    return save_speech(folder / "after_noise.wav", audio, "after_noise", AFTER_NOISE)


def runs_on(folder: Path) -> Speech:
    text = " ".join((CONTINUOUS, *PAUSED))
    audio = np.concatenate((silence(0.5), _espeak(text, "en-us", 160), silence(0.5)))
    return save_speech(folder / "runs_on.wav", audio, "runs_on", text)


def build_corpus(folder: Path) -> list[Speech]:
    folder.mkdir(parents=True, exist_ok=True)
    return [continuous(folder), paused(folder), after_noise(folder)]
