"""The segmenter on its own thread, so that frame VAD (webrtcvad and Silero's ONNX model every 32 ms) never
runs on the event loop.

The loop sees the segmenter's counts only as they were after the last block came back, and counts a block
on the thread as in flight, so the ledger it reads always adds up.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from echotui.pipeline.queue import AudioBlock
from echotui.pipeline.segmenter import Segmenter, Utterance
from echotui.pipeline.streaming_config import StreamingConfig
from echotui.pipeline.vad import AllSpeech, CombinedVad, FrameClassifier


class FramingThread:
    """Runs `Segmenter.push` on a dedicated thread, one block at a time (the consumer awaits each)."""

    def __init__(self, segmenter: Segmenter) -> None:
        self.segmenter = segmenter
        self.in_flight = 0
        """Samples of the block on the thread now."""
        self.pending = 0
        """Samples the segmenter held after the last block (pre-roll, open utterance, a partial frame)."""
        self.skipped = 0
        """Samples judged silence, as of the last block."""
        self.is_open = False
        """An utterance was open after the last block."""
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="echotui-vad")

    @classmethod
    def for_settings(
        cls, config: StreamingConfig, classifier: FrameClassifier | None = None
    ) -> FramingThread:
        """webrtcvad with streaming Silero (or every frame speech with `vad` off), unless `classifier`."""
        if classifier is None:
            classifier = CombinedVad(config.vad_aggressiveness) if config.vad else AllSpeech()
        return cls(
            Segmenter(
                classifier,
                min_silence_s=config.min_silence_seconds,
                max_utterance_s=config.max_utterance_seconds,
            )
        )

    async def push(self, block: AudioBlock) -> list[Utterance]:
        """Classify `block` off the loop; returns the utterances it closed."""
        self.in_flight = len(block.samples)
        loop = asyncio.get_running_loop()
        closed = await loop.run_in_executor(self._executor, self.segmenter.push, block)
        self._took_back()
        return closed

    def flush(self) -> list[Utterance]:
        """End of stream: close what is open (no classification left to do, so on the loop)."""
        closed = self.segmenter.flush()
        self._took_back()
        return closed

    def release(self, frames: int) -> int:
        """`Segmenter.release` (committed text hands the open utterance's first frames over for good), on
        the loop between blocks; the counts the loop sees follow at once."""
        released = self.segmenter.release(frames)
        self._took_back()
        return released

    def _took_back(self) -> None:
        self.in_flight = 0
        segmenter = self.segmenter
        self.pending, self.skipped, self.is_open = segmenter.pending, segmenter.skipped, segmenter.is_open

    def close(self) -> None:
        self._executor.shutdown(wait=True)
