"""`--provider remote` against scripted servers: what it sends, what it makes of the replies, and each way
a server can fail becoming one line that names the server, never the key."""

from __future__ import annotations

import asyncio
import re
import socket
from pathlib import Path

import httpx
import numpy as np
import pytest

from echotui import SAMPLE_RATE
from echotui.audio.file_source import FileSource
from echotui.config import Settings, load_settings
from echotui.errors import EchoError
from echotui.pipeline.events import EngineFailed, PipelineEvent
from echotui.pipeline.failures import EngineFailure
from echotui.pipeline.runner import Pipeline
from echotui.providers.base import TranscribeRequest
from echotui.providers.registry import create_provider
from echotui.providers.remote import NO_WORDS, RemoteProvider
from echotui.providers.remote_http import ServerBusy, ServerUnreachable, server_timing
from tests.cli import echotui
from tests.remote_double import SENTENCE, ScriptedServer, ok, raises, raw, status, verbose

KEY = "sk-test-0123456789abcdef"
AUDIO = np.zeros(3 * SAMPLE_RATE, dtype=np.float32)


def remote(server: ScriptedServer, key: str | None = KEY) -> RemoteProvider:
    provider = RemoteProvider(
        "http://speech.example:8000/",
        api_key=key,
        model="tiny.en",
        transport=server.transport,
        sleep=server.sleep,
    )
    provider.load()
    return provider


def call(provider: RemoteProvider, prompt: str = "") -> list:
    return provider.transcribe(TranscribeRequest(AUDIO, 0.0, False, prompt=prompt, word_timestamps=True))


def test_a_pass_is_one_openai_request_with_word_times_and_the_words_come_back() -> None:
    server = ScriptedServer([ok(verbose())])
    provider = remote(server)
    segments = call(provider, prompt="earlier words")

    assert [w.text for s in segments for w in s.words] == SENTENCE.split()
    assert segments[0].words[1].start_s == pytest.approx(3.0 / 9)
    sent = server.seen[-1]
    assert (sent.method, sent.url.path) == ("POST", "/v1/audio/transcriptions")
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    body = sent.content
    assert body.count(b'name="timestamp_granularities[]"') == 2 and b"verbose_json" in body
    assert b"earlier words" in body and b"RIFF" in body and b'name="model"\r\n\r\ntiny.en' in body
    assert provider.capabilities.word_timestamps, "words with times: the committing policy runs"


def test_a_server_without_word_times_turns_the_provider_to_utterances() -> None:
    provider = remote(ScriptedServer([ok(verbose(words=False))]))
    segments = call(provider)
    assert segments[0].text == SENTENCE and segments[0].words == ()
    assert not provider.capabilities.word_timestamps
    assert RemoteProvider.capabilities.word_timestamps, "only this instance changed its mind"
    assert provider.drain_notices() == [NO_WORDS]


def test_words_inside_segments_and_plain_text_replies_are_read_too() -> None:
    inner = verbose()
    inner["segments"][0]["words"] = inner.pop("words")
    assert [w.text for w in call(remote(ScriptedServer([ok(inner)])))[0].words] == SENTENCE.split()
    text = call(remote(ScriptedServer([raw(200, b"hello there", "text/plain; charset=utf-8")])))
    assert [s.text for s in text] == ["hello there"]


def test_busy_servers_are_waited_for_as_retry_after_says() -> None:
    server = ScriptedServer(
        [status(429, {"retry-after": "2"}), status(503, {"retry-after": "0.5"}), ok(verbose())]
    )
    provider = remote(server)
    assert provider.busy_waited_s == 0.0
    assert call(provider)[0].text == SENTENCE
    assert server.waits == [2.0, 0.5]
    assert provider.busy_waited_s == sum(server.waits), "the governor reads the waits as back-pressure"


FAILURES = [
    (
        status(401),
        r"server speech\.example:8000 refused the API key \(401: scripted 401\): set the server's key",
    ),
    (status(429, {"retry-after": "1"}), r"is busy \(429\) after 4 tries: try later, or add replicas"),
    (status(503), r"is busy \(503\) after 4 tries"),
    (status(500), r"server speech\.example:8000 failed \(500: scripted 500\): see the server's log"),
    (status(400, body={"detail": "bad\nthing"}), r"rejected the request \(400: bad\)$"),
    (raw(200, b"<html>\n<body>proxy</body>", "text/html"), r"sent malformed JSON"),
    (ok({"segments": "many"}), r"sent a malformed reply \(TypeError\)"),
    (
        ok({"text": "x", "segments": [{"start": "soon", "end": 1, "text": "x"}]}),
        r"malformed reply \(ValueError\)",
    ),
    (raises(httpx.ReadTimeout), r"server speech\.example:8000 did not answer in time"),
    (raises(httpx.ConnectError), r"refused the connection: start it, or check --server"),
]


