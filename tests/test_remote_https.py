"""A team's server behind https: echotui reaches it as it is when this machine trusts its certificate (here
a test authority named by SSL_CERT_FILE, as a company CA would be), and says in one line what to do when it
does not, instead of calling a certificate problem a refused connection."""

from __future__ import annotations

import ssl
from pathlib import Path

import numpy as np
import pytest
import trustme

from echotui import SAMPLE_RATE
from echotui.errors import EchoError
from echotui.providers.base import TranscribeRequest
from echotui.providers.remote import RemoteProvider
from echotui.providers.remote_http import ServerUnreachable
from tests.support.model_server import model_server


@pytest.fixture
def authority(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context with a certificate for 127.0.0.1, and the file of the authority that signed it."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    return context, pem


def test_a_server_over_https_with_a_trusted_certificate_transcribes(
    authority: tuple[ssl.SSLContext, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    context, pem = authority
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    with model_server(["tiny.en"], tls=context) as url:
        provider = RemoteProvider(url, model="tiny.en")
        try:
            loaded = provider.load()
            audio = np.zeros(SAMPLE_RATE, dtype=np.float32)
            segments = provider.transcribe(TranscribeRequest(audio, 0.0, True, word_timestamps=True))
        finally:
            provider.close()
    assert url.startswith("https://") and loaded.model == "tiny.en"
    assert [w.text for s in segments for w in s.words] == ["model", "tiny.en"]


def test_an_untrusted_certificate_is_one_line_that_says_what_to_do(
    authority: tuple[ssl.SSLContext, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    context, _ = authority
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with model_server(["tiny.en"], tls=context) as url:
        provider = RemoteProvider(url, model="tiny.en")
        with pytest.raises(EchoError) as refused:
            provider.load()
        provider.close()
    host = url.removeprefix("https://")
    message = str(refused.value)
    assert not isinstance(refused.value, ServerUnreachable), "not an outage: waiting would not help"
    assert message.startswith(f"server {host} sent a certificate this machine does not trust (")
    assert message.endswith(
        "point SSL_CERT_FILE at the certificate authority that signed it, or use its http:// address"
    )
    assert "\n" not in message
