"""faster-whisper (CTranslate2): CUDA float16 where CTranslate2 sees a GPU, else CPU int8.

CTranslate2 has no Metal backend, so on a Mac this provider runs on the CPU and says so. Decoding is set
for streaming: greedy, no temperature fallback, no conditioning on earlier windows (the pipeline passes
recent text as the prompt instead).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from echotui import SAMPLE_RATE
from echotui.errors import EchoError
from echotui.models.ct2_models import is_ct2_model as is_ct2_model  # re-exported
from echotui.models.ct2_models import known_models as known_models  # re-exported
from echotui.models.ct2_models import resolve_ct2_model
from echotui.models.hub import FIX
from echotui.providers.base import Capabilities, LoadedModel, ModelChoice, Provider, Segment, Word

if TYPE_CHECKING:  # names for annotations only
    from echotui.config import Settings
    from echotui.providers.base import TranscribeRequest

log = logging.getLogger(__name__)


def choose_device(requested: str, cuda_devices: int) -> str:
    """ "auto" → cuda when CTranslate2 sees a CUDA device, else cpu. Metal does not exist here."""
    if requested in ("metal", "mps"):
        raise EchoError(
            "faster-whisper (CTranslate2) has no Metal backend: use --provider whispercpp for the Apple GPU, "
            "or --whisper-device cpu"
        )
    if requested == "auto":
        return "cuda" if cuda_devices > 0 else "cpu"
    if requested == "cuda" and cuda_devices == 0:
        raise EchoError("CTranslate2 sees no CUDA device: use --whisper-device cpu (or auto)")
    if requested not in ("cpu", "cuda"):
        raise EchoError(f"unknown device {requested!r} for faster-whisper: use auto, cpu or cuda")
    return requested


def choose_compute(requested: str, device: str) -> str:
    if requested and requested != "default":
        return requested
    return "float16" if device == "cuda" else "int8"


class FasterWhisperProvider(Provider):
    """faster-whisper on a CTranslate2 model folder (local, cached, or downloaded by name)."""

    name: ClassVar[str] = "faster-whisper"
    capabilities: ClassVar[Capabilities] = Capabilities(
        ("cuda", "cpu"), word_timestamps=True, model_format="ct2"
    )

    @classmethod
    def from_settings(cls, settings: Settings) -> FasterWhisperProvider:
        threads, language = settings.threads, settings.language
        options = {"device": settings.whisper_device, "compute_type": settings.whisper_compute}
        return cls(ModelChoice.from_settings(settings), **options, threads=threads, language=language)

    def __init__(
        self,
        choice: ModelChoice,
        *,
        device: str = "auto",
        compute_type: str = "default",
        threads: int = 4,
        language: str = "en",
    ) -> None:
        self.choice, self.device, self.compute_type = choice, device, compute_type
        self.threads, self.language = threads, language
        self._model: Any = None

    def _resolve(self) -> Path:
        return resolve_ct2_model(self.choice)

    def load(self) -> LoadedModel:
        import ctranslate2
        from faster_whisper import WhisperModel

        folder = self._resolve()
        if not (folder / "tokenizer.json").is_file():
            raise EchoError(f"{folder} has no tokenizer.json (faster-whisper would fetch one online): {FIX}")
        ctranslate2.set_log_level(logging.WARNING)
        device = choose_device(self.device, ctranslate2.get_cuda_device_count())
        compute = choose_compute(self.compute_type, device)
        try:
            self._model = WhisperModel(
                str(folder),
                device=device,
                compute_type=compute,
                cpu_threads=self.threads,
                local_files_only=True,
            )
        except (RuntimeError, ValueError) as error:
            log.exception("faster-whisper could not load %s", folder)
            raise EchoError(f"faster-whisper could not load {folder} ({error}): {FIX}") from None
        backend = str(self._model.model.device)  # what CTranslate2 actually uses
        log.info("loaded %s on %s (%s)", folder, backend, compute)
        return LoadedModel(self.name, self.choice.label(folder), backend, str(folder))

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        if self._model is None:
            raise RuntimeError("transcribe() before load()")
        duration = len(request.audio) / SAMPLE_RATE
        pieces, _info = self._model.transcribe(
            request.audio,
            language=self.language,
            beam_size=1,
            temperature=0.0,
            condition_on_previous_text=False,
            initial_prompt=request.prompt or None,
            vad_filter=False,
            word_timestamps=request.word_timestamps,
        )
        segments = []
        for piece in pieces:  # a lazy generator: the work happens here, on the provider's thread
            text = piece.text.strip()
            if text:
                start = min(piece.start, duration)
                words = tuple(
                    Word(float(min(w.start, duration)), float(min(max(w.end, w.start), duration)), said)
                    for w in piece.words or ()
                    if (said := w.word.strip())
                )
                segments.append(Segment(start, min(max(piece.end, start), duration), text, words))
        return segments

    def close(self) -> None:
        self._model = None
