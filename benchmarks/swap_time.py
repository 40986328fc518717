"""How long a hot swap takes: replay speech live with one whisper.cpp model, ask for another mid-file.

    python -m benchmarks.swap_time [--file speech.wav] [--from tiny.en] [--to base.en]

Prints the new model's load time (in the background, while the old one keeps transcribing), the time from
the request to the take-over at the next utterance boundary, and the ledger after the run.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from echotui.audio.file_source import FileSource
from echotui.config import Settings
from echotui.models.choice import ModelChoice
from echotui.pipeline.events import PipelineEvent, ProviderSwapped
from echotui.pipeline.runner import Pipeline
from echotui.providers.whispercpp import WhisperCppProvider
from tests.support.ggml_model import build_ggml_model
from tests.support.speech import synthesize_text

TEXT = (
    "This is a short recording for timing a model swap. The first model listens for a while. "
    "Then the second model takes over at a pause, and nothing that was said is lost. "
    "We measure how long the new model takes to load and when it takes over."
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", type=Path)
    parser.add_argument("--from", dest="first", default="tiny.en")
    parser.add_argument("--to", dest="second", default="base.en")
    parser.add_argument("--after", type=float, default=4.0, help="seconds into the file to ask for the swap")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="echotui-swap-"))
    speech = args.file or work / "speech.wav"
    if args.file is None:
        synthesize_text(TEXT, speech, wpm=150)
    first = WhisperCppProvider(
        ModelChoice(path=build_ggml_model(work / "a.bin", args.first, seed=1)), threads=2
    )
    second = WhisperCppProvider(
        ModelChoice(path=build_ggml_model(work / "b.bin", args.second, seed=2)), threads=2
    )
    events: list[PipelineEvent] = []
    pipeline = Pipeline(first, Settings(), events.append)

    async def run() -> None:
        task = asyncio.create_task(pipeline.run(FileSource(speech, speed=1.0)))
        await asyncio.sleep(args.after)
        pipeline.swap(second)
        await task
        await pipeline.close()

    asyncio.run(run())
    for event in events:
        if isinstance(event, ProviderSwapped):
            took = f"load {event.load_s:.3f} s, take-over {event.swap_s:.3f} s"
            print(f"swap {args.first} → {args.second}: {took}")
    print(pipeline.ledger())


if __name__ == "__main__":
    main()
