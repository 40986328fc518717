"""`echotui serve` on Ray Serve, started once for the run (tests/support/serve.py) with real tiny.en: the
official OpenAI client gets the words with their times, `--provider remote` gives the words the local
engine gives, and a wrong key or bad audio gets a one-line 4xx while the server keeps serving. The key
never appears in anything either side prints or logs. Last, one of its two replicas is killed mid-session:
the window it was decoding is sent again, and no word is lost."""

from __future__ import annotations

import asyncio
import io
import json
import wave
from dataclasses import asdict
from pathlib import Path

import httpx
import numpy as np
import openai
import psutil
import pytest
from textual.widgets import Static

from echotui.app import EchoApp
from echotui.audio.clock import SimulatedClock, WallClock
from echotui.audio.file_source import FileSource
from echotui.config import Settings
from echotui.errors import EchoError
from echotui.pipeline.events import PipelineEvent, WindowResent
from echotui.providers.remote_http import server_timing
from echotui.quality import word_errors, words
from echotui.serve.run import ServeOptions, check_options
from echotui.session import Session
from tests.cli import echotui
from tests.support.serve import KilledMidRequest, ReplicaKiller, Served, replicas
from tests.support.speech import read_wav, synthesize_text, write_wav

SAID = "Ask not what your country can do for you. Ask what you can do for your country."
STORY = (
    "A small boat drifts past the sleeping town while the baker lights his oven. "
    "Children run to school along the narrow road when the bell rings."
)


def client(server: Served, key: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key or server.key, max_retries=0, timeout=60)


def test_the_official_openai_client_gets_the_words_with_their_times(
    echo_server: Served, sentence_wav: Path
) -> None:
    api = client(echo_server)
    assert [m.id for m in api.models.list()] == ["tiny.en"]
    with sentence_wav.open("rb") as audio:
        result = api.audio.transcriptions.create(
            model="tiny.en",
            file=audio,
            response_format="verbose_json",
            timestamp_granularities=["word", "segment"],
        )
    assert word_errors(SAID, result.text).wer <= 0.1, result.text
    said = result.words or []
    assert [w for t in said for w in words(t.word)] == words(result.text)
    starts = [w.start for w in said]
    assert starts == sorted(starts) and all(w.start <= w.end <= result.duration for w in said)
    assert said[0].start < 0.5 and said[-1].end > result.duration - 1.0, "the words span the sentence"
    assert result.segments and result.segments[0].start == 0.0 and result.language == "en"
    with sentence_wav.open("rb") as audio:
        raw = api.audio.transcriptions.with_raw_response.create(
            model="tiny.en", file=audio, response_format="text"
        )
    assert words(str(raw.parse())) == words(result.text)
    spans = server_timing(raw.headers.get("server-timing"))  # the server's part of the round trip
    assert set(spans) == {"queue", "engine", "total"} and spans["queue"] + spans["engine"] <= spans["total"]
    assert spans["engine"] > 0


def _wer(text: str) -> float:
    return word_errors(STORY, text).wer


