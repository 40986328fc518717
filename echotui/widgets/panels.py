"""The health panel: the pipeline's figures beside the captions, redrawn from each `MetricsSnapshot`.

Every number shown is a snapshot field (or the loaded model's report), only formatted here: no widget
computes a figure. `update_health` is called 4-10 times a second, so it only changes widgets whose text
changed; nothing is remounted.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import HorizontalGroup, Vertical
from textual.content import Content
from textual.widgets import Label, Static

from echotui.pipeline.events import LoadedModel, MetricsSnapshot, State
from echotui.widgets.charts import Chart, Meter

LEVEL_FLOOR_DB = -60.0
"""The input meter spans LEVEL_FLOOR_DB..0 dBFS."""
REAL_TIME = 1.0
"""The RTF at which the engine only just keeps up: figures at or above it are alarms, and the RTF chart's
bars reach full height there."""

BACKENDS = {"metal": "GPU · Metal", "cuda": "GPU · CUDA", "cpu": "CPU"}
DASH = "—"
ALARM = "$text-error bold"


def backend_badge(backend: str) -> str:
    """How a backend is shown: "GPU · Metal", "GPU · CUDA", "CPU", else its name in capitals."""
    return BACKENDS.get(backend, backend.upper())


def number(value: float | None, decimals: int) -> str:
    """A figure with `decimals` decimals, or "—" when there is none."""
    return DASH if value is None else f"{value:.{decimals}f}"


def seconds(value: float | None) -> str:
    """Seconds with one decimal and the unit ("2.5 s"), or "—"."""
    return DASH if value is None else f"{value:.1f} s"


def capacity(value: float) -> str:
    """A configured size without a useless ".0": 30.0 → "30", 7.5 → "7.5"."""
    return f"{value:.1f}".removesuffix(".0")


def level_fraction(level_db: float) -> float:
    """Where a level lies on the meter: LEVEL_FLOOR_DB (or below) → 0, 0 dBFS → 1."""
    return (max(LEVEL_FLOOR_DB, min(0.0, level_db)) - LEVEL_FLOOR_DB) / -LEVEL_FLOOR_DB


class HealthPanel(Vertical):
    """Is the pipeline keeping up? State, backend, RTF, queue, drops, latency, resources, level, source.

    About 34 columns wide (31 inside); its rows need 15 lines (sparklines grow to 3 lines each when
    there is room) and it scrolls rather than clips in a shorter terminal.

    Ids: `health-state`, `health-backend`, `health-model`; rows `health-rtf`, `health-queue`,
    `health-dropped`, `health-latency`, `health-passes`, `health-call` (a server engine's calls split into
    server and network time, shown only for one), `health-resources`, `health-level`, `health-source`, each
    with its text in `<row id>-value`; bars `health-queue-bar`, `health-level-bar`; charts
    `health-rtf-history`, `health-fill-history`; a file's position `health-progress`.

    Attributes:
        state: the state line, "● listening" (classes `-listening`, `-overloaded`, ..., and `-failed`),
            with the reason after a failure other than a model that did not load (said in the captions).
        backend: the backend badge, "GPU · CUDA" ("loading…" and class `-loading` while none is loaded,
            "no model" after a failure).
        model: "provider · model".
        governor: the overload governor's steps in force and the way back (hidden when none).
        rtf, queue, dropped, latency, resources, level, source: each row's figures.
        queue_bar, level_bar: the queue fill and the input level (LEVEL_FLOOR_DB..0 dBFS) as `Meter`s.
        rtf_history, fill_history: `Chart`s of the snapshot's histories on fixed scales: RTF up to
            REAL_TIME, the queue's fill up to its capacity.
        progress: a file's position "12.3 / 66.2 s" (hidden when the source has no known length).
        rows: the labelled rows by name ("rtf", "queue", "dropped", ...); classes `-overloaded` (queue)
            and `-dropping` (dropped) mark trouble.
    """

    DEFAULT_CSS = """
    HealthPanel {
        width: 34;
        height: 1fr;
        padding: 0 1;
        background: $surface;
        border-left: vkey $foreground 25%;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;

        #health-state { text-style: bold; color: $text-success; }
        #health-state.-loading-model { color: $text-warning; }
        #health-state.-paused, #health-state.-finished { color: $text-muted; }
        #health-state.-overloaded, #health-state.-failed { color: $text-error; }
        #health-backend {
            width: auto;
            padding: 0 1;
            text-style: bold;
            background: $primary-muted;
            color: $text-primary;
        }
        #health-backend.-loading { background: $surface; color: $text-muted; text-style: italic; }
        #health-model { color: $text-muted; margin-bottom: 1; }
        .label { width: 8; color: $text-muted; }
        .value { width: 1fr; }
        .figure { width: auto; }
        Meter { margin-right: 1; }
        Chart { height: 1fr; min-height: 1; max-height: 3; }
        #health-queue.-overloaded Meter { color: $text-error; }
        #health-dropped.-dropping .value { color: $text-warning; text-style: bold; }
        #health-source { margin-top: 1; }
        #health-progress { margin-left: 8; color: $text-muted; }
        #health-progress.-none { display: none; }
        #health-download { color: $text-warning; }
        #health-governor { color: $text-warning; margin-bottom: 1; }
        #health-governor.-none { display: none; }
        #health-download.-none { display: none; }
        #health-call.-none { display: none; }
        #health-revision.-none { display: none; }
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.state = Static("● loading model", id="health-state", classes="-loading-model")
        self.backend = Static("loading…", id="health-backend", classes="-loading")
        self.model = Static("", id="health-model")
        self.governor = Static("", id="health-governor", classes="-none")
        self.rtf = Static(DASH, id="health-rtf-value", classes="value")
        self.rtf_history = Chart("RTF", number(REAL_TIME, 1), id="health-rtf-history")
        self.queue_bar = Meter(id="health-queue-bar")
        self.queue = Static(DASH, id="health-queue-value", classes="figure")
        self.fill_history = Chart("fill", "100%", id="health-fill-history")
        self.dropped = Static(DASH, id="health-dropped-value", classes="value")
        self.latency = Static(DASH, id="health-latency-value", classes="value")
        self.passes = Static(DASH, id="health-passes-value", classes="value")
        self.split = Static(DASH, id="health-call-value", classes="value")
        self.revision = Static(DASH, id="health-revision-value", classes="value")
        self.resources = Static(DASH, id="health-resources-value", classes="value")
        self.level_bar = Meter(id="health-level-bar")
        self.level = Static(DASH, id="health-level-value", classes="figure")
        self.source = Static("", id="health-source-value", classes="value")
        self.progress = Static("", id="health-progress", classes="-none")
        self.download = Static("", id="health-download", classes="-none")
        self.rows: dict[str, HorizontalGroup] = {
            row_id: HorizontalGroup(Label(label, classes="label"), *widgets, id=f"health-{row_id}")
            for row_id, label, widgets in (
                ("rtf", "RTF", (self.rtf,)),
                ("queue", "queue", (self.queue_bar, self.queue)),
                ("dropped", "dropped", (self.dropped,)),
                ("latency", "latency", (self.latency,)),
                ("passes", "passes", (self.passes,)),
                ("revision", "revised", (self.revision,)),
                ("call", "server", (self.split,)),
                ("resources", "CPU", (self.resources,)),
                ("level", "level", (self.level_bar, self.level)),
                ("source", "source", (self.source,)),
            )
        }
        self.rows["call"].add_class("-none")  # shown for a server engine that says its time
        self.rows["revision"].add_class("-none")  # shown while the revision layer runs
        self._shown: dict[Static, str | Content] = {}
        self._pending: tuple[MetricsSnapshot, LoadedModel | None, str] | None = None

    def compose(self) -> ComposeResult:
        yield self.state
        yield self.backend
        yield self.model
        yield self.governor
        rows = self.rows
        yield from (rows["rtf"], self.rtf_history, rows["queue"], self.fill_history)
        yield from (rows["dropped"], rows["latency"], rows["passes"], rows["revision"], rows["call"])
        yield from (rows["resources"], rows["level"])
        yield from (rows["source"], self.progress, self.download)

    def on_mount(self) -> None:
        if self._pending is not None:
            self._show(*self._pending)
            self._pending = None

    def update_health(self, snapshot: MetricsSnapshot, model: LoadedModel | None, source: str) -> None:
        """Show `snapshot`, the loaded `model` (None while loading) and the audio `source`."""
        if self.is_mounted:
            self._show(snapshot, model, source)
        else:
            self._pending = (snapshot, model, source)

    def _show(self, snapshot: MetricsSnapshot, model: LoadedModel | None, source: str) -> None:
        self._show_state(snapshot.state, snapshot.reason)
        self._show_model(model, snapshot.state.failed)
        self.governor.set_class(snapshot.governor is None, "-none")  # the overload governor's steps
        self._set(self.governor, f"⤓ {snapshot.governor}" if snapshot.governor else "")
        self._show_rtf(snapshot)
        queue = f"{snapshot.queue_fill_s:.1f}/{capacity(snapshot.queue_capacity_s)} s"
        self._set(self.queue, f"{queue} {snapshot.queue_fill_pct:.0f}%")
        self.queue_bar.fraction = snapshot.queue_fill_pct / 100.0
        self.rows["queue"].set_class(snapshot.overloaded, "-overloaded")
        self.fill_history.show(snapshot.fill_history, snapshot.queue_capacity_s)
        self._set(self.dropped, f"{snapshot.dropped_frames} frames · {snapshot.dropped_s:.1f} s")
        self.rows["dropped"].set_class(snapshot.dropped_frames > 0, "-dropping")
        self._show_latency(snapshot)
        self._set(self.resources, f"{snapshot.cpu_percent:.0f}% · RSS {snapshot.rss_mb:.0f} MB")
        self.level_bar.fraction = level_fraction(snapshot.level_db)
        self._set(self.level, f"{snapshot.level_db:.0f} dB")
        self._set(self.source, source)
        duration = snapshot.source_duration_s
        self.progress.set_class(duration is None, "-none")
        if duration is not None:
            self._set(self.progress, f"{snapshot.audio_s:.1f} / {duration:.1f} s")
        self.download.set_class(snapshot.download is None, "-none")
        self._set(self.download, snapshot.download or "")

    def _show_latency(self, snapshot: MetricsSnapshot) -> None:
        """A reader's wait for each word (its end → its final text); an engine without word times has
        only the wait for a whole utterance's text. How often the window is passed shows what load costs;
        how far behind the revision layer runs is shown below it, while it runs."""
        if snapshot.word_latency_p50_s is not None:
            p50, p95 = seconds(snapshot.word_latency_p50_s), seconds(snapshot.word_latency_p95_s)
        else:
            p50, p95 = seconds(snapshot.latency_p50_s), seconds(snapshot.latency_p95_s)
        self._set(self.latency, f"p50 {p50} · p95 {p95}")
        if snapshot.pass_every_s is None:
            self._set(self.passes, DASH)
        else:  # behind, passes thin out: the wait for words grows so the engine keeps up
            behind = " (behind)" if snapshot.overloaded else ""
            self._set(self.passes, f"every {snapshot.pass_every_s:.1f} s{behind}")
        lag = snapshot.revision_lag_s  # the revision layer's wait behind the live words, when it is on
        self.rows["revision"].set_class(lag is None, "-none")
        if lag is not None:
            self._set(self.revision, f"{lag:.0f} s behind" if lag >= 0.5 else "up to date")

        split = snapshot.server_split_s  # a server engine: where each call's time goes
        self.rows["call"].set_class(split is None, "-none")
        if split is not None:
            self._set(self.split, f"{short(split[0])} s · net {short(split[1])} s")

    def _set(self, widget: Static, content: str | Content) -> None:
        """Update a widget only when what it shows changed (cheap at 10 updates a second)."""
        if self._shown.get(widget) != content:
            self._shown[widget] = content
            widget.update(content)

    def _show_state(self, state: State, reason: str | None) -> None:
        # a load failure's reason is said once, in the captions, with the way out (pick another model)
        said = None if state is State.LOAD_FAILED else reason
        self._set(self.state, f"● {state.value}" if said is None else f"● {state.value}: {said}")
        for known in State:
            self.state.set_class(state is known, f"-{known.value.replace(' ', '-')}")
        self.state.set_class(state.failed, "-failed")

    def _show_model(self, model: LoadedModel | None, failed: bool) -> None:
        self.backend.set_class(model is None, "-loading")
        if model is None:
            self._set(self.backend, "no model" if failed else "loading…")
            self._set(self.model, "")
        else:
            self._set(self.backend, backend_badge(model.backend))
            self._set(self.model, f"{model.provider} · {model.model}")

    def _show_rtf(self, snapshot: MetricsSnapshot) -> None:
        def figure(value: float | None) -> tuple[str, str]:
            return number(value, 2), ALARM if value is not None and value >= REAL_TIME else ""

        self._set(
            self.rtf,
            Content.assemble(figure(snapshot.rtf_last), " last · ", figure(snapshot.rtf_recent_mean), " avg"),
        )
        self.rtf_history.show(snapshot.rtf_history, REAL_TIME)


def short(seconds: float) -> str:
    """Seconds in at most four characters: two decimals below 10 s, one above."""
    return f"{seconds:.2f}" if seconds < 10 else f"{seconds:.1f}"
