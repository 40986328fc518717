"""`--provider wyoming` against a real Wyoming server (`wyoming-faster-whisper` with real tiny.en, started
once per run by tests/support/wyoming.py): the words come back through the protocol's own events, the
backend names the server, and a server that is not there or a wrong address is one line. Each call costs
the server a full 30 s window on the CPU: one short utterance is all the speech these tests send."""

from __future__ import annotations

from pathlib import Path

import pytest

from echotui.config import Settings
from echotui.errors import EchoError
from echotui.providers.registry import create_provider
from echotui.providers.remote_http import ServerUnreachable
from echotui.providers.wyoming import WyomingProvider
from echotui.quality import word_errors
from tests.cli import echotui
from tests.support.serve import free_port
from tests.support.speech import synthesize_text
from tests.support.wyoming import WyomingServer

SAID = "Ask not what your country can do for you."


def test_a_file_is_captioned_through_the_wyoming_server(
    wyoming_server: WyomingServer, tmp_path: Path
) -> None:
    speech = tmp_path / "said.wav"
    synthesize_text(SAID, speech)
    server = ["--provider", "wyoming", "--server", wyoming_server.uri]
    run = echotui(
        "transcribe", speech, *server, "--speed", "0", "--chunk-seconds", "5"
    )  # one call: no partial
    assert run.code == 0, run.stderr
    assert word_errors(SAID, run.stdout).wer <= 0.2, run.stdout  # tiny.en may miss a word
    assert f"with tiny.en on wyoming · 127.0.0.1:{wyoming_server.port}," in run.stderr


def test_the_provider_says_what_the_server_runs(wyoming_server: WyomingServer) -> None:
    provider = create_provider(Settings(provider="wyoming", server=wyoming_server.uri))
    loaded = provider.load()  # `describe` → `info`
    provider.close()
    assert (loaded.provider, loaded.model) == ("wyoming", "tiny.en")
    assert loaded.backend == f"wyoming · 127.0.0.1:{wyoming_server.port}"


def test_no_server_or_a_wrong_address_is_one_line() -> None:
    port = free_port()
    provider = WyomingProvider(f"tcp://127.0.0.1:{port}")
    refused = rf"^server 127\.0\.0\.1:{port} refused the connection: start it"
    with pytest.raises(ServerUnreachable, match=refused):
        provider.load()  # unreachable: a session rides it out as it does a remote server's outage
    with pytest.raises(
        EchoError, match=r"is not a Wyoming URI: use e\.g\. --server tcp://127\.0\.0\.1:10300"
    ):
        WyomingProvider("http://127.0.0.1:10300")
    with pytest.raises(EchoError, match="needs a server: add --server tcp://HOST:PORT"):
        create_provider(Settings(provider="wyoming"))
    run = echotui("transcribe", "--demo", "--provider", "wyoming", "--server", f"tcp://127.0.0.1:{port}")
    assert run.code == 1 and run.stderr_lines == [
        f"echotui: error: server 127.0.0.1:{port} refused the connection: start it, or check --server "
        "(or ECHOTUI_SERVER), e.g. tcp://127.0.0.1:10300"
    ]
