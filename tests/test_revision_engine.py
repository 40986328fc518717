"""The revision layer's own engine loads the model the live engine runs when the revision starts, which a
swap since the session's start (a model picked after a failed load, a governor's step) may have changed;
`--revise-model` still wins."""

from __future__ import annotations

from pathlib import Path

from echotui.config import Settings
from echotui.pipeline.revision_engine import revision_engine_for
from echotui.providers.base import LoadedModel
from echotui.providers.fasterwhisper import FasterWhisperProvider


def test_the_revision_loads_the_model_running_now_not_the_one_started_with(
    tmp_path: Path,
) -> None:
    started, picked, asked = (tmp_path / name for name in ("broken", "tiny.en", "base.en"))
    for folder in (started, picked, asked):
        folder.mkdir()
    settings = Settings(provider="faster-whisper", model_path=started, threads=4)
    live = FasterWhisperProvider.from_settings(Settings(provider="faster-whisper", model_path=picked))
    running = LoadedModel("faster-whisper", "tiny.en", "cpu", str(picked))

    revision = revision_engine_for(settings)(live, running, 0.5)
    assert isinstance(revision, FasterWhisperProvider) and revision is not live
    assert (revision.choice.path, revision.threads) == (picked, 2)

    chosen = revision_engine_for(
        Settings(provider="faster-whisper", model_path=started, revise_model=str(asked))
    )
    assert chosen(live, running, 0.5).choice.path == asked  # type: ignore[attr-defined]
