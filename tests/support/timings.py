"""This machine's encoder timings of the suite's models, measured once per run, for every worker (a pytest
plugin).

`echotui providers` (and auto-selection) times the encoder of every local model it may pick, and keeps a
timing only when the machine was quiet: during the suite it seldom is, so each such run measured the same
models again (seconds to a minute each). A CLI story whose point is not the measuring runs with
`ECHOTUI_CACHE_DIR` set to `measured_here`: the same real timings, taken once, by the product's timer.
A story about measuring itself starts from an empty cache instead.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from echotui.config import Settings
from echotui.providers.registry import PROVIDERS
from echotui.selection.hardware import detect_hardware
from echotui.selection.timing import CachedEncoderTimer
from tests.support.once import built_once

TIMED = ("tiny.en",)
"""What the stories on `measured_here` have their CLI runs time: tiny.en, on each engine (a timing is kept per
engine and model, wherever the model lies, so it also stands for the `tiny` extra's folder). None of them
lets auto-selection walk up to the suite's base.en (they name the model or the engine, or give no models
folder that holds it): timing base.en here cost two thirds of this fixture and was read by no story. A run
that does reach an untimed model on disk times it itself, as for a user."""


@pytest.fixture(scope="session")
def measured_here(tmp_path_factory: pytest.TempPathFactory, models_dir: Path, ct2_models_dir: Path) -> Path:
    """A cache folder (for `ECHOTUI_CACHE_DIR`) holding this machine's encoder timings of the suite's built
    models (whisper.cpp's in `models_dir`, CTranslate2's in `ct2_models_dir`), at the thread count a CLI run
    uses by default, kept whatever the load (`busy_limit` infinite), one timed window each (`runs` 1)."""

    def measure(folder: Path) -> None:
        hardware = detect_hardware()
        for provider, models in (("whispercpp", models_dir), ("faster-whisper", ct2_models_dir)):
            timer = CachedEncoderTimer(
                hardware,
                models_dir=models,
                threads=Settings().threads,
                cache_path=folder / "encoder-timings.json",
                busy_limit=math.inf,
                runs=1,  # one timed window after the warm-up: the stories read a real timing, not the best
            )
            for engine in PROVIDERS[provider].engines(hardware):
                for model in TIMED:
                    timer.seconds_per_window(provider, model, engine.device)

    folder = built_once(tmp_path_factory, "measured-here", measure)
    assert (folder / "encoder-timings.json").is_file(), "the suite's tiny.en is on disk: it was timed"
    return folder
