"""The server goes away mid-session (`--provider remote`): the window it did not answer is sent again, a
local engine stands in after `--fallback-after` through the hot swap, the server takes over again once it
answers, and every word is said once, in order: nothing captured is lost. Without a local engine the
session waits for the server, saying so."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from echotui import SAMPLE_RATE
from echotui.audio.file_source import DecodedFile, FileSource
from echotui.config import Settings, load_settings
from echotui.errors import EchoError
from echotui.pipeline.events import (
    EngineNotice,
    FinalTranscribed,
    PipelineEvent,
    ProviderSwapped,
    WindowResent,
)
from echotui.pipeline.fallback import STANDING_IN, UNREACHABLE, FallbackTuning, ServerFallback
from echotui.pipeline.runner import Pipeline
from echotui.providers.base import Provider
from echotui.providers.remote import RemoteProvider
from tests.doubles import TimedWordOracle
from tests.remote_double import OracleServer
from tests.support.speech import WordTiming

CONFIG = Settings(  # (the revision layer, on by default, has stories of its own)
    chunk_seconds=0.5, max_utterance_seconds=3.0, queue_seconds=10, revise=False
)
QUICK = FallbackTuning(after_s=0.3, retry_s=0.05, probe_s=0.05)


def remote(server: OracleServer) -> RemoteProvider:
    return RemoteProvider("http://gpu-box:8000", model="tiny.en", transport=server.transport)


class Session:
    """A pipeline on `server` with its fallback, what it said, and the state shown at each notice."""

    def __init__(self, server: OracleServer, local: Callable[[], Provider | None]) -> None:
        self.events: list[PipelineEvent] = []
        self.states: list[str] = []
        self.pipeline = Pipeline(remote(server), CONFIG, self.heard)
        ServerFallback(self.pipeline, lambda: remote(server), local, QUICK)
        self.server = server

    def heard(self, event: PipelineEvent) -> None:
        self.events.append(event)
        if isinstance(event, EngineNotice):
            self.states.append(self.pipeline.snapshot().state)
        if isinstance(event, ProviderSwapped) and event.model.provider != "remote":
            self.server.down.clear()  # the server is back as soon as the local engine stands in

    def run(self, path: Path, speed: float) -> None:
        async def main() -> None:
            try:
                await self.pipeline.run(FileSource(path, speed=speed))
            finally:
                await self.pipeline.close()

        asyncio.run(main())

    @property
    def words(self) -> list[str]:
        return " ".join(e.text for e in self.events if isinstance(e, FinalTranscribed)).split()

    @property
    def resent(self) -> list[WindowResent]:
        return [e for e in self.events if isinstance(e, WindowResent)]

    @property
    def notices(self) -> list[str]:
        return [e.message for e in self.events if isinstance(e, EngineNotice)]


def decode(path: Path) -> np.ndarray:
    return np.concatenate(list(DecodedFile(path).blocks()))


Speech = tuple[Path, list[WordTiming]]


def first_words(timed_words: Speech, count: int, folder: Path) -> Speech:
    """The first `count` words of the run's timed speech, cut in the pause after them (a shorter run)."""
    path, words = timed_words
    kept = words[:count]
    end = round((kept[-1].end_s + words[count].start_s) / 2 * SAMPLE_RATE)
    pcm = np.round(decode(path)[:end] * 32768).astype("<i2")
    out = folder / f"first-{count}.wav"
    with wave.open(str(out), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm.tobytes())
    return out, kept


def test_a_local_engine_stands_in_while_the_server_is_gone_and_hands_back(
    timed_words: Speech, tmp_path: Path
) -> None:
    path, words = first_words(timed_words, 18, tmp_path)  # three utterances, 13 s
    audio = decode(path)
    server = OracleServer(words, audio, down_after=2)
    local = TimedWordOracle(words, audio)
    session = Session(server, lambda: local)
    session.run(path, speed=6.0)

    assert session.words == [w.word for w in words], "every word once, in order, from one engine or the other"
    swaps = [e.model.provider for e in session.events if isinstance(e, ProviderSwapped)]
    assert swaps == ["timed-oracle", "remote"]
    assert local.requests and local.mismatches == 0, "the local engine got the exact audio"
    assert server.answered > 2, "the server transcribed again once back"
    ledger = session.pipeline.ledger()
    assert ledger.dropped == 0 and ledger.captured == ledger.transcribed + ledger.vad_skipped
    assert session.notices == [
        "server gpu-box:8000 refused the connection: start it, or check --server (or ECHOTUI_SERVER) — "
        "trying again, a local engine after 0.3 s",
        "server unreachable for 0.3 s: switching to timed-oracle here",
        "the server answers again: it transcribes from here on",
    ]
    assert session.states[:2] == [UNREACHABLE, STANDING_IN]
    (resent,) = session.resent  # the window the server dropped, answered by the local engine
    assert resent.provider == "timed-oracle" and resent.sends >= 2
    assert session.pipeline.snapshot().state == "finished"


def test_without_a_local_engine_the_session_waits_for_the_server_and_loses_nothing(
    timed_words: Speech, tmp_path: Path
) -> None:
    path, words = first_words(timed_words, 12, tmp_path)  # two utterances, 8.6 s
    server = OracleServer(words, decode(path), down_after=1, down_for=12)
    session = Session(server, lambda: None)
    session.run(path, speed=0)

    assert session.words == [w.word for w in words]
    assert not [e for e in session.events if isinstance(e, ProviderSwapped)]
    assert server.refused == 12
    assert [(e.provider, e.sends) for e in session.resent] == [("remote", 13)], "one window, sent 13 times"
    assert session.notices[1:] == [
        "server unreachable, and no local engine can run here: still trying it",
        "the server answers again",
    ]
    assert session.states[0] == UNREACHABLE


def test_fallback_after_comes_from_the_flag_or_the_environment() -> None:
    assert Settings().fallback_after == 10.0
    assert load_settings({}, {"ECHOTUI_FALLBACK_AFTER": "3"}).fallback_after == 3.0
    with pytest.raises(EchoError, match="--fallback-after must be 0 or more seconds"):
        load_settings({"fallback_after": -1.0}, {})
