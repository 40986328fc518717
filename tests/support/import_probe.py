"""Which of the UI toolkit's packages each module pulls in when it is imported on its own.

Run in a fresh interpreter: `python -m tests.support.import_probe MODULE...` prints one JSON object,
module → {"forbidden": [...]} or {"error": traceback}. For each module in turn, a forked child imports it for
real and reports the toolkit's modules it then holds. The parent only ever holds modules whose child found
none, so every child starts clean: the toolkit's modules it holds came with the import of its module, and
it holds them exactly when importing that module alone in a fresh interpreter would load them. Once a
module is found clean, the parent imports it too (its dependencies, numpy, Ray..., are then already there
for the next children): each module's import costs its own code, not numpy's and echotui's again.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback

FORBIDDEN = ("textual", "rich")


def forbidden_loaded() -> list[str]:
    return sorted(name for name in sys.modules if name.split(".")[0] in FORBIDDEN)


def import_in_child(module: str) -> dict[str, object]:
    """Import `module` in a forked child; its answer comes back through a pipe."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: import, answer, and leave without running the parent's exit handlers
        os.close(read_end)
        try:
            importlib.import_module(module)
            answer: dict[str, object] = {"forbidden": forbidden_loaded()}
        except BaseException:
            answer = {"error": traceback.format_exc()}
        with os.fdopen(write_end, "w") as pipe:
            pipe.write(json.dumps(answer))
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not text:
        return {"error": f"the child importing {module} died (wait status {status})"}
    answer = json.loads(text)
    return answer


def probe(modules: list[str]) -> dict[str, dict[str, object]]:
    report: dict[str, dict[str, object]] = {}
    for module in modules:
        report[module] = import_in_child(module)
        if report[module].get("forbidden") == []:
            importlib.import_module(module)
            if forbidden_loaded():  # the clean child's import, done again: cannot happen, but never trusted
                raise RuntimeError(f"importing {module} again loaded {forbidden_loaded()}")
    return report


if __name__ == "__main__":
    if forbidden_loaded() or any(name.split(".")[0] == "echotui" for name in sys.modules):
        raise SystemExit("the probe must start in a fresh interpreter")
    print(json.dumps(probe(sys.argv[1:])))
