"""The local engine that stands in for a transcription server while it is gone (`--provider remote` or
`wyoming`), and the session's pipeline wired to `pipeline.fallback.ServerFallback`.

The stand-in is what auto-selection picks on this machine among the models already on disk (`--models-dir`,
the Hugging Face cache, the `echotui[tiny]` extra): nothing is downloaded during an outage, whose cause
may be the network. None when no engine can run a model here: the session then waits for the server.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from echotui.config import Settings
from echotui.errors import EchoError
from echotui.pipeline.fallback import FallbackTuning, ServerFallback
from echotui.pipeline.runner import Pipeline
from echotui.providers.base import Provider
from echotui.providers.registry import AUTO, create_provider

log = logging.getLogger(__name__)


def local_settings(settings: Settings) -> Settings | None:
    """The settings of the local engine to stand in for the server, or None when none runs here."""
    from echotui.selection.auto import auto_select, on_disk

    asked = replace(settings, provider=AUTO, model_path=None)
    explicit = {"models_dir"} if settings.models_dir is not None else set()
    try:
        chosen, _ = auto_select(asked, explicit, measure=False)
    except EchoError as error:
        log.info("no local engine to stand in for the server: %s", error)
        return None
    if chosen.model_path is None and not on_disk(chosen, chosen.provider, chosen.model):
        log.info("no local engine to stand in: %s %s is not on disk", chosen.provider, chosen.model)
        return None
    return chosen


def local_provider(settings: Settings) -> Provider | None:
    chosen = local_settings(settings)
    return create_provider(chosen) if chosen is not None else None


def watch_server(pipeline: Pipeline, settings: Settings) -> ServerFallback | None:
    """For a pipeline whose engine is a server: what rides out its outages (None for a local engine)."""
    if not pipeline.worker.provider.capabilities.remote:
        return None  # a local engine: nothing to stand in for
    return ServerFallback(
        pipeline,
        server=lambda: create_provider(settings),
        local=lambda: local_provider(settings),
        tuning=FallbackTuning(after_s=settings.fallback_after),
    )
