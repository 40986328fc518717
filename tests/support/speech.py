"""Synthetic speech for tests: espeak-ng words and sentences as 16 kHz mono 16-bit WAV files.

Needs the ``espeak-ng`` program on PATH. Resampling is done with numpy, so nothing else is needed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
# Samples quieter than this (about -46 dBFS) count as silence when trimming words.
SILENCE_THRESHOLD = 0.005


@dataclass(frozen=True)
class WordTiming:
    """Where one synthesized word lies in the output file, in seconds."""

    word: str
    start_s: float
    end_s: float

    @property
    def mid_s(self) -> float:
        """Middle of the word."""
        return (self.start_s + self.end_s) / 2


def espeak_available() -> bool:
    """Whether the ``espeak-ng`` program is on PATH (for ``pytest.mark.skipif``)."""
    return shutil.which("espeak-ng") is not None


def read_wav(path: Path) -> np.ndarray:
    """Read a 16-bit PCM WAV as float32 in [-1, 1], channels averaged to mono (no resampling)."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit PCM, got {8 * wav.getsampwidth()}-bit")
        channels = wav.getnchannels()
        raw = wav.readframes(wav.getnframes())
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1, dtype=np.float32)
    return samples


def wav_sample_rate(path: Path) -> int:
    """Sample rate of a WAV file."""
    with wave.open(str(path), "rb") as wav:
        return wav.getframerate()


def write_wav(path: Path, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """Write float audio in [-1, 1] as a mono 16-bit PCM WAV (values outside are clipped)."""
    pcm = np.clip(np.round(np.asarray(audio, dtype=np.float64) * 32767.0), -32768, 32767)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm.astype("<i2").tobytes())


def resample(audio: np.ndarray, rate_in: int, rate_out: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling by truncating or zero-padding the spectrum (fine for short clips)."""
    if rate_in == rate_out or audio.size == 0:
        return audio.astype(np.float32, copy=False)
    n_out = max(1, round(audio.size * rate_out / rate_in))
    spectrum = np.fft.rfft(audio.astype(np.float64))
    n_bins = n_out // 2 + 1
    if spectrum.size < n_bins:
        spectrum = np.concatenate([spectrum, np.zeros(n_bins - spectrum.size, dtype=spectrum.dtype)])
    out = np.fft.irfft(spectrum[:n_bins], n_out) * (n_out / audio.size)
    return out.astype(np.float32)


def _espeak(text: str, voice: str, wpm: int) -> np.ndarray:
    """Run espeak-ng on ``text`` and return 16 kHz mono float32 audio."""
    with tempfile.TemporaryDirectory(prefix="echotui-espeak-") as tmp:
        out = Path(tmp) / "speech.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(out), "--", text],
            check=True,
            capture_output=True,
        )
        return resample(read_wav(out), wav_sample_rate(out))


def trim_silence(audio: np.ndarray, threshold: float = SILENCE_THRESHOLD) -> np.ndarray:
    """Drop leading and trailing samples whose magnitude is below ``threshold``."""
    loud = np.flatnonzero(np.abs(audio) >= threshold)
    if loud.size == 0:
        return audio[:0]
    return audio[loud[0] : loud[-1] + 1]


def synthesize_words(
    words: Sequence[str],
    path: Path,
    gap_s: float | Sequence[float] = 0.25,
    lead_s: float = 0.5,
    tail_s: float = 0.5,
    voice: str = "en-us",
    wpm: int = 160,
) -> list[WordTiming]:
    """Speak each word separately, join them with digital silence, write a 16 kHz WAV at ``path``.

    ``gap_s`` is one gap for all or one per pair of neighbours (``len(words) - 1`` values).
    Returns the exact span of each word's trimmed audio in the file.
    """
    if isinstance(gap_s, int | float):
        gaps = [float(gap_s)] * max(0, len(words) - 1)
    else:
        gaps = [float(g) for g in gap_s]
        if len(gaps) != max(0, len(words) - 1):
            raise ValueError(f"need {max(0, len(words) - 1)} gaps for {len(words)} words, got {len(gaps)}")
    if min([lead_s, tail_s, *gaps]) < 0:
        raise ValueError("gaps, lead and tail must not be negative")

    pieces: list[np.ndarray] = [np.zeros(round(lead_s * SAMPLE_RATE), dtype=np.float32)]
    timings: list[WordTiming] = []
    position = pieces[0].size
    for index, word in enumerate(words):
        audio = trim_silence(_espeak(word, voice, wpm))
        if audio.size == 0:
            raise ValueError(f"espeak-ng produced no audible sound for {word!r}")
        timings.append(WordTiming(word, position / SAMPLE_RATE, (position + audio.size) / SAMPLE_RATE))
        pieces.append(audio)
        position += audio.size
        pause = gaps[index] if index < len(gaps) else tail_s
        pieces.append(np.zeros(round(pause * SAMPLE_RATE), dtype=np.float32))
        position += pieces[-1].size
    if not words:
        pieces.append(np.zeros(round(tail_s * SAMPLE_RATE), dtype=np.float32))
    write_wav(path, np.concatenate(pieces))
    return timings


def synthesize_text(text: str, path: Path, voice: str = "en-us", wpm: int = 160) -> float:
    """Speak ``text`` with espeak-ng into a 16 kHz mono 16-bit WAV at ``path``; return its duration in s."""
    audio = _espeak(text, voice, wpm)
    write_wav(path, audio)
    return audio.size / SAMPLE_RATE
