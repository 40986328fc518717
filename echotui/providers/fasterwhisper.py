"""faster-whisper (CTranslate2): CUDA float16 where CTranslate2 sees a GPU, else CPU int8.

CTranslate2 has no Metal backend, so on a Mac this provider runs on the CPU and says so. Decoding is set
for streaming: greedy, no temperature fallback, no conditioning on earlier windows (the pipeline passes
recent text as the prompt instead).

The encoder hears the audio plus a margin, not the audio padded to 30 s: CTranslate2's encoder takes any
length up to 30 s, and faster-whisper otherwise pays a full 30 s window for every streaming pass (0.22 s
for tiny.en int8 on 2 threads against 0.03 s for 10 s). Like whisper.cpp's `audio_ctx`; output that loops
is decoded again with the full window.

Audio that fits in one window is decoded in one pass when word times are asked for (the streaming layers
cut their windows themselves): faster-whisper would otherwise decode the tail after the last word again,
a second encoder run and decoder pass on nearly every streaming call (8 s of tiny.en int8 with a prompt on
2 threads: 0.69 s, now 0.51 s), as a window of speech cut by the caller seldom ends as a finished segment.
Only where the decoder stopped well before the audio does (it heard one sentence of a window holding two,
and ended there) is the rest decoded, once, with what was heard as its prompt.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from echotui import SAMPLE_RATE
from echotui.errors import EchoError
from echotui.models.choice import ModelChoice
from echotui.models.ct2_models import is_ct2_model as is_ct2_model  # re-exported
from echotui.models.ct2_models import known_models as known_models  # re-exported
from echotui.models.ct2_models import resolve_ct2_model
from echotui.models.hub import FIX
from echotui.providers.base import LoadedModel, Segment, Word
from echotui.providers.fasterwhisper_abilities import FasterWhisperAbilities, choose_compute, choose_device
from echotui.quality import TOKENS_MIN, TOKENS_PER_SECOND, looped

if TYPE_CHECKING:  # names for annotations only
    from echotui.config import Settings
    from echotui.providers.base import TranscribeRequest

log = logging.getLogger(__name__)


# Per 30 s window; with the longest prompt whisper keeps (223 tokens) still within the model's 448 tokens,
# where faster-whisper raises instead.
MAX_NEW_TOKENS = 220
MEL_FRAMES_PER_S = 100
FULL_WINDOW_FRAMES = 3000
FULL_WINDOW_SAMPLES = FULL_WINDOW_FRAMES * SAMPLE_RATE // MEL_FRAMES_PER_S
ENCODER_MARGIN_FRAMES = 256  # 2.56 s, as whisper.cpp's audio_ctx margin: the decoder stops where speech does
TIME_PRECISION_S = 0.02  # one timestamp token
# A decoder that stops this long before the audio ends left speech unheard (a cut window's last word, or a
# final window's closing pause, is shorter): the rest is decoded once more, as faster-whisper would.
REST_AFTER_S = 1.0


def encoder_frames_for(n_samples: int) -> int | None:
    """Mel frames the encoder hears for `n_samples` of audio (even: the encoder halves them), or None for
    the full 30 s window when the audio and margin fill it anyway."""
    frames = math.ceil(n_samples / SAMPLE_RATE * MEL_FRAMES_PER_S) + ENCODER_MARGIN_FRAMES
    frames += frames % 2
    return frames if frames < FULL_WINDOW_FRAMES else None


def one_window_tokens(tokens: list[int], timestamp_begin: int, segment_duration: float) -> list[int]:
    """A window's tokens closed as whisper closes a window whose speech it heard to the end: a text tail
    gets a closing timestamp at the window's end, and a timestamp pair at the end loses the empty segment
    it opened. faster-whisper would otherwise drop that tail and seek back to decode it again."""
    if not tokens:
        return tokens
    if tokens[-1] < timestamp_begin:
        end = timestamp_begin + min(round(segment_duration / TIME_PRECISION_S), FULL_WINDOW_FRAMES // 2)
        return [*tokens, max([end, *(token for token in tokens if token >= timestamp_begin)])]
    if len(tokens) >= 2 and tokens[-2] >= timestamp_begin:
        return tokens[:-1]
    return tokens


def _windowed(base: type) -> type:
    class WindowedWhisperModel(base):
        """faster-whisper whose encoder hears `encoder_frames` mel frames (when set), not 30 s padded, and
        that decodes audio within one window in one pass when `one_window` is set."""

        encoder_frames: int | None = None
        one_window = False

        def encode(self, features: Any) -> Any:
            if self.encoder_frames is not None and features.shape[-1] > self.encoder_frames:
                features = features[..., : self.encoder_frames]
            return super().encode(features)

        def _split_segments_by_timestamps(self, tokenizer: Any, tokens: list[int], **rest: Any) -> Any:
            # (a faster-whisper whose method takes other arguments decodes as it always did)
            if self.one_window and rest.get("seek") == 0 and "segment_duration" in rest:
                tokens = one_window_tokens(tokens, tokenizer.timestamp_begin, rest["segment_duration"])
            return super()._split_segments_by_timestamps(tokenizer=tokenizer, tokens=tokens, **rest)

    return WindowedWhisperModel


class FasterWhisperProvider(FasterWhisperAbilities):
    """faster-whisper on a CTranslate2 model folder (local, cached, or downloaded by name); what it knows of
    machines: `FasterWhisperAbilities`."""

    @classmethod
    def from_settings(cls, settings: Settings) -> FasterWhisperProvider:
        return cls(
            ModelChoice.from_settings(settings),
            device=settings.whisper_device,
            compute_type=settings.whisper_compute,
            threads=settings.threads,
            language=settings.language,
        )

    def __init__(
        self,
        choice: ModelChoice,
        *,
        device: str = "auto",
        compute_type: str = "default",
        threads: int = 4,
        language: str = "en",
        adaptive_window: bool = True,
    ) -> None:
        self.choice, self.device, self.compute_type = choice, device, compute_type
        self.threads, self.language = threads, language
        self.adaptive_window = adaptive_window
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
            self._model = _windowed(WhisperModel)(
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
        """Decode with the encoder window sized to the audio (`_heard`); where the decoder stopped well
        before the audio ends, decode the rest (`_rest`)."""
        if self._model is None:
            raise RuntimeError("transcribe() before load()")
        self._model.one_window = request.word_timestamps and len(request.audio) <= FULL_WINDOW_SAMPLES
        segments = self._heard(request, request.prompt)
        if self._model.one_window:
            segments += self._rest(request, segments)
        return segments

    def _heard(self, request: TranscribeRequest, prompt: str) -> list[Segment]:
        """Decode with the encoder window sized to the audio; if that loops, decode once more with the
        full window and no prompt, as whisper.cpp's provider does."""
        duration = len(request.audio) / SAMPLE_RATE
        adaptive = self.adaptive_window and not request.full_window
        frames = encoder_frames_for(len(request.audio)) if adaptive else None
        self._model.encoder_frames = frames
        segments = self._decode(request, duration, prompt)
        if frames is not None and looped(" ".join(s.text for s in segments), duration):
            log.info("faster-whisper looped on %.1f s; decoding again with the full window", duration)
            self._model.encoder_frames = None
            segments = self._decode(request, duration, "")
        return segments

    def _rest(self, request: TranscribeRequest, heard: list[Segment]) -> list[Segment]:
        """What the one-pass decode left unheard after its last word, decoded with the heard text as the
        prompt; nothing when the decoder went on to the end of the audio (or heard no word)."""
        duration = len(request.audio) / SAMPLE_RATE
        last = next((w.end_s for s in reversed(heard) for w in reversed(s.words)), None)
        if last is None or duration - last < REST_AFTER_S:
            return []
        log.info("faster-whisper stopped at %.1f s of %.1f s; decoding the rest", last, duration)
        prompt = " ".join((request.prompt, *(s.text for s in heard))).strip()  # faster-whisper keeps its end
        later = self._heard(replace(request, audio=request.audio[round(last * SAMPLE_RATE) :]), prompt)
        if looped(" ".join(s.text for s in later), duration - last):
            return []
        return [_shifted(segment, last, duration) for segment in later]

    def _decode(self, request: TranscribeRequest, duration: float, prompt: str | None) -> list[Segment]:
        pieces, _info = self._model.transcribe(
            request.audio,
            language=self.language,
            beam_size=1,
            temperature=0.0,
            condition_on_previous_text=False,
            initial_prompt=prompt or None,
            vad_filter=False,
            word_timestamps=request.word_timestamps,
            max_new_tokens=min(TOKENS_MIN + math.ceil(duration * TOKENS_PER_SECOND), MAX_NEW_TOKENS),
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


def _shifted(segment: Segment, by: float, duration: float) -> Segment:
    """`segment` decoded from audio that starts `by` seconds into a call's audio of `duration` seconds."""

    def at(t: float) -> float:
        return min(t + by, duration)

    words = tuple(Word(at(w.start_s), at(w.end_s), w.text) for w in segment.words)
    return Segment(at(segment.start_s), at(segment.end_s), segment.text, words)
