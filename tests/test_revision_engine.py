"""The revision layer's own engine loads the model the live engine runs when the revision starts, which a
swap since the session's start (a model picked after a failed load, a governor's step) may have changed;
`--revise-model` still wins. With a server's engine (`--provider remote`) no revision runs: the words the
server sends are kept, and it gets one request per live pass, never a second one per stretch."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from echotui.audio.file_source import DecodedFile, FileSource
from echotui.config import Settings
from echotui.pipeline.events import EngineNotice, FinalTranscribed, PipelineEvent, TranscriptRevised
from echotui.pipeline.revision_engine import revision_engine_for
from echotui.pipeline.runner import Pipeline
from echotui.providers.base import LoadedModel
from echotui.providers.fasterwhisper import FasterWhisperProvider
from echotui.providers.remote import RemoteProvider
from tests.remote_double import OracleServer
from tests.support.speech import WordTiming


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

    async def main() -> None:
        try:
            await pipeline.run(FileSource(path, speed=8.0))
        finally:
            await pipeline.close()

    asyncio.run(main())
    said = " ".join(e.text for e in events if isinstance(e, FinalTranscribed)).split()
    assert said == [w.word for w in words]
    assert not [e for e in events if isinstance(e, TranscriptRevised)]
    assert not [e for e in events if isinstance(e, EngineNotice)], "nothing to say: no revision tried"
    assert pipeline.reviser.worker is None and pipeline.reviser.unrevised_s == 0, "no revision engine built"
    assert server.answered == pipeline.snapshot().calls, "one request per live pass"
