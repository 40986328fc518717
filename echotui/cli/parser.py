"""The `echotui` command line's arguments, and the settings they make."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from echotui import __version__
from echotui.config import Settings, from_env, load_settings
from echotui.pipeline.formats import FORMATS
from echotui.providers.names import SEED_NAMES, provider_names


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    return value


def _add_engine_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("engine")
    group.add_argument(
        "--provider",
        help=f"engine: {', '.join(provider_names(auto=True))}, or EchoPanel's names {', '.join(SEED_NAMES)} "
        "(env ECHOTUI_ASR_PROVIDER)",
    )
    group.add_argument("--model", help="model name, e.g. tiny.en, base.en (env ECHOTUI_WHISPER_MODEL)")
    group.add_argument("--model-path", type=Path, help="a local model file instead of a name")
    group.add_argument(
        "--models-dir", type=Path, help="a folder of local models (ggml files, CTranslate2 folders)"
    )
    group.add_argument("--whisper-device", help="auto, cpu, cuda or metal (env ECHOTUI_WHISPER_DEVICE)")
    group.add_argument(
        "--whisper-compute",
        help="faster-whisper compute type (int8, float16, ...); whisper.cpp: float16 keeps the model file as"
        " it is (default on a CPU: a q8_0 copy of a float16 file)",
    )
    group.add_argument("--threads", type=int, help="CPU threads for the engine")
    group.add_argument("--language", help="spoken language code (default en)")
    group.add_argument(
        "--server",
        help="with --provider remote: the server's URL; with wyoming: tcp://HOST:PORT (env ECHOTUI_SERVER)",
    )
    group.add_argument(
        "--api-key", help="the server's API key (env ECHOTUI_API_KEY or OPENAI_API_KEY; never shown)"
    )
    group.add_argument(
        "--fallback-after",
        type=_positive_float,
        metavar="SECONDS",
        help="with a server: a local engine stands in once it is gone this long (default 10)",
    )
    policy = parser.add_argument_group("streaming")
    policy.add_argument(
        "--chunk-seconds",
        type=_positive_float,
        help="new audio per partial result (env ECHOTUI_ASR_CHUNK_SECONDS)",
    )
    policy.add_argument(
        "--max-utterance-seconds", type=_positive_float, help="longest utterance (default 12)"
    )
    policy.add_argument("--queue-seconds", type=_positive_float, help="audio queue capacity (default 30)")
    policy.add_argument("--no-vad", dest="vad", action="store_false", default=None, help="send silence too")
    policy.add_argument(
        "--revise",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="decode finished speech again with long context behind the live words, and keep that text "
        "(default on for an engine on this machine; --no-revise: keep the live words)",
    )
    policy.add_argument(
        "--revise-model",
        metavar="NAME|PATH",
        help="the model the revision runs (e.g. base.en behind a live tiny.en); default: the live model",
    )
    policy.add_argument(
        "--governor",
        choices=("on", "off"),
        help="when the machine cannot keep up, step down (pause revision, thin passes, a smaller model "
        "on disk) and back up when it can (default on; off keeps the chosen model whatever happens)",
    )
    policy.add_argument("--vad-aggressiveness", type=int, choices=range(4), help="webrtcvad 0-3 (default 2)")
    parser.add_argument("--log-file", type=Path, help="where engine logs go (default ~/.local/state/echotui)")


RECORD_HELP = "keep the captured audio beside the session journal, for 'echotui replay'"
DEMO_HELP = "replay a short speech clip that ships with echotui as live input (no microphone needed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="echotui",
        description="Live transcription in the terminal. Without a command: the app, on the default input "
        "device (or --file) with the engine chosen for this machine.",
    )
    parser.add_argument("--version", action="version", version=f"echotui {__version__}")
    app = parser.add_argument_group("app")
    app.add_argument("--file", type=Path, help="replay this audio file as live instead of a device")
    app.add_argument("--speed", type=_positive_float, help="with --file: replay speed (default 1)")
    app.add_argument("--loop", action="store_true", help="with --file: start again at the end")
    app.add_argument("--device", help="input device (index or name; 'echotui devices' lists them)")
    app.add_argument("--record", action="store_true", help=RECORD_HELP)
    app.add_argument("--demo", action="store_true", help=DEMO_HELP)
    _add_engine_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    transcribe = commands.add_parser("transcribe", help="transcribe a file or a device without the UI")
    transcribe.add_argument("path", nargs="?", type=Path, help="audio file (wav, flac, mp3, ogg, m4a, ...)")
    transcribe.add_argument(
        "--device", help="capture from this input device (index or name) instead of a file"
    )
    transcribe.add_argument(
        "--duration", type=_positive_float, help="with --device: stop after this many seconds"
    )
    transcribe.add_argument("--format", choices=FORMATS, default="txt", help="output format (default txt)")
    transcribe.add_argument("--output", "-o", type=Path, help="write the transcript here (default stdout)")
    transcribe.add_argument(
        "--speed", type=_positive_float, help="file replay speed; 0 = as fast as possible"
    )
    transcribe.add_argument(
        "--save",
        type=Path,
        metavar="PATH",
        help="at exit, write the kept (revised) transcript here; .txt .srt .vtt or .jsonl",
    )
    transcribe.add_argument("--stats-json", type=Path, help="write run statistics as JSON here")
    transcribe.add_argument("--record", action="store_true", help=RECORD_HELP)
    transcribe.add_argument("--demo", action="store_true", help=DEMO_HELP)
    _add_engine_options(transcribe)

    commands.add_parser("devices", help="list audio input devices")
    sessions = commands.add_parser("sessions", help="list the transcripts kept on disk; --prune cleans up")
    sessions.add_argument(
        "--prune", action="store_true", help="delete sessions that hold no line (a crash before any text)"
    )
    sessions.add_argument(
        "--older-than", type=float, metavar="DAYS", help="with --prune: also delete sessions older than DAYS"
    )
    replay = commands.add_parser(
        "replay", help="run a recorded session (--record) through any engine and compare the words"
    )
    replay.add_argument(
        "session", help="a journal (.jsonl) or recording, its name (20261127-1310), or 'last'"
    )
    replay.add_argument("--output", "-o", type=Path, help="also write the replayed transcript here (txt)")
    _add_engine_options(replay)

    bench = commands.add_parser("bench", help="measure providers × models × chunk lengths on a file")
    bench.add_argument("--file", type=Path, required=True, help="speech to replay (about a minute is good)")
    bench.add_argument("--providers", default="whispercpp", help="comma list (default whispercpp)")
    bench.add_argument(
        "--models", help="comma list (default: the local ones in --models-dir, else tiny.en,base.en)"
    )
    bench.add_argument("--models-dir", type=Path, help="a folder of local models")
    bench.add_argument("--chunk-seconds", default="1", help="comma list of partial steps, e.g. 1,2,4")
    bench.add_argument(
        "--speed", type=_positive_float, default=1.0, help="1 = live (drops count), 0 = flat out"
    )
    bench.add_argument("--threads", type=int, help="CPU threads for the engine")
    bench.add_argument(
        "--reference", type=Path, metavar="TEXT", help="text file of what is said: adds live and offline WER"
    )
    bench.add_argument("--json", type=Path, help="write the rows as JSON here")
    bench.add_argument("--markdown", type=Path, help="write the table as Markdown here")
    bench.add_argument("--log-file", type=Path, help="where engine logs go")

    serve = commands.add_parser(
        "serve", help="serve the OpenAI transcription API from this machine's engine (needs echotui[serve])"
    )
    serve.add_argument("--replicas", type=int, default=1, help="engine replicas, each loading the model once")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default loopback only)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--min-replicas", type=int, help="with --max-replicas: the fewest replicas kept")
    serve.add_argument(
        "--max-replicas", type=int, help="autoscale up to this many replicas on requests in flight"
    )
    serve.add_argument(
        "--address", help="join this Ray cluster (ray start --head; 'auto' finds the local one)"
    )
    _add_engine_options(serve)

    providers = commands.add_parser("providers", help="which engines run here, and the one recommended")
    providers.add_argument("--json", action="store_true", help="machine-readable output")
    _add_engine_options(providers)

    models = commands.add_parser(
        "models", help="list known and local models; 'models pull NAME' downloads one"
    )
    models_actions = models.add_subparsers(dest="models_command", metavar="ACTION")
    pull = models_actions.add_parser("pull", help="download a model into the Hugging Face cache")
    pull.add_argument("name", help="model name, e.g. base.en (see 'echotui models')")
    for sub in (models, pull):
        sub.add_argument("--provider", help="whispercpp or faster-whisper (default: both; auto for pull)")
        sub.add_argument(
            "--models-dir", type=Path, help="a folder of local models (ggml files, CTranslate2 folders)"
        )
        sub.add_argument("--log-file", type=Path, help="where engine logs go")
    return parser


SETTING_ARGS = (
    "provider", "model", "model_path", "models_dir", "whisper_device", "whisper_compute", "threads",
    "language", "chunk_seconds", "max_utterance_seconds", "queue_seconds", "vad", "vad_aggressiveness",
    "speed", "server", "api_key", "revise", "revise_model", "fallback_after", "governor",
)  # fmt: skip


def settings_from_args(args: argparse.Namespace) -> tuple[Settings, set[str]]:
    """The settings, and the names of those the user chose (by flag or environment)."""
    values: dict[str, Any] = {name: getattr(args, name, None) for name in SETTING_ARGS}
    if values["governor"] is not None:
        values["governor"] = values["governor"] == "on"
    explicit = set(from_env(os.environ)) | {name for name, value in values.items() if value is not None}
    return load_settings(values), explicit
