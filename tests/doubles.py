"""Test doubles. Product code never fakes an engine; these live here only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from echotui import SAMPLE_RATE
from echotui.audio.clock import ReplayClock, replay_clock
from echotui.pipeline.queue import AudioQueue
from echotui.providers.base import Capabilities, LoadedModel, Provider, Segment, TranscribeRequest, Word
from tests.support.speech import WordTiming


class WordOracleProvider(Provider):
    """Returns the known words whose midpoint lies inside the audio it is given.

    It also checks that the audio it receives is exactly the source's samples at `start_s`, so a lost,
    repeated or shifted sample anywhere in the pipeline fails the test.
    """

    name: ClassVar[str] = "oracle"
    capabilities: ClassVar[Capabilities] = Capabilities(backends=("cpu",))

    def __init__(self, words: Sequence[WordTiming], source: np.ndarray, delay_s: float = 0.0) -> None:
        self.words = list(words)
        self.source = source
        self.delay_s = delay_s
        self.requests: list[tuple[float, float, bool]] = []
        self.mismatches = 0

    def load(self) -> LoadedModel:
        return LoadedModel(self.name, "oracle", "cpu", "-")

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        if self.delay_s:
            time.sleep(self.delay_s)
        start = round(request.start_s * SAMPLE_RATE)
        expected = self.source[start : start + len(request.audio)]
        if not np.array_equal(expected, request.audio):
            self.mismatches += 1
        end_s = request.start_s + len(request.audio) / SAMPLE_RATE
        self.requests.append((request.start_s, end_s, request.final))
        return [
            Segment(w.start_s - request.start_s, w.end_s - request.start_s, w.word)
            for w in self.words
            if request.start_s <= w.mid_s < end_s
        ]


class SlowProvider(Provider):
    """Takes `rtf` × the audio's duration to answer, like an engine too slow for the machine."""

    name: ClassVar[str] = "slow"
    capabilities: ClassVar[Capabilities] = Capabilities(backends=("cpu",))

    def __init__(self, rtf: float) -> None:
        self.rtf = rtf
        self.calls = 0

    def load(self) -> LoadedModel:
        return LoadedModel(self.name, "slow", "cpu", "-")

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        self.calls += 1
        duration = len(request.audio) / SAMPLE_RATE
        time.sleep(self.rtf * duration)
        return [Segment(0.0, duration, f"call {self.calls}")]


class LiveReplaySource:
    """A live source without a sound card: offers blocks of `audio` paced by `clock` (`speed` × real time
    by default), never waits."""

    live = True
    description = "live replay"
    duration_s = None

    def __init__(
        self, audio: np.ndarray, speed: float = 1.0, block_s: float = 0.05, clock: ReplayClock | None = None
    ) -> None:
        self.audio = audio
        self.clock = clock if clock is not None else replay_clock(speed)
        self.block = round(block_s * SAMPLE_RATE)

    async def run(self, queue: AudioQueue, stop: asyncio.Event) -> None:
        for offset in range(0, len(self.audio), self.block):
            if stop.is_set():
                return
            chunk = self.audio[offset : offset + self.block]
            await self.clock.due((offset + len(chunk)) / SAMPLE_RATE, queue)
            queue.offer(chunk)


class RecordingProvider(Provider):
    """Keeps every final call's audio in timeline order, so a test can look at what was captured."""

    name: ClassVar[str] = "recorder"
    capabilities: ClassVar[Capabilities] = Capabilities(backends=("cpu",))

    def __init__(self) -> None:
        self.finals: list[tuple[float, np.ndarray]] = []

    def load(self) -> LoadedModel:
        return LoadedModel(self.name, "recorder", "cpu", "-")

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        if request.final:
            self.finals.append((request.start_s, request.audio.copy()))
        return []

    def audio(self) -> np.ndarray:
        return np.concatenate([a for _, a in sorted(self.finals, key=lambda f: f[0])])


class SlowLoadingOracle(WordOracleProvider):
    """An oracle whose model takes `load_s` to load, like a real engine."""

    name: ClassVar[str] = "slow-oracle"

    def __init__(self, words: Sequence[WordTiming], source: np.ndarray, load_s: float) -> None:
        super().__init__(words, source)
        self.load_s = load_s

    def load(self) -> LoadedModel:
        time.sleep(self.load_s)
        return LoadedModel(self.name, "slow-oracle", "cpu", "-")


