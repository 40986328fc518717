"""An engine that breaks mid-run: it is reloaded once, and if it breaks again the session stops with the
reason, what was queued is counted as not transcribed, and nothing already transcribed is lost."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from echotui.audio.file_source import FileSource
from echotui.config import Settings
from echotui.pipeline.events import EngineFailed, FinalTranscribed
from echotui.pipeline.failures import ENGINE_FAILED_EXIT, EngineFailure
from echotui.pipeline.runner import Pipeline
from echotui.pipeline.state import Failure, State
from tests.cli import echotui
from tests.doubles import BrokenProvider, FailingOracle
from tests.support.pipeline import Recorder, decode, run_pipeline, spoken_words
from tests.support.speech import WordTiming

CONFIG = Settings(chunk_seconds=0.5, max_utterance_seconds=3.0, queue_seconds=4.0)


def test_an_engine_that_fails_once_is_reloaded_and_nothing_is_lost(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    path, words = timed_words
    audio = decode(path)
    engine = FailingOracle(words, audio, fail_at=4, recovers=True)
    pipeline, recorder = run_pipeline(engine, CONFIG, FileSource(path, speed=0))

    failed = recorder.of(EngineFailed)
    assert [(e.fatal, e.provider) for e in failed] == [(False, "failing")]
    assert "illegal memory access" in failed[0].message
    assert engine.loads == 2 and engine.closes >= 1, "reloaded once on its worker, closed at the end"
    assert spoken_words(recorder.of(FinalTranscribed)) == [w.word for w in words]
    ledger = pipeline.ledger()
    assert ledger.balanced and ledger.untranscribed == 0 and ledger.pending == 0
    assert pipeline.failure is None and pipeline.snapshot().state == "finished"


def test_an_engine_that_fails_again_stops_the_session_with_the_reason(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    """At speed 0 the file fills the queue and waits in put(): the failure must release it at once."""
    path, words = timed_words
    audio = decode(path)
    engine = FailingOracle(words, audio, fail_at=5, recovers=False)  # mid-file: 9 calls in all
    recorder = Recorder()
    pipeline = Pipeline(engine, CONFIG, recorder)
    recorder.pipeline = pipeline
    raised: list[EngineFailure] = []

    async def main() -> float:
        watcher = asyncio.create_task(recorder.watch())
        try:
            await asyncio.wait_for(pipeline.run(FileSource(path, speed=0)), timeout=20)
        except EngineFailure as error:
            raised.append(error)
        ended = time.monotonic()
        watcher.cancel()
        await pipeline.close()
        return ended

    asyncio.run(main())

    assert raised, "the session must stop with an error, not end as if the file was done"
    reason = str(raised[0])
    assert reason.startswith("engine failed: failing: RuntimeError: CUDA error") and "\n" not in reason
    assert raised[0].exit_code == ENGINE_FAILED_EXIT
    assert [e.fatal for e in recorder.of(EngineFailed)] == [False, True]
    snapshot = pipeline.snapshot()
    assert (snapshot.state, snapshot.reason) == (State.ENGINE_FAILED, reason.removeprefix("engine failed: "))
    ledger = pipeline.ledger()
    assert ledger.balanced, ledger
    assert ledger.untranscribed > 0 and ledger.pending == 0
    assert ledger.transcribed + ledger.vad_skipped + ledger.untranscribed == ledger.captured
    # every final that came out before the failure is the spoken words from the start, none lost
    said = spoken_words(recorder.of(FinalTranscribed))
    assert said and said == [w.word for w in words][: len(said)]


def test_a_model_that_fails_to_load_is_a_state_not_loading_forever(sentence_wav: Path) -> None:
    pipeline = Pipeline(BrokenProvider(), CONFIG)

    async def main() -> None:
        with pytest.raises(Exception, match="model file is corrupt"):
            await pipeline.run(FileSource(sentence_wav, speed=0))
        await pipeline.close()

    asyncio.run(main())
    snapshot = pipeline.snapshot()
    assert snapshot.state is State.LOAD_FAILED
    assert snapshot.reason == "model file is corrupt: pass another --model-path"
    assert pipeline.failure == Failure(State.LOAD_FAILED, snapshot.reason), "one field holds the failure"


def test_state_is_finishing_while_the_queue_drains_after_the_file_ended(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    path, words = timed_words
    audio = decode(path)
    states: list[str] = []
    engine = FailingOracle(words, audio, fail_at=10**6, recovers=True)
    engine.delay_s = 0.05
    pipeline = Pipeline(engine, CONFIG)

    async def main() -> None:
        run = asyncio.create_task(pipeline.run(FileSource(path, speed=0)))
        while not run.done():
            states.append(pipeline.snapshot().state)
            await asyncio.sleep(0.02)
        states.append(pipeline.snapshot().state)
        await pipeline.close()

    asyncio.run(main())
    assert "finishing" in states and states[-1] == "finished"
    assert states.index("finishing") > 0 and "listening" not in states[states.index("finishing") :]


def test_transcribe_exits_non_zero_with_the_reason_and_keeps_what_was_written(
    timed_words: tuple[Path, list[WordTiming]], tmp_path: Path
) -> None:
    """A Voxtral binary that works for 6 s of audio, then dies at every restart."""
    path, _ = timed_words
    model = tmp_path / "voxtral-model"
    model.mkdir()
    for name in ("consolidated.safetensors", "tekken.json", "params.json"):
        (model / name).write_text("{}")
    out, stats_path = tmp_path / "out.txt", tmp_path / "stats.json"
    env = {
        "ECHOTUI_VOXTRAL_BIN": str(Path(__file__).parent / "fake_voxtral.py"),
        "ECHOTUI_VOXTRAL_MODEL": str(model),
        "FAKE_VOXTRAL_DIE_AFTER": "6",
        "FAKE_VOXTRAL_BREAK_FLAG": str(tmp_path / "broken"),
    }
    result = echotui(
        "transcribe", path, "--provider", "voxtral", "--speed", "0", "-o", out, "--stats-json", stats_path,
        env=env, timeout=60,
    )  # fmt: skip
    assert result.code == ENGINE_FAILED_EXIT, result.stderr
    last = result.stderr_lines[-1]
    assert last.startswith("echotui: error: engine failed: voxtral: "), result.stderr
    assert "Traceback" not in result.stderr
    assert re.search(r"n\d+", out.read_text()), "the finals written before the failure stay written"
    samples = json.loads(stats_path.read_text())["samples"]
    assert samples["untranscribed"] > 0 and samples["pending"] == 0
    assert samples["captured"] == sum(v for k, v in samples.items() if k != "captured")


def test_voxtral_reader_thread_failure_is_logged_and_stops_the_session(
    sentence_wav: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The thread reading Voxtral's tokens dies (its pipe broke): logged with the traceback, then the
    engine call raises, the reload meets the same fault, and the session stops with the reason."""
    from echotui.providers import voxtral

    model = tmp_path / "voxtral-model"
    model.mkdir()
    for name in ("consolidated.safetensors", "tekken.json", "params.json"):
        (model / name).write_text("{}")

    class BrokenDecoder:
        def decode(self, data: bytes) -> str:
            raise OSError(5, "Input/output error")

    broken = SimpleNamespace(getincrementaldecoder=lambda encoding: lambda errors: BrokenDecoder())
    monkeypatch.setattr(voxtral, "codecs", broken)  # only the reader's module sees it
    provider = voxtral.VoxtralProvider(str(Path(__file__).parent / "fake_voxtral.py"), model)
    pipeline = Pipeline(provider, CONFIG)

    async def main() -> None:
        with pytest.raises(EngineFailure) as raised:
            await asyncio.wait_for(pipeline.run(FileSource(sentence_wav, speed=0)), 30)
        await pipeline.close()
        assert "voxtral's output could not be read (OSError" in str(raised.value)

    with caplog.at_level(logging.ERROR):
        asyncio.run(main())
    assert any("reader thread failed" in r.getMessage() and r.exc_info for r in caplog.records)
    snapshot = pipeline.snapshot()
    assert snapshot.state is State.ENGINE_FAILED
    assert (snapshot.reason or "").startswith("voxtral: voxtral's output could not be read")
