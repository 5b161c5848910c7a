"""Shared output helpers of the CLI: readable tables for people, JSON for machines."""

from __future__ import annotations

import math
import sys
from typing import Any, Iterable, Sequence

from quantkit.display import json_text


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) >= 0x1100 and (0x1100 <= ord(ch) <= 0x115F or 0x2E80 <= ord(ch) <= 0xFFDC) else 1
               for ch in text)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return str(value)


def format_table(rows: Iterable[Sequence[Any]], headers: Sequence[str], align: str | None = None) -> str:
    """Plain-text table; ``align`` is one char per column, ``l`` or ``r`` (default: left)."""
    body = [[_cell(v) for v in row] for row in rows]
    cols = len(headers)
    align = align or "l" * cols
    widths = [max([_width(h)] + [_width(r[i]) for r in body]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        parts = []
        for i, text in enumerate(cells):
            pad = " " * (widths[i] - _width(text))
            parts.append(pad + text if align[i] == "r" else text + pad)
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in body)])


def pct(value: float | None, digits: int = 2) -> str:
    """A decimal fraction as a percentage string: 0.0654 → '6.54%'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value * 100:.{digits}f}%"


def dumps(obj: Any) -> str:
    return json_text(obj)


def write_json(obj: Any, target: str) -> None:
    """Write JSON to a file path (atomically: a failed write leaves the previous file), or to stdout with ``-``."""
    text = dumps(obj) + "\n"
    if target == "-":
        sys.stdout.write(text)
    else:
        from pathlib import Path

        from quantkit.data.store import atomic_write_bytes

        atomic_write_bytes(Path(target), text.encode("utf-8"))


#: = :data:`quantkit.report.html.PLOTLYJS_MODES` (not imported: the parser must stay light)
PLOTLYJS_CHOICES = ("inline", "shared")


def add_plotlyjs_option(parser: Any) -> None:
    """``--plotlyjs inline|shared`` of the commands that write HTML."""
    parser.add_argument("--plotlyjs", choices=PLOTLYJS_CHOICES, default="inline",
                        help="inline: each HTML page is one standalone file (plotly.js compressed inside, default); "
                             "shared: pages load one plotly.js file written beside them (a folder of reports "
                             "keeps one copy)")
