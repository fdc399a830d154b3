"""Columns that fit a width: the text tables of the verbs and the dashboard's tables lay out
their columns here, and cut what does not fit by display cells, with an ellipsis.

Widths are counted in terminal cells, never in characters: a CJK character takes two cells, a
combining mark none (``rich.cells``). When every column fits, each is as wide as its widest cell;
when they do not, the widest are cut first, to one common width, and none below its minimum
(``fit``). A text table fits ``COLUMNS`` when it is set, else the width of the terminal stdout
is, and is not cut at all when stdout is not a terminal and ``COLUMNS`` is unset, so ``grep``
and scripts see whole lines (``output_width``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from typing import TextIO

from rich.cells import cell_len, set_cell_size

ELLIPSIS = "…"


def cells(text: str) -> int:
    """How many terminal cells ``text`` takes."""
    return len(text) if text.isascii() else cell_len(text)


def widest(texts: Iterable[str]) -> int:
    """The cells the widest of ``texts`` takes (0 for none); at C speed when all are ASCII."""
    texts = texts if isinstance(texts, (list, tuple)) else list(texts)
    if not texts:
        return 0
    if all(map(str.isascii, texts)):
        return max(map(len, texts))
    return max(map(cells, texts))


def clip(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells: cut, its last cell an ellipsis, when it is wider."""
    if cells(text) <= width:
        return text
    if width <= 0:
        return ""
    return set_cell_size(text, width - 1).rstrip(" ") + ELLIPSIS


def pad(text: str, width: int, right: bool = False) -> str:
    """``text`` clipped to ``width`` cells and padded with spaces to exactly that many (on the
    left when ``right``: numbers)."""
    text = clip(text, width)
    gap = " " * (width - cells(text))
    return gap + text if right else text + gap


def fit(natural: Sequence[int], minimum: Sequence[int], room: int) -> list[int]:
    """Widths for columns that want ``natural`` cells each, in ``room`` cells in all: as they
    want when that fits; else the widest are cut to one common width (the cells left over go
    to the first of them), none below its ``minimum`` (nor above what it wants). When even the
    minimums do not fit, the minimums: the caller cuts the line."""
    floor = [min(n, m) for n, m in zip(natural, minimum)]
    if sum(natural) <= room:
        return list(natural)
    if sum(floor) >= room:
        return floor

    def total(level: int) -> int:
        return sum(min(n, max(level, f)) for n, f in zip(natural, floor))

    low, high = 0, max(natural)  # total(low) <= room < total(high)
    while high - low > 1:
        middle = (low + high) // 2
        if total(middle) <= room:
            low = middle
        else:
            high = middle
    widths = [min(n, max(low, f)) for n, f in zip(natural, floor)]
    spare = room - sum(widths)
    for i, (n, w) in enumerate(zip(natural, widths)):
        if spare and w < n:
            widths[i] += 1
            spare -= 1
    return widths


def output_width(stream: TextIO | None = None) -> int | None:
    """The cells a text table may take on ``stream`` (stdout): ``COLUMNS`` when set to a
    number, else the terminal's width when it is a terminal, else None: no limit."""
    stream = sys.stdout if stream is None else stream
    value = os.environ.get("COLUMNS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        if stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns or None
    except (OSError, ValueError, AttributeError):
        pass
    return None
