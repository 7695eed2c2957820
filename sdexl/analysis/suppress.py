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

Only primary suppression is done: a hidden cell can sometimes be worked out
from a row total. The tables keep totals visible on purpose (the number of
cases per KKR is the headline figure), so treat the suppressed sheets as safe
for aggregated reporting, not as anonymised microdata.
"""

from __future__ import annotations

HIDDEN = "skjult"  # a derived figure (%, change) hidden because its count is


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
