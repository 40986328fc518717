"""`echotui models`: what a user sees about the models they have, and pulling one.

A user's models folder holds a whisper.cpp model under its usual name, the same kind of file renamed, a
CTranslate2 folder, and things that are not models. The Hugging Face cache of each test is an empty
folder of its own, so the developer's real cache never shows up; the network is cut where no download
may happen.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import NoReturn

import pytest

from echotui.cli.models import format_models
from echotui.errors import EchoError
from echotui.models import ct2_models, ggml_models
from echotui.models.catalog import HF_CACHE, ModelEntry, list_models, pull_model
from echotui.models.choice import ModelChoice

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Hugging Face cache for this test (huggingface_hub reads the constant at each call)."""
    import huggingface_hub.constants

    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    return cache


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to resolve a host or open a connection fails the test (huggingface_hub turns the
    failure into an EchoError, so a test expecting a path gets none)."""

    def refuse(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError(f"network used: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def shelf(tmp_path: Path, tiny_model: Path, base_model: Path, ct2_models_dir: Path) -> Path:
    """The user's --models-dir: real models (linked, not copied: they are large) and junk."""
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "ggml-tiny.en.bin").symlink_to(tiny_model)
    (folder / "my-whisper.bin").symlink_to(base_model)  # a ggml file under a name of the user's own
    (folder / "tiny.en").symlink_to(ct2_models_dir / "tiny.en", target_is_directory=True)
    (folder / "notes.bin").write_bytes(b"not a model at all\n" * 50)
    (folder / "README.txt").write_text("my models\n")
    (folder / "half-ct2").mkdir()
    (folder / "half-ct2" / "config.json").write_text("{}")  # no model.bin: not a model
    (folder / ".hidden.bin").symlink_to(tiny_model)
    return folder


def _by_key(entries: list[ModelEntry]) -> dict[tuple[str, str, str], ModelEntry]:
    return {(e.provider, e.name, e.source): e for e in entries}


