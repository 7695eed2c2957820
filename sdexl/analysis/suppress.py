"""Small-cell suppression: counts that could point to individual citizens.

Which tables are suppressed, and why
------------------------------------
The master workbook is an internal working file for the consultants, but some
of its sheets are made to be copied into reports and shown to every
municipality. The rule is therefore per sheet:

* Suppressed (figures that may go to other municipalities): Land, KKR,
  Udtrådte and the national and KKR tables of Udvikling. A count between 1 and
  ``threshold - 1`` is shown as ``"<3"`` (for the default threshold 3), and a
  percentage or change computed from such a count is hidden as well, because it
  would give the count back. Zero is shown: it reveals no one.
* Not suppressed (internal working figures): Data, Kommuner, Variation,
  Sammenhæng, the municipal table of Udvikling, Tiltag, Kvalitet and Kilder.
  Consultants need the exact numbers to check returns and give each
  municipality feedback on its own figures. These sheets say so at the top.

Secondary suppression. The tables keep totals visible on purpose (the number
of cases per KKR is the headline figure), so a single hidden count could be
worked out by subtraction: the national total minus the other KKRs, or n minus
the other categories. ``secondary`` therefore looks at every line of a table
that adds up to a shown total (a column of categories and its base, a row of
KKRs and the national figure, the base row) and, where exactly one cell of the
line is hidden, also hides the smallest other non-zero count of that line (or
the total, when there is none), and repeats until no line has a single hidden
cell. Those extra cells are shown as ``"skjult"`` and the sheet says "Skjult
for at beskytte små tal". Percentages of a hidden count are hidden too.

What this does not protect against: differences between tables (say a KKR
table and the Kommuner sheet, which is internal and not suppressed) and sums
over several lines solved together. Treat the suppressed sheets as safe for
aggregated reporting, not as anonymised microdata.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

HIDDEN = "skjult"  # a derived figure (%, change) hidden because its count is; or a count hidden to protect one
SECONDARY_NOTE = 'Skjult for at beskytte små tal: "skjult" står også ved tal, der ellers kunne regnes ud ved at trække de viste tal fra en total.'

Line = tuple[Sequence[Hashable], Hashable | None]  # the cells that add up, and the cell with their total


def secondary(values: Mapping[Hashable, float | None], lines: Sequence[Line], threshold: int) -> set[Hashable]:
    """The cells to hide besides the small ones, so no hidden count follows from a shown total.

    ``values`` are the counts of a table by cell key; each line is (members,
    total): the members add up to the total (total None: no total is shown).
    Returns the keys of the extra cells to hide (never a small one).
    """
    small = {key for key, value in values.items() if is_small(value, threshold)}
    hidden = set(small)
    changed = True
    while changed:
        changed = False
        for members, total in lines:
            cells = list(members) + ([total] if total is not None else [])
            if total is None or sum(key in hidden for key in cells) != 1:
                continue
            candidates = [k for k in members if k not in hidden and _number(values.get(k)) > 0]
            if candidates:
                pick = min(candidates, key=lambda k: _number(values.get(k)))
            elif _number(values.get(total)) > 0:
                pick = total
            else:
                continue
            hidden.add(pick)
            changed = True
    return hidden - small


def _number(value) -> float:
    return value if isinstance(value, int | float) and value == value else 0


def suppress_small(value: float | None, threshold: int) -> int | float | str | None:
    """The count itself, or ``"<threshold"`` when it is between 1 and threshold - 1.

    >>> suppress_small(2, 3), suppress_small(0, 3), suppress_small(3, 3)
    ('<3', 0, 3)
    """
    if is_small(value, threshold):
        return f"<{threshold}"
    return value


def is_small(value: float | None, threshold: int) -> bool:
    """True when the count must not be published (1 <= value < threshold)."""
    if value is None or isinstance(value, str):
        return False
    return 0 < value < threshold


def derived(value: float | None, *counts: float | None, threshold: int) -> float | str | None:
    """A figure computed from ``counts``: hidden when any of them is suppressed."""
    if any(is_small(c, threshold) for c in counts):
        return HIDDEN
    return value