class BrokenProvider(Provider):
    """A provider whose model cannot load."""

    name: ClassVar[str] = "broken"
    capabilities: ClassVar[Capabilities] = Capabilities(backends=("cpu",))

    def load(self) -> LoadedModel:
        from echotui.errors import EchoError

        raise EchoError("model file is corrupt: pass another --model-path")

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        raise AssertionError("never loaded")


class TimedWordOracle(WordOracleProvider):
    """An oracle that also gives word times, as whisper.cpp and faster-whisper do, so the pipeline commits
    words as passes agree. With `jitter_s` each pass moves every word's times by up to that much, and a
    word ending in the last 0.2 s of the audio is misheard (the next pass, 0.5 s on, hears it right), as
    real engines mishear words cut off at the edge."""

    name: ClassVar[str] = "timed-oracle"
    capabilities: ClassVar[Capabilities] = Capabilities(backends=("cpu",), word_timestamps=True)

    def __init__(self, words: Sequence[WordTiming], source: np.ndarray, jitter_s: float = 0.0) -> None:
        super().__init__(words, source)
        self.jitter_s = jitter_s
        self.prompts: list[str] = []
        self._rng = np.random.default_rng(5)

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        self.prompts.append(request.prompt)
        found = super().transcribe(request)
        end = len(request.audio) / SAMPLE_RATE
        out = []
        for segment in found:
            shift = float(self._rng.uniform(-self.jitter_s, self.jitter_s)) if self.jitter_s else 0.0
            start, stop = max(0.0, segment.start_s + shift), min(end, segment.end_s + shift)
            text = segment.text
            if self.jitter_s and not request.final and end - segment.end_s < 0.2:
                text = text.upper() + "X"  # misheard at the edge: no agreement until it is heard again
            word = Word(start, max(start, stop), text)
            out.append(Segment(word.start_s, word.end_s, text, (word,)))
        return out


class ReadyProvider(Provider):
    """Loads at once and reports `loaded`; never hears anything (for screens driven by hand-made events)."""

    name: ClassVar[str] = "ready"
    capabilities: ClassVar[Capabilities] = Capabilities(backends=("cpu",))

    def __init__(self, loaded: LoadedModel) -> None:
        self.loaded = loaded

    def load(self) -> LoadedModel:
        return self.loaded

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        return []


class QuietSource:
    """A source that feeds nothing until stopped (the screen shows only the events a test sends)."""

    live = True

    def __init__(self, description: str, duration_s: float | None = None) -> None:
        self.description = description
        self.duration_s = duration_s

    async def run(self, queue: AudioQueue, stop: asyncio.Event) -> None:
        await stop.wait()


class FailingOracle(WordOracleProvider):
    """An oracle whose engine raises on its `fail_at`-th transcribe call (counting every call of its
    life), and on every call after a reload too unless `recovers`: an engine that breaks mid-run."""

    name: ClassVar[str] = "failing"

    def __init__(self, words: Sequence[WordTiming], source: np.ndarray, fail_at: int, recovers: bool) -> None:
        super().__init__(words, source)
        self.fail_at = fail_at
        self.recovers = recovers
        self.calls = 0
        self.loads = 0
        self.closes = 0
        self.failures = 0

    def load(self) -> LoadedModel:
        self.loads += 1
        return LoadedModel(self.name, "failing", "cpu", "-")

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        self.calls += 1
        broken = self.calls == self.fail_at or (not self.recovers and self.calls > self.fail_at)
        if broken:
            self.failures += 1
            raise RuntimeError(f"CUDA error: an illegal memory access (call {self.calls})")
        return super().transcribe(request)

    def close(self) -> None:
        self.closes += 1


