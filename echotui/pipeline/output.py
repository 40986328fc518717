"""Transcript writers: txt, srt, vtt and jsonl. Final text is written (and flushed) as it is produced;
jsonl also carries partials, marked `"final": false`."""

from __future__ import annotations

import json
from typing import TextIO

from echotui.pipeline.events import Caption, FinalTranscribed, PartialTranscribed, PipelineEvent

FORMATS = ("txt", "srt", "vtt", "jsonl")


def timestamp(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


class TranscriptWriter:
    """Writes pipeline events to a text stream in one of `FORMATS`."""

    def __init__(self, stream: TextIO, fmt: str = "txt") -> None:
        if fmt not in FORMATS:
            raise ValueError(fmt)
        self.stream = stream
        self.format = fmt
        self.count = 0
        if fmt == "vtt":
            self.stream.write("WEBVTT\n\n")

    def __call__(self, event: PipelineEvent) -> None:
        if isinstance(event, FinalTranscribed):
            for caption in event.captions:
                self._final(caption)
            self.stream.flush()
        elif isinstance(event, PartialTranscribed) and self.format == "jsonl":
            self._json(event.start_s, event.end_s, event.text, final=False)
            self.stream.flush()

    def _final(self, caption: Caption) -> None:
        self.count += 1
        if self.format == "txt":
            self.stream.write(caption.text + "\n")
        elif self.format == "srt":
            span = f"{timestamp(caption.start_s, ',')} --> {timestamp(caption.end_s, ',')}"
            self.stream.write(f"{self.count}\n{span}\n{caption.text}\n\n")
        elif self.format == "vtt":
            span = f"{timestamp(caption.start_s, '.')} --> {timestamp(caption.end_s, '.')}"
            self.stream.write(f"{span}\n{caption.text}\n\n")
        else:
            self._json(caption.start_s, caption.end_s, caption.text, final=True)

    def _json(self, start: float, end: float, text: str, final: bool) -> None:
        record = {"start": round(start, 3), "end": round(end, 3), "text": text, "final": final}
        self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
