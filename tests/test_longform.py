"""`echotui transcribe FILE --speed 0`: the user asks for the best transcript of a file, as fast as the
engine goes. Nothing is live, so the speech is decoded in long windows, as offline transcription does:
every word comes out once, in order, where it was said; silence and noise give no text; and every sample
is accounted for at every moment."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest

from echotui import SAMPLE_RATE
from echotui.pipeline.longform import LongformTuning, LongWindowDecoder
from echotui.providers.base import Segment, Word
from echotui.quality import word_errors
from tests.cli import echotui
from tests.support.corpus import Speech, runs_on

WORD_S, SEGMENT_WORDS = 0.5, 6  # the scripted engine's words: one every half second, six to a segment


class ScriptedEngine:
    """Hears the test's audio, whose every sample is its own place on the stream timeline (in samples),
    so it knows which words a window holds wherever its pieces came from. Word k lies at
    [k·0.5, k·0.5 + 0.4] s. Like tiny.en, where a window cuts speech off (it does not end where a stretch
    of speech ends) it squeezes the words of its last second into one wrong word."""

    def __init__(self, speech_ends_s: list[float]) -> None:
        self.speech_ends = {round(end_s * SAMPLE_RATE) for end_s in speech_ends_s}
        self.windows: list[tuple[float, float, str]] = []  # (start, length, prompt) of each call

    async def __call__(self, audio: np.ndarray, start_s: float, prompt: str) -> list[Segment]:
        self.windows.append((start_s, len(audio) / SAMPLE_RATE, prompt))
        place = {int(x): i for i, x in enumerate(audio)}  # timeline index → offset in the window
        heard: list[Word] = []
        for k in range(int(audio[0]) // 8000, int(audio[-1]) // 8000 + 1):  # (8000 samples: 0.5 s)
            first, last = round(k * WORD_S * SAMPLE_RATE), round((k * WORD_S + 0.4) * SAMPLE_RATE)
            if first in place and last in place:
                heard.append(Word(place[first] / SAMPLE_RATE, place[last] / SAMPLE_RATE, f"w{k}"))
        end = len(audio) / SAMPLE_RATE
        if int(audio[-1]) + 1 not in self.speech_ends:
            squeezed = [w for w in heard if end - w.end_s < 1.0]
            heard = [w for w in heard if w not in squeezed]
            heard += [Word(squeezed[0].start_s, end, "planet.")] if squeezed else []
        chunks = [heard[i : i + SEGMENT_WORDS] for i in range(0, len(heard), SEGMENT_WORDS)]
        return [Segment(c[0].start_s, c[-1].end_s, " ".join(w.text for w in c), tuple(c)) for c in chunks]


def stretch(start_s: float, seconds: float) -> tuple[int, np.ndarray]:
    """Speech from `start_s`: each sample holds its own timeline index."""
    start = round(start_s * SAMPLE_RATE)
    return start, np.arange(start, start + round(seconds * SAMPLE_RATE), dtype=np.float32)


def words_in(stretches: list[tuple[float, float]]) -> list[str]:
    return [
        f"w{k}"
        for start_s, seconds in stretches
        for k in range(round(start_s / WORD_S), round((start_s + seconds) / WORD_S))
        if k * WORD_S + 0.4 <= start_s + seconds
    ]


async def decode_all(decoder: LongWindowDecoder, engine: ScriptedEngine) -> list[Word]:
    out: list[Word] = []
    while decoder.ready(ended=True):
        out += (await decoder.decode(engine, ended=True)).words
    return out


def test_speech_that_runs_on_is_cut_and_the_words_at_the_cut_are_heard_again_in_the_next_window() -> None:
    decoder, engine = LongWindowDecoder(), ScriptedEngine([70.0])
    decoder.add(*stretch(0.0, 70.0))
    said = asyncio.run(decode_all(decoder, engine))
    assert [w.text for w in said] == words_in([(0.0, 70.0)]), "every word once, none squeezed"
    for word in said:  # where it was said on the stream timeline
        k = int(word.text[1:])
        assert (word.start_s, word.end_s) == (pytest.approx(k * WORD_S), pytest.approx(k * WORD_S + 0.4))
    assert len(engine.windows) == 3 and max(length for _, length, _ in engine.windows) <= 30.0
    before = [w.text for w in said if w.end_s <= engine.windows[1][0]]
    assert engine.windows[1][2].endswith(" ".join(before[-3:])), "the text before a window is its prompt"


def test_windows_end_in_a_pause_and_leave_the_pauses_out() -> None:
    spoken = [(0.0, 9.0), (11.0, 7.0), (20.0, 8.0), (30.0, 10.0)]  # pauses of 2 s between them
    decoder, engine = LongWindowDecoder(LongformTuning()), ScriptedEngine([a + b for a, b in spoken])
    for start_s, seconds in spoken:
        decoder.add(*stretch(start_s, seconds))
        assert not decoder.ready(ended=False) or decoder.gathered_s >= 30.0
    said = asyncio.run(decode_all(decoder, engine))
    assert [w.text for w in said] == words_in(spoken)
    assert [(start, length) for start, length, _ in engine.windows] == [(0.0, 24.0), (30.0, 10.0)]
    after_pause = next(w for w in said if w.text == "w22")  # the first word after the first pause
    assert (after_pause.start_s, after_pause.end_s) == (pytest.approx(11.0), pytest.approx(11.4))
    assert engine.windows[1][2].endswith("w54 w55"), "the text before a window is its prompt"


@pytest.fixture(scope="module")
def long_speech(tmp_path_factory: pytest.TempPathFactory) -> Speech:
    return runs_on(tmp_path_factory.mktemp("runs-on"))


@pytest.mark.parametrize("provider", ["faster-whisper", "whispercpp"])
def test_transcribe_at_speed_0_has_every_word_accounts_for_every_sample_and_says_how_many_lines_it_wrote(
    provider: str, real_models: dict[str, Path], long_speech: Speech, tmp_path: Path
) -> None:
    out, stats = tmp_path / "talk.jsonl", tmp_path / "stats.json"
    run = echotui(
        "transcribe", long_speech.path, "--provider", provider, "--model-path", real_models[provider],
        "--speed", "0", "--threads", "2", "--format", "jsonl", "--output", out, "--stats-json", stats,
    )  # fmt: skip
    assert run.code == 0, run.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines and all(line["text"] and line["final"] for line in lines), "no empty or tentative lines"
    ledger = json.loads(stats.read_text())["samples"]  # the pipeline's own ledger at the end
    assert ledger["pending"] == 0 and ledger["transcribed"] + ledger["vad_skipped"] == ledger["captured"]
    assert ledger["transcribed"] >= 0.9 * ledger["captured"]
    heard = " ".join(line["text"] for line in lines)
    assert word_errors(long_speech.text, heard).wer <= 0.2, heard
    said = [word for line in lines for word in line["words"]]
    gaps = [b[0] - a[1] for a, b in itertools.pairwise(said)]
    assert max(gaps) < 1.5, "no stretch of the speech without words"
    assert said[0][0] < 1.5 and said[-1][1] > long_speech.duration_s - 1.5, "from the first word to the last"
    summary = re.search(r"(\d+) lines", run.stderr)
    assert summary and int(summary.group(1)) == len(lines), run.stderr
