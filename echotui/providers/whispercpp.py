"""whisper.cpp through pywhispercpp: Metal on Apple Silicon, CUDA where the build has it, else CPU."""

from __future__ import annotations

import logging
import math
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from echotui import SAMPLE_RATE
from echotui.errors import EchoError
from echotui.logs import whisper_log
from echotui.models.choice import ModelChoice
from echotui.models.ggml_models import check_ggml_file, resolve_model
from echotui.models.naming import whisper_name
from echotui.providers.base import LoadedModel, Segment, Word
from echotui.providers.whispercpp_abilities import WhisperCppAbilities, file_that_runs
from echotui.quality import TOKENS_MIN, TOKENS_PER_SECOND, is_loop, looped, strip_markers, words

if TYPE_CHECKING:  # names for annotations only
    from echotui.config import Settings
    from echotui.providers.base import TranscribeRequest

log = logging.getLogger(__name__)

MIN_SAMPLES = SAMPLE_RATE + SAMPLE_RATE // 10
TEMPERATURE_STEP = 0.2
"""whisper's own fallback (and whisper.cpp's default): a decode that fails (its text repeats, or its
tokens' entropy or log-probability says so) is decoded again at this much higher temperature, up to 1.0,
reusing the encoder's output. Off (0.0) a live pass over noisy speech looped to `max_tokens` and then
paid a full-window retry: 2.9 s where a pass takes 0.45 s (measured on the unseen phone call)."""
# Alignment heads per model (whisper.cpp's presets), for the models a ggml header tells apart (`whisper_name`:
# large-v1, -v2 and -v3 share their dimensions, so "large" gets none).
DTW_PRESETS = {
    name: f"WHISPER_AHEADS_{name.upper().replace('.', '_').replace('-', '_')}"
    for name in (
        "tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en", "large-v3-turbo",
    )
}  # fmt: skip
_GPU_LINE = re.compile(r"whisper_backend_init_gpu: using (\S+) backend", re.IGNORECASE)


def backend_from_log(lines: list[str]) -> str:
    """whisper.cpp's own report of where it runs: "metal", "cuda", another GPU name, or "cpu"."""
    for line in lines:
        match = _GPU_LINE.search(line)
        if match:
            name = match.group(1).lower()
            for known in ("metal", "cuda", "vulkan"):
                if name.startswith(known):
                    return known
            return name
    return "cpu"


def audio_ctx_for(n_samples: int, margin: int = 128) -> int:
    """Encoder frames needed for `n_samples` of audio (50 per second) plus a margin, at most 1500.

    whisper.cpp otherwise encodes a full 30 s window for every call; the margin keeps the decoder from
    running on past the end of short audio (ggml-org/whisper.cpp#1855, #137).
    """
    return min(1500, math.ceil(n_samples / SAMPLE_RATE * 50) + margin)


