"""The informational subcommands: `devices`, `models`, `providers`, `bench`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from echotui.config import export_token, load_settings
from echotui.errors import EchoError
from echotui.logs import log_path


def cmd_devices(args: argparse.Namespace) -> int:
    """Input devices: index, name, host API, channels, default rate; `*` marks the default."""
    from echotui.audio.devices import list_input_devices

    devices = list_input_devices()
    if not devices:
        print("no audio input devices found")
        return 1
    print(f"{'':2}{'index':>5}  {'name':<40} {'host API':<20} {'ch':>3} {'rate':>7}")
    for d in devices:
        mark = "*" if d.is_default else " "
        name, api = d.name[:40], d.host_api[:20]
        print(f"{mark:2}{d.index:>5}  {name:<40} {api:<20} {d.channels:>3} {d.default_samplerate:>7.0f}")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from echotui.models.catalog import CATALOGUE_PROVIDERS, format_models, list_models, pull_model

    settings = load_settings({"provider": args.provider, "models_dir": args.models_dir})
    export_token(settings)
    if args.models_command == "pull":
        print(pull_model(args.name, settings.provider, settings.hf_token, settings.models_dir))
        return 0
    providers = (args.provider,) if args.provider else CATALOGUE_PROVIDERS
    print(format_models(list_models(settings.models_dir, providers)))
    return 0


def cmd_providers(args: argparse.Namespace) -> int:
    from echotui.cli.parser import settings_from_args
    from echotui.selection.auto import recommend_here
    from echotui.selection.hardware import detect_hardware
    from echotui.selection.status import format_providers, provider_statuses, providers_json

    settings, explicit = settings_from_args(args)
    try:
        hardware, statuses, recommendation = recommend_here(settings, explicit)
        problem = None
    except EchoError as error:  # nothing can run here: still show why, provider by provider
        hardware = detect_hardware()
        statuses, recommendation, problem = provider_statuses(hardware, settings), None, error
    if args.json:
        print(json.dumps(providers_json(statuses, recommendation, hardware), indent=2))
    else:
        print(format_providers(statuses, recommendation))
    if problem is not None:
        raise problem
    return 0


def _floats(text: str, what: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise EchoError(f"{what} {text!r} is not a comma list of numbers, e.g. 1,2,4") from None


def _reference_text(path: Path | None) -> str | None:
    """What is said in the bench file, from a text file."""
    if path is None:
        return None
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise EchoError(f"cannot read the reference {path} ({error}): give a UTF-8 text file") from None
    if not text.strip():
        raise EchoError(f"the reference {path} is empty: give the words spoken in --file")
    return text


def cmd_bench(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from echotui.audio.file_source import DecodedFile
    from echotui.bench import BenchCase, bar_plot, markdown_table, run_case

    DecodedFile(args.file)  # a missing or bad file fails here, in one line
    reference = _reference_text(args.reference)
    settings = load_settings({"models_dir": args.models_dir, "threads": args.threads})
    export_token(settings)
    providers = [p.strip() for p in args.providers.split(",") if p.strip()]
    cases = []
    for provider in providers:
        if args.models:
            names = [m.strip() for m in args.models.split(",") if m.strip()]
        elif args.models_dir is not None:
            from echotui.models.catalog import scan_models_dir

            names = [e.name for e in scan_models_dir(args.models_dir, (provider,))]
        else:
            names = ["tiny.en", "base.en"]
        if not names:
            raise EchoError(f"no {provider} models in {args.models_dir}: name some with --models")
        for name in names:
            for chunk in _floats(args.chunk_seconds, "--chunk-seconds"):
                cases.append(BenchCase(provider, name, chunk, args.speed))
    rows, skipped = [], []
    for case in tqdm(cases, desc="echotui bench", unit="config", file=sys.stderr):
        try:
            rows.append(run_case(case, args.file, settings, log_path(), reference))
        except EchoError as error:  # one configuration that cannot run does not end the matrix
            skipped.append(f"{case.provider} {case.model}: {error}")
    for line in skipped:
        print(f"echotui: skipped {line}", file=sys.stderr)
    if not rows:
        raise EchoError("no configuration could run: see the lines above")
    table = markdown_table(rows)
    print(table)
    print(bar_plot(rows))
    if args.json is not None:
        from dataclasses import asdict

        report = {
            "file": str(args.file),
            "speed": args.speed,
            "rows": [asdict(r) for r in rows],
            "skipped": skipped,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.markdown is not None:
        args.markdown.write_text(table, encoding="utf-8")
    return 0
