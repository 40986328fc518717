"""The Textual app: captions beside the pipeline's health, and keys to steer it. It only composes and
displays; the engine (`Session`, the pipeline) does the work and computes every figure."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from echotui import shutdown
from echotui.errors import EchoError
from echotui.pipeline import events
from echotui.pipeline.output import FORMATS
from echotui.session import Session, Settings
from echotui.widgets.captions import CaptionView
from echotui.widgets.layout import BREAKPOINTS, KEYS
from echotui.widgets.panels import HealthPanel
from echotui.widgets.pickers import Choice, HelpScreen, ModelPick, ModelScreen, PickerScreen

REFRESH_S = 0.2
WAY_OUT = "press m to pick a model on this machine or open a model file or folder, p for another engine"

log = logging.getLogger(__name__)


class PipelineEventArrived(Message):
    """A pipeline event, delivered through Textual's message queue."""

    def __init__(self, event: events.PipelineEvent) -> None:
        super().__init__()
        self.event = event


class EchoApp(App[int]):
    """echotui's terminal UI over a running `Session`."""

    CSS_PATH = "app.tcss"
    TITLE = "echotui"
    BINDINGS: ClassVar[list[BindingType]] = KEYS
    HORIZONTAL_BREAKPOINTS = BREAKPOINTS

    def __init__(self, session: Session, log_path: Path | None = None, choice: str | None = None) -> None:
        super().__init__()
        self.session = session
        self.log_path = log_path
        self.choice = choice
        self.first_frame_s: float | None = None
        self._started = time.monotonic()
        self._pipeline_worker: Worker[None] | None = None
        self._remove_signals: Callable[[], None] = lambda: None
        self._signalled = False
        self.health = HealthPanel(id="health")
        """The health panel, held (not queried): the refresh timer may tick once more while the app
        closes and its screen is already empty; the panel then keeps the figures for no one."""
        session.listeners.append(self._forward)

    def _forward(self, event: events.PipelineEvent) -> None:
        self.post_message(PipelineEventArrived(event))

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield CaptionView(id="captions")
            yield self.health
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(REFRESH_S, self.refresh_health)
        self.refresh_health()
        self._pipeline_worker = self.run_worker(self._run_session(), name="pipeline", exit_on_error=False)
        self._remove_signals = shutdown.install_stop_signals(
            asyncio.get_running_loop(), self._on_stop_signal, lambda: self._abandon(signalled=True)
        )
        self.call_after_refresh(self._first_frame)

    def _first_frame(self) -> None:
        self.first_frame_s = time.monotonic() - self._started

    async def _run_session(self) -> None:
        try:
            await self.session.run(wait_for_model=True)
        except EchoError as error:  # the state line keeps the reason ("engine failed: …")
            if self.session.loaded is not None:  # a failed load was said when it happened
                self.notify(str(error), title="stopped", severity="error", timeout=30)
                self.query_one(CaptionView).show_notice(f"stopped: {error}")
        else:
            self.query_one(CaptionView).show_notice("— end of audio —")
        self.refresh_health()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A background worker that raised: into the log file with its traceback, and onto the screen."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            log.error("background worker %r failed", event.worker.name, exc_info=error)
            title = f"{event.worker.name} failed"
            self.notify(f"{type(error).__name__}: {error}", title=title, severity="error")

    def refresh_health(self) -> None:
        snapshot = self.session.snapshot()
        session = self.session
        self.health.update_health(snapshot, session.loaded, session.source.description)

    def on_pipeline_event_arrived(self, message: PipelineEventArrived) -> None:
        event, captions = message.event, self.query_one(CaptionView)
        if isinstance(event, events.PartialTranscribed):
            captions.show_partial(event)
        elif isinstance(event, events.FinalTranscribed):
            captions.show_final(event)
        elif isinstance(event, events.TranscriptRevised):
            captions.show_revision(event)
        elif isinstance(event, events.AudioDropped):
            captions.show_drop(event)
        elif isinstance(event, events.OverloadEpisode):  # one line per episode, the steps down in it
            captions.show_overload(event)
        elif isinstance(event, events.GovernorStepped) and event.down:
            self.notify(event.text, title="behind: stepped down", severity="warning")
        elif isinstance(event, events.SwapFailed):
            self.notify(event.message, title=f"{event.provider} could not load", severity="error", timeout=15)
        elif isinstance(event, events.LoadFailed):  # said once, where the user reads, with the way out
            captions.show_notice(f"{events.notice(event)} — {WAY_OUT}")
        elif (text := events.notice(event)) is not None:
            loaded = isinstance(event, events.ModelLoaded) and self.choice
            captions.show_notice(f"{text} — {self.choice}" if loaded else text)
            if isinstance(event, events.ProviderSwapped):
                self.notify(text, title="swapped")
            elif isinstance(event, events.EngineNotice):
                self.notify(event.message, title=event.provider, severity="warning")
            elif isinstance(event, events.MachineMeasured) and event.failed:
                self.notify(event.message, title="auto-selection", severity="warning")

    # ---- keys --------------------------------------------------------------------------------------

    def action_toggle_pause(self) -> None:
        paused = self.session.toggle_pause()
        self.notify("paused: audio is not captured" if paused else "listening again")
        self.refresh_health()

    def action_toggle_timestamps(self) -> None:
        captions = self.query_one(CaptionView)
        captions.timestamps = not captions.timestamps

    def action_toggle_health(self) -> None:
        self.health.toggle_class("-hidden")

    def action_clear(self) -> None:
        self.query_one(CaptionView).clear()
        self.notify("screen cleared; the saved transcript still holds everything")

    def action_help(self) -> None:
        journal = self.session.journal
        self.push_screen(
            HelpScreen(str(self.log_path or "(not set)"), str(journal.path if journal else "(none)"))
        )

    def action_save(self) -> None:
        choices = [Choice(f"{fmt}  ({self.session.describe(fmt)})", fmt) for fmt in FORMATS]
        self.push_screen(PickerScreen("Save the transcript as", choices, picker_id="save"), self._save)

    def _save(self, fmt: str | None) -> None:
        if fmt is None:
            return
        path = Path.cwd() / f"echotui-{time.strftime('%Y%m%d-%H%M%S')}.{fmt}"
        try:
            self.session.save(path, fmt)
        except OSError as error:
            self.notify(f"cannot write {path}: {error.strerror}", severity="error")
            return
        self.notify(f"saved {path}", title="transcript")

    async def action_pick_device(self) -> None:
        try:
            devices = await asyncio.to_thread(self.session.devices)
        except EchoError as error:
            self.notify(str(error), severity="error")
            return
        choices = [
            Choice(f"{'*' if d.is_default else ' '} {d.index:>3}  {d.name}  ({d.host_api})", str(d.index))
            for d in devices
        ]
        self.push_screen(PickerScreen("Input device", choices, picker_id="devices"), self._use_device)

    async def _use_device(self, index: str | None) -> None:
        if index is None:
            return
        try:
            await self.session.use_device(int(index))
        except EchoError as error:
            self.notify(str(error), severity="error")
            return
        self.notify(f"capturing from device {index}")

    async def action_pick_provider(self) -> None:
        statuses = await asyncio.to_thread(self.session.providers)
        choices = [
            Choice(f"{s.name:<15} {'/'.join(s.backends):<10} {s.reason}", s.name, s.available)
            for s in statuses
        ]
        self.push_screen(PickerScreen("Speech engine", choices, picker_id="providers"), self._use_provider)

    async def _use_provider(self, provider: str | None) -> None:
        if provider is not None:  # the same size, found on disk when it is there
            self._loading(await self.session.swap_engine(provider))

    async def action_pick_model(self) -> None:
        try:
            provider, entries = await asyncio.to_thread(self.session.models)
        except EchoError as error:  # an engine without a catalogue: what to do instead
            self.notify(str(error), severity="warning")
            return
        self.push_screen(ModelScreen(provider, entries), self._use_model)

    def _use_model(self, pick: ModelPick | None) -> None:
        if pick is None or pick.running:
            return
        try:  # a typed path: the engine is worked out from it
            wanted = self.session.open_model(pick.path) if pick.path else self.session.swap(model=pick.name)
        except EchoError as error:
            self.notify(str(error), severity="error", timeout=15)
            return
        self._loading(wanted)

    def _loading(self, wanted: Settings) -> None:  # what loads, and what happens meanwhile
        path = f" ({wanted.model_path})" if wanted.model_path else ""
        then = "the current model transcribes until" if self.session.loaded else "transcription starts when"
        self.notify(f"loading {wanted.provider} {wanted.model}{path}…; {then} it is ready")

    def _on_stop_signal(self, name: str) -> None:
        self._signalled = True
        if name == "SIGHUP":
            shutdown.detach_if_hung_up()
        # bounded whatever happens: the grace to finish, then the time to restore the terminal
        shutdown.exit_within(
            shutdown.APP_GRACE_S + shutdown.EXIT_DEADLINE_S,
            self.session.exit_code,
        )
        self.call_next(self.action_quit)

    async def action_quit(self) -> None:
        """Stop capturing, let the engine finish what was captured (at most `shutdown.APP_GRACE_S`), then
        exit, keeping the words on screen (`Session.abandon`)."""
        self.session.stop()
        deadline = time.monotonic() + shutdown.APP_GRACE_S
        worker = self._pipeline_worker
        while worker is not None and not worker.is_finished and time.monotonic() < deadline:
            self.refresh_health()  # "finishing"
            await asyncio.sleep(0.05)
        if worker is not None and not worker.is_finished:
            self.session.abandon()  # past the grace: keep what is on screen, leave the rest
        self._abandon(self._signalled)

    def _abandon(self, signalled: bool = False) -> None:
        self._remove_signals()
        code = self.session.exit_code
        if signalled:  # the terminal may be gone: restoring it must not hang the exit
            shutdown.exit_within(shutdown.EXIT_DEADLINE_S, code)
        self.exit(code, return_code=code)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.action not in ("quit",):
                yield SystemCommand(
                    binding.description,
                    binding.tooltip or binding.description,
                    getattr(self, f"action_{binding.action}"),
                )
