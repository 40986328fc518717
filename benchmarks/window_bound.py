"""How close to offline can windows of a few sentences get? Each sentence decoded once, no agreement.

    python -m benchmarks.window_bound [--files a.wav,b.wav --texts a.txt,b.txt] [--sets corpus,heldout]
        [--providers whispercpp,faster-whisper] [--phases 0,0.33,0.67] [--back 0,1,2] [--no-prompt]

The engine first transcribes the whole file (the offline baseline, with word times); its sentence ends cut
the file into sentences. Then each sentence is decoded once, on a window that starts `--back` sentences
before it (their words are left out) and ends 0.2 s after it, with the text before the window as the
prompt, as the committed-word policy gives it. Every word is heard with all of its sentence after it, once:
what that costs against offline is what windows of a few sentences cost by themselves, before any policy
commits words from them (the live policy hears each word in several windows and commits what they agree on).
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.accuracy import chosen_speeches, phases_arg, real_models
from echotui import SAMPLE_RATE
from echotui.audio.file_source import DecodedFile
from echotui.config import Settings
from echotui.logs import setup_logging
from echotui.pipeline.commit import ends_sentence
from echotui.pipeline.tuning import STREAMING
from echotui.providers.base import Provider, TranscribeRequest, Word
from echotui.providers.registry import create_provider
from echotui.quality import word_errors
from tests.support.corpus import Speech

TAIL_S, PROMPT_CHARS = STREAMING.tail_s, STREAMING.prompt_chars  # as the live policy hears a window


def sentence_cuts(words: list[Word], duration_s: float) -> list[float]:
    """Where sentences start: 0, halfway into the gap after each sentence end, and the file's end."""
    cuts = [0.0]
    for word, following in itertools.pairwise(words):
        if ends_sentence(word):
            cuts.append((word.end_s + max(word.end_s, following.start_s)) / 2)
    return [*cuts, duration_s]


def by_sentence(engine: Provider, audio: np.ndarray, cuts: list[float], back: int, prompt: bool) -> str:
    """Each sentence decoded once on its own window (reaching `back` sentences before it)."""
    said: list[str] = []
    duration_s = len(audio) / SAMPLE_RATE
    for k, (start_s, end_s) in enumerate(itertools.pairwise(cuts)):
        first = max(0, k - back)
        window_s = cuts[first]
        clip = audio[round(window_s * SAMPLE_RATE) : round(min(duration_s, end_s + TAIL_S) * SAMPLE_RATE)]
        context = " ".join(said[:first])[-PROMPT_CHARS:].lstrip() if prompt else ""
        request = TranscribeRequest(clip, window_s, False, context, word_timestamps=True)
        words = [w for segment in engine.transcribe(request) for w in segment.words]
        heard = [w for w in words if window_s + w.start_s >= start_s - 0.05]
        said.append(" ".join(w.text for w in heard))
    return " ".join(said)


def measure(speeches: list[Speech], provider: str, model: Path, backs: list[int], prompt: bool) -> None:
    engine = create_provider(Settings(provider=provider, model_path=model, threads=2))
    engine.load()
    totals = {back: 0.0 for back in backs}
    offline_total = words_total = 0.0
    for speech in speeches:
        audio = np.concatenate(list(DecodedFile(speech.path).blocks()))
        whole = engine.transcribe(TranscribeRequest(audio, 0.0, True, word_timestamps=True, full_window=True))
        offline = word_errors(speech.text, " ".join(s.text for s in whole))
        cuts = sentence_cuts([w for s in whole for w in s.words], len(audio) / SAMPLE_RATE)
        n = offline.reference_words
        offline_total += offline.wer * n
        words_total += n
        cells = []
        for back in backs:
            wer = word_errors(speech.text, by_sentence(engine, audio, cuts, back, prompt)).wer
            totals[back] += wer * n
            cells.append(f"back {back}: {wer:.1%}")
        print(f"{provider:15} {speech.name:16} offline {offline.wer:.1%}  " + "  ".join(cells), flush=True)
    offline_wer = offline_total / (words_total or 1)
    for back in backs:
        wer = totals[back] / (words_total or 1)
        ratio = f"{wer / offline_wer:.2f}" if offline_wer else "—"
        print(
            f"{provider}: {int(words_total)} words, sentence windows reaching back {back}: {wer:.1%} "
            f"against offline {offline_wer:.1%} ({ratio}x){'' if prompt else ', no prompt'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", default="")
    parser.add_argument("--texts", default="", help="one text file per --files entry")
    parser.add_argument("--sets", default="", help="corpus, heldout or both (without --files: heldout)")
    parser.add_argument("--providers", default="whispercpp,faster-whisper")
    parser.add_argument("--phases", type=phases_arg, default=[0.0], help="seconds of silence before a file")
    parser.add_argument("--back", default="0,1,2", help="sentences of audio before each one, comma-separated")
    parser.add_argument("--no-prompt", action="store_true", help="no text before the window as the prompt")
    args = parser.parse_args()
    try:
        backs = [int(b) for b in args.back.split(",")]
        if min(backs) < 0:
            raise ValueError
    except ValueError:
        parser.error(f"--back {args.back!r}: give whole numbers of sentences, comma-separated (0,1,2)")
    speeches = chosen_speeches(parser, args, default_set="heldout")
    setup_logging(Path(tempfile.mkdtemp()) / "window_bound.log")
    models = real_models(Path(tempfile.mkdtemp(prefix="echotui-models-")))
    for provider in args.providers.split(","):
        measure(speeches, provider, models[provider], backs, not args.no_prompt)


if __name__ == "__main__":
    main()
