"""`echotui bench`: providers × models × chunk lengths through the real pipeline on a file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from echotui.config import export_token, load_settings
from echotui.errors import EchoError
from echotui.logs import log_path
from echotui.providers.names import canonical_name


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
    from echotui.bench import BenchCase, OfflinePass, run_case
    from echotui.bench_report import bar_plot, markdown_table

    DecodedFile(args.file)  # a missing or bad file fails here, in one line
    reference = _reference_text(args.reference)
    settings = load_settings({"models_dir": args.models_dir, "threads": args.threads})
    export_token(settings)
    providers = [canonical_name(p) for p in args.providers.split(",") if p.strip()]
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
    offline: dict[tuple[str, str], OfflinePass] = {}  # one offline pass per engine and model
    for case in tqdm(cases, desc="echotui bench", unit="config", file=sys.stderr):
        try:
            rows.append(run_case(case, args.file, settings, log_path(), reference, offline))
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
