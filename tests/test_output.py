"""Transcript formats as a user opens them in a player or a script."""

import io
import json
from dataclasses import replace

from echotui.pipeline.events import FinalTranscribed, PartialTranscribed
from echotui.pipeline.output import TranscriptWriter
from echotui.providers.base import Segment, Word

FINAL = FinalTranscribed(1, 0.0, 4.0, (Segment(0.5, 1.25, "hello"), Segment(3661.0, 3662.5, "world")), 0.3)
PARTIAL = PartialTranscribed(2, 4.0, 5.0, "wor")


def render(fmt: str) -> str:
    out = io.StringIO()
    writer = TranscriptWriter(out, fmt)
    writer(PARTIAL)
    writer(FINAL)
    return out.getvalue()


def test_txt_has_final_lines_only() -> None:
    assert render("txt") == "hello\nworld\n"


def test_srt_numbers_cues_with_comma_millis() -> None:
    assert render("srt") == (
        "1\n00:00:00,500 --> 00:00:01,250\nhello\n\n2\n01:01:01,000 --> 01:01:02,500\nworld\n\n"
    )


def test_vtt_has_header_and_dot_millis() -> None:
    assert render("vtt") == (
        "WEBVTT\n\n00:00:00.500 --> 00:00:01.250\nhello\n\n01:01:01.000 --> 01:01:02.500\nworld\n\n"
    )


def test_jsonl_carries_partials_and_finals() -> None:
    lines = [json.loads(line) for line in render("jsonl").splitlines()]
    assert lines == [
        {"start": 4.0, "end": 5.0, "text": "wor", "final": False},
        {"start": 0.5, "end": 1.25, "text": "hello", "final": True},
        {"start": 3661.0, "end": 3662.5, "text": "world", "final": True},
    ]


def committed(
    words: list[tuple[float, float, str]], emitted: float, closes: bool = False
) -> FinalTranscribed:
    timed = tuple(Word(s, e, t) for s, e, t in words)
    caption = Segment(timed[0].start_s, timed[-1].end_s, " ".join(w.text for w in timed))
    return FinalTranscribed(1, caption.start_s, caption.end_s, (caption,), 0.0, timed, emitted, closes)


# One long utterance, committed a few words at a time as passes agreed, as the pipeline sends it.
SPOKEN = (
    "The old lighthouse keeper climbed the narrow stairs every evening to light the great lamp. "
    "He had done this for forty years through storms and calm nights and he never missed a single day"
).split()
STREAM = [
    committed(
        [(0.3 * i, 0.3 * i + 0.25, word) for i, word in enumerate(SPOKEN)][k : k + 3], emitted=0.3 * k + 2
    )
    for k in range(0, len(SPOKEN), 3)
]
STREAM[-1] = replace(STREAM[-1], closes=True)


def write(fmt: str, events: list[FinalTranscribed]) -> str:
    out = io.StringIO()
    writer = TranscriptWriter(out, fmt)
    for event in events:
        writer(event)
    writer.close()
    return out.getvalue()


def test_subtitles_from_committed_words_are_readable_lengths_cut_at_sentences() -> None:
    text = write("srt", STREAM)
    cues = [block.splitlines() for block in text.strip().split("\n\n")]
    lines = [cue[2] for cue in cues]
    assert " ".join(lines).split() == SPOKEN, "every word once, in order"
    assert all(len(line) <= 84 for line in lines)
    assert any(line.endswith("lamp.") for line in lines), "a sentence end closes a cue"
    for cue in cues:
        start, end = cue[1].split(" --> ")
        assert start < end and int(end[6:8]) - int(start[6:8]) <= 6  # at most 6 s on screen


def test_txt_writes_a_line_per_sentence_from_committed_words() -> None:
    assert write("txt", STREAM).splitlines() == [
        " ".join(SPOKEN[:15]),
        " ".join(SPOKEN[15:]),
    ]


def test_jsonl_lines_carry_word_times_and_when_they_were_emitted() -> None:
    lines = [json.loads(line) for line in write("jsonl", STREAM[:2]).splitlines()]
    assert lines[0]["words"] == [[0.0, 0.25, "The"], [0.3, 0.55, "old"], [0.6, 0.85, "lighthouse"]]
    assert lines[0]["emitted"] == 2.0 and lines[1]["emitted"] == 2.9
    # anyone can compute the reader's wait for each word from the file alone
    assert [round(lines[0]["emitted"] - w[1], 2) for w in lines[0]["words"]] == [1.75, 1.45, 1.15]


def test_subtitle_cues_never_overlap_when_a_sentence_end_runs_into_the_next_word() -> None:
    """whisper.cpp times a sentence's last word into the pause and past the next word's start: the
    player must still get one cue after the other (seen: a cue ending at 15.580, the next at 15.560)."""
    stretched = FinalTranscribed(
        1, 14.0, 16.5,
        (Segment(14.0, 15.58, "at the sea."),), 0.0,
        (Word(14.0, 14.3, "at"), Word(14.3, 14.6, "the"), Word(14.7, 15.58, "sea.")),
    )  # fmt: skip
    following = FinalTranscribed(
        2,
        15.56,
        16.5,
        (Segment(15.56, 16.5, "Next week"),),
        0.0,
        (Word(15.56, 15.57, "Next"), Word(15.9, 16.5, "week")),
    )
    for fmt in ("srt", "vtt"):
        spans = [
            line.split(" --> ") for line in write(fmt, [stretched, following]).splitlines() if " --> " in line
        ]
        assert len(spans) == 2, spans
        (_, first_end), (second_start, second_end) = spans
        assert first_end <= second_start < second_end, spans


def test_jsonl_has_no_empty_partials_and_the_writer_counts_what_it_wrote() -> None:
    """A committing engine clears its tentative text with an empty partial when it commits: on screen that
    empties a row; in a jsonl file it was a line saying nothing (`{"final": false, "text": ""}`)."""
    for fmt, written in (("jsonl", 3), ("txt", 2), ("srt", 2)):
        out = io.StringIO()
        writer = TranscriptWriter(out, fmt)
        for event in (PARTIAL, replace(PARTIAL, text=""), FINAL):
            writer(event)
        writer.close()
        if fmt == "jsonl":
            assert all(json.loads(line)["text"] for line in out.getvalue().splitlines())
            assert len(out.getvalue().splitlines()) == written
        assert writer.count == written, fmt
