"""The revision layer's own engine loads the model the live engine runs when the revision starts, which a
swap since the session's start (a model picked after a failed load, a governor's step) may have changed;
`--revise-model` still wins, and a swap while capturing has the revision follow the live engine. With a
server's engine (`--provider remote`) no revision runs: the words the
server sends are kept, and it gets one request per live pass, never a second one per stretch."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import psutil
import pytest

from echotui import SAMPLE_RATE
from echotui.audio.file_source import DecodedFile, FileSource
from echotui.config import Settings
from echotui.pipeline.events import (
    EngineNotice,
    FinalTranscribed,
    PipelineEvent,
    ProviderSwapped,
    TranscriptRevised,
)
from echotui.pipeline.revision_engine import revision_engine_for
from echotui.pipeline.runner import Pipeline
from echotui.providers.base import LoadedModel, Provider
from echotui.providers.fasterwhisper import FasterWhisperProvider
from echotui.providers.remote import RemoteProvider
from tests.doubles import TimedWordOracle
from tests.remote_double import OracleServer
from tests.support.speech import WordTiming


def play(pipeline: Pipeline, path: Path, speed: float) -> None:
    """`path` replayed through `pipeline` at `speed`, and the pipeline closed."""

    async def main() -> None:
        try:
            await pipeline.run(FileSource(path, speed=speed))
        finally:
            await pipeline.close()

    asyncio.run(main())


def said(events: list[PipelineEvent]) -> list[str]:
    return " ".join(e.text for e in events if isinstance(e, FinalTranscribed)).split()


def test_the_revision_loads_the_model_running_now_not_the_one_started_with(
    tmp_path: Path,
) -> None:
    started, picked, asked = (tmp_path / name for name in ("broken", "tiny.en", "base.en"))
    for folder in (started, picked, asked):
        folder.mkdir()
    settings = Settings(provider="faster-whisper", model_path=started, threads=4)
    live = FasterWhisperProvider.from_settings(Settings(provider="faster-whisper", model_path=picked))
    running = LoadedModel("faster-whisper", "tiny.en", "cpu", str(picked))

    revision = revision_engine_for(settings)(live, running, 0.5)
    assert isinstance(revision, FasterWhisperProvider) and revision is not live
    assert (revision.choice.path, revision.threads) == (picked, 2)

    chosen = revision_engine_for(
        Settings(provider="faster-whisper", model_path=started, revise_model=str(asked))
    )
    assert chosen(live, running, 0.5).choice.path == asked  # type: ignore[attr-defined]


def test_with_a_server_s_engine_no_revision_runs_and_its_words_are_kept(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    path, words = timed_words
    server = OracleServer(words, np.concatenate(list(DecodedFile(path).blocks())))
    engine = RemoteProvider("http://gpu-box:8000", model="tiny.en", transport=server.transport)
    events: list[PipelineEvent] = []
    pipeline = Pipeline(engine, Settings(provider="remote", chunk_seconds=0.5), events.append)
    assert pipeline.config.revise, "asked for, as by default"

    play(pipeline, path, speed=8.0)
    assert said(events) == [w.word for w in words]
    assert not [e for e in events if isinstance(e, TranscriptRevised)]
    assert not [e for e in events if isinstance(e, EngineNotice)], "nothing to say: no revision tried"
    assert pipeline.reviser.engines.worker is None and pipeline.reviser.unrevised_s == 0, (
        "no revision engine built"
    )
    assert server.answered == pipeline.snapshot().calls, "one request per live pass"


class ModelOracle(TimedWordOracle):
    """An oracle that names the model it runs, as a real engine's `LoadedModel` does."""

    def __init__(self, words: list[WordTiming], source: np.ndarray, model: str, path: str = "") -> None:
        super().__init__(words, source)
        self.model, self.path = model, path or f"/models/{model}"

    def load(self) -> LoadedModel:
        return LoadedModel(self.name, self.model, "cpu", self.path)


def test_after_a_swap_the_revision_runs_the_model_the_live_engine_runs_now(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    path, words = timed_words
    audio = np.concatenate(list(DecodedFile(path).blocks()))
    made: list[str] = []  # the live model each revision engine was made for

    def revision_engine(live: Provider, loaded: LoadedModel | None, share: float) -> Provider:
        made.append(loaded.model if loaded else "?")
        return TimedWordOracle(words, audio)

    swapped_at: list[float] = []  # the stream's clock when the swap took over
    pipeline: Pipeline

    def heard(event: PipelineEvent) -> None:
        if isinstance(event, ProviderSwapped):
            swapped_at.append(pipeline.ledger().captured / SAMPLE_RATE)
            assert event.model.model == "small.en"
        elif isinstance(event, FinalTranscribed) and event.end_s > 3.0 and not swapped_at:
            if pipeline.swapping:
                return
            pipeline.swap(ModelOracle(words, audio, "small.en"))  # the user picks a larger model

    config = Settings(chunk_seconds=0.5)
    pipeline = Pipeline(ModelOracle(words, audio, "tiny.en"), config, heard, revision_engine=revision_engine)

    play(pipeline, path, speed=4.0)
    assert len(swapped_at) == 1
    assert made == ["tiny.en", "small.en"], "made again once, for the model picked"
    assert max(w.end_s for w in pipeline.reviser.kept) > swapped_at[0], "speech after the swap revised"


def test_without_memory_for_a_second_copy_of_the_model_the_live_words_are_kept_and_it_says_why(
    timed_words: tuple[Path, list[WordTiming]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, words = timed_words
    audio = np.concatenate(list(DecodedFile(path).blocks()))
    model = tmp_path / "small.en"
    model.mkdir()
    with (model / "model.bin").open("wb") as weights:
        weights.truncate(2 * 2**30)  # 2 GiB on disk (sparse)
    monkeypatch.setattr(psutil, "virtual_memory", lambda: SimpleNamespace(available=int(1.5 * 2**30)))
    events: list[PipelineEvent] = []
    live = ModelOracle(words, audio, "small.en", str(model))
    pipeline = Pipeline(live, Settings(provider="faster-whisper", chunk_seconds=0.5), events.append)

    play(pipeline, path, speed=8.0)
    assert said(events) == [w.word for w in words], "the live words go on, all of them"
    assert [e.message for e in events if isinstance(e, EngineNotice)] == [
        "no memory for the revision's own copy of small.en (about 2.5 GB, 1.5 GB free): name a smaller one "
        "with --revise-model, or --no-revise; the live words are kept"
    ]
    assert pipeline.reviser.engines.worker is None, "nothing loaded"

    named = Settings(provider="faster-whisper", revise_model="tiny.en")  # asked for by name: no refusal
    running = LoadedModel("faster-whisper", "small.en", "cpu", str(model))
    engine = FasterWhisperProvider.from_settings(Settings(provider="faster-whisper", model_path=model))
    assert isinstance(revision_engine_for(named)(engine, running, 0.5), FasterWhisperProvider)
