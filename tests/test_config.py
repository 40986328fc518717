"""Settings come from CLI flags, then ECHOTUI_*, then ECHOPANEL_*, then defaults; the token stays secret."""

import pytest

from echotui.config import Settings, export_token, load_settings
from echotui.errors import EchoError


def test_cli_beats_echotui_env_beats_echopanel_env_beats_defaults() -> None:
    env = {
        "ECHOTUI_WHISPER_MODEL": "small.en",
        "ECHOPANEL_WHISPER_MODEL": "medium.en",
        "ECHOPANEL_ASR_CHUNK_SECONDS": "2.5",
        "ECHOPANEL_ASR_VAD": "off",
    }
    settings = load_settings({"model": None, "provider": "whispercpp"}, env)
    assert settings.model == "small.en"  # ECHOTUI_ beats ECHOPANEL_
    assert settings.chunk_seconds == 2.5  # ECHOPANEL_ beats the default
    assert settings.vad is False
    assert settings.provider == "whispercpp"  # CLI
    assert load_settings({"model": "tiny.en"}, env).model == "tiny.en"  # CLI beats both
    assert load_settings({}, {}).model == Settings().model


def test_token_is_exported_under_both_names_and_never_shown() -> None:
    settings = load_settings({}, {"ECHOPANEL_HF_TOKEN": "hf_secret_value"})
    environ: dict[str, str] = {}
    export_token(settings, environ)
    assert environ == {"HF_TOKEN": "hf_secret_value", "HUGGINGFACE_HUB_TOKEN": "hf_secret_value"}
    assert "hf_secret_value" not in repr(settings)
    assert "hf_secret_value" not in str(settings)


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(EchoError, match="ECHOTUI_ASR_CHUNK_SECONDS='fast'"):
        load_settings({}, {"ECHOTUI_ASR_CHUNK_SECONDS": "fast"})


def test_queue_smaller_than_one_engine_call_is_refused() -> None:
    with pytest.raises(EchoError, match="at least 13 s"):
        load_settings({"queue_seconds": 2.0, "chunk_seconds": 1.0, "max_utterance_seconds": 12.0}, {})