class WhisperCppProvider(WhisperCppAbilities):
    """whisper.cpp on a ggml model file (what it knows of machines: `WhisperCppAbilities`)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> WhisperCppProvider:
        return cls(
            ModelChoice.from_settings(settings),
            threads=settings.threads,
            use_gpu=settings.whisper_device != "cpu",
            compute_type=settings.whisper_compute,
            language=settings.language,
        )

    def __init__(
        self,
        choice: ModelChoice,
        *,
        threads: int = 4,
        use_gpu: bool = True,
        compute_type: str = "default",
        language: str = "en",
        adaptive_window: bool = True,
    ) -> None:
        self.choice = choice
        self.model_path = choice.path
        self.threads = threads
        self.use_gpu = use_gpu
        self.compute_type = compute_type
        self.language = language
        self.adaptive_window = adaptive_window
        self._model: Any = None

    def load(self) -> LoadedModel:
        if self.model_path is None:
            self.model_path = resolve_model(self.choice.name, self.choice.models_dir, self.choice.token)
        header = check_ggml_file(self.model_path)  # a bad file would crash the process, not raise
        runs = file_that_runs(self.model_path, self.compute_type, self.use_gpu)
        import _pywhispercpp as pw
        from pywhispercpp.model import Model

        context: dict[str, object] = {"use_gpu": self.use_gpu}
        size = self.model_path.stat().st_size
        held = whisper_name(header.n_text_layer, header.n_vocab, header.n_audio_layer, size)
        preset = getattr(pw, DTW_PRESETS.get(held or "", ""), None)
        if preset is not None:
            # word times by DTW over the alignment heads' cross-attention, as OpenAI's whisper does: the
            # decoder's timestamp tokens drift by a second or more between windows, and the committed-word
            # policy recognises words it heard before by where they end. whisper.cpp computes DTW only
            # without flash attention. A model it has no heads for keeps the decoder's times.
            context |= {"flash_attn": False, "dtw_token_timestamps": True, "dtw_aheads_preset": preset}

        lines: list[str] = []
        stop_listening = whisper_log.listen(lines.append)
        try:
            self._model = Model(
                str(runs),
                context_params=context,  # type: ignore[arg-type]
                n_threads=self.threads,
                language=self.language,
                print_progress=False,
                print_realtime=False,
                print_timestamps=False,
                no_context=True,
                suppress_blank=True,
                temperature_inc=TEMPERATURE_STEP,
            )
        finally:
            stop_listening()
        if self._model._ctx is None:
            raise EchoError(f"whisper.cpp could not load {self.model_path}: see the log file for why")
        backend = backend_from_log(lines)
        log.info("loaded %s on %s", runs, backend)
        copy = str(runs) if runs != self.model_path else ""
        return LoadedModel(self.name, self.choice.label(self.model_path), backend, str(self.model_path), copy)

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        """Decode with the encoder window sized to the audio (a decode that fails is decoded again
        hotter within the call: `TEMPERATURE_STEP`); if the text still loops, decode once more with the
        full window and no prompt. What still loops, marks non-speech or holds no word is never
        returned."""
        if self._model is None:
            raise RuntimeError("transcribe() before load()")
        audio = request.audio
        duration = len(audio) / SAMPLE_RATE
        if len(audio) < MIN_SAMPLES:  # whisper.cpp returns nothing for input under 1 s
            audio = np.concatenate((audio, np.zeros(MIN_SAMPLES - len(audio), dtype=np.float32)))
        window = audio_ctx_for(len(audio)) if self.adaptive_window and not request.full_window else 0
        # A prompt over a shortened window pulls the decoder into loops on real weights (measured: 2 of 5
        # jfk.wav utterances looped), so the prompt is only given with the full window.
        prompt = "" if window else request.prompt
        timed = request.word_timestamps
        segments = self._decode(audio, duration, window, prompt, timed)
        if looped(" ".join(s.text for s in segments), duration) and (window or prompt):
            log.info("whisper.cpp looped on %.1f s of audio; decoding again with the full window", duration)
            segments = self._decode(audio, duration, 0, "", timed)
        return [s for s in segments if not is_loop(s.text)]

    def _decode(
        self, audio: np.ndarray, duration: float, audio_ctx: int, prompt: str, timed: bool
    ) -> list[Segment]:
        raw = self._model.transcribe(
            audio,
            audio_ctx=audio_ctx,
            initial_prompt=prompt,
            suppress_nst=True,  # no [BLANK_AUDIO], (music) or other non-speech tokens
            max_tokens=TOKENS_MIN + math.ceil(duration * TOKENS_PER_SECOND),
            token_timestamps=timed,
        )
        segments = []
        for index, seg in enumerate(raw):
            text = strip_markers(seg.text)
            if words(text):  # no empty captions, no punctuation alone
                start = min(seg.t0 / 100.0, duration)  # whisper.cpp times are in 10 ms units
                end = min(max(seg.t1 / 100.0, start), duration)
                timed_words = self._words(index, duration, padded=not audio_ctx) if timed else ()
                segments.append(Segment(start, end, text, timed_words))
        return segments

    def _words(self, segment: int, duration: float, padded: bool) -> tuple[Word, ...]:
        """The segment's words from its tokens' times: a token that starts with a space starts a word, any
        other (a word piece, punctuation) extends the word before it. Special tokens are skipped.

        `padded`: the call heard a full 30 s window. There the decoder times the last words of its text at
        the window's end, while DTW still says where each ends: a word whose decoder start lies past its
        DTW end starts where the word before it ended. (In the live layer's sized windows the decoder's
        times are kept as they are: there, DTW's alone made the passes agree later, measured.)"""
        import _pywhispercpp as pw

        ctx = self._model._ctx
        eot = pw.whisper_token_eot(ctx)
        pieces: list[tuple[float, float, bytes]] = []
        for j in range(pw.whisper_full_n_tokens(ctx, segment)):
            data = pw.whisper_full_get_token_data(ctx, segment, j)
            if data.id >= eot:
                continue
            raw: bytes = pw.whisper_token_to_bytes(ctx, data.id)
            t0 = min(data.t0 / 100.0, duration)
            # DTW's time is where the token ends (-1 when DTW did not run: then the decoder's own end)
            t1 = min((data.t_dtw if data.t_dtw >= 0 else data.t1) / 100.0, duration)
            if pieces and not raw.startswith(b" "):
                start, end, joined = pieces[-1]
                pieces[-1] = (start, max(t1, end), joined + raw)
            else:
                start = max(t0, pieces[-1][1]) if pieces else t0  # after the word before
                if padded and start > t1 and data.t_dtw >= 0:
                    start = min(pieces[-1][1], t1) if pieces else t1
                pieces.append((min(start, t1), max(t1, start), raw))
        out = []
        for start, end, piece in pieces:
            text = strip_markers(piece.decode("utf-8", errors="replace"))
            if words(text):
                out.append(Word(start, end, text))
        return tuple(out)

    def close(self) -> None:
        self._model = None
