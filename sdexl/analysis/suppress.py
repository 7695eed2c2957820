"""Small-cell suppression that holds: no hidden count can be worked out from what is shown.

Which tables are suppressed, and why
------------------------------------
The master workbook is an internal working file for the consultants, but some
of its sheets are made to be copied into reports and shown to every
municipality. The rule is therefore per sheet:

* Suppressed (figures that may go to other municipalities): Land, KKR,
  Udtrådte and the national and KKR tables of Udvikling.
* Not suppressed (internal working figures): Data, Kommuner, Variation,
  Sammenhæng, the municipal table of Udvikling, Tiltag, Kvalitet and Kilder.
  Consultants need the exact numbers to check returns and give each
  municipality feedback on its own figures. These sheets say so at the top.

The method
----------
1. Primary suppression: a count between 1 and ``threshold - 1`` is hidden.
   Zero is shown (it reveals no one), so a reader knows a hidden count is at
   least 1; nothing else.
2. One symbol, ``HIDDEN`` ("x"), for every hidden figure: a small count, a
   count hidden to protect one, and every figure computed from a hidden one
   (a share, a rate, a mean, a change). "<3" would tell the reader the value
   is 1 or 2, and a second symbol that it is not.
3. Complementary suppression. Every additive relation a table shows is a
   ``Line``: categories add up to their base, KKRs to the whole country, bands
   to the number of cases, the n of the KKRs to the national n (``exact``), or
   a multi-choice category is at most its base (not exact). ``protect`` then
   audits the hidden pattern the way an attacker would: for every hidden
   cell it solves the smallest and the largest integer value the cell can
   take given the shown cells and the lines (an integer linear programme,
   ``scipy.optimize.milp``; hidden cells are at least 1). A cell is exposed
   when the two are equal (pinned) or when the largest is below the threshold
   (the reader would know it is small). For every exposed cell one more cell
   of a line through it is hidden (the smallest non-zero member of the line
   with the fewest hidden cells, else its total), and the audit runs again,
   until no hidden cell is exposed.
4. Derived figures are hidden with their count: a share when its count or its
   base is hidden (a shown share and count would give the base back), a mean or
   median when its sum or its n is hidden, a change when either year is, a rate
   when its count is (the population is public).

What this does not protect against: differences between sheets made of
different municipalities (say Land, over all participants, and Udvikling, over
those in both rounds) and the internal sheets. Treat the suppressed sheets as
safe for aggregated reporting, not as anonymised microdata.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

HIDDEN = "x"  # every hidden figure: a small count, a count hidden to protect one, a figure computed from either
LEGEND = (
    "x: tallet er skjult for at beskytte små tal. Antal under {threshold} er skjult, og så mange andre tal "
    "(også andele, rater og ændringer beregnet af dem), at intet skjult tal kan regnes ud af de viste "
    "tal og totaler. Et x siger derfor intet om, hvor stort tallet er."
)
LARGE = 1e9  # an upper bound no count reaches, so the programmes are bounded


def legend(threshold: int) -> str:
    """The legend line every suppressed sheet shows."""
    return LEGEND.format(threshold=threshold)


@dataclass(frozen=True)
class Line:
    """Cells of a table that add up to a shown total (``exact``), or at most to it."""

    members: tuple
    total: Hashable | None
    exact: bool = True

    def cells(self) -> tuple:
        return self.members + ((self.total,) if self.total is not None else ())


def as_lines(lines: Iterable) -> list[Line]:
    """Lines given as Line or as (members, total) pairs; a line without a shown total relates nothing."""
    out = []
    for line in lines:
        if isinstance(line, Line):
            out.append(line)
        else:
            members, total = line
            out.append(Line(tuple(members), total))
    return [line for line in out if line.total is not None]


def protect(values: Mapping[Hashable, float | None], lines: Sequence, threshold: int) -> set[Hashable]:
    """Every cell to hide: the small counts, and enough others that none of them can be worked out.

    ``values`` are the counts of a table by cell key (None: no figure, the
    lines through it are not shown relations); ``lines`` its additive
    relations. Returns the keys to hide.
    """
    lines = [line for line in as_lines(lines) if all(_number(values.get(k)) is not None for k in line.cells())]
    key = (tuple(sorted(values.items(), key=repr)), tuple(lines), threshold)
    if key in _CACHE:  # Land and KKR protect the same national figures
        return set(_CACHE[key])
    hidden = {key for key, value in values.items() if is_small(value, threshold)}
    safe: set[frozenset] = set()  # components already audited and found safe
    while True:
        # The cheap cases first (a line with one hidden cell, or whose hidden cells share less
        # than the threshold), then the programmes.
        added = _complements(values, lines, hidden, _obviously_exposed(values, lines, hidden, threshold))
        if not added:
            added = _complements(values, lines, hidden, exposed_cells(values, lines, hidden, threshold, safe))
        if not added:  # none exposed, or nothing left to hide in any line through them
            if len(_CACHE) > 512:
                _CACHE.clear()
            _CACHE[key] = frozenset(hidden)
            return hidden
        hidden |= added


_CACHE: dict = {}


def _complements(values, lines: list[Line], hidden: set, exposed: list) -> set:
    return {pick for cell in exposed if (pick := _complement(values, lines, hidden, cell)) is not None}


def _obviously_exposed(values, lines: list[Line], hidden: set, threshold: int) -> list[Hashable]:
    """One exposed cell per line where it shows without a programme."""
    exposed = []
    for line in lines:
        members = [k for k in line.members if k in hidden]
        if line.total in hidden:
            if not members:
                exposed.append(line.total)  # the only hidden cell: the members give it
            continue
        if not members:
            continue
        rest = float(values[line.total]) - sum(float(values[k]) for k in line.members if k not in hidden)
        if line.exact and len(members) == 1:
            exposed.append(members[0])  # the total minus the others
        elif rest - (len(members) - 1) < threshold:
            exposed.append(members[0])  # none of them can reach the threshold
    return exposed


def secondary(values: Mapping[Hashable, float | None], lines: Sequence, threshold: int) -> set[Hashable]:
    """The cells hidden besides the small ones (see ``protect``)."""
    small = {key for key, value in values.items() if is_small(value, threshold)}
    return protect(values, lines, threshold) - small


def exposed_cells(values, lines: list[Line], hidden: set, threshold: int, safe: set | None = None) -> list[Hashable]:
    """Hidden cells whose value a reader can pin down, or tell is below the threshold.

    The true values are one solution of the relations, so a cell is safe as
    soon as another solution gives it a different value with the larger of the
    two at least the threshold. Solutions come from linear programmes (first
    pushing all unproven cells up, then down, then one cell at a time); each
    solution proves every cell it moves far enough. The tables' relations (rows
    and columns of a table with its margins) have integral corners, so the
    linear programme gives integer answers; tests/test_suppression_attack.py
    checks the result with an integer programme.
    """
    safe = set() if safe is None else safe
    active = [line for line in lines if any(k in hidden for k in line.cells())]
    exposed = []
    for component in _components(active, hidden):
        signature = frozenset(component)
        if signature in safe:
            continue
        keys = sorted(component, key=repr)
        index = {k: i for i, k in enumerate(keys)}
        true = np.array([float(values[k]) for k in keys])
        rows = [line for line in active if any(k in component for k in line.cells())]
        problem = _constraints(values, rows, index)
        found = _unproven(problem, true, threshold)
        if found:
            exposed += [keys[i] for i in sorted(found)]
        else:
            safe.add(signature)
    return exposed


def _unproven(problem, true: np.ndarray, threshold: int) -> set[int]:
    """Indexes of the cells no solution moves (far enough from their true value)."""
    unproven = set(range(len(true)))

    def prove(solution) -> None:
        # Only an integer solution proves anything (a reader knows counts are whole).
        if solution is None or not np.allclose(solution, np.round(solution), atol=1e-6):
            return
        solution = np.round(solution)
        moved = (np.abs(solution - true) >= 1) & (np.maximum(solution, true) >= threshold)
        unproven.difference_update(int(i) for i in np.flatnonzero(moved))

    for sense in (-1.0, 1.0):
        if unproven:
            prove(_solve(problem, sorted(unproven), sense))
    for i in range(len(true)):
        for sense in (-1.0, 1.0):
            if i in unproven:
                prove(_solve(problem, [i], sense))
    return unproven


def _components(lines: list[Line], hidden: set) -> list[set]:
    """Hidden cells that share lines, directly or through other hidden cells."""
    parent: dict = {}

    def find(k):
        while parent.setdefault(k, k) != k:
            k = parent[k]
        return k

    for line in lines:
        cells = [k for k in line.cells() if k in hidden]
        for a, b in zip(cells, cells[1:]):
            parent[find(a)] = find(b)
        for k in cells:
            find(k)
    groups: dict = {}
    for k in parent:
        groups.setdefault(find(k), set()).add(k)
    return list(groups.values())


def _constraints(values, lines: list[Line], index: dict):
    """The lines as A_eq x = b_eq and A_ub x <= b_ub over the hidden cells."""
    eq, ub = [], []
    for line in lines:
        coefs = np.zeros(len(index))
        rest = 0.0  # shown members minus shown total
        for sign, keys in ((1.0, line.members), (-1.0, (line.total,))):
            for k in keys:
                if k in index:
                    coefs[index[k]] += sign
                else:
                    rest += sign * float(values[k])
        (eq if line.exact else ub).append((coefs, -rest))
    return eq, ub, len(index)


def _solve(problem, cells: list[int], sense: float) -> np.ndarray | None:
    """A solution with the sum of ``cells`` as large (sense -1) or as small (sense 1) as it goes."""
    from scipy.optimize import linprog  # scipy is slow to import; only when needed

    eq, ub, n = problem
    c = np.zeros(n)
    c[cells] = sense
    result = linprog(
        c,
        A_eq=np.array([r for r, _ in eq]) if eq else None,
        b_eq=np.array([b for _, b in eq]) if eq else None,
        A_ub=np.array([r for r, _ in ub]) if ub else None,
        b_ub=np.array([b for _, b in ub]) if ub else None,
        bounds=[(1, LARGE)] * n,
        method="highs-ds",  # the simplex ends in a corner: integral for these relations
    )
    return None if result.status != 0 else np.asarray(result.x)


def _complement(values, lines: list[Line], hidden: set, cell) -> Hashable | None:
    """One more cell to hide for ``cell``.

    In the line through it with the fewest hidden cells, the smallest shown
    non-zero member, else its total. When every line through it is hidden
    already, the same in the lines one step further (through the hidden cells
    it shares a line with), and so on: those lines are what pins it.
    """
    seen, frontier = {cell}, [cell]
    while frontier:
        through = [line for line in lines if any(k in frontier for k in line.cells())]
        for line in sorted(through, key=lambda line: (sum(k in hidden for k in line.cells()), repr(line))):
            members = [k for k in line.members if k not in hidden and _number(values.get(k))]
            if members:
                return min(members, key=lambda k: (_number(values[k]), repr(k)))
            if line.total is not None and line.total not in hidden and _number(values.get(line.total)):
                return line.total
        frontier = [k for line in through for k in line.cells() if k in hidden and k not in seen]
        seen.update(frontier)
    return None


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return None
    return value


def suppress_small(value: float | None, threshold: int) -> int | float | str | None:
    """The count itself, or ``HIDDEN`` when it is between 1 and threshold - 1.

    >>> suppress_small(2, 3), suppress_small(0, 3), suppress_small(3, 3)
    ('x', 0, 3)
    """
    if is_small(value, threshold):
        return HIDDEN
    return value


def is_small(value: float | None, threshold: int) -> bool:
    """True when the count must not be published (1 <= value < threshold)."""
    if value is None or isinstance(value, str):
        return False
    return 0 < value < threshold


def derived(value: float | None, *counts: float | None, threshold: int) -> float | str | None:
    """A figure computed from ``counts``: hidden when any of them is suppressed."""
    if any(is_small(c, threshold) or c == HIDDEN for c in counts):
        return HIDDEN
    return value
