"""What a saved transcript will hold, counted by the writer that saves it: the save menu and the exit line
say "9 cues" for an SRT file of 9 cues, not the number of final-text events the pipeline sent."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

from echotui.pipeline.events import FinalTranscribed
from echotui.pipeline.output import TranscriptWriter

UNITS = {"txt": "lines", "srt": "cues", "vtt": "cues", "jsonl": "lines"}
"""What each format's pieces are called: a txt or jsonl file holds lines, a subtitle file cues."""


def pieces(finals: Iterable[FinalTranscribed], fmt: str) -> int:
    """How many lines (txt, jsonl) or cues (srt, vtt) saving `finals` as `fmt` writes."""
    writer = TranscriptWriter(io.StringIO(), fmt)
    for final in finals:
        writer(final)
    writer.close()
    return writer.count


def describe(finals: Iterable[FinalTranscribed], fmt: str) -> str:
    """What saving `finals` as `fmt` gives, in that format's words: "9 cues", "1 line"."""
    return counted(pieces(finals, fmt), fmt)


def counted(count: int, fmt: str) -> str:
    """`count` pieces of `fmt` in its own words: "9 cues", "1 line"."""
    unit = UNITS[fmt]
    return f"{count} {unit.removesuffix('s') if count == 1 else unit}"


def write_transcript(path: Path, finals: Iterable[FinalTranscribed], fmt: str) -> Path:
    """Write `finals` to `path` as `fmt` (OSError if it cannot be written)."""
    with path.open("w", encoding="utf-8") as stream:
        writer = TranscriptWriter(stream, fmt)
        for final in finals:
            writer(final)
        writer.close()
    return path
