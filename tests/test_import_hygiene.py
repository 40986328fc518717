"""The engine (audio, providers, pipeline, config, CLI) never imports the UI toolkit."""

import subprocess
import sys

ENGINE_MODULES = [
    "echotui.config",
    "echotui.cli",
    "echotui.cli.bench",
    "echotui.logs",
    "echotui.audio.file_source",
    "echotui.audio.device_source",
    "echotui.audio.devices",
    "echotui.pipeline.queue",
    "echotui.pipeline.segmenter",
    "echotui.pipeline.vad",
    "echotui.pipeline.runner",
    "echotui.pipeline.metrics",
    "echotui.pipeline.output",
    "echotui.pipeline.report",
    "echotui.providers.base",
    "echotui.providers.registry",
    "echotui.providers.whispercpp",
    "echotui.models.ggml_models",
    "echotui.providers.fasterwhisper",
    "echotui.models.hub",
    "echotui.models.catalog",
    "echotui.models.ct2_models",
    "echotui.providers.voxtral",
    "echotui.selection.hardware",
    "echotui.selection.status",
    "echotui.selection.select",
    "echotui.selection.auto",
    "echotui.session",
    "echotui.bench",
    "echotui.audio.switching",
]


def test_engine_modules_do_not_import_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {ENGINE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"textual imported by the engine: {result.stdout}"
