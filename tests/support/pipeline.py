"""Running the real pipeline on a source in a test: decoding the audio, recording every event, and checking
the conservation law at each event and on a 5 ms timer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import numpy as np

from echotui.audio.file_source import DecodedFile
from echotui.config import Settings
from echotui.pipeline.events import FinalTranscribed, PipelineEvent
from echotui.pipeline.runner import Pipeline
from echotui.providers.base import Provider


def decode(path: Path) -> np.ndarray:
    return np.concatenate(list(DecodedFile(path).blocks()))


class Recorder:
    """Collects events and checks the conservation law at each one and on a 5 ms timer."""

    def __init__(self) -> None:
        self.events: list[PipelineEvent] = []
        self.pipeline: Pipeline | None = None
        self.checks = 0

    def __call__(self, event: PipelineEvent) -> None:
        self.events.append(event)
        self.check()

    def check(self) -> None:
        assert self.pipeline is not None
        ledger = self.pipeline.ledger()
        assert ledger.balanced, ledger
        self.checks += 1

    async def watch(self) -> None:
        while True:
            self.check()
            await asyncio.sleep(0.005)

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


def run_pipeline(provider: Provider, config: Settings, source: object) -> tuple[Pipeline, Recorder]:
    recorder = Recorder()
    pipeline = Pipeline(provider, config, recorder)
    recorder.pipeline = pipeline

    async def main() -> None:
        watcher = asyncio.create_task(recorder.watch())
        try:
            await pipeline.run(source)  # type: ignore[arg-type]
        finally:
            watcher.cancel()
            await pipeline.close()

    asyncio.run(main())
    recorder.check()
    return pipeline, recorder


def spoken_words(finals: list[FinalTranscribed]) -> list[str]:
    return [c.text for f in finals for c in f.captions]


async def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait on the event loop until `condition()` holds; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out waiting for the condition"
        await asyncio.sleep(0.01)
