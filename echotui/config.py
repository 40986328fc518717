"""Settings: CLI flags > ECHOTUI_* environment > ECHOPANEL_* environment (the user's older setup) > defaults.

The Hugging Face token is exported for huggingface_hub as HF_TOKEN and HUGGINGFACE_HUB_TOKEN and is never
printed or logged (it is excluded from the dataclass repr); so is a server's API key.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from echotui.errors import EchoError
from echotui.pipeline.streaming_config import StreamingConfig
from echotui.providers.names import canonical_name

ENV_PREFIXES = ("ECHOTUI_", "ECHOPANEL_")
STREAMING_DEFAULTS = StreamingConfig()
"""The streaming knobs' defaults, stated once (`StreamingConfig`); the settings start from them."""

# setting name -> environment name (without prefix)
ENV_NAMES: dict[str, str] = {
    "provider": "ASR_PROVIDER",
    "model": "WHISPER_MODEL",
    "whisper_device": "WHISPER_DEVICE",
    "whisper_compute": "WHISPER_COMPUTE",
    "chunk_seconds": "ASR_CHUNK_SECONDS",
    "vad": "ASR_VAD",
    "hf_token": "HF_TOKEN",
    "vad_aggressiveness": "VAD_AGGRESSIVENESS",
    "queue_seconds": "QUEUE_SECONDS",
    "models_dir": "MODELS_DIR",
    "threads": "THREADS",
    "voxtral_bin": "VOXTRAL_BIN",
    "voxtral_model": "VOXTRAL_MODEL",
    "auto_select_voxtral": "AUTO_SELECT_VOXTRAL",
    "server": "SERVER",
    "api_key": "API_KEY",
    "fallback_after": "FALLBACK_AFTER",
}


@dataclass(frozen=True)
class Settings:
    """Everything that shapes a transcription session.

    Attributes:
        provider: engine name, or "auto" to pick one for this machine (see `providers.names`).
        model: model name (e.g. "base.en"); resolved through the provider's model catalogue.
        model_path: an explicit model file or folder; wins over `model`.
        models_dir: an extra folder of local models.
        whisper_device: "auto", "cpu", "cuda" or "metal": where the engine runs.
        whisper_compute: compute type for engines that have one ("default", "int8", "float16", ...);
            whisper.cpp on a CPU runs a q8_0 copy of a float16 model unless this is "float16".
        chunk_seconds: how much new audio triggers a partial result while someone is speaking.
        max_utterance_seconds: longest utterance sent to the engine; longer speech is cut at a quiet point.
        min_silence_seconds: pause that ends an utterance.
        queue_seconds: capacity of the audio queue in seconds of audio.
        vad: skip silence with webrtcvad (frames) and Silero (utterances).
        vad_aggressiveness: webrtcvad aggressiveness, 0 (lenient) to 3 (strict).
        speed: file replay speed (1 = real time, 0 = as fast as possible).
        revise: decode finished speech again with long context behind the live words
            (`pipeline.revision`); what the user keeps is then the revised text. On by default
            (`--no-revise` turns it off) for an engine on this machine; never for a server's.
        revise_model: the model the revision runs (a catalogue name or a path), e.g. a larger one than
            the live model; default: the live model, loaded again for the revision's own thread.
        governor: step down (and back up) when the machine cannot keep up (`pipeline.governor`):
            pause revision, thin passes, a smaller model on disk. Off: the chosen model stays whatever
            happens (the notice of falling behind is still given).
        threads: CPU threads for the engine.
        language: spoken language code.
        hf_token: Hugging Face token for downloads (never shown).
        voxtral_bin: the voxtral.c executable (default: `voxtral` on PATH).
        voxtral_model: the Voxtral Realtime model folder.
        auto_select_voxtral: let auto-selection pick Voxtral on machines that can run it.
        voxtral_interval: seconds of new audio per Voxtral encoder run (its -I option).
        server: the transcription server's URL for `--provider remote` (and `echotui serve`'s own key).
        api_key: the server's API key (never shown; OPENAI_API_KEY is read too).
        fallback_after: with a server: seconds it may be gone before a local engine stands in.
    """

    provider: str = "auto"
    model: str = "base.en"
    model_path: Path | None = None
    models_dir: Path | None = None
    whisper_device: str = "auto"
    whisper_compute: str = "default"
    chunk_seconds: float = STREAMING_DEFAULTS.chunk_seconds
    max_utterance_seconds: float = STREAMING_DEFAULTS.max_utterance_seconds
    min_silence_seconds: float = STREAMING_DEFAULTS.min_silence_seconds
    queue_seconds: float = STREAMING_DEFAULTS.queue_seconds
    vad: bool = STREAMING_DEFAULTS.vad
    vad_aggressiveness: int = STREAMING_DEFAULTS.vad_aggressiveness
    speed: float = STREAMING_DEFAULTS.speed
    revise: bool = STREAMING_DEFAULTS.revise
    revise_model: str | None = None
    governor: bool = True
    threads: int = field(default_factory=lambda: max(1, min(4, os.cpu_count() or 1)))
    language: str = "en"
    hf_token: str | None = field(default=None, repr=False)
    voxtral_bin: str | None = None
    voxtral_model: Path | None = None
    auto_select_voxtral: bool = False
    voxtral_interval: float = 0.5
    server: str | None = None
    api_key: str | None = field(default=None, repr=False)
    fallback_after: float = 10.0

    def validate(self) -> Settings:
        """Check ranges and spell the provider as the registry does (the seed's names are accepted);
        raise EchoError with the fix in one line."""
        if (provider := canonical_name(self.provider)) != self.provider:
            return replace(self, provider=provider).validate()
        self.streaming()  # the streaming knobs are checked where the pipeline takes them
        if self.fallback_after < 0:
            raise EchoError("--fallback-after must be 0 or more seconds")
        if self.threads < 1:
            raise EchoError("threads must be at least 1")
        return self

    def for_revision(self) -> Settings:
        """The settings the revision layer's own engine is built from: `revise_model` names a model of the
        catalogue or a model file/folder (a path: it exists, or it has a folder in it); else the live one."""
        wanted = self.revise_model
        if not wanted:
            return self
        if Path(wanted).expanduser().exists() or "/" in wanted or os.sep in wanted:
            return replace(self, model_path=Path(wanted).expanduser())
        return replace(self, model=wanted, model_path=None)

    def streaming(self) -> StreamingConfig:
        """What the pipeline takes from these settings (the one place it is built); EchoError if out of
        range."""
        return StreamingConfig(
            chunk_seconds=self.chunk_seconds,
            max_utterance_seconds=self.max_utterance_seconds,
            min_silence_seconds=self.min_silence_seconds,
            queue_seconds=self.queue_seconds,
            vad=self.vad,
            vad_aggressiveness=self.vad_aggressiveness,
            speed=self.speed,
            revise=self.revise,
        )