def test_remote_transcribe_gives_the_words_the_local_engine_gives(
    echo_server: Served, tmp_path: Path
) -> None:
    speech = tmp_path / "story.wav"
    synthesize_text(STORY, speech)
    log = tmp_path / "client.log"
    common = ["transcribe", speech, "--speed", "0", "--log-file", log]
    stats = tmp_path / "stats.json"
    remote = echotui(
        *common, "--provider", "remote", "--server", echo_server.url, "--stats-json", stats,
        env={"OPENAI_API_KEY": echo_server.key},
    )  # fmt: skip
    # The replica runs with OMP_NUM_THREADS = its --threads (Ray sets it); OpenMP's thread count moves
    # tiny.en's numerics, so the local run gets the same, and the two differ by nothing but the network.
    local = echotui(
        *common, "--provider", "faster-whisper", "--model-path", echo_server.model, "--threads", "1",
        env={"OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert remote.code == 0 and local.code == 0, remote.stderr + local.stderr
    assert f"with tiny.en on remote · 127.0.0.1:{echo_server.port}," in remote.stderr
    assert abs(_wer(remote.stdout) - _wer(local.stdout)) <= 0.01, (remote.stdout, local.stdout)
    assert json.loads(stats.read_text())["resent_windows"] == 0, "every window answered at once"
    assert _wer(remote.stdout) <= 0.2, remote.stdout
    assert echo_server.key not in remote.stdout + remote.stderr + log.read_text() + echo_server.said()


def _post(server: Served, key: str | None, **parts: tuple[str, bytes, str]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    url = f"{server.url}/v1/audio/transcriptions"
    return httpx.post(url, headers=headers, files=parts or None, data={"model": "tiny.en"}, timeout=60)


def _wav(seconds: float) -> bytes:
    tone = (np.sin(np.arange(int(seconds * 16000)) / 8) * 3000).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(tone.tobytes())
    return out.getvalue()


BAD = [
    ("wrong key", "sk-wrong", {"file": ("a.wav", b"RIFF", "audio/wav")}, 401, "missing or wrong API key"),
    ("no key", None, {"file": ("a.wav", b"RIFF", "audio/wav")}, 401, "missing or wrong API key"),
    (
        "a text file",
        "KEY",
        {"file": ("notes.txt", b"meeting notes\nline two\n", "text/plain")},
        400,
        "not audio",
    ),
    ("an empty file", "KEY", {"file": ("a.wav", b"", "audio/wav")}, 400, "the file is empty"),
    ("an empty body", "KEY", {}, 400, "no 'file' field"),
    ("40 s of audio", "KEY", {"file": ("long.wav", b"LONG", "audio/wav")}, 400, "longer than 30 s"),
]


@pytest.mark.parametrize(("what", "key", "parts", "code", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_requests_get_a_one_line_error_and_the_server_keeps_serving(
    echo_server: Served, sentence_wav: Path, what: str, key: str | None, parts: dict, code: int, message: str
) -> None:
    key = echo_server.key if key == "KEY" else key
    if parts.get("file", ("", b""))[1] == b"LONG":
        parts = {"file": ("long.wav", _wav(40), "audio/wav")}
    refused = _post(echo_server, key, **parts)
    assert refused.status_code == code
    assert len(refused.text.splitlines()) == 1 and message in refused.json()["error"]["message"]
    good = _post(echo_server, echo_server.key, file=("s.wav", sentence_wav.read_bytes(), "audio/wav"))
    assert good.status_code == 200 and "country" in good.json()["text"]


def test_a_wrong_key_is_one_line_for_the_openai_client_and_for_echotui(
    echo_server: Served, sentence_wav: Path
) -> None:
    with pytest.raises(openai.AuthenticationError) as refused:
        client(echo_server, "sk-wrong").models.list()
    assert refused.value.status_code == 401
    run = echotui(
        "transcribe",
        sentence_wav,
        "--provider",
        "remote",
        "--server",
        echo_server.url,
        "--api-key",
        "sk-wrong-key",
    )
    assert run.code == 1 and len(run.stderr_lines) == 1 and "Traceback" not in run.stderr
    assert run.stderr_lines[0].startswith(
        f"echotui: error: server 127.0.0.1:{echo_server.port} refused the API key (401"
    )
    assert "sk-wrong-key" not in run.stderr


def test_health_needs_no_key_and_says_what_runs(echo_server: Served) -> None:
    health = httpx.get(f"{echo_server.url}/health", timeout=30).json()
    assert health == {"status": "ok", "provider": "faster-whisper", "model": "tiny.en", "device": "cpu"}


def test_serve_refuses_other_machines_without_a_key_and_a_port_in_use(echo_server: Served) -> None:
    no_key = {"ECHOTUI_API_KEY": "", "OPENAI_API_KEY": "sk-meant-for-openai"}  # not the server's key
    exposed = echotui("serve", "--host", "0.0.0.0", "--model-path", echo_server.model, env=no_key)
    assert exposed.code == 1 and exposed.stderr_lines == [
        "echotui: error: --host 0.0.0.0 is reachable from other machines: "
        "add --api-key KEY (or ECHOTUI_API_KEY), or serve on 127.0.0.1"
    ]
    taken = echotui("serve", "--port", str(echo_server.port), "--model-path", echo_server.model)
    assert taken.code == 1 and len(taken.stderr_lines) == 1
    assert f"cannot listen on 127.0.0.1:{echo_server.port}" in taken.stderr_lines[0]
    assert json.loads(httpx.get(f"{echo_server.url}/health", timeout=30).text)["status"] == "ok"


def test_the_app_captions_through_the_server_and_shows_where_it_runs(
    echo_server: Served, sentence_wav: Path, tmp_path: Path
) -> None:
    settings = Settings(provider="remote", server=echo_server.url, api_key=echo_server.key)
    # on the wall clock: a real engine behind the server, slower than the simulated clock's infinitely fast
    # one; at real time its passes thin out as for a user
    session = Session(settings, FileSource(sentence_wav, clock=WallClock(speed=1.0)))
    app = EchoApp(session, log_path=tmp_path / "echotui.log")

    async def story() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            for _ in range(600):  # bounded: 60 s
                if sum("country" in f.text for f in session.finals) >= 2:
                    break
                await pilot.pause(0.1)
            badge = str(app.query_one("#health-backend", Static).render())
            assert f"127.0.0.1:{echo_server.port}" in badge
            assert "tiny.en" in str(app.query_one("#health-model", Static).render())

    asyncio.run(story())
    said = " ".join(f.text for f in session.finals)
    assert word_errors(SAID, said).wer <= 0.1, said


def test_autoscaling_is_asked_of_ray_serve_and_bad_bounds_are_one_line() -> None:
    fixed = ServeOptions(replicas=2)
    assert fixed.deployment(1) == {"num_replicas": 2, "ray_actor_options": {"num_cpus": 1}}
    scaling = ServeOptions(min_replicas=1, max_replicas=3).deployment(2)["autoscaling_config"]
    assert scaling == {"min_replicas": 1, "max_replicas": 3, "target_ongoing_requests": 2}
    for bad, message in (
        (
            ServeOptions(min_replicas=3, max_replicas=2),
            "autoscaling needs 1 <= --min-replicas <= --max-replicas",
        ),
        (ServeOptions(min_replicas=2), "--min-replicas goes with --max-replicas"),
    ):
        with pytest.raises(EchoError, match=message):
            check_options(bad, None)


def _two_utterances(folder: Path) -> Path:
    """SAID's two sentences with a second of silence between them: two utterances, two final windows."""
    parts = []
    for index, sentence in enumerate(("Ask not what your country can do for you.", SAID.split(". ")[1])):
        synthesize_text(sentence, folder / f"{index}.wav")
        parts += [read_wav(folder / f"{index}.wav"), np.zeros(16000, np.float32)]
    write_wav(folder / "two.wav", np.concatenate(parts[:-1]))
    return folder / "two.wav"


def test_a_replica_killed_mid_session_costs_a_resend_and_no_words(
    echo_server: Served, tmp_path: Path
) -> None:
    """Last of the file: Ray Serve starts a new replica in the killed one's place, and no later test here
    needs the server."""
    assert len(replicas(echo_server)) == 2
    killer = ReplicaKiller(echo_server)
    settings = Settings(provider="remote", server=echo_server.url, api_key=echo_server.key)
    # a live replay whose passes come as fast as the server answers (no wall-clock waits)
    replay = FileSource(_two_utterances(tmp_path), clock=SimulatedClock())
    session = Session(settings, replay, provider=KilledMidRequest(echo_server, killer))
    heard: list[PipelineEvent] = []
    session.listeners.append(heard.append)
    asyncio.run(session.run())

    assert killer.killed is not None and not psutil.pid_exists(killer.killed), "a replica died mid-request"
    resent = [e for e in heard if isinstance(e, WindowResent)]
    assert len(resent) == 1 and resent[0].provider == "remote" and resent[0].sends >= 2
    assert session.fallback is not None and session.fallback.resent == 1
    assert session.journal is not None
    records = [json.loads(line) for line in session.journal.path.read_text().splitlines()]
    assert [r for r in records if r["type"] == "resent"] == [{"type": "resent", **asdict(resent[0])}]
    assert {r["provider"] for r in records if r["type"] == "model"} == {"remote"}, "the server said it all"
    lines = [f.text for f in session.finals if f.text]
    # every word of both sentences (tiny.en itself may miss one): a lost window would take half of them
    assert word_errors(SAID, " ".join(lines)).wer <= 0.1, lines
    ledger = session.pipeline.ledger()
    assert ledger.dropped == ledger.untranscribed == 0 and ledger.balanced
