"""The app in a real terminal (tmux, 80×24): it draws, no engine log line reaches the screen, and q
exits with code 0."""

from __future__ import annotations

from pathlib import Path

from tests.support.terminal import Terminal

ENGINE_LOG_MARKERS = ("whisper_", "ggml_", "WARN", "Traceback", "model_load")


def test_app_in_tmux_shows_captions_and_panels_and_no_engine_logs(
    terminal: Terminal, real_models: dict[str, Path], sentence_wav: Path
) -> None:
    """Real tiny.en weights, so the captions are the spoken words ("Ask not what your country can do …")."""
    terminal.start("--file", sentence_wav, "--model-path", real_models["whispercpp"], "--threads", "2")
    terminal.wait_for_screen(lambda screen: "country" in screen.lower())  # the sentence plays: captions come
    screen = terminal.screen()
    assert "CPU" in screen, screen  # the health panel names the backend
    for marker in ENGINE_LOG_MARKERS:
        assert marker not in screen, f"{marker!r} leaked onto the screen:\n{screen}"
    log = terminal.log.read_text()
    assert "whisper_init" in log or "whisper_model_load" in log, "engine logs went to the log file"
    terminal.press("q")
    code, _ = terminal.wait_for_exit(timeout=20)
    assert code == 0
