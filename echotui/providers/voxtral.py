"""Voxtral Realtime through one persistent `voxtral --stdin` process (voxtral.c).

The model (8.9 GB) loads once per session, never per chunk. Audio goes to the process's stdin as s16le
16 kHz mono as the pipeline hands it over: each partial call writes only the audio that is new since the
last call; the final call writes the rest and then `pad_s` of silence, so the encoder runs over the end of
the utterance. A reader thread collects tokens from stdout, so nothing ever blocks on the process; an
utterance's text is every token that arrived while its audio (and padding) went in, until the output has
been quiet for `quiet_s`.

If the process dies it is restarted, a notice says so, and all audio whose tokens are not yet in a final
text is written again (the tokens the dead process gave for it are dropped): nothing is lost or counted
twice.
voxtral.c gives no timestamps, so each utterance is one segment spanning its audio.
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import os
import platform
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np

from echotui import SAMPLE_RATE
from echotui.errors import EchoError
from echotui.logs import default_log_path, log_path
from echotui.providers.base import LoadedModel, Segment, TranscribeRequest
from echotui.providers.voxtral_abilities import VoxtralAbilities, check_model_dir, find_binary

if TYPE_CHECKING:
    from echotui.config import Settings

log = logging.getLogger(__name__)

START_CHECK_S = 1.0
"""How long a just-started voxtral is watched for exiting at once (a binary or model it cannot use); a busy
machine can take a few hundred ms just to start the process."""

MAX_QUICK_DEATHS = 3


def to_s16le(audio: np.ndarray) -> bytes:
    return np.round(np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


class _Process:
    """One running voxtral process and the thread that reads its tokens."""

    def __init__(self, argv: list[str], stderr: IO[bytes] | int) -> None:
        self.popen = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
        self.started = time.monotonic()
        self.tokens: queue.Queue[str] = queue.Queue()
        self.reader_error: Exception | None = None
        """Why the reader thread died, if it did (logged; the next engine call raises it)."""
        self._reader = threading.Thread(target=self._read, name="echotui-voxtral-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            assert self.popen.stdout is not None
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            fd = self.popen.stdout.fileno()
            while chunk := os.read(fd, 4096):
                text = decoder.decode(chunk)
                if text:
                    self.tokens.put(text)
        except Exception as error:  # never vanish silently: log it, and the next call raises it
            log.exception("voxtral's reader thread failed")
            self.reader_error = error

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def write(self, data: bytes) -> bool:
        """Write audio; False if the process is gone."""
        assert self.popen.stdin is not None
        try:
            self.popen.stdin.write(data)
            self.popen.stdin.flush()
        except (BrokenPipeError, OSError):
            return False
        return self.alive

    def drain(self) -> str:
        parts = []
        while True:
            try:
                parts.append(self.tokens.get_nowait())
            except queue.Empty:
                return "".join(parts)

    def stop(self, timeout: float = 5.0) -> None:
        """Close stdin, wait, then kill."""
        if self.popen.stdin is not None:
            with contextlib.suppress(OSError):
                self.popen.stdin.close()
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
        self._reader.join(timeout=1.0)


class VoxtralProvider(VoxtralAbilities):
    """Voxtral Realtime (voxtral.c) as a persistent streaming process (what it knows of machines:
    `VoxtralAbilities`)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> VoxtralProvider:
        return cls(settings.voxtral_bin, settings.voxtral_model, interval_s=settings.voxtral_interval)

    def __init__(
        self,
        binary: str | None,
        model_dir: Path | None,
        *,
        interval_s: float = 0.5,
        pad_s: float | None = None,
        quiet_s: float | None = None,
        max_wait_s: float = 15.0,
    ) -> None:
        self.binary = binary
        self.model_dir = model_dir
        self.interval_s = interval_s
        self.pad_s = interval_s + 0.5 if pad_s is None else pad_s
        self.quiet_s = max(0.25, interval_s) if quiet_s is None else quiet_s
        self.max_wait_s = max_wait_s
        self.restarts = 0
        self._argv: list[str] = []
        self._process: _Process | None = None
        self._utterance_start: float | None = None
        self._written_until = 0  # timeline index up to which audio went to the current process
        self._committed_until = 0  # ... and up to which its tokens are in text already finalized
        self._text = ""  # tokens received for the current utterance
        self._notices: list[str] = []
        self._stderr: IO[bytes] | None = None
        self._quick_deaths = 0

    def load(self) -> LoadedModel:
        binary = find_binary(self.binary)
        model_dir = check_model_dir(self.model_dir)
        self._argv = [str(binary), "-d", str(model_dir), "--stdin", "-I", f"{self.interval_s:g}", "--silent"]
        path = log_path() or default_log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._stderr = path.open("ab")
        self._start()
        assert self._process is not None
        with contextlib.suppress(subprocess.TimeoutExpired):  # a binary that cannot start exits at once
            self._process.popen.wait(timeout=START_CHECK_S)  # (returns as soon as it does)
        if not self._process.alive:
            raise EchoError(
                f"voxtral exited at start (code {self._process.popen.returncode}): see {path} for its message"
            )
        return LoadedModel(self.name, model_dir.name, self._backend(), str(model_dir))

    @staticmethod
    def _backend() -> str:
        # voxtral.c --silent reports nothing; the build for this platform decides (make mps / make blas).
        if platform.system() == "Darwin" and platform.machine() == "arm64":
            return "metal"
        return "cpu"

    def _start(self) -> None:
        log.info("starting %s", " ".join(self._argv))
        self._process = _Process(self._argv, self._stderr if self._stderr is not None else subprocess.DEVNULL)

    def _restart(self) -> None:
        """The process died: start another; what it heard after the last final text is written again."""
        assert self._process is not None
        code = self._process.popen.poll()
        lived = time.monotonic() - self._process.started
        self._process.stop(timeout=1.0)
        self._quick_deaths = self._quick_deaths + 1 if lived < 5.0 else 0
        if self._quick_deaths >= MAX_QUICK_DEATHS:
            raise EchoError("voxtral keeps exiting right after it starts: see the log file for its message")
        self.restarts += 1
        message = f"voxtral exited (code {code}); restarted it and re-sent the current utterance"
        log.warning(message)
        self._notices.append(message)
        self._start()
        self._written_until = self._committed_until  # what the dead process heard but did not finalize
        self._text = ""

    def _write(self, data: bytes) -> bool:
        assert self._process is not None
        return self._process.write(data)

    def _feed(self, request: TranscribeRequest) -> None:
        """Write the part of the request's audio the process has not heard yet (a partial may already
        have sent audio past where the utterance was finally cut); after a death, all of it again."""
        start = round(request.start_s * SAMPLE_RATE)
        end = start + len(request.audio)
        while True:
            new = request.audio[max(0, self._written_until - start) :]
            if not len(new) or self._write(to_s16le(new)):
                self._written_until = max(self._written_until, end)
                return
            self._restart()

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        if self._process is None:
            raise RuntimeError("transcribe() before load()")
        if request.start_s != self._utterance_start:  # a new utterance
            self._utterance_start, self._text = request.start_s, ""
        self._feed(request)
        self._check_reader()
        assert self._process is not None
        self._text += self._process.drain()
        if request.final:
            self._finish(request)
        text = " ".join(self._text.split())
        if request.final:
            self._utterance_start = None
        duration = len(request.audio) / SAMPLE_RATE
        return [Segment(0.0, duration, text)] if text else []

    def _check_reader(self) -> None:
        """The reader thread died (logged there): this engine call fails with the reason."""
        error = self._process.reader_error if self._process is not None else None
        if error is not None:
            raise EchoError(f"voxtral's output could not be read ({type(error).__name__}: {error})")

    def _finish(self, request: TranscribeRequest) -> None:
        """Pad with silence so the encoder covers the end, then gather tokens until the output is quiet."""
        padding = to_s16le(np.zeros(round(self.pad_s * SAMPLE_RATE), dtype=np.float32))
        while not self._write(padding):
            self._restart()
            self._feed(request)
        began = last = time.monotonic()
        while True:
            assert self._process is not None
            try:
                self._text += self._process.tokens.get(timeout=0.05)
                last = time.monotonic()
            except queue.Empty:
                pass
            now = time.monotonic()
            self._check_reader()
            if not self._process.alive and self._process.tokens.empty():
                self._restart()
                self._feed(request)
                self._finish(request)
                return
            if now - last >= self.quiet_s and now - began >= self.interval_s:
                self._committed_until = self._written_until
                return
            if now - began >= self.max_wait_s:
                log.warning("voxtral gave no end to its output within %.0f s", self.max_wait_s)
                self._committed_until = self._written_until
                return

    def drain_notices(self) -> list[str]:
        notices, self._notices = self._notices, []
        return notices

    def close(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
