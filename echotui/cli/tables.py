"""Plain-text tables for the terminal: the one formatter behind `devices`, `models` and `providers`."""

from __future__ import annotations

from collections.abc import Sequence


def format_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = (), empty: str = ""
) -> str:
    """Columns two spaces apart, each as wide as its widest cell (the last one is not padded); the
    columns numbered in `right` are right-aligned. `empty` when there are no rows."""
    if not rows:
        return empty
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=False))
        ]
        return "  ".join([*padded, cells[-1]]).rstrip()

    return "\n".join(line(row) for row in [header, *rows])