@pytest.mark.parametrize(("reply", "expected"), FAILURES)
def test_each_failure_is_one_line_that_names_the_server_and_never_the_key(
    reply: object, expected: str
) -> None:
    provider = remote(ScriptedServer([reply]))  # type: ignore[list-item]
    with pytest.raises(EchoError) as raised:
        call(provider)
    line = str(raised.value)
    assert re.search(expected, line), line
    assert "\n" not in line and KEY not in line


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_server_that_is_not_running_fails_the_command_in_one_line(sentence_wav: Path) -> None:
    port = _closed_port()
    run = echotui(
        "transcribe", sentence_wav, "--provider", "remote", "--server", f"http://127.0.0.1:{port}",
        env={"ECHOTUI_API_KEY": KEY},
    )  # fmt: skip
    assert run.code == 1 and KEY not in run.stdout + run.stderr
    assert run.stderr_lines == [
        f"echotui: error: server 127.0.0.1:{port} refused the connection: start it, or check --server "
        "(or ECHOTUI_SERVER)"
    ]


def test_the_server_and_key_come_from_flags_or_the_environment_and_the_key_is_never_shown() -> None:
    env = {"ECHOTUI_SERVER": "https://asr.example", "OPENAI_API_KEY": KEY}
    settings = load_settings({"provider": "remote"}, env)
    assert (settings.server, settings.api_key) == ("https://asr.example", KEY)
    assert KEY not in repr(settings) and KEY not in repr(create_provider(settings))
    assert load_settings({"api_key": "flag"}, {**env, "ECHOTUI_API_KEY": "env"}).api_key == "flag"
    assert load_settings({}, {**env, "ECHOTUI_API_KEY": "env"}).api_key == "env"
    with pytest.raises(EchoError, match="needs a server: add --server URL"):
        create_provider(Settings(provider="remote"))
    with pytest.raises(EchoError, match="is not an http"):
        create_provider(Settings(provider="remote", server="asr.example:8000"))


def test_a_server_that_stays_down_mid_session_stops_it_with_the_state(sentence_wav: Path) -> None:
    """A bare pipeline, without the session's fallback (tests/test_remote_fallback.py): reloaded (the model
    list still answers), retried, then stopped with the server's one line; the events say so and nothing
    raises past the pipeline but EngineFailure."""
    server = ScriptedServer([ok(verbose()), status(502)])
    provider = RemoteProvider(
        "http://127.0.0.1:9", model="tiny.en", transport=server.transport, sleep=server.sleep
    )
    events: list[PipelineEvent] = []
    pipeline = Pipeline(
        provider, Settings(chunk_seconds=0.5, max_utterance_seconds=3.0, queue_seconds=4.0), events.append
    )

    async def main() -> None:
        try:
            await pipeline.run(FileSource(sentence_wav, speed=0))
        finally:
            await pipeline.close()

    with pytest.raises(EngineFailure) as raised:
        asyncio.run(main())
    failed = [e for e in events if isinstance(e, EngineFailed)]
    assert [e.fatal for e in failed] == [False, True]
    assert (
        str(raised.value)
        == "engine failed: remote: server 127.0.0.1:9 failed (502: scripted 502): see the server's log"
    )


def test_a_busy_server_is_back_pressure_and_a_gone_one_is_unreachable() -> None:
    """429/503 after the retries is `ServerBusy` (the status and the wait the server asked for), refused
    and 5xx are `ServerUnreachable` (a session rides those out); a wrong key is neither."""
    with pytest.raises(ServerBusy) as busy:
        call(remote(ScriptedServer([status(429, {"retry-after": "3"})])))
    assert (busy.value.status, busy.value.retry_after_s) == (429, 3.0)
    for reply in (status(502), raises(httpx.ConnectError)):
        with pytest.raises(ServerUnreachable):
            call(remote(ScriptedServer([reply])))
    with pytest.raises(EchoError) as refused:
        call(remote(ScriptedServer([status(401)])))
    assert not isinstance(refused.value, ServerUnreachable)


def test_server_timing_splits_the_round_trip() -> None:
    assert server_timing("queue;dur=12.5, engine;dur=300, total;desc=x;dur=320.1, cache") == {
        "queue": 0.0125,
        "engine": 0.3,
        "total": 0.3201,
    }
    assert server_timing(None) == {} and server_timing("engine;dur=soon") == {}
    timed = ok(verbose())
    server = ScriptedServer(
        [lambda: httpx.Response(200, json=timed().json(), headers={"server-timing": "engine;dur=40"})]
    )
    provider = remote(server)
    call(provider)
    assert provider.server_timing == {"engine": 0.04}
