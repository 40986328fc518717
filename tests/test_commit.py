"""Committed words: a known text spoken across many window trims comes out once, in order, and what was
committed never changes. The reader's wait for each word is measured on the stream's clock and checked
against where the words really are in the audio."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from echotui import SAMPLE_RATE
from echotui.audio.file_source import FileSource
from echotui.config import Settings
from echotui.pipeline.commit import LocalAgreement, trim_point
from echotui.pipeline.events import FinalTranscribed, PartialTranscribed
from echotui.pipeline.tuning import STREAMING
from echotui.providers.base import Segment, TranscribeRequest, Word
from tests.doubles import TimedWordOracle
from tests.support.pipeline import Recorder, decode, run_pipeline
from tests.support.speech import WordTiming


def w(text: str, start: float, end: float) -> Word:
    return Word(start, end, text)


def test_two_passes_that_agree_commit_their_common_start() -> None:
    agreement = LocalAgreement()
    assert agreement.update([w("And", 0.0, 0.3), w("so", 0.3, 0.5)]) == []  # one pass is only a guess
    committed = agreement.update([w("and", 0.02, 0.3), w("so,", 0.31, 0.5), w("my", 0.5, 0.7)])
    assert [x.text for x in committed] == ["and", "so,"]  # compared as spoken words
    assert [x.text for x in agreement.tentative] == ["my"]
    # the next pass still hears the committed words: they are not committed twice
    committed = agreement.update(
        [w("And", 0.0, 0.3), w("so", 0.3, 0.5), w("my", 0.52, 0.7), w("fellow", 0.7, 1)]
    )
    assert [x.text for x in committed] == ["my"]
    assert agreement.prompt(before_s=2.0) == "and so, my"
    assert agreement.prompt(before_s=0.5) == "and so,", "words still in the window stay out of the prompt"


def test_a_repeat_of_the_last_committed_words_after_a_trim_is_dropped() -> None:
    agreement = LocalAgreement()
    agreement.update([w("ask", 1.0, 1.3), w("not", 1.3, 1.6)])
    agreement.update([w("ask", 1.0, 1.3), w("not", 1.3, 1.6)])
    # the window now starts at 1.6 but the engine says "not" again with a time after the cut
    committed = agreement.finish([w("not", 1.6, 1.7), w("what", 1.8, 2.0)])
    assert [x.text for x in committed] == ["what"]


def test_a_full_window_commits_what_lies_before_its_last_second() -> None:
    agreement = LocalAgreement()
    agreement.update([w("one", 0, 1), w("two", 1, 2), w("three", 2, 3)])
    committed = agreement.update([w("one", 0, 1), w("too", 1, 2), w("tree", 2, 3)], commit_before_s=2.0)
    assert [x.text for x in committed] == ["one", "too"]


def test_the_window_is_cut_after_a_sentence_end_or_a_pause_never_inside_a_word() -> None:
    limits = {"sentence_after_s": 4, "word_after_s": 8}
    done = [w("Hello.", 0.0, 0.5), w("How", 0.7, 0.8), w("are", 0.8, 1.0)]
    assert trim_point(done, [], 0.0, 3.0, **limits) is None  # a short window is kept
    assert trim_point(done, [], 0.0, 5.0, **limits) == pytest.approx(0.6)  # halfway to the next word
    no_end = [w("how", 0.6, 0.8), w("are", 0.8, 1.0), w("you", 1.3, 1.5), w("doing", 1.5, 1.9)]
    later = [w("today", 1.92, 2.3)]
    assert trim_point(no_end, later, 0.0, 5.0, **limits) is None
    assert trim_point(no_end, later, 0.0, 9.0, **limits) == pytest.approx(1.15)  # in the pause
    # else before the last committed word: it stays as an anchor, its late end cannot cut the next word
    assert trim_point(no_end[:2], [], 0.0, 9.0, **limits) == 0.8


@pytest.mark.parametrize("jitter_s", [0.0, 0.06])
def test_a_known_text_across_many_trims_comes_out_once_in_order_and_never_changes(
    jitter_s: float, timed_words: tuple[Path, list[WordTiming]]
) -> None:
    path, words = timed_words
    audio = decode(path)
    oracle = TimedWordOracle(words, audio, jitter_s=jitter_s)
    # long utterances and pauses: windows are trimmed inside utterances and at their ends
    config = Settings(chunk_seconds=0.5, max_utterance_seconds=6.0, queue_seconds=12)
    pipeline, recorder = run_pipeline(oracle, config, FileSource(path, speed=3.0))

    expected = [t.word for t in words]
    committed: list[str] = []
    for event in recorder.events:
        if isinstance(event, FinalTranscribed):
            committed += [word.text for word in event.words]
            assert committed == expected[: len(committed)], "committed text is the spoken words, in order"
        elif isinstance(event, PartialTranscribed):
            screen = committed + event.text.split()
            lowered = [x.removesuffix("X").lower() for x in screen]
            assert lowered[: len(committed)] == expected[: len(committed)]  # tentative only extends it
    assert committed == expected, "every word once: none lost or repeated at a trim"
    assert oracle.mismatches == 0, "the engine was given exactly the source's samples"
    finals = recorder.of(FinalTranscribed)
    assert sum(not f.closes for f in finals) >= 5, "words were committed while utterances went on"
    assert any(p.startswith("the quick") for p in oracle.prompts), "committed text is the next prompt"
    ledger = pipeline.ledger()
    assert ledger.pending == 0 and ledger.transcribed + ledger.vad_skipped == len(audio)


def test_per_word_latency_is_the_wait_from_a_words_end_to_its_text(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    path, words = timed_words
    audio = decode(path)
    config = Settings(chunk_seconds=0.5, max_utterance_seconds=6.0, queue_seconds=12)
    pipeline, recorder = run_pipeline(TimedWordOracle(words, audio), config, FileSource(path, speed=2.0))
    spoken = iter(words)  # where espeak-ng put each word: an outside measurement
    waits = []
    for event in recorder.of(FinalTranscribed):
        assert event.emitted_s is not None
        assert event.emitted_s <= len(audio) / SAMPLE_RATE + 1e-9
        for word in event.words:
            truth = next(spoken)
            assert (word.text, word.end_s) == (truth.word, pytest.approx(truth.end_s, abs=0.001))
            waits.append(event.emitted_s - truth.end_s)
    assert min(waits) > 0, "no word is out before it was spoken"
    snapshot = pipeline.snapshot()
    waits.sort()
    assert snapshot.word_latency_p50_s == pytest.approx(waits[len(waits) // 2], abs=0.05)
    assert snapshot.word_latency_p95_s is not None and snapshot.word_latency_p95_s <= max(waits) + 1e-9


def test_committed_words_heard_again_with_drifted_times_are_recognised_by_their_text() -> None:
    agreement = LocalAgreement()
    first = [w("to", 3.74, 3.85), w("light", 3.91, 4.16), w("the", 4.16, 4.6)]
    agreement.update(first)
    agreement.update(first)  # committed; "the" was said to end at 4.6
    # a longer window: the same words come back earlier in time, "great" starts before 4.6 - slack
    hypothesis = [w("to", 3.7, 3.8), w("light", 3.8, 4.0), w("the", 4.0, 4.3), w("great", 4.3, 4.7)]
    agreement.update(hypothesis)
    assert [x.text for x in agreement.tentative] == ["great"], "no word lost to drifting times"


def test_a_common_word_starting_the_next_sentence_is_not_taken_for_a_repeat() -> None:
    agreement = LocalAgreement()
    said = [w("along", 1.0, 1.3), w("the", 1.3, 1.4), w("main", 1.4, 1.7), w("road.", 1.7, 2.1)]
    agreement.update(said)
    agreement.update(said)
    committed = agreement.finish([w("The", 3.1, 3.3), w("brother", 3.3, 3.7)])  # the window was trimmed
    assert [x.text for x in committed] == ["The", "brother"]


def test_three_committed_words_heard_again_are_a_repeat_even_with_wrong_times() -> None:
    agreement = LocalAgreement()
    said = [w("Good", 5.0, 5.2), w("morning", 5.2, 5.7), w("everyone,", 5.7, 6.5)]
    agreement.update(said)
    agreement.update(said)
    # whisper.cpp timed the same words seconds off; the text says they are the committed ones
    again = [w("Good", 0.0, 1.4), w("morning", 3.0, 4.0), w("everyone,", 4.0, 4.8), w("thank", 4.8, 5.0)]
    assert [x.text for x in agreement.finish(again)] == ["thank"]


def test_a_new_phrase_sharing_committed_words_is_not_taken_for_a_repeat() -> None:
    """jfk.wav: "ask what you can do for your country" came after "what your country can do for you" was
    committed, and the shared "can do for" made every word but "country" look like a repeat."""
    agreement = LocalAgreement()
    said = "what your country can do for you."
    committed = [w(text, 4.7 + 0.5 * i, 5.1 + 0.5 * i) for i, text in enumerate(said.split())]
    agreement.finish(committed)
    heard = "Ask what you can do for your country."
    again = [w(text, 8.05 + 0.3 * i, 8.3 + 0.3 * i) for i, text in enumerate(heard.split())]
    assert " ".join(x.text for x in agreement.finish(again)) == heard


def test_committed_words_heard_differently_and_timed_wrong_come_once_and_lose_nothing_after() -> None:
    agreement = LocalAgreement()
    said = [w("through", 7.8, 8.0), w("storms", 8.0, 8.4), w("and", 8.4, 8.7), w("calm", 10.1, 10.8)]
    said.append(w("nights,", 10.8, 10.8))  # whisper.cpp timed these two seconds late
    agreement.update(said)
    agreement.update(said)
    again = [w("through", 7.8, 8.0), w("storms", 8.0, 8.4), w("and", 8.4, 8.7), w("calm", 8.8, 9.2)]
    again += [w("eyes,", 9.2, 9.7), w("and", 9.8, 9.9), w("he", 10.0, 10.1), w("never", 10.1, 10.3)]
    assert [x.text for x in agreement.finish(again)] == ["and", "he", "never"]


def test_an_engine_too_slow_for_live_input_drops_audio_but_never_fails(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    """Found by the overloaded screenshot: dropped audio restarts the ring of recent audio, and an
    utterance closed by the drop must still be transcribed from its own samples."""
    from echotui.audio.clock import WallClock
    from tests.doubles import LiveReplaySource

    path, words = timed_words
    audio = decode(path)
    oracle = TimedWordOracle(words, audio)
    oracle.delay_s = 0.4  # every call: the queue overflows at 8× real time
    config = Settings(chunk_seconds=0.5, max_utterance_seconds=4.0, queue_seconds=5.0)
    # on the wall clock: the point is live audio arriving faster than the engine hears it
    pipeline, _ = run_pipeline(oracle, config, LiveReplaySource(audio, clock=WallClock(speed=8.0)))
    ledger = pipeline.ledger()
    assert ledger.dropped > 0, "the engine could not keep up"
    assert pipeline.failure is None and ledger.balanced and ledger.pending == 0
    assert oracle.mismatches == 0


def test_a_word_that_flips_between_passes_does_not_hold_back_what_both_agree_on_after_it() -> None:
    """ "for" / "far" alternated pass after pass on the continuous text, and every word after it waited
    (p95 latency 4.5 s): passes that then agree on three words in a row agree up to there, taking the words
    between as the newer pass heard them."""
    agreement = LocalAgreement()
    first = "He had done this for forty years through storms"
    agreement.update([w(t, i * 0.3, i * 0.3 + 0.25) for i, t in enumerate(first.split())])
    second = "He had done this far forty years through storms and calm"
    committed = agreement.update([w(t, i * 0.3, i * 0.3 + 0.25) for i, t in enumerate(second.split())])
    assert " ".join(x.text for x in committed) == "He had done this far forty years through storms"
    assert [x.text for x in agreement.tentative] == ["and", "calm"]
    # a longer disagreement, or a short agreement after it, is no agreement
    agreement = LocalAgreement()
    agreement.update([w(t, i * 0.3, i * 0.3 + 0.25) for i, t in enumerate("one two three four five".split())])
    again = "one six seven eight four five nine"
    committed = agreement.update([w(t, i * 0.3, i * 0.3 + 0.25) for i, t in enumerate(again.split())])
    assert [x.text for x in committed] == ["one"]


def recorder_words(recorder: Recorder) -> list[str]:
    return [w.text for event in recorder.of(FinalTranscribed) for w in event.words]


class _Flipper(TimedWordOracle):
    """Hears every word two ways by turns ("brown", "brownish"): no two passes in a row agree until the
    utterance's final call, as a real engine flips between two readings of words it is unsure of."""

    def __init__(self, words: list[WordTiming], source: np.ndarray) -> None:
        super().__init__(words, source)
        self.ends: list[float] = []  # where each partial pass's audio ended, on the stream timeline

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        found = super().transcribe(request)
        if request.final:
            return found
        self.ends.append(request.start_s + len(request.audio) / SAMPLE_RATE)
        if len(self.ends) % 2:
            return found
        return [replace(s, text=s.text + "ish", words=tuple(replace(w, text=w.text + "ish") for w in s.words))
                for s in found]  # fmt: skip