def _parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


_CONVERTERS: dict[type | str, Callable[[str], Any]] = {
    "float": float,
    "int": int,
    "bool": _parse_bool,
    "str": str,
    "Path | None": lambda s: Path(s).expanduser(),
    "str | None": str,
}


def _convert(name: str, raw: str, env_name: str) -> Any:
    annotation = {f.name: f.type for f in fields(Settings)}[name]
    converter = _CONVERTERS[str(annotation)]
    try:
        return converter(raw)
    except ValueError:
        raise EchoError(f"{env_name}={raw!r} is not a valid {annotation}: fix or unset it") from None


def from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """Settings found in the environment (ECHOTUI_ beats ECHOPANEL_)."""
    found: dict[str, Any] = {}
    for name, suffix in ENV_NAMES.items():
        for prefix in ENV_PREFIXES:
            raw = env.get(prefix + suffix)
            if raw is not None and raw != "":
                found[name] = _convert(name, raw, prefix + suffix)
                break
    return found


def load_settings(cli: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Merge CLI values (None = not given) over the environment over defaults, and validate."""
    env = os.environ if env is None else env
    merged = from_env(env)
    merged.update({k: v for k, v in (cli or {}).items() if v is not None})
    if "hf_token" not in merged:
        token = env.get("HF_TOKEN") or env.get("HUGGINGFACE_HUB_TOKEN")
        if token:
            merged["hf_token"] = token
    if "api_key" not in merged and env.get("OPENAI_API_KEY"):
        merged["api_key"] = env["OPENAI_API_KEY"]
    return replace(Settings(), **merged).validate()


def export_token(settings: Settings, environ: dict[str, str] | os._Environ[str] = os.environ) -> None:
    """Make the token visible to huggingface_hub under both names it reads."""
    if settings.hf_token:
        environ["HF_TOKEN"] = settings.hf_token
        environ["HUGGINGFACE_HUB_TOKEN"] = settings.hf_token
