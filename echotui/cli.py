"""The `echotui` command line: `transcribe` (headless) and `devices`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from echotui import __version__
from echotui.config import Settings, export_token, from_env, load_settings
from echotui.errors import EchoError
from echotui.logs import log_path, setup_logging
from echotui.pipeline.output import FORMATS, TranscriptWriter

log = logging.getLogger("echotui.cli")

ABANDONED_EXIT = 130


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    return value


def _add_engine_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("engine")
    group.add_argument(
        "--provider", help="engine: auto, whispercpp, faster-whisper or voxtral (env ECHOTUI_ASR_PROVIDER)"
    )
    group.add_argument("--model", help="model name, e.g. tiny.en, base.en (env ECHOTUI_WHISPER_MODEL)")
    group.add_argument("--model-path", type=Path, help="a local model file instead of a name")
    group.add_argument(
        "--models-dir", type=Path, help="a folder of local models (ggml files, CTranslate2 folders)"
    )
    group.add_argument("--whisper-device", help="auto, cpu, cuda or metal (env ECHOTUI_WHISPER_DEVICE)")
    group.add_argument("--whisper-compute", help="faster-whisper compute type, e.g. int8, float16")
    group.add_argument("--threads", type=int, help="CPU threads for the engine")
    group.add_argument("--language", help="spoken language code (default en)")
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
    policy.add_argument("--vad-aggressiveness", type=int, choices=range(4), help="webrtcvad 0-3 (default 2)")
    parser.add_argument("--log-file", type=Path, help="where engine logs go (default ~/.local/state/echotui)")


RECORD_HELP = "keep the captured audio beside the session journal, for 'echotui replay'"


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
    transcribe.add_argument("--stats-json", type=Path, help="write run statistics as JSON here")
    transcribe.add_argument("--record", action="store_true", help=RECORD_HELP)
    _add_engine_options(transcribe)

    commands.add_parser("devices", help="list audio input devices")
    from echotui.replay import add_replay_parser

    add_replay_parser(commands, _add_engine_options)

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
    "speed",
)  # fmt: skip


def settings_from_args(args: argparse.Namespace) -> tuple[Settings, set[str]]:
    """The settings, and the names of those the user chose (by flag or environment)."""
    values: dict[str, Any] = {name: getattr(args, name, None) for name in SETTING_ARGS}
    explicit = set(from_env(os.environ)) | {name for name, value in values.items() if value is not None}
    return load_settings(values), explicit


def cmd_app(args: argparse.Namespace) -> int:
    """The Textual app. Native libraries' stderr goes to the log file; Textual gets the real terminal."""
    from echotui.logs import redirect_native_stderr
    from echotui.providers.auto import auto_select, needs_refining
    from echotui.session import Session, open_source

    if args.file is not None and args.device is not None:
        raise EchoError("give --file or --device, not both")
    settings, explicit = settings_from_args(args)
    export_token(settings)
    asked = settings
    # Start at once on what is known (cached timings, estimates); the app measures and swaps if needed.
    settings, choice = auto_select(settings, explicit, measure=False)
    source = open_source(args.file, args.device, settings.speed, args.loop)
    session = Session(settings, source, record=args.record)
    session.refine = (asked, explicit) if needs_refining(asked) else None
    path = log_path() or setup_logging()
    real_stderr = os.fdopen(redirect_native_stderr(path), "w", buffering=1, encoding="utf-8")
    sys.stderr = real_stderr
    sys.__stderr__ = real_stderr  # type: ignore[misc]  # Textual's driver writes to sys.__stderr__
    from echotui.app import EchoApp

    code = EchoApp(session, log_path=path, choice=choice).run()
    if session.pipeline.failure:
        _say(f"echotui: stopped: {session.pipeline.failure}")
    if session.journal is not None:
        _say(f"echotui: journal: {session.journal.path} ({session.journal.finals} finals)")
    return code or 0


@contextlib.contextmanager
def _open_output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    try:
        stream = path.open("w", encoding="utf-8")
    except OSError as error:
        raise EchoError(f"cannot write {path}: {error.strerror}: choose another --output") from None
    with stream:
        yield stream


