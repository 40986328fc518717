"""Transcript writers: txt, srt, vtt and jsonl, written (and flushed) as final text is produced.

Committed words arrive a few at a time; the text formats gather them into readable pieces by their word
times: a txt line per sentence (or per utterance), a subtitle cue of at most `CUE_CHARS` characters and
`CUE_SECONDS` seconds, cut after a sentence end or a pause. jsonl writes every event as it comes, partials
(tentative text) too, each with the word times and when it was emitted on the stream's clock, so anyone
can check the latency figures. A revision of finished speech (`TranscriptRevised`) is a jsonl line of its
own that names the words it replaces (`"revision": true`, and `"final": false`: a reader that keeps the
final lines keeps the live text as before); the text formats stream the live words and leave revisions to
the kept transcript (`Session.save`, `transcribe --save`). jsonl also has a line when an episode of falling
behind begins and when it ends (`"overload"`), and one per step the overload governor takes (`"governor"`),
each with `"final": false` and no text.
"""

from __future__ import annotations

import json
from typing import TextIO

from echotui.pipeline.commit import ends_sentence as ends_sentence  # the caption view groups by it too
from echotui.pipeline.events import FinalTranscribed, PartialTranscribed, PipelineEvent, TranscriptRevised
from echotui.pipeline.formats import FORMATS as FORMATS  # the parser offers them without the writers
from echotui.pipeline.overload import GovernorStepped, OverloadEpisode
from echotui.providers.base import Segment, Word

CUE_CHARS = 84  # two subtitle lines of 42
CUE_SECONDS = 6.0
PAUSE_S = 0.8
LINE_CHARS = 400
MIN_CUE_S = 0.2  # a cue squeezed by the one before it still shows for this long


def timestamp(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


class TranscriptWriter:
    """Writes pipeline events to a text stream in one of `FORMATS`. Call `close()` at the end: it writes
    what is still gathered (an utterance's end writes it too)."""

    def __init__(self, stream: TextIO, fmt: str = "txt") -> None:
        if fmt not in FORMATS:
            raise ValueError(fmt)
        self.stream = stream
        self.format = fmt
        self.count = 0
        """What was written: txt or jsonl lines (partials too), srt or vtt cues."""
        self._words: list[Word] = []  # committed words not yet written
        self._cue_end = 0.0  # where the last subtitle cue ended
        if fmt == "vtt":
            self.stream.write("WEBVTT\n\n")

    def __call__(self, event: PipelineEvent) -> None:
        if isinstance(event, FinalTranscribed):
            if self.format == "jsonl":
                self._json_final(event)
            elif event.words:
                self._gather(event.words)
                if event.closes:
                    self._flush()
            else:
                for caption in event.captions:
                    self._write(caption)
            self.stream.flush()
        elif isinstance(event, PartialTranscribed) and self.format == "jsonl" and event.text:
            # (an empty partial only clears the tentative text on screen: the final that follows says it)
            record = {"start": round(event.start_s, 3), "end": round(event.end_s, 3), "text": event.text}
            self._json({**record, "final": False, **_emitted(event.emitted_s)})
            self.stream.flush()
        elif isinstance(event, TranscriptRevised) and self.format == "jsonl":
            span = {"start": round(event.start_s, 3), "end": round(event.end_s, 3), "text": event.text}
            replaces = {"replaces": event.replaced_text, "replaced_words": _timed(event.replaced)}
            self._json({**span, "final": False, "revision": True, "words": _timed(event.words), **replaces,
                        **_emitted(event.emitted_s)})  # fmt: skip
            self.stream.flush()

        elif isinstance(event, OverloadEpisode) and self.format == "jsonl" and event.change != "grew":
            since = {"since": round(event.since_s, 3), "dropped_s": round(event.dropped_s, 3)}
            ended = {} if event.ended_s is None else {"ended": round(event.ended_s, 3), "step": event.step}
            self._json({"overload": event.change, **since, "reason": event.reason, **ended, "final": False})
            self.stream.flush()
        elif isinstance(event, GovernorStepped) and self.format == "jsonl":
            step = {"step": event.step, "down": event.down, "what": event.what, "reason": event.reason}
            self._json({"governor": event.what, "at": round(event.at_s, 3), **step, "final": False})
            self.stream.flush()

    def close(self) -> None:
        self._flush()
        self.stream.flush()

    # ---- gathering words into lines and cues -------------------------------------------------------

    def _gather(self, words: tuple[Word, ...]) -> None:
        for word in words:
            if self._words and self._cut_before(word):
                self._flush()
            self._words.append(word)
            if ends_sentence(word) and self.format == "txt":
                self._flush()

    def _cut_before(self, word: Word) -> bool:
        first, last = self._words[0], self._words[-1]
        chars = sum(len(w.text) + 1 for w in self._words) + len(word.text)
        if self.format == "txt":
            return chars > LINE_CHARS
        return (
            ends_sentence(last)
            or word.start_s - last.end_s >= PAUSE_S
            or chars > CUE_CHARS
            or word.end_s - first.start_s > CUE_SECONDS
        )

    def _flush(self) -> None:
        if self._words:
            words, self._words = self._words, []
            self._write(Segment(words[0].start_s, words[-1].end_s, " ".join(w.text for w in words)))

    # ---- formats -----------------------------------------------------------------------------------

    def _write(self, caption: Segment) -> None:
        self.count += 1
        if self.format in ("srt", "vtt"):  # cues never overlap: a word's end can run into the next word
            start = max(caption.start_s, self._cue_end)
            self._cue_end = max(caption.end_s, start + MIN_CUE_S)
            caption = Segment(start, self._cue_end, caption.text)
        if self.format == "txt":
            self.stream.write(caption.text + "\n")
        elif self.format == "srt":
            span = f"{timestamp(caption.start_s, ',')} --> {timestamp(caption.end_s, ',')}"
            self.stream.write(f"{self.count}\n{span}\n{caption.text}\n\n")
        else:
            span = f"{timestamp(caption.start_s, '.')} --> {timestamp(caption.end_s, '.')}"
            self.stream.write(f"{span}\n{caption.text}\n\n")

    def _json_final(self, event: FinalTranscribed) -> None:
        extra = _emitted(event.emitted_s)
        if event.words:
            extra["words"] = _timed(event.words)
        for caption in event.captions:
            span = {"start": round(caption.start_s, 3), "end": round(caption.end_s, 3)}
            self._json({**span, "text": caption.text, "final": True, **extra})

    def _json(self, record: dict[str, object]) -> None:
        self.count += 1
        self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")


def _emitted(emitted_s: float | None) -> dict[str, object]:
    return {} if emitted_s is None else {"emitted": round(emitted_s, 3)}


def _timed(words: tuple[Word, ...]) -> list[list[object]]:
    return [[round(w.start_s, 3), round(w.end_s, 3), w.text] for w in words]
