"""Transcript formats as a user opens them in a player or a script."""

import io
import json

from echotui.pipeline.events import Caption, FinalTranscribed, PartialTranscribed
from echotui.pipeline.output import TranscriptWriter

FINAL = FinalTranscribed(1, 0.0, 4.0, (Caption(0.5, 1.25, "hello"), Caption(3661.0, 3662.5, "world")), 0.3)
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