def cmd_transcribe(args: argparse.Namespace) -> int:
    from echotui.pipeline.events import (
        DeviceLost,
        DeviceRestored,
        EngineFailed,
        EngineNotice,
        ModelLoaded,
        PipelineEvent,
        SwapFailed,
    )
    from echotui.pipeline.journal import open_journal
    from echotui.pipeline.runner import Pipeline, PipelineConfig
    from echotui.providers.registry import create_provider

    settings, explicit = settings_from_args(args)
    export_token(settings)
    if (args.path is None) == (args.device is None):
        raise EchoError(
            "give either an audio file PATH or --device NAME (not both): see echotui transcribe -h"
        )
    source: Any
    if args.path is not None:
        from echotui.audio.file_source import FileSource

        source = FileSource(args.path, speed=settings.speed)
    else:
        from echotui.audio.device_source import DeviceSource
        from echotui.audio.devices import choose_device

        source = DeviceSource(choose_device(args.device), duration_s=args.duration)
    from echotui.providers.auto import auto_select

    settings, choice = auto_select(settings, explicit)
    provider = create_provider(settings)
    config = PipelineConfig.from_settings(settings)
    journal = open_journal(settings, source.description)
    recording: Any = None
    with _open_output(args.output) as stream:
        writer = TranscriptWriter(stream, args.format)

        def on_event(event: PipelineEvent) -> None:
            if isinstance(event, ModelLoaded) and choice:  # say what auto chose once it really runs
                print(f"echotui: {choice}", file=sys.stderr)
            elif isinstance(event, EngineNotice | SwapFailed):
                print(f"echotui: {event.provider}: {event.message}", file=sys.stderr)
            elif isinstance(event, EngineFailed) and not event.fatal:
                _say(f"echotui: {event.provider} failed ({event.message}); reloaded it")
            elif isinstance(event, DeviceLost | DeviceRestored):
                _say(f"echotui: {describe_device_event(event)}")
            writer(event)
            if journal is not None:
                journal(event)

        pipeline = Pipeline(provider, config, on_event)
        if args.record:
            from echotui.audio.recording import start_recording

            recording = start_recording(journal.path if journal else None, pipeline.queue)
        began, began_cpu = time.monotonic(), time.process_time()
        error: EchoError | None = None
        try:
            asyncio.run(_run(pipeline, source))
        except EchoError as raised:  # after the pipeline flushed what it had: report, keep the stats
            error = raised
        finally:
            writer.close()
        wall, cpu = time.monotonic() - began, time.process_time() - began_cpu
    snapshot = pipeline.snapshot()
    if recording is not None:
        recording.close()
    kept = ""
    if journal is not None:
        journal.close(snapshot.ledger, pipeline.failure)
        kept = f"; journal {journal.path}"
        if error is not None and journal.finals:  # still one line: the reason, then where the text is
            error = EchoError(f"{error} (transcript so far: journal {journal.path})", error.exit_code)
    loaded = pipeline.worker.loaded
    if loaded is not None and error is None:
        print(
            f"echotui: {snapshot.audio_s:.1f} s of audio in {wall:.1f} s with {loaded.model} on "
            f"{loaded.backend}, {snapshot.segments} segments, RTF {snapshot.rtf_mean or 0:.2f}, "
            f"dropped {snapshot.dropped_s:.1f} s{kept}",
            file=sys.stderr,
        )
    if args.stats_json is not None:
        from echotui.pipeline.report import stats_dict

        stats = stats_dict(
            snapshot,
            loaded,
            wall_s=wall,
            load_s=pipeline.worker.load_s,
            cpu_s=cpu,
            source=source.description,
            speed=settings.speed if args.path is not None else None,
            chunk_seconds=settings.chunk_seconds,
        )
        args.stats_json.write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    if error is not None:
        raise error
    return 0


def describe_device_event(event: Any) -> str:
    from echotui.pipeline.events import DeviceLost

    if isinstance(event, DeviceLost):
        return f"device lost at {event.at_s:.1f} s: {event.message}; reopening it"
    return f"{event.description} back after {event.gap_s:.1f} s (counted as dropped)"


def _say(line: str) -> None:
    """A line on stderr, even when the terminal went away (SIGHUP): then it is only lost."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr, flush=True)


async def _run(pipeline: Any, source: Any) -> None:
    """Run to the end. The first Ctrl-C, SIGTERM or SIGHUP stops taking audio and finishes what was
    captured (within `GRACE_S`); a second one abandons the rest (final text already written stays)."""
    from echotui.shutdown import GRACE_S, install_stop_signals

    task = asyncio.current_task()

    def stop(name: str) -> None:
        _say(f"echotui: {name}: stopping; transcribing what was captured (again to abandon)")
        pipeline.stop()

    def abandon() -> None:
        if task is not None:
            task.cancel()

    remove = install_stop_signals(asyncio.get_running_loop(), stop, abandon)
    abandoned = False
    try:
        await pipeline.run(source)
    except asyncio.CancelledError:
        abandoned = True
        message = f"interrupted: the transcript holds what was finished (a stop may take {GRACE_S:.0f} s)"
        raise EchoError(message, ABANDONED_EXIT) from None
    finally:
        remove()
        if abandoned:  # an engine call may still run on its thread: do not wait for it
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(pipeline.close(), 1.0)
        else:
            await pipeline.close()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        setup_logging(getattr(args, "log_file", None))
        if args.command == "transcribe":
            return cmd_transcribe(args)
        if args.command == "replay":
            from echotui.replay import cmd_replay

            return cmd_replay(args)
        if args.command in ("devices", "models", "providers", "bench"):
            from echotui import commands

            return int(getattr(commands, f"cmd_{args.command}")(args))
        return cmd_app(args)
    except EchoError as error:
        _say(f"echotui: error: {error}")
        if error.exit_code == ABANDONED_EXIT:  # an engine thread may be mid-call: do not wait for it
            with contextlib.suppress(OSError, ValueError):
                sys.stdout.flush()
            os._exit(ABANDONED_EXIT)
        return error.exit_code
    except KeyboardInterrupt:
        print("echotui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`echotui models | head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # a bug: one line here, the traceback in the log
        log.exception("internal error")
        print(
            f"echotui: internal error: {type(error).__name__}: {error} (details in {log_path()})",
            file=sys.stderr,
        )
        return 70
