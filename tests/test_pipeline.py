"""A user's speech goes through the real pipeline: every word comes out once, in order, and every
sample is accounted for at every moment."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from pathlib import Path

import numpy as np

from echotui import SAMPLE_RATE
from echotui.audio.clock import WallClock
from echotui.audio.file_source import FileSource
from echotui.config import Settings
from echotui.pipeline.events import (
    AudioDropped,
    FinalTranscribed,
    PartialTranscribed,
    ProviderSwapped,
    SwapFailed,
)
from echotui.pipeline.governing import Governing
from echotui.pipeline.runner import Pipeline
from tests.doubles import (
    BrokenProvider,
    LiveReplaySource,
    SlowLoadingOracle,
    SlowProvider,
    TimedWordOracle,
    WordOracleProvider,
)
from tests.support.pipeline import Recorder, decode, run_pipeline, spoken_words, until
from tests.support.speech import WordTiming


def test_every_word_once_in_order_across_cuts_and_partials(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    path, words = timed_words
    audio = decode(path)
    oracle = WordOracleProvider(words, audio)
    # short utterances force cuts inside continuous speech as well as at pauses
    config = Settings(chunk_seconds=0.5, max_utterance_seconds=3.0, queue_seconds=10)
    pipeline, recorder = run_pipeline(oracle, config, FileSource(path, speed=4.0))

    finals = recorder.of(FinalTranscribed)
    assert spoken_words(finals) == [w.word for w in words]
    assert oracle.mismatches == 0, "the engine was given audio that differs from the source"
    assert len(finals) >= 4, "pauses and the 3 s limit should give several utterances"
    cuts = [b for a, b in itertools.pairwise(finals) if b.start_s == a.end_s]
    assert cuts, "speech longer than 3 s was cut inside (no pause between the two pieces)"

    # What a reader sees at each moment (finals so far, then the open utterance's partial) is always
    # the spoken words from the start, none twice: a cut may move a partial's last word to the next
    # utterance, but never drops or repeats it.
    assert recorder.of(PartialTranscribed), "partials come while speech goes on"
    expected = [w.word for w in words]
    shown: list[str] = []
    for event in recorder.events:
        if isinstance(event, FinalTranscribed):
            shown += [c.text for c in event.captions]
            screen = shown
        elif isinstance(event, PartialTranscribed):
            screen = shown + event.text.split()
        else:
            continue
        assert screen == expected[: len(screen)], screen

    ledger = pipeline.ledger()
    assert ledger.captured == len(audio)
    assert ledger.pending == 0 and ledger.dropped == 0
    assert ledger.transcribed + ledger.vad_skipped == len(audio)
    assert ledger.vad_skipped > 0, "the pauses between phrases are not sent to the engine"
    assert recorder.checks > 50


def test_slow_engine_on_live_input_drops_oldest_audio_and_counts_it(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    path, _ = timed_words
    audio = decode(path)[: 8 * SAMPLE_RATE]
    config = Settings(chunk_seconds=0.5, max_utterance_seconds=2.0, queue_seconds=3.0, vad=False)
    # on the wall clock: the point is live audio arriving faster than the engine hears it
    live = LiveReplaySource(audio, clock=WallClock(speed=4.0))
    pipeline, recorder = run_pipeline(SlowProvider(rtf=1.0), config, live)

    ledger = pipeline.ledger()
    assert ledger.dropped > 0
    assert ledger.captured == len(audio)
    assert ledger.pending == 0
    assert ledger.balanced
    reported = sum(e.seconds for e in recorder.of(AudioDropped))
    assert abs(reported - ledger.dropped / SAMPLE_RATE) < 1e-9
    snapshot = pipeline.snapshot()
    assert snapshot.dropped_frames == ledger.dropped
    assert snapshot.queue_max_fill_s <= config.queue_seconds


def test_slow_engine_on_a_file_waits_and_drops_nothing(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    path, _ = timed_words
    config = Settings(chunk_seconds=0.5, max_utterance_seconds=2.0, queue_seconds=3.0, vad=False)
    # unpaced: the file fills the queue at once, and then waits for room
    pipeline, _ = run_pipeline(SlowProvider(rtf=0.1), config, FileSource(path, speed=0))
    ledger = pipeline.ledger()
    assert pipeline.queue.max_fill == pipeline.queue.capacity, "the queue was full: the file had to wait"
    assert ledger.dropped == 0
    assert ledger.transcribed == ledger.captured == len(decode(path))


def test_rtf_and_latency_match_an_independent_clock(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    """The reported RTF is the provider's sleep ÷ audio: check it against the double's own arithmetic."""
    path, _ = timed_words
    config = Settings(chunk_seconds=1.0, max_utterance_seconds=4.0, queue_seconds=10, vad=False)
    pipeline, recorder = run_pipeline(SlowProvider(rtf=0.15), config, FileSource(path, speed=0))
    snapshot = pipeline.snapshot()
    assert snapshot.rtf_mean is not None and abs(snapshot.rtf_mean - 0.15) < 0.025
    assert snapshot.calls == len(recorder.of(FinalTranscribed)) + len(recorder.of(PartialTranscribed))
    latencies = [f.latency_s for f in recorder.of(FinalTranscribed)]
    assert snapshot.latency_p50_s == float(np.percentile(latencies, 50))
    # a final cannot come sooner than the engine's own time on that utterance
    for final in recorder.of(FinalTranscribed):
        assert final.latency_s >= 0.15 * (final.end_s - final.start_s) * 0.95


def test_swap_mid_file_loses_and_repeats_nothing(timed_words: tuple[Path, list[WordTiming]]) -> None:
    """A new engine loads while the old one keeps working, takes over at an utterance boundary, and every
    word still comes out once, in order, with the ledger exact throughout."""
    path, words = timed_words
    audio = decode(path)
    old = WordOracleProvider(words, audio)
    new = SlowLoadingOracle(words, audio, load_s=1.0)
    config = Settings(chunk_seconds=0.5, max_utterance_seconds=3.0, queue_seconds=10)
    recorder = Recorder()
    pipeline = Pipeline(old, config, recorder)
    recorder.pipeline = pipeline

    async def main() -> None:
        watcher = asyncio.create_task(recorder.watch())
        # on the wall clock: the new engine loads in wall time while the speech goes on
        run = asyncio.create_task(pipeline.run(FileSource(path, clock=WallClock(speed=4.0))))
        await until(lambda: bool(recorder.of(FinalTranscribed)))  # mid-file: the first utterance is out
        pipeline.swap(new)
        await run
        watcher.cancel()
        await pipeline.close()

    asyncio.run(main())
    swaps = recorder.of(ProviderSwapped)
    assert len(swaps) == 1
    assert swaps[0].load_s >= 1.0 and swaps[0].swap_s >= swaps[0].load_s
    assert swaps[0].previous is not None and swaps[0].previous.model == "oracle"
    assert swaps[0].model.model == "slow-oracle"
    assert spoken_words(recorder.of(FinalTranscribed)) == [w.word for w in words]
    assert old.mismatches == 0 and new.mismatches == 0
    assert old.requests and new.requests, "both engines did part of the work"
    # The old engine stopped at an utterance boundary: it made no call after the new one's first.
    first_new = min(start for start, _, _ in new.requests)
    assert all(start < first_new for start, _, _ in old.requests)
    ledger = pipeline.ledger()
    assert ledger.balanced and ledger.pending == 0 and ledger.captured == len(audio)


def test_a_swap_to_an_engine_without_word_times_hands_over_to_whole_utterances(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    """Words come a few at a time from an engine with word times; after a swap to an engine without them
    the policy is chosen again and each utterance's text comes whole at its end. No word is lost or
    repeated at the hand-over, and the ledger holds throughout."""
    path, words = timed_words
    audio = decode(path)
    old, new = TimedWordOracle(words, audio), SlowLoadingOracle(words, audio, load_s=0.2)
    recorder = Recorder()
    pipeline = Pipeline(
        old, Settings(chunk_seconds=0.5, max_utterance_seconds=3.0, queue_seconds=10), recorder
    )
    recorder.pipeline = pipeline

    async def main() -> None:
        watcher = asyncio.create_task(recorder.watch())
        # real time: the swap is asked mid-file by the wall clock, as a user's key is
        run = asyncio.create_task(pipeline.run(FileSource(path, clock=WallClock(speed=4.0))))
        await asyncio.sleep(1.0)  # mid-file
        pipeline.swap(new)
        await run
        watcher.cancel()
        await pipeline.close()

    asyncio.run(main())
    swapped = recorder.events.index(recorder.of(ProviderSwapped)[0])
    finals = [e for e in recorder.events if isinstance(e, FinalTranscribed)]
    before = [e for e in recorder.events[:swapped] if isinstance(e, FinalTranscribed)]
    after = [e for e in recorder.events[swapped:] if isinstance(e, FinalTranscribed)]
    assert any(not f.closes for f in before), "with word times, words were committed mid-utterance"
    assert after and all(f.closes and not f.words for f in after), "without, whole utterances"
    said = " ".join(c.text for f in finals for c in f.captions).split()
    assert said == [w.word for w in words], "every word once, in order"
    assert old.mismatches == 0 and new.mismatches == 0 and new.requests
    ledger = pipeline.ledger()
    assert ledger.balanced and ledger.pending == 0 and ledger.captured == len(audio)


def test_failed_swap_keeps_the_current_engine(timed_words: tuple[Path, list[WordTiming]]) -> None:
    path, words = timed_words
    audio = decode(path)
    recorder = Recorder()
    pipeline = Pipeline(WordOracleProvider(words, audio), Settings(queue_seconds=20), recorder)
    recorder.pipeline = pipeline

    async def main() -> None:
        # on the wall clock: the swap is asked, and fails, while the speech goes on
        run = asyncio.create_task(pipeline.run(FileSource(path, clock=WallClock(speed=8.0))))
        await until(lambda: bool(recorder.of(FinalTranscribed)))  # mid-file: the first utterance is out
        pipeline.swap(BrokenProvider())
        await run
        await pipeline.close()

    asyncio.run(main())
    failures = recorder.of(SwapFailed)
    assert [f.message for f in failures] == ["model file is corrupt: pass another --model-path"]
    assert not recorder.of(ProviderSwapped)
    assert spoken_words(recorder.of(FinalTranscribed)) == [w.word for w in words]


def test_overloaded_means_a_growing_backlog_and_pause_stops_capture() -> None:
    """An engine slower than real time on live input: the state says overloaded once the overload
    governor (there in every session; `--governor off` only stops its steps) tells the backlog keeps
    growing. Paused, live audio is not captured at all."""
    audio = np.random.default_rng(1).standard_normal(SAMPLE_RATE * 60).astype(np.float32) * 0.1
    config = Settings(chunk_seconds=1.0, max_utterance_seconds=2.0, queue_seconds=60, vad=False)
    pipeline = Pipeline(SlowProvider(rtf=3.0), config)
    pipeline.governing = Governing(pipeline, None, enabled=False)
    states: list[tuple[float, str, float]] = []

    async def main() -> None:
        # on the wall clock: overload is live audio arriving faster than the engine hears it
        run = asyncio.create_task(pipeline.run(LiveReplaySource(audio, clock=WallClock(speed=2.0))))
        while "overloaded" not in [state for _, state, _ in states]:  # at 10 Hz, like the UI's timer
            assert len(states) < 300, "30 s and never overloaded"
            snapshot = pipeline.snapshot()
            states.append((snapshot.audio_s, snapshot.state, snapshot.queue_fill_s))
            await asyncio.sleep(0.1)
        pipeline.pause()
        captured = pipeline.ledger().captured
        await asyncio.sleep(1.0)
        assert pipeline.ledger().captured == captured, "nothing captured while paused"
        assert pipeline.snapshot().state == "paused"
        pipeline.resume()
        run.cancel()  # abandon the backlog: at RTF 3 it would take a minute to finish
        with contextlib.suppress(asyncio.CancelledError):
            await run
        await pipeline.close()

    asyncio.run(main())
    assert states[0][1] in ("loading model", "listening")
    assert "overloaded" in [state for _, state, _ in states]
    first_overloaded = next(i for i, (_, state, _) in enumerate(states) if state == "overloaded")
    assert states[first_overloaded][2] > states[0][2] + 1.0, "the backlog grew before the state said so"
    assert pipeline.snapshot().state == "finished"
