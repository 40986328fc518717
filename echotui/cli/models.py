"""`echotui models`: known and local models per provider; `models pull NAME` downloads one."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from echotui.cli.tables import format_table
from echotui.config import export_token, load_settings
from echotui.models.catalog import ModelEntry, list_models, pull_model
from echotui.providers.registry import catalogue_providers


def format_size(size_mb: int | None) -> str:
    if size_mb is None:
        return "?"
    return f"{size_mb} MB" if size_mb < 1000 else f"{size_mb / 1000:.1f} GB"


def format_models(entries: Sequence[ModelEntry]) -> str:
    """A plain-text table for the terminal: provider, name, size, present, where."""
    rows = [
        (e.provider, e.name, format_size(e.size_mb), "yes" if e.present else "-", e.location or "")
        for e in entries
    ]
    return format_table(("provider", "name", "size", "here", "where"), rows, right=(2,), empty="no models")


def cmd_models(args: argparse.Namespace) -> int:
    settings = load_settings({"provider": args.provider, "models_dir": args.models_dir})
    export_token(settings)
    if args.models_command == "pull":
        print(pull_model(args.name, settings.provider, settings.hf_token, settings.models_dir))
        return 0
    providers = (settings.provider,) if args.provider else catalogue_providers()
    print(format_models(list_models(settings.models_dir, providers)))
    return 0