class StreamDouble:
    """A PortAudio input stream without a sound card: a thread calls `callback` with `block_s` blocks of
    noise in real time. After `dies_after_s` it either ends the stream (`finished` called, as PortAudio
    does when a device goes away) or, with `stall`, just stops delivering (a device that hangs)."""

    def __init__(
        self, callback: object, finished: object, dies_after_s: float | None, stall: bool = False,
        block_s: float = 0.05,
    ) -> None:  # fmt: skip
        import threading

        self.callback, self.finished = callback, finished
        self.dies_after_s, self.stall, self.block_s = dies_after_s, stall, block_s
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._play, daemon=True)
        self.blocks = 0

    def start(self) -> None:
        self.thread.start()

    def _play(self) -> None:
        from types import SimpleNamespace

        rng = np.random.default_rng(self.blocks)
        began = time.monotonic()
        status = SimpleNamespace(input_overflow=False)
        frames = round(self.block_s * SAMPLE_RATE)
        while not self.closed.is_set():
            if self.dies_after_s is not None and time.monotonic() - began >= self.dies_after_s:
                if not self.stall:
                    self.finished()  # type: ignore[operator]
                return
            block = (rng.standard_normal((frames, 1)) * 0.1).astype(np.float32)
            self.callback(block, frames, None, status)  # type: ignore[operator]
            self.blocks += 1
            time.sleep(self.block_s)

    def close(self) -> None:
        self.closed.set()
        if self.thread.is_alive():
            self.thread.join(timeout=2)


class ScriptedDevice:
    """What each open of the device does, in order: a number = a stream that dies after so many seconds,
    "stall:N" = one that stops delivering after N s, None = one that lives, "gone" = the open fails."""

    def __init__(self, script: list[float | str | None]) -> None:
        self.script = list(script)
        self.opens = 0
        self.streams: list[StreamDouble] = []

    def install(self, source: object) -> None:
        from echotui.errors import EchoError

        def open_stream(callback: object, finished: object) -> StreamDouble:
            step = self.script[min(self.opens, len(self.script) - 1)]
            self.opens += 1
            if step == "gone":
                raise EchoError("cannot open input device 'double': it is gone")
            if isinstance(step, str) and step.startswith("stall:"):
                stream = StreamDouble(callback, finished, float(step[6:]), stall=True)
            else:
                stream = StreamDouble(callback, finished, step if step is None else float(step))
            self.streams.append(stream)
            return stream

        source.open_stream = open_stream  # type: ignore[attr-defined]
        source.reopen_device = lambda: None  # type: ignore[attr-defined]


class MisheardOracle(TimedWordOracle):
    """An oracle with word times that mishears some words in the live layer's short windows and hears
    them right when the speech is decoded as offline transcription decodes it (`full_window`), as tiny.en
    does: `misheard` maps each such word to what the short windows make of it."""

    name: ClassVar[str] = "misheard-oracle"

    def __init__(self, words: Sequence[WordTiming], source: np.ndarray, misheard: dict[str, str]) -> None:
        super().__init__(words, source)
        self.misheard = misheard
        self.long_windows = 0

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        heard = super().transcribe(request)
        if request.full_window:
            self.long_windows += 1
            return heard
        out = []
        for segment in heard:
            word = Word(segment.start_s, segment.end_s, self.misheard.get(segment.text, segment.text))
            out.append(Segment(word.start_s, word.end_s, word.text, (word,)))
        return out


class BusyMachine:
    """A machine whose load (a browser tab, a video call) multiplies every engine's cost; a test changes
    `load` while a session runs."""

    def __init__(self, load: float) -> None:
        self.load = load


class ModelOnMachine(Provider):
    """An engine running model `model`, taking `cost` × the machine's load × the audio's duration to
    answer (a bigger model costs more); it hears its own name."""

    name: ClassVar[str] = "machine"
    capabilities: ClassVar[Capabilities] = Capabilities(backends=("cpu",))

    def __init__(self, model: str, cost: float, machine: BusyMachine) -> None:
        self.model, self.cost, self.machine = model, cost, machine
        self.calls = 0

    def load(self) -> LoadedModel:
        return LoadedModel(self.name, self.model, "cpu", f"/models/{self.model}")

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        self.calls += 1
        duration = len(request.audio) / SAMPLE_RATE
        time.sleep(self.cost * self.machine.load * duration)
        return [Segment(0.0, duration, self.model)]
