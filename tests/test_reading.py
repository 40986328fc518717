"""A newcomer reading the screen: every sentence of a long talk stamped with its own time, charts that say
what they show on a scale that does not move, a narrow terminal that still shows the captions whole and the
way out, and plain words (lines and cues, not "finals"; what each palette entry does)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from rich.segment import Segment as RichSegment
from textual.color import Color
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widget import Widget

from echotui.app import EchoApp
from echotui.audio.file_source import FileSource
from echotui.config import Settings
from echotui.pipeline.events import FinalTranscribed, PartialTranscribed, PipelineEvent
from echotui.providers.base import Segment, Word
from echotui.session import Session
from echotui.widgets.captions import CaptionView
from echotui.widgets.layout import CAPTIONS_MIN_WIDTH
from echotui.widgets.pickers import HelpScreen, PickerScreen
from tests.doubles import TimedWordOracle
from tests.support.screens import (
    CUDA,
    FixedFiguresSession,
    app_with,
    final,
    screen_lines,
    snapshot,
    text_of,
    visible,
)
from tests.support.speech import WordTiming, read_wav, synthesize_words

Story = Callable[[Pilot[int]], Awaitable[None]]
TALK = (
    "Good morning everyone.",
    "The release is on track for the end of the month.",
    "We finished the rewrite.",
)
STAMP = re.compile(r"^\[(\d\d):(\d\d):(\d\d)\] ")


def run_app(app: EchoApp, story: Story, size: tuple[int, int]) -> None:
    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await wait_for(pilot, lambda: app.session.loaded is not None)
            await story(pilot)
            await pilot.press("q")

    asyncio.run(main())


def send(app: EchoApp, *events: PipelineEvent) -> None:
    """Events into the session as the pipeline delivers them (the screen, the transcript and the save)."""
    for event in events:
        app.session.pipeline.on_event(event)


async def wait_for(pilot: Pilot[int], condition: Callable[[], bool], timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out waiting for the screen"
        await pilot.pause(0.05)


async def footer_row(pilot: Pilot[int]) -> str:
    """The footer as shown, once it has drawn its keys."""
    app = pilot.app
    await wait_for(pilot, lambda: bool(app.query("FooterKey")))
    await pilot.pause()
    return screen_lines(app)[app.size.height - 1]


def caption_lines(view: CaptionView) -> list[str]:
    """The transcript's lines as shown (notices and markers left out), unwrapped."""
    return [line for e in view.entries if e.kind == "final" for line in view.shown_text(e).splitlines()]


def region_rows(app: EchoApp, widget: Widget) -> list[str]:
    """The screen's rows under `widget`, cut to its columns."""
    region = widget.region
    return [row[region.x : region.right] for row in screen_lines(app)[region.y : region.bottom]]


# ---- 9: timestamps ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[WordTiming]]:
    """Three sentences spoken without a pause between them: one utterance, as a talk is."""
    path = tmp_path_factory.mktemp("talk") / "talk.wav"
    words = [word for sentence in TALK for word in sentence.split()]
    return path, synthesize_words(words, path, gap_s=0.12)


def test_timestamps_give_each_sentence_of_a_talk_its_own_start_time(
    talk: tuple[Path, list[WordTiming]],
) -> None:
    path, timings = talk
    settings = Settings(provider="whispercpp", chunk_seconds=0.5, queue_seconds=30)
    engine = TimedWordOracle(timings, read_wav(path))  # word times, as whisper.cpp and faster-whisper give
    session = Session(settings, FileSource(path, speed=3.0), provider=engine, journal=False)
    app = EchoApp(session)

    async def story(pilot: Pilot[int]) -> None:
        view = app.query_one(CaptionView)
        await pilot.press("t")
        await wait_for(pilot, lambda: session.snapshot().state == "finished")
        await pilot.pause(0.3)
        assert len({f.utterance_id for f in session.finals}) == 1, "no pause: the talk is one utterance"
        lines = caption_lines(view)
        assert [STAMP.sub("", line) for line in lines] == list(TALK), lines
        firsts = [timings[sum(len(s.split()) for s in TALK[:n])].start_s for n in range(len(TALK))]
        for line, began in zip(lines, firsts, strict=True):
            hours, minutes, seconds = map(int, STAMP.match(line).groups())  # type: ignore[union-attr]
            assert hours * 3600 + minutes * 60 + seconds == int(began), (line, began)
        assert len({STAMP.match(line).group() for line in lines}) == 3, "a stamp per sentence"  # type: ignore[union-attr]

        await pilot.press("t")
        assert caption_lines(view) == list(TALK), "off again: still a line per sentence, no stamps"

    run_app(app, story, (100, 30))


