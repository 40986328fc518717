"""`echotui providers`: which engines run here and why, the machine's seed tier, and the recommendation."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from echotui.cli.parser import settings_from_args
from echotui.cli.tables import format_table
from echotui.errors import EchoError
from echotui.selection.auto import not_on_disk, recommend_here
from echotui.selection.hardware import Hardware, detect_hardware, seed_tier
from echotui.selection.select import Recommendation
from echotui.selection.status import ProviderStatus, provider_statuses


def format_providers(
    statuses: list[ProviderStatus],
    recommendation: Recommendation | None,
    hw: Hardware,
    missing: str | None = None,
) -> str:
    """A plain-text table of the providers, the machine's tier, the recommendation line, then `missing`
    (what happens when the recommended model is not on disk)."""
    rows = [
        (s.name, "yes" if s.available else "no", ",".join(s.backends), s.default_model, s.reason)
        for s in statuses
    ]
    table = format_table(("provider", "available", "backends", "default model", "why"), rows)
    advice = recommendation.describe() if recommendation else "recommended: nothing can run here (see above)"
    return f"{table}\nseed tier: {seed_tier(hw)}\n{advice}" + (f"\n{missing}" if missing else "")


def providers_json(
    statuses: list[ProviderStatus],
    recommendation: Recommendation | None,
    hw: Hardware,
    missing: str | None = None,
) -> dict[str, Any]:
    """The same as `format_providers`, as JSON-ready data (for `echotui providers --json`)."""
    return {
        "hardware": {**asdict(hw), "fingerprint": hw.fingerprint()},
        "seed_tier": seed_tier(hw),
        "providers": [{**asdict(s), "backends": list(s.backends)} for s in statuses],
        "recommended": asdict(recommendation) if recommendation else None,
        "recommended_on_disk": recommendation is not None and missing is None,
        "not_on_disk": missing,
    }


def cmd_providers(args: argparse.Namespace) -> int:
    settings, explicit = settings_from_args(args)
    try:
        hardware, statuses, recommendation = recommend_here(settings, explicit)
        problem, missing = None, not_on_disk(settings, explicit, statuses, recommendation)
    except EchoError as error:  # nothing can run here: still show why, provider by provider
        hardware = detect_hardware()
        statuses, recommendation, problem = provider_statuses(hardware, settings), None, error
        missing = None
    if args.json:
        print(json.dumps(providers_json(statuses, recommendation, hardware, missing), indent=2))
    else:
        print(format_providers(statuses, recommendation, hardware, missing))
    if problem is not None:
        raise problem
    return 0
