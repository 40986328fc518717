"""`echotui bench`: the model matrix, each configuration through the real pipeline, measured against the
raw engine. Never imports Textual.

Each row runs in its own process (clean memory figures, no engine left over from the previous row):
1. the pipeline transcribes the file replayed as live input at `speed` (or as fast as possible at 0),
   with a recorder around the provider keeping every request it made;
2. baseline "direct": the same engine is called on exactly those requests, one after another;
   pipeline overhead = the pipeline run's CPU-seconds ÷ the direct calls' CPU-seconds (goal ≤ 1.05);
3. baseline "offline": the same engine on the whole file in one call, taken once per engine and model
   (chunk length and speed change only the live run; later rows of that model reuse it);
   streaming ÷ offline = engine seconds of the pipeline's calls ÷ the offline call's seconds.
With a reference text, both the live finals and the offline text are scored by word error rate, and
live WER ÷ offline WER says what streaming costs in words beside what it costs in compute.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import KW_ONLY, asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from echotui import SAMPLE_RATE
from echotui.config import Settings
from echotui.pipeline.metrics import peak_rss_mb
from echotui.providers.base import Capabilities, LoadedModel, Provider, Segment, TranscribeRequest, Word


@dataclass(frozen=True)
class BenchCase:
    """One configuration to measure."""

    provider: str
    model: str
    chunk_seconds: float
    speed: float


@dataclass(frozen=True)
class OfflinePass:
    """The engine on the whole file in one call, and how long that took; with word times when asked for."""

    segments: tuple[Segment, ...]
    compute_s: float
    word_timestamps: bool

    def serves(self, word_timestamps: bool) -> bool:
        return self.word_timestamps or not word_timestamps


@dataclass(frozen=True)
class BenchRow:
    """One configuration's figures. Times in seconds, memory in MB."""

    provider: str
    model: str
    backend: str
    chunk_seconds: float
    speed: float
    audio_s: float
    wall_s: float
    calls: int
    rtf_mean: float | None
    rtf_p95: float | None
    dropped_frames: int
    dropped_s: float
    queue_max_fill_s: float
    latency_p50_s: float | None
    latency_p95_s: float | None
    cpu_s_per_audio_s: float
    peak_rss_mb: float
    load_s: float
    compute_s: float
    offline_compute_s: float
    streaming_over_offline: float
    direct_compute_s: float
    direct_cpu_s: float
    pipeline_cpu_s: float
    pipeline_overhead: float
    _: KW_ONLY  # the word error rates come only with a reference text
    live_wer: float | None = None
    """Word error rate of the live finals against `--reference` (None without one); likewise offline."""
    offline_wer: float | None = None
    live_over_offline_wer: float | None = None
    word_latency_p50_s: float | None = None
    word_latency_p95_s: float | None = None


SNAPSHOT_FIELDS = (
    "audio_s", "calls", "rtf_mean", "rtf_p95", "dropped_frames", "dropped_s", "queue_max_fill_s",
    "latency_p50_s", "latency_p95_s", "compute_s",
)  # fmt: skip
"""The row's figures read as they are from the pipeline's snapshot."""


class CallRecorder(Provider):
    """Wraps a real provider and keeps a copy of every request it is given (for the direct baseline)."""

    name: ClassVar[str] = "recorder"
    capabilities: ClassVar[Capabilities] = Capabilities(backends=())

    def __init__(self, inner: Provider) -> None:
        self.inner = inner
        self.requests: list[TranscribeRequest] = []
        # what the pipeline's policy reads (word times) must be the engine's, not the recorder's
        self.capabilities = inner.capabilities  # type: ignore[misc]

    def load(self) -> LoadedModel:
        return self.inner.load()

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        self.requests.append(replace(request, audio=request.audio.copy()))
        return self.inner.transcribe(request)

    def drain_notices(self) -> list[str]:
        return self.inner.drain_notices()

    def close(self) -> None:
        self.inner.close()


