"""`echotui models` shows what a user has and can get; `models pull` fails offline in one line."""

from __future__ import annotations

from pathlib import Path

from tests.cli import echotui


def test_models_lists_catalogue_and_local_models(models_dir: Path, tmp_path: Path) -> None:
    run = echotui("models", "--models-dir", models_dir, env={"HF_HUB_CACHE": str(tmp_path / "hf")})
    assert run.code == 0, run.stderr
    lines = run.stdout.splitlines()
    tiny = [line for line in lines if "whispercpp" in line and " tiny.en " in line]
    assert tiny and str(models_dir) in tiny[0], "the built tiny.en is shown as present, with its place"
    assert any("faster-whisper" in line and "large-v3" in line for line in lines), "downloadable ones too"


def test_pull_of_a_present_model_needs_no_network(models_dir: Path, tmp_path: Path) -> None:
    env = {"HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_CACHE": str(tmp_path / "hf")}
    run = echotui(
        "models", "pull", "base.en", "--provider", "whispercpp", "--models-dir", models_dir, env=env
    )
    assert run.code == 0, run.stderr
    assert run.stdout.strip() == str(models_dir / "ggml-base.en.bin")


def test_pull_offline_is_one_line_naming_model_path(tmp_path: Path) -> None:
    env = {
        "HF_ENDPOINT": "http://127.0.0.1:9",
        "HF_HUB_CACHE": str(tmp_path / "hf"),
        "HF_HOME": str(tmp_path),
    }
    for provider in ("whispercpp", "faster-whisper"):
        run = echotui("models", "pull", "small.en", "--provider", provider, env=env, timeout=60)
        assert run.code != 0 and "Traceback" not in run.stderr
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("echotui: error: ") and "--model-path" in lines[0]
