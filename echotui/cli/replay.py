"""`echotui replay SESSION`: a recorded session through any engine, with the word difference."""

from __future__ import annotations

import argparse
import sys

from echotui.cli.parser import SETTING_ARGS
from echotui.replay import find_session, replay


def cmd_replay(args: argparse.Namespace) -> int:
    path = find_session(args.session)
    overrides = {name: getattr(args, name, None) for name in SETTING_ARGS if name != "speed"}
    finals, diff, session = replay(path, overrides)
    print(diff.marked)
    if args.output is not None:
        args.output.write_text("".join(f"{f.text}\n" for f in finals if f.text), encoding="utf-8")
    loaded = session.loaded
    engine = f"{loaded.provider} {loaded.model}" if loaded else "?"
    verdict = "identical" if diff.identical else f"{diff.errors} word edits"
    wer = diff.errors / diff.recorded if diff.recorded else 0.0
    print(
        f"echotui: replayed {path.stem} ({session.snapshot().audio_s:.1f} s) with {engine}: {diff.replayed} "
        f"words against {diff.recorded} recorded, {verdict} (WER {wer:.1%})",
        file=sys.stderr,
    )
    return 0
