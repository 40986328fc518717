"""Audio files decoded with PyAV (FFmpeg) to 16 kHz mono float32, replayed at `speed` × real time.

A file source never drops audio: it waits while the queue is full (back-pressure).
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from echotui import SAMPLE_RATE
from echotui.audio.clock import ReplayClock, replay_clock
from echotui.errors import EchoError
from echotui.pipeline.queue import AudioQueue

TRUNCATION_TOLERANCE_S = 0.5


class AudioFileError(EchoError):
    """The file is missing, empty, not audio, or damaged."""


def _open(path: Path) -> Any:
    import av

    if not path.exists():
        raise AudioFileError(f"{path}: no such file: check the path")
    if path.is_dir():
        raise AudioFileError(f"{path} is a folder: pass an audio file (wav, flac, mp3, ogg, m4a)")
    if path.stat().st_size == 0:
        raise AudioFileError(f"{path} is empty (0 bytes): pass a recording that has audio in it")
    try:
        container = av.open(str(path))
    except av.error.FFmpegError:
        raise AudioFileError(
            f"{path} is not an audio file FFmpeg can read: pass wav, flac, mp3, ogg or m4a"
        ) from None
    if not container.streams.audio:
        container.close()
        raise AudioFileError(f"{path} has no audio stream: pass a file with sound in it")
    return container


def wav_declared_seconds(path: Path) -> float | None:
    """Duration a RIFF/WAVE header declares (FFmpeg estimates WAV length from the file size instead,
    which hides truncation). None if the file is not WAV or declares no length."""
    with path.open("rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        rate = block_align = 0
        while chunk := f.read(8):
            if len(chunk) < 8:
                return None
            chunk_id, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if chunk_id == b"fmt ":
                fmt = f.read(size)
                if len(fmt) < 14:
                    return None
                rate, block_align = struct.unpack("<I", fmt[4:8])[0], struct.unpack("<H", fmt[12:14])[0]
                f.seek(size % 2, 1)
            elif chunk_id == b"data":
                if not rate or not block_align or size in (0, 0xFFFFFFFF):
                    return None
                return size / block_align / rate
            else:
                f.seek(size + size % 2, 1)
    return None


class DecodedFile:
    """Iterates a file's audio as 16 kHz mono float32 blocks and checks it was all there."""

    def __init__(self, path: Path, block_s: float = 0.1) -> None:
        self.path = path
        self.block_samples = max(1, round(block_s * SAMPLE_RATE))
        self.decoded_samples = 0
        container = _open(path)
        stream = container.streams.audio[0]
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        container.close()
        self.declared_s: float | None = wav_declared_seconds(path) or duration

    def blocks(self) -> Iterator[np.ndarray]:
        """Yield blocks; raise AudioFileError at the end if the file proved empty or truncated."""
        import av

        container = _open(self.path)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        pending: list[np.ndarray] = []
        held = 0
        damaged: Exception | None = None
        try:
            try:
                for frame in container.decode(audio=0):
                    for out in resampler.resample(frame):
                        pending.append(out.to_ndarray().reshape(-1))
                        held += out.samples
                    while held >= self.block_samples:
                        block, pending, held = _split(pending, self.block_samples)
                        self.decoded_samples += len(block)
                        yield block
                for out in resampler.resample(None):
                    pending.append(out.to_ndarray().reshape(-1))
            except av.error.FFmpegError as error:
                damaged = error
        finally:
            container.close()
        if pending:
            tail = np.concatenate(pending).astype(np.float32, copy=False)
            if len(tail):
                self.decoded_samples += len(tail)
                yield tail
        self._check_complete(damaged)

    def _check_complete(self, damaged: Exception | None) -> None:
        got = self.decoded_samples / SAMPLE_RATE
        if self.decoded_samples == 0:
            raise AudioFileError(f"{self.path} contains no audio samples: pass a recording with sound in it")
        if damaged is not None:
            raise AudioFileError(
                f"{self.path} is damaged after {got:.1f} s ({damaged.__class__.__name__}): "
                "what came before was transcribed; re-export or re-download the file"
            )
        if self.declared_s is not None and got + TRUNCATION_TOLERANCE_S < self.declared_s:
            raise AudioFileError(
                f"{self.path} is truncated: its header says {self.declared_s:.1f} s but only {got:.1f} s "
                "could be read; what was there was transcribed"
            )


def _split(pending: list[np.ndarray], n: int) -> tuple[np.ndarray, list[np.ndarray], int]:
    joined = np.concatenate(pending).astype(np.float32, copy=False)
    rest = joined[n:]
    return joined[:n], [rest] if len(rest) else [], len(rest)


class FileSource:
    """Replays a file at `speed` × real time (0 = as fast as possible). By default it waits when the
    queue is full and never drops; with `live=True` it behaves like a microphone instead: it never waits,
    and the queue drops the oldest audio (what `echotui bench` measures). `clock` paces the blocks
    (`clock.replay_clock(speed)` by default: the wall clock)."""

    def __init__(
        self,
        path: Path,
        speed: float = 1.0,
        block_s: float = 0.1,
        live: bool = False,
        clock: ReplayClock | None = None,
    ) -> None:
        if live and speed <= 0:
            raise ValueError("a live replay needs a real-time speed")
        self.path = path
        self.speed = speed
        self.live = live
        self.clock = clock if clock is not None else replay_clock(speed)
        self.file = DecodedFile(path, block_s)  # opens and checks the file now: errors come early
        self.description = f"file {path.name}"

    @property
    def duration_s(self) -> float | None:
        """The file's length as its header declares it (None if it declares none)."""
        return self.file.declared_s

    async def run(self, queue: AudioQueue, stop: asyncio.Event) -> None:
        blocks = self.file.blocks()
        sent = 0
        while not stop.is_set():
            block = await asyncio.to_thread(next, blocks, None)
            if block is None:
                return
            sent += len(block)  # a block is there once its last sample would have been heard
            await self.clock.due(sent / SAMPLE_RATE, queue)
            if self.live:
                queue.offer(block)
            else:
                await queue.put(block)