def test_a_word_that_stays_unagreed_brings_the_next_pass_sooner(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    """While the first tentative word has waited `stuck_s`, passes come every half `chunk_seconds`, so a
    word the engine is unsure of holds the words after it back for less time."""
    path, words = timed_words
    audio = decode(path)
    engine = _Flipper(words, audio)
    config = Settings(chunk_seconds=1.0, max_utterance_seconds=12.0, queue_seconds=30)
    _, recorder = run_pipeline(engine, config, FileSource(path, speed=1.0))
    over = next(t for t in words if t.word == "over")  # the first word after the first pause
    assert recorder_words(recorder) == [t.word for t in words], "every word once, when its utterance ends"
    steps = [(a, b - a) for a, b in zip(engine.ends, engine.ends[1:], strict=False) if b > a]
    assert min(step for _, step in steps) >= 0.45, steps  # never more often than every half step
    stuck_s = STREAMING.stuck_s
    waited = [step for at, step in steps if over.end_s + stuck_s < at < over.end_s + stuck_s + 1.5]
    assert waited and min(waited) < 0.75, f"passes after {over.end_s + stuck_s:.1f} s: {steps}"
    assert max(step for at, step in steps if at < over.end_s) > 0.9, "before a word waits: every step"


def test_committed_words_heard_again_split_otherwise_come_once() -> None:
    """continuous.wav, whisper.cpp: "ship-spassing" was committed, and the next window heard "ships passing":
    the two words spell the committed one, so "passing" is not shown a second time."""
    agreement = LocalAgreement()
    said = [w("a", 10.86, 11.1), w("single", 11.1, 11.34), w("day,", 11.33, 12.52)]
    said.append(w("ship-spassing", 12.52, 13.0))
    agreement.update(said)
    agreement.update(said)
    again = [w("a", 10.86, 11.12), w("single", 11.12, 11.34), w("day,", 11.33, 12.3), w("ships", 12.3, 13.85)]
    again += [w("passing", 13.0, 14.91), w("the", 13.22, 15.0), w("rocky", 13.48, 15.0)]
    agreement.update(again)
    assert [x.text for x in agreement.tentative] == ["the", "rocky"]


def test_a_sentence_end_stretched_over_the_next_words_onset_is_cut_where_that_word_starts() -> None:
    # whisper.cpp's DTW time for a sentence's last word runs on into the next sentence's first word
    limits = {"sentence_after_s": 4, "word_after_s": 8}
    said = [w("to", 35.9, 36.0), w("the", 36.1, 36.2), w("sea.", 36.3, 37.07)]
    assert trim_point(said, [w("Next", 36.81, 37.13)], 30.0, 38.0, **limits) == pytest.approx(36.81)


def test_the_first_word_after_a_cut_is_new_though_the_last_committed_word_was_timed_over_it() -> None:
    agreement = LocalAgreement()
    said = [w("rich", 27.23, 27.55), w("soil", 27.55, 27.87), w("behind.", 27.77, 28.91)]
    agreement.update(said)
    agreement.update(said)
    agreement.cut(28.77)  # where "That" starts: the window's front moves there
    heard = [w("That", 28.77, 28.93), w("is", 29.11, 29.13), w("why", 29.28, 29.35)]
    agreement.update(heard)
    assert [x.text for x in agreement.update(heard)] == ["That", "is", "why"]
    # a committed word heard again after a cut is still dropped
    agreement.cut(29.2)
    assert [x.text for x in agreement.finish([w("why", 29.2, 29.4), w("so", 29.5, 29.6)])] == ["so"]


def test_a_window_already_cut_before_a_stretched_sentence_end_is_not_cut_there_again() -> None:
    # after the cut at "He" (5.51), "lamp." still ends inside the window; cutting "after" it again would
    # leave the window where it is until it hits its limit
    limits = {"sentence_after_s": 4, "word_after_s": 8}
    said = [w("lamp.", 4.83, 5.77), w("He", 5.51, 5.83), w("had", 5.83, 6.03), w("done", 6.03, 6.31)]
    said += [w("this,", 6.32, 6.55), w("for", 6.9, 7.1), w("years", 7.1, 7.5)]
    assert trim_point(said, [], 5.51, 12.0, **limits) is None  # no sentence end after the front
    assert trim_point(said, [], 5.51, 14.0, **limits) == pytest.approx(6.725)  # the pause after "this,"


def test_a_cut_before_committed_words_the_window_still_holds_keeps_them_committed() -> None:
    agreement = LocalAgreement()
    said = [w("war.", 16.3, 17.0), w("The", 17.2, 17.4), w("letter", 17.4, 17.7)]
    agreement.update(said)
    agreement.update(said)
    agreement.cut(17.1)  # after the sentence end; "The letter" stays in the window
    # heard again otherwise ("A lesser"): not taken for new words
    again = [w("A", 17.2, 17.4), w("lesser", 17.4, 17.7), w("described", 17.7, 18.2)]
    assert [x.text for x in agreement.finish(again)] == ["described"]


class _EdgeGarbler(TimedWordOracle):
    """Hears the words cut off at a partial window's end as one squeezed, wrong word ("the plain it slows
    down, grows" heard as "the planet slow."), as tiny.en did on every window of continuous speech."""

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        found = super().transcribe(request)
        end = len(request.audio) / SAMPLE_RATE
        edge = [s for s in found if end - s.end_s < 0.8]
        if request.final or not edge:
            return found
        squeezed = Word(edge[0].start_s, end, "planet.")
        return [s for s in found if s not in edge] + [Segment(squeezed.start_s, end, "planet.", (squeezed,))]


def test_an_engine_behind_the_audio_loses_no_word_at_the_window_limit(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    """`transcribe FILE --speed 0` with the streaming policy (the live one when the engine is behind): the
    queue is always full, so each pass is a window at its limit, passed and trimmed. The words at its cut
    edge are a guess: they stay tentative for the next window, and are never committed by the pass agreeing
    with itself; nothing is counted transcribed whose words did not come out."""
    path, words = timed_words
    audio = decode(path)
    engine = _EdgeGarbler(words, audio)
    config = Settings(chunk_seconds=0.5, max_utterance_seconds=4.0, queue_seconds=5.0)
    pipeline, recorder = run_pipeline(engine, config, FileSource(path, speed=0))
    assert sum(not f.closes for f in recorder.of(FinalTranscribed)) >= 2, "windows at the limit committed"
    assert recorder_words(recorder) == [t.word for t in words], "every word once, none garbled"
    ledger = pipeline.ledger()
    assert ledger.pending == 0 and ledger.transcribed + ledger.vad_skipped == len(audio)