def test_the_words_after_a_finished_sentence_wait_on_the_next_line() -> None:
    app = app_with(snapshot(), CUDA, "file talk.wav", 66.2)

    async def story(pilot: Pilot[int]) -> None:
        view = app.query_one(CaptionView)
        await pilot.press("t")
        words = (Word(61.2, 61.6, "Good"), Word(61.7, 62.3, "morning."), Word(63.1, 63.5, "The"))
        said = (Segment(61.2, 63.5, "Good morning. The"),)
        send(app, FinalTranscribed(4, 61.2, 63.5, said, 0.0, words, closes=False))
        send(app, PartialTranscribed(4, 61.2, 64.0, "release is"))
        await pilot.pause()
        assert caption_lines(view) == ["[00:01:01] Good morning.", "[00:01:03] The release is"]

        send(app, FinalTranscribed(4, 63.1, 63.5, (Segment(61.2, 63.5, "The release."),), 0.0,
                                   (Word(63.6, 64.0, "release."),), closes=False))  # fmt: skip
        send(app, PartialTranscribed(4, 61.2, 64.6, "We"))
        await pilot.pause()
        # not yet committed, so not yet stamped: aligned under the sentences, dimmed
        assert caption_lines(view) == ["[00:01:01] Good morning.", "[00:01:03] The release.", " " * 11 + "We"]
        assert visible(view)[-1] == "We"

    run_app(app, story, (100, 30))


# ---- 10: charts ---------------------------------------------------------------------------------------


def bar_colours(widget: Widget, y: int) -> list[Color | None]:
    """The colour of each bar cell (not blank, right of the scale column) in `widget`'s row `y`."""
    colours: list[Color | None] = []
    for segment in widget.render_line(y):
        assert isinstance(segment, RichSegment)
        style = segment.style
        colour = Color.from_rich_color(style.color) if style and style.color else None
        colours.extend(colour for char in segment.text if char in "▁▂▃▄▅▆▇█")
    return colours


def test_an_empty_queue_draws_no_bars_and_every_chart_says_its_scale() -> None:
    """The issue's screen: "0.0/30 s 0%" sat above full-height bars, because the chart scaled itself to
    the little it had seen. On a fixed scale, 0.3 s of 30 s is a sliver and a full queue a full column."""
    figures = snapshot(
        queue_fill_s=0.0,
        queue_fill_pct=0.0,
        fill_history=(0.0, 0.3, 0.0, 0.3, 0.0),
        rtf_history=(0.5, 1.0, 2.0),
    )
    app = app_with(figures, CUDA, "file talk.wav", 66.2)

    async def story(pilot: Pilot[int]) -> None:
        await pilot.pause(0.3)
        assert text_of(app.query_one("#health-queue-value")) == "0.0/30 s 0%"
        fill = region_rows(app, app.query_one("#health-fill-history"))
        assert [row[:8] for row in fill] == ["  100% ┤", "  fill │", "     0 ┤"], "labelled, with its scale"
        assert [row[8:].strip() for row in fill[:2]] == ["", ""], "nothing above the bottom row"
        assert fill[2][8:].split() == ["▁", "▁"], "0.3 s of 30 s: the lowest sliver; empty: nothing"

        rtf_chart = app.query_one("#health-rtf-history")
        rtf = region_rows(app, rtf_chart)
        assert [row[:8] for row in rtf] == ["   1.0 ┤", "   RTF │", "     0 ┤"]
        assert [row.rstrip()[-3:] for row in rtf] == [" ██", "▄██", "███"], "0.5 half, 1.0 and 2.0 full"
        error = Color.parse(app.theme_variables["text-error"])
        primary = Color.parse(app.theme_variables["primary"])
        assert bar_colours(rtf_chart, 2) == [primary, error, error], "at or over real time: the error colour"

        session = app.session
        assert isinstance(session, FixedFiguresSession)
        session.figures = snapshot(queue_fill_s=30.0, queue_fill_pct=100.0, fill_history=(30.0,))
        await pilot.pause(0.5)  # the next refresh
        full = region_rows(app, app.query_one("#health-fill-history"))
        assert [row.rstrip()[-1] for row in full] == ["█", "█", "█"], "a full queue: a full column"

    run_app(app, story, (80, 24))


# ---- 11: narrow terminals -------------------------------------------------------------------------


LONG = "The dropped frame counter now matches what we measure, and the queue rewrite is finished."


