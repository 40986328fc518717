"""The suite on two workers (tests/support/parallel.py): the stories on what the machine has one of (the
capture device, the Ray Serve and Wyoming servers) share one worker each, and the figures a test measures
reach the summary from a worker's report."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.parallel import SHARED
from tests.support.report import ACCURACY_PROPERTY, gather

TESTS = Path(__file__).parent


def test_every_story_on_a_one_per_machine_thing_is_grouped_onto_one_worker(
    request: pytest.FixtureRequest,
) -> None:
    sources = "".join(path.read_text(encoding="utf-8") for path in TESTS.rglob("*.py"))
    for fixture in SHARED:
        assert f"def {fixture}(" in sources, f"SHARED names {fixture}, which is no fixture of tests/"
    stories = [
        (item, fixture)
        for item in request.session.items
        if isinstance(item, pytest.Function)
        for fixture in SHARED
        if fixture in item.fixturenames
    ]
    for item, fixture in stories:
        mark = item.get_closest_marker("xdist_group")
        assert mark is not None and mark.args == (SHARED[fixture],), item.nodeid


def test_a_workers_accuracy_figures_reach_the_summary_through_its_report() -> None:
    figures = ["whispercpp", "continuous", 0.114, 0.1]  # as xdist hands a worker's report over: a list
    report = pytest.TestReport(
        "tests/test_accuracy.py::t", ("tests/test_accuracy.py", 1, "t"), {}, "passed", None, "call",
        user_properties=[("other", 1), (ACCURACY_PROPERTY, figures)],
    )  # fmt: skip
    summary: list[tuple[str, str, float, float]] = []
    gather(report, into=summary)
    assert summary == [("whispercpp", "continuous", 0.114, 0.1)]
