"""The transcript formats `pipeline.output` writes, named apart from the writers so that the command line's
parser can offer them without importing the pipeline (and numpy) just to print `--help` or an error."""

from __future__ import annotations

FORMATS = ("txt", "srt", "vtt", "jsonl")
