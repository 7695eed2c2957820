"""Reading the master back, and plain-Python recounts to compare it with.

Nothing here imports sdexl.analysis or sdexl.publish: the expected figures are
computed from the snapshot records with ordinary Python, so a bug in the
analysis code cannot also be in the expectation.
"""

from __future__ import annotations

import csv
import math
import statistics
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineWorkbook

KOMMUNER_CSV = Path(__file__).resolve().parent.parent / "sdexl" / "reference" / "kommuner.csv"


def kommuner() -> dict[str, dict]:
    with KOMMUNER_CSV.open(encoding="utf-8") as handle:
        return {r["kommunekode"]: r for r in csv.DictReader(handle)}


def kkr_of(code: str) -> str:
    return kommuner()[code]["kkr"]


def read_sheets(path: Path) -> dict[str, list[list]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in wb.sheet_names}


@dataclass
class Table:
    title: str
    explanation: str
    base: str
    header: list[str]
    rows: list[list]

    def column(self, name: str) -> int:
        return self.header.index(name)

    def row(self, first: str) -> list:
        for row in self.rows:
            if row[0] == first:
                return row
        raise KeyError(first)


def table(rows: list[list], title: str, occurrence: int = 0) -> Table:
    hits = [i for i, row in enumerate(rows) if row and row[0] == title]
    if len(hits) <= occurrence:
        raise KeyError(f"no table titled {title!r}")
    i = hits[occurrence]
    header = _trim(rows[i + 3])
    data = []
    for row in rows[i + 4 :]:
        if not any(c != "" for c in row):
            break
        data.append(list(row[: len(header)]) + [""] * (len(header) - len(row)))
    return Table(title, rows[i + 1][0], rows[i + 2][0], header, data)


def _trim(row: list) -> list:
    row = list(row)
    while row and row[-1] == "":
        row.pop()
    return row


def texts(rows: list[list]) -> list[str]:
    return [str(c) for row in rows for c in row if isinstance(c, str) and c]


# -- expectations -------------------------------------------------------------


HIDDEN = "x"  # the one symbol of every hidden figure on the suppressed sheets


def shown(count, threshold: int = 3):
    """A count as the suppressed sheets must show it."""
    return HIDDEN if 0 < count < threshold else count


def shown_share(count, base, threshold: int = 3):
    if 0 < count < threshold:
        return HIDDEN
    return count / base if base else "ikke tilgængelig: ingen svar"


def answered(value) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return not (isinstance(value, str) and not value.strip())


def same(actual, expected, tol: float = 1e-9) -> bool:
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return isinstance(actual, (int, float)) and math.isclose(actual, expected, rel_tol=tol, abs_tol=tol)
    return actual == expected


def quartiles_inclusive(values: list[float]) -> tuple[float, float]:
    """Excel's QUARTILE.INC, written out by hand."""
    ordered = sorted(values)

    def at(p: float) -> float:
        h = (len(ordered) - 1) * p
        low = math.floor(h)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (h - low) * (ordered[high] - ordered[low])

    return at(0.25), at(0.75)


def pearson(xs: list[float], ys: list[float]) -> float:
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy)


def average_ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks
