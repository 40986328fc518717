"""`echotui serve`: echotui's engines behind the OpenAI transcription API on Ray Serve (the `serve` extra)."""

from __future__ import annotations

import argparse
import importlib.util
import os

from echotui.cli.parser import settings_from_args
from echotui.config import from_env
from echotui.errors import EchoError, say
from echotui.selection.auto import auto_select


def cmd_serve(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("ray") is None:
        raise EchoError("echotui serve needs Ray Serve: pip install 'echotui[serve]'")
    from echotui.serve.run import ServeOptions, serve_until_stopped

    settings, explicit = settings_from_args(args)
    settings, _ = auto_select(settings, explicit, measure=False)
    # The server's own key: --api-key or ECHOTUI_API_KEY, never an OPENAI_API_KEY meant for OpenAI.
    key = args.api_key or from_env(os.environ).get("api_key")
    options = ServeOptions(
        args.replicas, args.host, args.port, args.min_replicas, args.max_replicas, args.address
    )

    def ready(seconds: float) -> None:
        say(
            f"echotui serve: http://{options.host}:{options.port}/v1 ready in {seconds:.1f} s: "
            f"{settings.provider}, {options.describe()}; Ctrl-C stops"
        )

    serve_until_stopped(settings, options, key, ready)
    say("echotui serve: stopped")
    return 0
