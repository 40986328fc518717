"""`--record`: the captured audio, kept beside the session's journal so the session can be replayed.

WavPack through PyAV (FFmpeg), which echotui already uses to decode files: WavPack stores float32
losslessly (FLAC only takes integers, so float audio would be rounded and a replay could differ), it
compresses (speech with pauses to roughly half), and the file replays through the same decoder as any
other. Blocks are encoded on a writer thread: the event loop only hands them over. Gaps on the timeline
(a lost device) are written as silence so the recording's times match the journal's.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path

import numpy as np

from echotui import SAMPLE_RATE
from echotui.pipeline.queue import AudioQueue

SUFFIX = ".wv"

log = logging.getLogger(__name__)


class AudioRecording:
    """Writes 16 kHz mono float32 blocks to `path` as they come.

    Attributes:
        path: the recording.
        samples: samples handed over so far.
        error: why writing failed, if it did (logged; capture goes on).
    """

    def __init__(self, path: Path) -> None:
        import av

        self.path = path
        self.samples = 0
        self.error: Exception | None = None
        self._container = av.open(str(path), "w", format="wv")
        self._stream = self._container.add_stream("wavpack", rate=SAMPLE_RATE, layout="mono")
        self._stream.format = "fltp"
        self._blocks: queue.SimpleQueue[np.ndarray | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._write, name="echotui-recording", daemon=True)
        self._thread.start()

    def write(self, samples: np.ndarray) -> None:
        """Hand over a block (call on the event loop; the block must not change afterwards)."""
        self.samples += len(samples)
        self._blocks.put(samples)

    def _write(self) -> None:
        import av

        try:
            while (block := self._blocks.get()) is not None:
                frame = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(block, dtype=np.float32).reshape(1, -1), format="fltp", layout="mono"
                )
                frame.sample_rate = SAMPLE_RATE
                for packet in self._stream.encode(frame):
                    self._container.mux(packet)
            for packet in self._stream.encode(None):
                self._container.mux(packet)
        except Exception as error:
            log.exception("writing the recording %s failed", self.path)
            self.error = error
        finally:
            self._container.close()

    def close(self, timeout: float = 10.0) -> None:
        """Write what is left and close the file."""
        self._blocks.put(None)
        self._thread.join(timeout)


def recording_path(journal_path: Path) -> Path:
    """Where the recording of the session journaled at `journal_path` lies."""
    return journal_path.with_suffix(SUFFIX)


def start_recording(journal_path: Path | None, audio_queue: AudioQueue) -> AudioRecording | None:
    """Record everything that enters `audio_queue` beside the journal (None without a journal)."""
    if journal_path is None:
        return None
    recording = AudioRecording(recording_path(journal_path))
    audio_queue.tap = recording.write
    return recording