def test_models_folder_shows_what_is_there(shelf: Path, hub_cache: Path, no_network: None) -> None:
    entries = list_models(shelf)
    rows = _by_key(entries)
    assert len(rows) == len(entries), "no model listed twice"

    tiny = rows["whispercpp", "tiny.en", "catalogue"]
    assert (tiny.present, tiny.location, tiny.size_mb) == (True, str(shelf / "ggml-tiny.en.bin"), 75)
    base = rows["whispercpp", "base.en", "catalogue"]
    assert (base.present, base.location) == (False, None)
    ct2_tiny = rows["faster-whisper", "tiny.en", "catalogue"]
    assert (ct2_tiny.present, ct2_tiny.location) == (True, str(shelf / "tiny.en"))
    assert not rows["faster-whisper", "base.en", "catalogue"].present

    # Every known name is listed; only what is on disk is present.
    names = {
        p: {e.name for e in entries if e.provider == p and e.source == "catalogue"}
        for p in ("whispercpp", "faster-whisper")
    }
    assert names["whispercpp"] == set(ggml_models.KNOWN_MODELS)
    assert names["faster-whisper"] == set(ct2_models.known_models())
    assert {(e.provider, e.name) for e in entries if e.present and e.source == "catalogue"} == {
        ("whispercpp", "tiny.en"),
        ("faster-whisper", "tiny.en"),
    }

    # The renamed ggml file is found by its magic; junk, hidden files and half folders are ignored, and
    # the models a catalogue row already shows are not repeated.
    found = [e for e in entries if e.source == "models-dir"]
    assert found == [
        ModelEntry(
            "whispercpp",
            "my-whisper.bin",
            -(-shelf.joinpath("my-whisper.bin").stat().st_size // 1_000_000),
            True,
            str(shelf / "my-whisper.bin"),
            "models-dir",
        )
    ]
    # A listed name is what --model accepts with the same --models-dir.
    assert ggml_models.resolve_model("my-whisper.bin", shelf) == shelf / "my-whisper.bin"
    assert ct2_models.resolve_ct2_model(ModelChoice("tiny.en", models_dir=shelf)) == shelf / "tiny.en"


def test_models_table_for_the_terminal(shelf: Path, hub_cache: Path) -> None:
    entries = list_models(shelf, providers=("whispercpp",))
    assert {e.provider for e in entries} == {"whispercpp"}
    lines = format_models(entries).splitlines()
    assert lines[0].split() == ["provider", "name", "size", "here", "where"]
    assert len(lines) == len(entries) + 1
    tiny = next(line for line in lines if line.split()[1] == "tiny.en")
    assert tiny.split() == ["whispercpp", "tiny.en", "75", "MB", "yes", str(shelf / "ggml-tiny.en.bin")]
    large = next(line for line in lines if line.split()[1] == "large-v3")
    assert large.split() == ["whispercpp", "large-v3", "2.9", "GB", "-"]
    assert all(line == line.rstrip() for line in lines)
    assert format_models([]) == "no models"


def _cache_repo(cache: Path, repo: str, files: dict[str, Path]) -> Path:
    """A Hugging Face cache entry as huggingface_hub lays it out: refs/main → snapshots/<commit>/."""
    storage = cache / f"models--{repo.replace('/', '--')}"
    (storage / "refs").mkdir(parents=True)
    (storage / "refs" / "main").write_text(COMMIT)
    snapshot = storage / "snapshots" / COMMIT
    snapshot.mkdir(parents=True)
    for name, target in files.items():
        (snapshot / name).symlink_to(target)
    return snapshot


def test_models_in_the_hugging_face_cache(
    hub_cache: Path, base_model: Path, ct2_models_dir: Path, no_network: None
) -> None:
    ggml = _cache_repo(hub_cache, ggml_models.HF_REPO, {"ggml-base.en.bin": base_model})
    ct2_files = {item.name: item for item in (ct2_models_dir / "tiny.en").iterdir()}
    ct2 = _cache_repo(hub_cache, "Systran/faster-whisper-tiny.en", ct2_files)
    _cache_repo(hub_cache, "Systran/faster-whisper-base.en", {"config.json": ct2_files["config.json"]})

    rows = _by_key(list_models(None))
    base = rows["whispercpp", "base.en", "catalogue"]
    assert (base.present, base.location) == (True, HF_CACHE)
    assert rows["faster-whisper", "tiny.en", "catalogue"].location == HF_CACHE
    assert not rows["faster-whisper", "base.en", "catalogue"].present  # an incomplete snapshot is not a model
    assert not rows["whispercpp", "tiny.en", "catalogue"].present

    assert pull_model("base.en", "whispercpp", None, None) == ggml / "ggml-base.en.bin"
    assert pull_model("tiny.en", "faster-whisper", None, None) == ct2


def test_pull_of_a_present_model_uses_no_network(shelf: Path, hub_cache: Path, no_network: None) -> None:
    assert pull_model("tiny.en", "whispercpp", None, shelf) == shelf / "ggml-tiny.en.bin"
    assert pull_model("tiny.en", "auto", "hf_token", shelf) == shelf / "ggml-tiny.en.bin"
    assert pull_model("my-whisper.bin", "whispercpp", None, shelf) == shelf / "my-whisper.bin"
    assert pull_model("tiny.en", "faster-whisper", None, shelf) == shelf / "tiny.en"


def test_unknown_names_and_providers_fail_with_one_line(
    hub_cache: Path, no_network: None, tmp_path: Path
) -> None:
    for provider in ("whispercpp", "faster-whisper"):
        with pytest.raises(EchoError) as raised:
            pull_model("tiny.xx", provider, None, None)
        message = str(raised.value)
        assert "'tiny.xx'" in message and "echotui models" in message and "--model-path" in message
        assert "\n" not in message
    with pytest.raises(EchoError, match="ECHOTUI_VOXTRAL_MODEL"):
        pull_model("anything", "voxtral", None, None)
    with pytest.raises(EchoError, match="no model catalogue for provider 'nope'"):
        list_models(None, providers=("nope",))
    with pytest.raises(EchoError, match="--models-dir"):
        list_models(tmp_path / "missing")


def test_one_message_for_an_unknown_model(hub_cache: Path, no_network: None, tmp_path: Path) -> None:
    with pytest.raises(EchoError) as raised:
        ct2_models.resolve_ct2_model(ModelChoice("tiny.xx"))
    assert str(raised.value) == (
        "unknown faster-whisper model 'tiny.xx': run `echotui models` to see the names, "
        "or pass a local model with --model-path"
    )
    with pytest.raises(EchoError) as raised:
        pull_model("tiny.xx", "whisper_cpp", None, None)
    assert str(raised.value) == (
        "unknown whisper.cpp model 'tiny.xx': run `echotui models` to see the names, "
        "or pass a local model with --model-path"
    )
    with pytest.raises(EchoError, match="is not a CTranslate2 model folder"):
        ct2_models.resolve_ct2_model(ModelChoice("tiny.en", path=tmp_path))


def test_scanning_reads_headers_only(tmp_path: Path, base_model: Path, hub_cache: Path) -> None:
    """A 1 TiB (sparse) model file is listed at once: reading it whole would take many minutes."""
    folder = tmp_path / "big"
    folder.mkdir()
    huge = folder / "ggml-huge.bin"
    with base_model.open("rb") as source, huge.open("wb") as f:
        f.write(source.read(4096))
        f.truncate(1 << 40)
    began = time.monotonic()
    found = [e for e in list_models(folder) if e.source == "models-dir"]
    assert time.monotonic() - began < 20
    assert [(e.name, e.size_mb, e.location) for e in found] == [("huge", 1_099_512, str(huge))]


PULL_SCRIPT = """
import json, sys
from echotui.errors import EchoError
from echotui.models.catalog import pull_model
for provider in ("whispercpp", "faster-whisper"):
    try:
        path = pull_model("base.en", provider, None, None)
    except EchoError as error:
        print(json.dumps({"provider": provider, "error": str(error)}))
    else:
        print(json.dumps({"provider": provider, "path": str(path)}))
"""


def test_pull_offline_fails_fast_with_one_line_naming_model_path(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
    env |= {
        "HF_ENDPOINT": "http://127.0.0.1:9",  # nothing listens on the discard port: connection refused
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_HUB_CACHE": str(tmp_path / "hub"),
    }
    began = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-c", PULL_SCRIPT], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    assert time.monotonic() - began < 30, "offline must fail at once, not after retries"
    results = [json.loads(line) for line in run.stdout.splitlines()]
    assert [r["provider"] for r in results] == ["whispercpp", "faster-whisper"]
    for result in results:
        assert "error" in result, result
        message = result["error"]
        assert "Hugging Face is unreachable" in message and "--model-path" in message
        assert "\n" not in message
