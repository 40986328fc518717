"""The one place the streaming pipeline is built. Every way in (the app, `echotui transcribe`, `bench` and
`replay`) goes through `Session`, and `Session` builds its pipeline here: the engine from the settings (or
one given: bench's recorder, a test's double), model-download progress for the snapshot, and for a replay
the recorded session's pass schedule. Never imports Textual."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from echotui.config import Settings
from echotui.models.downloads import describe_download
from echotui.pipeline.events import PipelineEvent
from echotui.pipeline.passes import RecordedPasses
from echotui.pipeline.revision_engine import revision_engine_for
from echotui.pipeline.runner import Pipeline
from echotui.providers.base import Provider
from echotui.providers.registry import create_provider


def build_pipeline(
    settings: Settings,
    on_event: Callable[[PipelineEvent], None],
    *,
    provider: Provider | None = None,
    passes: Sequence[int] | None = None,
) -> Pipeline:
    """The pipeline for `settings`, telling `on_event` what happens. `provider`: the engine to run instead
    of the one the settings name. `passes`: a replay's schedule (the stream positions where the recorded
    session's passes over the open utterance ended), so the same engine gives the same finals."""
    return Pipeline(
        provider or create_provider(settings),
        settings.streaming(),
        on_event,
        progress=describe_download,
        passes=RecordedPasses(passes) if passes is not None else None,
        revision_engine=revision_engine_for(settings),
    )
