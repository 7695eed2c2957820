"""An attacker's view of the shared sheets: can a hidden count be worked out from what is shown?

For every table a master shares with the municipalities (Land, KKR, Udtrådte
and the national and KKR tables of Udvikling) the test reads only what a reader
sees, the shown numbers and the hidden markers, and the additive relations the
sheet itself states: categories add up to their base, KKRs add up to the whole
country, bands add up to the number of cases, a share is its count over its
base, a mean is the sum over n, a change is after minus before. It then solves,
for every hidden cell, the smallest and the largest integer value the cell can
take under those relations (an integer linear programme, scipy's ``milp``). A
hidden cell is safe only when the two differ (its value is not pinned) and the
largest is at least the threshold (the reader cannot tell that it is small).

Nothing here uses sdexl's own suppression code: the relations are read off the
sheets, so a flaw in the suppression cannot also be in the check.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from sdexl.analysis.suppress import HIDDEN
from sdexl.publish.master import build_outputs
from tests.demo_masters import MASTERS, demo_master
from tests.master_reader import read_sheets
from tests.synthetic_snapshots import all_snapshots

THRESHOLD = 3  # the demo's and the default small_cell_threshold
SHARED = ("Land", "KKR", "Udtrådte", "Udvikling")
NATIONAL = "Hele landet"
BASE_ROW = "Grundlag (n)"
TOLERANCE = 1e-6
LARGE = 1e9  # an upper bound no count reaches: "unbounded" without an unbounded programme


# -- reading the tables a reader sees ------------------------------------------


@dataclass
class Table:
    sheet: str
    title: str
    explanation: str
    base: str
    header: list[str]
    rows: list[list]


def tables(sheet: str, rows: list[list]) -> list[Table]:
    """Every block of the sheet: title, explanation, "Grundlag: ...", header, rows up to an empty row."""
    found = []
    for i in range(len(rows) - 3):
        if not (isinstance(rows[i + 2][0], str) and rows[i + 2][0].startswith("Grundlag")):
            continue
        if not rows[i][0] or not rows[i + 3][0]:
            continue
        header = [str(h) for h in rows[i + 3]]
        while header and header[-1] == "":
            header.pop()
        data = []
        for row in rows[i + 4 :]:
            if not any(c != "" for c in row):
                break
            data.append(list(row[: len(header)]) + [""] * (len(header) - len(row)))
        found.append(Table(sheet, str(rows[i][0]), str(rows[i + 1][0]), str(rows[i + 2][0]), header, data))
    return found


# -- the attacker's model ----------------------------------------------------------


@dataclass
class Var:
    key: tuple
    low: float
    high: float
    integer: bool = True
    count: bool = True  # a count of people: its range must reach the threshold


@dataclass
class Model:
    variables: dict[tuple, Var] = field(default_factory=dict)
    rows: list[tuple[dict[tuple, float], float, float]] = field(default_factory=list)  # coefs, low, high
    flagged: list[str] = field(default_factory=list)  # hidden counts given back by a published rate

    def term(self, key: tuple, value, *, count: bool = True):
        """The cell as (coefficients, constant), or None when it is no figure (text, empty)."""
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            return {}, float(value)
        if value == HIDDEN:
            low, high = (1.0, LARGE) if count else (0.0, LARGE * 1e4)
        elif isinstance(value, str) and re.fullmatch(r"<\d+", value):
            low, high = 1.0, float(int(value[1:]) - 1)
        else:
            return None
        if key not in self.variables:
            self.variables[key] = Var(key, low, high, integer=count, count=count)
        return {key: 1.0}, 0.0

    def equal(self, left: list, right: list, slack: float = TOLERANCE) -> None:
        """sum(left) == sum(right), each a list of terms (coefs, constant) scaled by a factor."""
        self._add(left, right, -slack, slack)

    def at_most(self, left: list, right: list) -> None:
        self._add(left, right, -math.inf, TOLERANCE)

    def _add(self, left, right, low, high) -> None:
        coefs: dict[tuple, float] = {}
        constant = 0.0
        for sign, side in ((1.0, left), (-1.0, right)):
            for (terms, value), factor in side:
                for key, c in terms.items():
                    coefs[key] = coefs.get(key, 0.0) + sign * factor * c
                constant += sign * factor * value
        if coefs:
            self.rows.append((coefs, low - constant, high - constant))

    def solve(self, key: tuple, sense: float, extra: list | None = None):
        keys = list(self.variables)
        index = {k: i for i, k in enumerate(keys)}
        c = np.zeros(len(keys))
        c[index[key]] = sense
        constraints = []
        rows = self.rows + (extra or [])
        if rows:
            matrix = np.zeros((len(rows), len(keys)))
            for r, (coefs, _, _) in enumerate(rows):
                for k, v in coefs.items():
                    matrix[r, index[k]] = v
            constraints.append(
                LinearConstraint(matrix, [low for _, low, _ in rows], [high for _, _, high in rows])
            )
        variables = [self.variables[k] for k in keys]
        result = milp(
            c,
            constraints=constraints,
            integrality=np.array([1 if v.integer else 0 for v in variables]),
            bounds=Bounds([v.low for v in variables], [v.high for v in variables]),
        )
        if result.status != 0:
            return None
        return result.x[index[key]]

    def feasible(self, extra: list) -> bool:
        if not self.variables:
            return True
        return self.solve(next(iter(self.variables)), 1.0, extra) is not None


def parse_n(text: str) -> dict[str, object]:
    """'Grundlag: KKR Hovedstaden n = 483, Hele landet n = x sager' -> {'KKR Hovedstaden': 483, ...}."""
    found = {}
    for name, value in re.findall(r"([A-ZÆØÅ][^,:=]*?) n = (\d+|" + re.escape(HIDDEN) + r"|<\d+)", text):
        found[name.strip()] = int(value) if value.isdigit() else value
    return found


def add_distribution(model: Model, t: Table, n: int) -> None:
    """Land and Udtrådte: category, Antal, Andel; the base is in the "Grundlag:" line."""
    bands = re.search(r"Grundlag: (\d+|\S+) borgere", t.base)
    plain = re.search(r"n = (\d+|\S+?) ", t.base)
    raw = bands.group(1) if bands else plain.group(1) if plain else None
    if raw is None:
        return
    total = model.term(("base", n), int(raw) if raw.isdigit() else raw)
    if total is None:
        return
    counts = [model.term(("cell", n, i, 1), row[1]) for i, row in enumerate(t.rows)]
    multi = "Flere svar er mulige" in t.explanation
    add_column(model, counts, total, multi)
    for i, row in enumerate(t.rows):
        share_relation(model, counts[i], row[2], total)


def add_column(model: Model, counts: list, total, multi: bool) -> None:
    """The categories of a column add up to its base; a multi-choice category is at most its base."""
    if not all(c is not None for c in counts):
        return
    if multi:
        for c in counts:
            model.at_most([(c, 1.0)], [(total, 1.0)])
    else:
        model.equal([(c, 1.0) for c in counts], [(total, 1.0)])


def share_relation(model: Model, count, share, total) -> None:
    """count == share * total when the share is shown."""
    if count is None or total is None or isinstance(share, bool) or not isinstance(share, (int, float)):
        return
    model.equal([(count, 1.0)], [(total, float(share))], slack=TOLERANCE * 1000)


def add_side_by_side(model: Model, t: Table, n: int) -> None:
    """KKR columns "X: antal" and "X: andel", a "Grundlag (n)" row; the last column pair is the whole country."""
    groups = [h[: -len(": antal")] for h in t.header if h.endswith(": antal")]
    col = {g: t.header.index(f"{g}: antal") for g in groups}
    base_index = next((i for i, r in enumerate(t.rows) if r[0] == BASE_ROW), None)
    categories = [i for i in range(len(t.rows)) if i != base_index]
    cell = {(i, g): model.term(("cell", n, i, col[g]), t.rows[i][col[g]]) for i in range(len(t.rows)) for g in groups}
    kkrs = [g for g in groups if g != NATIONAL]
    multi = "Flere svar er mulige" in t.explanation
    for i in range(len(t.rows)):  # each row: the KKRs add up to the whole country
        members = [cell[(i, g)] for g in kkrs]
        if NATIONAL in groups and all(m is not None for m in members) and cell[(i, NATIONAL)] is not None:
            model.equal([(m, 1.0) for m in members], [(cell[(i, NATIONAL)], 1.0)])
    if base_index is None:
        return
    shown_n = parse_n(t.base)
    for g in groups:
        base = cell[(base_index, g)]
        members = [cell[(i, g)] for i in categories]
        if base is None:
            continue
        add_column(model, members, base, multi)
        for i in categories:
            share_relation(model, cell[(i, g)], t.rows[i][col[g] + 1], base)
        if t.header[0] == "Svar" and g in shown_n:  # choice questions: n in the text is the base row
            stated = model.term(("stated-n", n, g), shown_n[g])
            if stated is not None:
                model.equal([(stated, 1.0)], [(base, 1.0)])


def add_numbers(model: Model, t: Table, n: int) -> None:
    """Antal svar (n), Sum, Gennemsnit per group; the groups add up to the whole country."""
    groups = t.header[1:]
    label_row = {str(r[0]): r for r in t.rows}
    n_row, sum_row, mean_row = (label_row.get(k) for k in ("Antal svar (n)", "Sum", "Gennemsnit"))
    if n_row is None or sum_row is None:
        return
    ns = [model.term(("n", n, j), n_row[j + 1]) for j in range(len(groups))]
    sums = [model.term(("sum", n, j), sum_row[j + 1], count=False) for j in range(len(groups))]
    if len(groups) > 1 and groups[-1] == NATIONAL:
        for values in (ns, sums):
            if all(v is not None for v in values):
                model.equal([(v, 1.0) for v in values[:-1]], [(values[-1], 1.0)])
    if mean_row is not None:
        for j in range(len(groups)):
            share_relation(model, sums[j], mean_row[j + 1], ns[j])
    if "kommuner" in t.explanation:  # aggregate survey: the sum counts citizens
        for j, v in enumerate(sums):
            if v is not None and v[0]:
                model.variables[("sum", n, j)].integer = model.variables[("sum", n, j)].count = True
                model.variables[("sum", n, j)].low = 1.0


def add_kkr_status(model: Model, t: Table, n: int) -> None:
    col = t.header.index("Antal sager")
    rate_col = next((i for i, h in enumerate(t.header) if h.startswith("Sager pr.")), None)
    cells = {str(r[0]): model.term(("cell", n, i, col), r[col]) for i, r in enumerate(t.rows)}
    members = [v for k, v in cells.items() if k != NATIONAL]
    if NATIONAL in cells and all(m is not None for m in members) and cells[NATIONAL] is not None:
        model.equal([(m, 1.0) for m in members], [(cells[NATIONAL], 1.0)])
    for r in t.rows:
        if rate_col is not None and cells[str(r[0])] and cells[str(r[0])][0] and isinstance(r[rate_col], (int, float)):
            model.flagged.append(f"{t.sheet}: {t.title}: {r[0]} shows a rate of a hidden count")


def add_development(model: Model, changes: list[Table]) -> None:
    """Udvikling: KKRs add up to the whole country; bands add up to the cases; change = after - before."""
    by_key = {}
    for _n, t in changes:
        before, after = 4, 5
        diff, rel = t.header.index("Ændring"), t.header.index("Ændring i %")
        for _i, row in enumerate(t.rows):
            level, indicator, category, paired = row[0], row[1], row[2], row[3]
            is_rate = str(indicator).startswith("Sager pr.")
            cells = {
                when: model.term(("dev", level, indicator, category, when), row[c])
                for when, c in (("before", before), ("after", after))
            }
            by_key[(level, indicator, category)] = (paired, cells, row)
            if is_rate:
                continue
            if cells["before"] is not None and cells["after"] is not None and isinstance(row[diff], (int, float)):
                model.equal([(cells["after"], 1.0)], [(cells["before"], 1.0), (({}, float(row[diff])), 1.0)])
                if isinstance(row[rel], (int, float)):
                    model.equal([(({}, float(row[diff])), 1.0)], [(cells["before"], float(row[rel]))], TOLERANCE * 1000)
    levels = sorted({k[0] for k in by_key})
    kkrs = [lv for lv in levels if lv != NATIONAL]
    for (level, indicator, category), (paired, cells, _row) in by_key.items():
        if level != NATIONAL or str(indicator).startswith("Sager pr."):
            continue
        members = [by_key.get((k, indicator, category)) for k in kkrs]
        if any(m is None for m in members) or sum(m[0] for m in members) != paired:
            continue  # not the same municipalities: no sum relation
        for when in ("before", "after"):
            parts = [m[1][when] for m in members]
            if all(p is not None for p in parts) and cells[when] is not None:
                model.equal([(p, 1.0) for p in parts], [(cells[when], 1.0)])
    for level in levels:
        cases_key = next((k for k in by_key if k[0] == level and str(k[1]).startswith("Antal sager")), None)
        if cases_key is None:
            continue
        paired, cases, _ = by_key[cases_key]
        rate_key = next((k for k in by_key if k[0] == level and str(k[1]).startswith("Sager pr.")), None)
        for when in ("before", "after"):
            if rate_key and cases[when] and cases[when][0]:
                if isinstance(by_key[rate_key][2][4 if when == "before" else 5], (int, float)):
                    model.flagged.append(f"Udvikling: {level} shows the rate of a hidden count ({when})")
        for indicator in {k[1] for k in by_key if k[0] == level and k[2]}:
            bands = [v for k, v in by_key.items() if k[0] == level and k[1] == indicator and k[2]]
            if any(b[0] != paired for b in bands):
                continue
            for when in ("before", "after"):
                parts = [b[1][when] for b in bands]
                if any(p is None for p in parts) or cases[when] is None:
                    continue
                # The bands add up to the cases when every case has a band; a reader assumes so
                # when the shown figures allow it, and otherwise knows they add up to at most that.
                trial = Model(dict(model.variables), list(model.rows))
                trial.equal([(p, 1.0) for p in parts], [(cases[when], 1.0)])
                if trial.feasible([]):
                    model.equal([(p, 1.0) for p in parts], [(cases[when], 1.0)])
                else:
                    model.at_most([(p, 1.0) for p in parts], [(cases[when], 1.0)])


def sheet_model(sheet: str, rows: list[list]) -> Model:
    model = Model()
    changes = []
    for n, t in enumerate(tables(sheet, rows)):
        if t.title.startswith("Udvikling – pr. kommune"):
            continue  # internal working table
        if t.header[:1] == ["KKR"] and "Antal sager" in t.header:
            add_kkr_status(model, t, n)
        elif len(t.header) >= 3 and t.header[1] == "Antal" and t.header[2] == "Andel":
            add_distribution(model, t, n)
        elif any(h.endswith(": antal") for h in t.header):
            add_side_by_side(model, t, n)
        elif t.header[:1] == ["Mål"]:
            add_numbers(model, t, n)
        elif "Indikator" in t.header and "Ændring" in t.header:
            changes.append((n, t))
    if changes:
        add_development(model, changes)
    return model


def attack(path: Path) -> tuple[int, list[str]]:
    """The number of hidden cells on the shared sheets, and every one a reader can pin or tell is small."""
    sheets = read_sheets(path)
    hidden, found = 0, []
    for sheet in SHARED:
        model = sheet_model(sheet, sheets[sheet])
        found += model.flagged
        hidden += len(model.variables)
        if model.variables:
            assert model.feasible([]), f"{path.name} {sheet}: the relations read off the sheet contradict each other"
        for key, var in model.variables.items():
            low, high = model.solve(key, 1.0), model.solve(key, -1.0)
            assert low is not None and high is not None, (path, sheet, key)
            if high - low < 0.5:
                found.append(f"{path.parent.name} {sheet} {key}: pinned to {low:g}")
            elif var.count and high < THRESHOLD - 0.5:
                found.append(f"{path.parent.name} {sheet} {key}: shown to be small ({low:g}-{high:g})")
    return hidden, found


# -- the masters -----------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic_masters(tmp_path_factory):
    """The small synthetic round of test_master.py: ten municipalities, many small counts."""
    from tests.test_master import workspace_with_population

    ws = workspace_with_population(tmp_path_factory.mktemp("ws"))
    snapshots = all_snapshots()
    for sid in MASTERS:
        build_outputs(ws, sid, snapshots)
    return {sid: ws.output_dir(sid) / "master.xlsx" for sid in MASTERS}


@pytest.mark.parametrize("survey_id", MASTERS)
def test_no_hidden_cell_of_a_demo_master_can_be_worked_out(survey_id):
    hidden, found = attack(demo_master(survey_id))
    assert not found, f"{len(found)} of {hidden} hidden cells are given away:\n" + "\n".join(found)


@pytest.mark.parametrize("survey_id", MASTERS)
def test_no_hidden_cell_of_a_small_round_can_be_worked_out(synthetic_masters, survey_id):
    hidden, found = attack(synthetic_masters[survey_id])
    assert hidden > 10, "the small round should hide many cells"
    assert not found, f"{len(found)} of {hidden} hidden cells are given away:\n" + "\n".join(found)


def test_the_attack_finds_a_count_given_back_by_its_total(tmp_path):
    """The check itself: one hidden cell in a line with a shown total is pinned."""
    rows = [
        ["T", "", ""],
        ["e", "", ""],
        ["Grundlag: n = 10 sager med svar (0 uden svar).", "", ""],
        ["Svar", "Antal", "Andel"],
        ["Ja", 8, 0.8],
        ["Nej", HIDDEN, HIDDEN],
        ["Ved ikke", HIDDEN, HIDDEN],
    ]
    model = sheet_model("Land", rows)
    assert len(model.variables) == 2  # the two cells and nothing else: the base is shown
    assert model.solve(("cell", 0, 1, 1), 1.0) == pytest.approx(1)
    assert model.solve(("cell", 0, 1, 1), -1.0) == pytest.approx(1)  # 1 + 1 = 10 - 8: both pinned
    rows[4] = ["Ja", 5, 0.5]
    model = sheet_model("Land", rows)
    assert model.solve(("cell", 0, 1, 1), -1.0) == pytest.approx(4)
