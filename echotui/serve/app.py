"""The Ray Serve deployment: a FastAPI ingress whose every replica loads its engine once (through
`providers.registry.create_provider`, as the app does) and runs it on one thread of its own, so a native
context is never used from two threads. A request that fails is answered and the replica lives on."""

# No `from __future__ import annotations`: FastAPI reads these handlers' annotations at run time.
import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from ray import serve
from starlette.datastructures import UploadFile

from echotui import SAMPLE_RATE
from echotui.config import Settings
from echotui.providers.base import Segment, TranscribeRequest
from echotui.providers.registry import create_provider
from echotui.providers.remote import FULL_WINDOW_FIELD
from echotui.serve.api import MAX_BODY_BYTES, BadRequest, check_format, check_key, decode_audio, reply

log = logging.getLogger(__name__)

api = FastAPI(title="echotui serve", docs_url=None, redoc_url=None, openapi_url=None)


def _refuse(error: BadRequest) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status)


@serve.deployment
@serve.ingress(api)
class Transcriber:
    """One replica: the engine loaded once, and the three routes."""

    def __init__(self, settings: Settings, key_digest: bytes | None) -> None:
        self._engine = ThreadPoolExecutor(1, thread_name_prefix="echotui-engine")
        self._provider = create_provider(settings)
        self._loaded = self._engine.submit(self._provider.load).result()
        self._digest, self._language = key_digest, settings.language
        log.info("replica ready: %s", self._loaded)

    @api.get("/health")
    def health(self) -> dict[str, Any]:
        loaded = self._loaded
        return {"status": "ok", "provider": loaded.provider, "model": loaded.model, "device": loaded.backend}

    @api.get("/v1/models")
    def models(self, request: Request) -> Response:
        try:
            check_key(request.headers.get("authorization"), self._digest)
        except BadRequest as error:
            return _refuse(error)
        model = {"id": self._loaded.model, "object": "model", "created": 0, "owned_by": "echotui"}
        return JSONResponse({"object": "list", "data": [model]})

    @api.post("/v1/audio/transcriptions")
    async def transcriptions(self, request: Request) -> Response:
        try:
            check_key(request.headers.get("authorization"), self._digest)
            return await self._transcribe(request)
        except BadRequest as error:
            log.info("refused a request: %d %s", error.status, error.message)
            return _refuse(error)

    async def _transcribe(self, request: Request) -> Response:
        """The transcription, with a `Server-Timing` header: `queue` (waiting for this replica's engine),
        `engine` (the engine call) and `total` (the whole handler, reading the upload included), in ms,
        so a client can split its round trip into the network's share and the server's."""
        arrived = time.perf_counter()
        if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
            raise BadRequest(413, f"the body is over {MAX_BODY_BYTES >> 20} MB: send at most 30 s of audio")
        try:
            form = await request.form()
        except Exception:  # starlette raises several kinds for a body that is not a form
            raise BadRequest(
                400, "the body is not multipart/form-data: send the audio as the 'file' field"
            ) from None
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise BadRequest(400, "no 'file' field: send the audio as the multipart field 'file'")
        response_format = check_format(str(form.get("response_format") or "json"))
        words = response_format == "verbose_json" and "word" in form.getlist("timestamp_granularities[]")
        audio = decode_audio(await upload.read())
        full = form.get(FULL_WINDOW_FIELD) == "true"  # echotui's remote provider decoding a long window
        engine_request = TranscribeRequest(
            audio, 0.0, True, prompt=str(form.get("prompt") or ""), word_timestamps=words, full_window=full
        )
        queued = time.perf_counter()

        def run() -> tuple[list[Segment], float, float]:
            began = time.perf_counter()
            return self._provider.transcribe(engine_request), began, time.perf_counter()

        try:
            segments, began, ended = await asyncio.get_running_loop().run_in_executor(self._engine, run)
        except Exception as error:
            log.exception("the engine failed on a request")
            raise BadRequest(500, f"the engine failed: {type(error).__name__}", "server_error") from None
        body = reply(response_format, segments, len(audio) / SAMPLE_RATE, self._language, words)
        response = PlainTextResponse(body) if isinstance(body, str) else JSONResponse(body)
        spans = {"queue": began - queued, "engine": ended - began, "total": time.perf_counter() - arrived}
        response.headers["Server-Timing"] = ", ".join(f"{k};dur={v * 1000:.1f}" for k, v in spans.items())
        return response