@pytest.mark.parametrize("size", [(60, 20), (40, 12)])
def test_a_narrow_terminal_keeps_whole_words_quit_and_help(size: tuple[int, int]) -> None:
    app = app_with(snapshot(), CUDA, "file talk.wav", 66.2)

    async def story(pilot: Pilot[int]) -> None:
        await pilot.press("c")  # the "loaded …" notice out of the way
        send(app, final(1, LONG, 1.0))
        await pilot.pause(0.3)
        footer = await footer_row(pilot)
        assert "q Quit" in footer and "? Help" in footer, footer
        view, panel = app.query_one(CaptionView), app.query_one("#health")
        assert view.region.width == size[0], "the captions keep the whole width"
        assert panel.display and panel.region.y >= view.region.bottom, "the panel folds below them"
        assert "● listening" in "".join(region_rows(app, panel))
        shown = [word for line in visible(view) for word in line.split()]
        assert shown == LONG.split(), "no word split across lines"

        await pilot.press("h")  # the panel out of the way: more room for the captions
        assert not panel.display and view.region.height == size[1] - 1
        await pilot.press("h")
        assert panel.display

    run_app(app, story, size)


def test_a_wide_terminal_keeps_the_panel_beside_the_captions() -> None:
    app = app_with(snapshot(), CUDA, "file talk.wav", 66.2)

    async def story(pilot: Pilot[int]) -> None:
        await pilot.pause(0.3)
        view, panel = app.query_one(CaptionView), app.query_one("#health")
        assert panel.region.x >= view.region.right and view.region.width >= CAPTIONS_MIN_WIDTH
        footer = await footer_row(pilot)
        for key in ("q Quit", "? Help", "d Device", "p Provider", "m Model", "space Pause", "s Save"):
            assert key in footer, footer
        await pilot.press("h")
        assert not panel.display and view.region.width == 80
        await pilot.press("h")
        assert panel.display and panel.region.x >= view.region.right

    run_app(app, story, (80, 24))


# ---- 12: words ------------------------------------------------------------------------------------


def committed_pieces() -> list[FinalTranscribed]:
    """Three sentences committed two words at a time, as passes agree: 7 events (the last closes the
    utterance) for 3 lines."""
    words = [
        Word(0.5 + 0.4 * n, 0.8 + 0.4 * n, text)
        for n, text in enumerate("Good morning everyone. The release is on track. We finished it.".split())
    ]
    pieces = [tuple(words[n : n + 2]) for n in range(0, len(words), 2)]
    events = []
    for piece in pieces:
        said = (Segment(piece[0].start_s, piece[-1].end_s, " ".join(w.text for w in piece)),)
        events.append(FinalTranscribed(1, said[0].start_s, said[0].end_s, said, 0.0, piece, closes=False))
    events.append(FinalTranscribed(1, words[-1].end_s, words[-1].end_s, (), 0.4, closes=True))
    return events


def test_the_save_menu_counts_what_the_file_will_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = app_with(snapshot(), CUDA, "file talk.wav", 66.2)

    async def story(pilot: Pilot[int]) -> None:
        send(app, *committed_pieces())
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen))
        options = app.screen.query_one("#picker-options")
        labels = [str(options.get_option_at_index(i).prompt) for i in range(4)]  # type: ignore[attr-defined]
        assert labels == ["txt  (3 lines)", "srt  (3 cues)", "vtt  (3 cues)", "jsonl  (6 lines)"]
        await pilot.press("down", "enter")  # srt
        await wait_for(pilot, lambda: any(tmp_path.glob("*.srt")))
        cues = next(tmp_path.glob("*.srt")).read_text().strip().split("\n\n")
        assert [cue.splitlines()[-1] for cue in cues] == [
            "Good morning everyone.",
            "The release is on track.",
            "We finished it.",
        ]

    run_app(app, story, (100, 30))


def first_prompt(commands: CommandList) -> str:
    return str(commands.get_option_at_index(0).prompt)


def lists_first(commands: CommandList, entry: str) -> Callable[[], bool]:
    return lambda: commands.option_count > 0 and first_prompt(commands) == entry


def test_help_and_palette_say_what_each_key_does_in_plain_words() -> None:
    app = app_with(snapshot(), CUDA, "file talk.wav", 66.2)

    async def story(pilot: Pilot[int]) -> None:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_text = text_of(app.screen.query_one("#help-text"))
        assert "final" not in help_text, "jargon"
        for said in ("sentence start times", "show / hide the health panel", "Transcript journal (each line"):
            assert said in help_text
        await pilot.press("escape")

        for typed, entry in (
            ("clear", "Clear\nEmpty the screen; a save still holds everything"),
            ("times", "Times\nShow when each sentence began"),
            ("health", "Health\nShow or hide the health panel"),
        ):
            await pilot.press("ctrl+p")
            await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
            await pilot.press(*typed)
            commands = app.screen.query_one(CommandList)
            await wait_for(pilot, lists_first(commands, entry))  # the search answers a moment after the keys
            assert first_prompt(commands) == entry
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, CommandPalette))

    run_app(app, story, (100, 30))