def _exit_with_parent() -> None:
    """A measuring child must not outlive an interrupted `echotui bench`: it would skew the next run."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="echotui-bench-watchdog", daemon=True).start()


def _wer_figures(reference: str | None, live: str, offline: str) -> dict[str, float | None]:
    if reference is None:
        return {}
    from echotui.quality import word_errors

    live_wer, offline_wer = word_errors(reference, live).wer, word_errors(reference, offline).wer
    ratio = live_wer / offline_wer if offline_wer else (1.0 if live_wer == offline_wer else float("inf"))
    return {"live_wer": live_wer, "offline_wer": offline_wer, "live_over_offline_wer": ratio}


def word_latencies(committed: list[tuple[Word, float]], offline: list[Word]) -> list[float]:
    """Each committed word's wait: from its end in the audio to when it went out (on the stream's clock).
    Where a word ends is taken from the offline pass's word times (the whole file in one call: a common
    clock for every configuration), matched to the committed words by their text in order."""
    from difflib import SequenceMatcher

    from echotui.quality import words as spoken

    def key(word: Word) -> str:
        return " ".join(spoken(word.text))

    live_keys, offline_keys = [key(w) for w, _ in committed], [key(w) for w in offline]
    waits = []
    for block in SequenceMatcher(None, live_keys, offline_keys, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            _, emitted = committed[block.a + k]
            waits.append(emitted - offline[block.b + k].end_s)
    return waits


def _latency_figures(committed: list[tuple[Word, float]], offline: list[Word]) -> dict[str, float | None]:
    from echotui.pipeline.metrics import percentile

    waits = word_latencies(committed, offline)
    return {"word_latency_p50_s": percentile(waits, 50), "word_latency_p95_s": percentile(waits, 95)}


def _run_case(
    case: BenchCase,
    file: Path,
    settings: Settings,
    log_file: Path | None,
    reference: str | None = None,
    offline_pass: OfflinePass | None = None,
) -> tuple[dict[str, Any], OfflinePass]:
    """Measure one case (in a fresh process); the offline pass is taken unless one that serves is given."""
    from echotui.audio.file_source import DecodedFile, FileSource
    from echotui.logs import setup_logging

    setup_logging(log_file)  # engine logs of the child go to the same file, never to the terminal
    _exit_with_parent()
    from echotui.providers.registry import create_provider
    from echotui.session import Session

    settings = replace(settings, provider=case.provider, model=case.model, chunk_seconds=case.chunk_seconds)
    # the live layer as the case sets it: no revision (benchmarks.accuracy measures it), no governor stepping
    settings = replace(settings, revise=False, governor=False).validate()
    recorder = CallRecorder(create_provider(settings))
    source = FileSource(file, speed=case.speed, live=case.speed > 0)
    session = Session(settings, source, provider=recorder, journal=False)  # no revision: finals as sent

    async def run() -> tuple[float, float]:
        await session.load()
        cpu, wall = time.process_time(), time.perf_counter()
        await session.run(keep_engine=True)  # the baselines below call the same engine
        return time.process_time() - cpu, time.perf_counter() - wall

    pipeline_cpu, wall = asyncio.run(run())
    finals = [final for final in session.finals if final.text]
    committed = [(word, final.emitted_s or 0.0) for final in finals for word in final.words]
    snapshot = session.snapshot()
    loaded = session.loaded
    assert loaded is not None
    engine = recorder.inner

    def timed(call: Any) -> tuple[float, float]:
        cpu, began = time.process_time(), time.perf_counter()
        call()
        return time.process_time() - cpu, time.perf_counter() - began

    direct_cpu, direct_wall = timed(lambda: [engine.transcribe(r) for r in recorder.requests])
    whole = np.concatenate(list(DecodedFile(file).blocks()))
    if offline_pass is None or not offline_pass.serves(bool(committed)):
        offline_segments: list[Segment] = []
        whole_request = TranscribeRequest(whole, 0.0, True, word_timestamps=bool(committed), full_window=True)
        _, seconds = timed(lambda: offline_segments.extend(engine.transcribe(whole_request)))
        offline_pass = OfflinePass(tuple(offline_segments), seconds, bool(committed))
    asyncio.run(session.close())
    offline_segments, offline = list(offline_pass.segments), offline_pass.compute_s
    live_text = " ".join(final.text for final in finals)
    said = _wer_figures(reference, live_text, " ".join(s.text for s in offline_segments))
    word_times = _latency_figures(committed, [w for s in offline_segments for w in s.words])
    figures: dict[str, Any] = {name: getattr(snapshot, name) for name in SNAPSHOT_FIELDS} | said | word_times
    row = BenchRow(
        provider=loaded.provider,
        model=loaded.model,
        backend=loaded.backend,
        chunk_seconds=case.chunk_seconds,
        speed=case.speed,
        wall_s=wall,
        **figures,
        cpu_s_per_audio_s=pipeline_cpu / (len(whole) / SAMPLE_RATE),
        peak_rss_mb=peak_rss_mb(),
        load_s=session.load_s or 0.0,
        offline_compute_s=offline,
        streaming_over_offline=snapshot.compute_s / offline if offline else float("nan"),
        direct_compute_s=direct_wall,
        direct_cpu_s=direct_cpu,
        pipeline_cpu_s=pipeline_cpu,
        pipeline_overhead=pipeline_cpu / direct_cpu if direct_cpu else float("nan"),
    )
    return asdict(row), offline_pass


def run_case(
    case: BenchCase,
    file: Path,
    settings: Settings,
    log_file: Path | None = None,
    reference: str | None = None,
    offline: dict[tuple[str, str], OfflinePass] | None = None,
) -> BenchRow:
    """Measure one case in a child process; its errors (EchoError included) are raised here. `offline`
    keeps the offline pass per (provider, model) across the cases of one bench."""
    offline = {} if offline is None else offline
    key = (case.provider, case.model)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        call = pool.submit(_run_case, case, file, settings, log_file, reference, offline.get(key))
        result, offline[key] = call.result()
    return BenchRow(**result)


def row_fields() -> list[str]:
    return [f.name for f in fields(BenchRow)]
