#!/usr/bin/env python3
"""A stand-in for voxtral.c speaking the same protocol: `fake_voxtral.py -d MODEL --stdin -I SECS --silent`.

It reads raw s16le 16 kHz mono from stdin and, every -I seconds of audio, writes one token to stdout:
" n<count>" where count is how many non-zero samples that stretch held. Summing the numbers in the text
therefore tells exactly how much (non-silent) audio reached it. Environment knobs for tests:
FAKE_VOXTRAL_DIE_AFTER=S   exit abruptly (code 3) after S seconds of audio ...
FAKE_VOXTRAL_DIE_FLAG=F    ... only if file F does not exist yet (it is created), so the restart lives;
                           without it every process dies (a binary broken for good).
FAKE_VOXTRAL_BREAK_FLAG=B  with DIE_AFTER: the first process creates B when it dies; every process
                           started once B exists dies at its first audio (an engine broken mid-run).
FAKE_VOXTRAL_FAIL=1        refuse to start (exit 2 with a message on stderr).
"""

import os
import sys


def main() -> int:
    args = sys.argv[1:]
    if os.environ.get("FAKE_VOXTRAL_FAIL"):
        print("Failed to load model", file=sys.stderr)
        return 2
    if "--stdin" not in args or "-d" not in args:
        print("usage: fake_voxtral -d DIR --stdin [-I secs] [--silent]", file=sys.stderr)
        return 1
    interval = float(args[args.index("-I") + 1]) if "-I" in args else 2.0
    step = max(1, int(interval * 16000)) * 2
    die_after = os.environ.get("FAKE_VOXTRAL_DIE_AFTER")
    flag = os.environ.get("FAKE_VOXTRAL_DIE_FLAG")
    die = die_after is not None and (flag is None or not os.path.exists(flag))
    die_bytes = int(float(die_after or 0) * 32000)
    if die and flag is not None:
        open(flag, "w").close()
    broken = os.environ.get("FAKE_VOXTRAL_BREAK_FLAG")
    if broken is not None and os.path.exists(broken):
        die, die_bytes = True, 1
    stdin = sys.stdin.buffer
    received = 0
    pending = b""
    while True:
        chunk = stdin.read1(65536)
        if not chunk:
            break
        received += len(chunk)
        if die and received >= die_bytes:
            if broken is not None:
                open(broken, "w").close()
            os._exit(3)
        pending += chunk
        while len(pending) >= step:
            block, pending = pending[:step], pending[step:]
            nonzero = sum(1 for i in range(0, len(block), 2) if block[i : i + 2] != b"\0\0")
            if nonzero:
                sys.stdout.write(f" n{nonzero}")
                sys.stdout.flush()
    sys.stdout.write("\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
