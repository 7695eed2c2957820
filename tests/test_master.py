"""The master workbook, recomputed table by table from the synthetic answers.

Each expectation is a plain-Python recount over ``snapshot.records`` (see
master_reader.py); the workbook is read back with python-calamine.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sdexl import messages
from sdexl.analysis.suppress import HIDDEN
from sdexl.publish.dataset import dataset
from sdexl.publish.master import build_outputs
from sdexl.reference.population import import_population
from sdexl.reference.socio import import_socio
from sdexl.workspace import init_workspace
from tests.master_reader import (
    answered,
    average_ranks,
    kkr_of,
    kommuner,
    pearson,
    quartiles_inclusive,
    read_sheets,
    same,
    shown,
    shown_share,
    table,
    texts,
)
from tests.synthetic_snapshots import (
    CPR_TEXT,
    EVIL_TEXT,
    NO_POPULATION,
    ONLY_NORDJYLLAND,
    POPULATION,
    SOCIO,
    ZERO,
    all_snapshots,
)

KKRS = sorted({m["kkr"] for m in kommuner().values()})
NATIONAL = "Hele landet"


def write_folk1a(path: Path, population: dict[str, int]) -> None:
    """A Statistikbanken-style export: title, quarter heading, one row per area and age."""
    names = {code: m["kommune"] for code, m in kommuner().items()}
    lines = ['"Befolkningen den 1. i kvartalet efter område, alder og tid"', ';;"2024K3"']
    lines += [f'"Hele landet";"{age} år";70000' for age in range(18, 67)]
    for code, total in population.items():
        share, rest = divmod(total, 49)
        for age in range(18, 67):
            lines.append(f'"{names[code]}";"{age} år";{share + (rest if age == 18 else 0)}')
    path.write_bytes("\n".join(lines).encode("iso-8859-1"))


def workspace_with_population(folder: Path):
    """A new workspace with the synthetic snapshots' population imported (as FOLK1A would be)."""
    ws = init_workspace(folder)
    folk = ws.root / "folk1a.csv"
    write_folk1a(folk, POPULATION)
    import_population(folk, ws.reference)
    return ws


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    ws = workspace_with_population(tmp_path_factory.mktemp("ws"))
    socio = ws.root / "socio.csv"
    socio.write_text(
        "kommunekode;indeks\n" + "".join(f"{c};{str(v).replace('.', ',')}\n" for c, v in SOCIO.items()),
        encoding="utf-8",
    )
    import_socio(socio, ws.reference)
    snapshots = all_snapshots()
    paths = {sid: build_outputs(ws, sid, snapshots) for sid in ("sde-2022", "sde-2024")}
    sheets = {sid: read_sheets(ws.output_dir(sid) / "master.xlsx") for sid in paths}
    return {"ws": ws, "snapshots": snapshots, "paths": paths, "sheets": sheets}


def records(built, sid) -> list[dict]:
    return built["snapshots"][sid].records.to_dict("records")


def participants(built, sid) -> list[str]:
    return sorted(built["snapshots"][sid].participants, key=int)


def case_counts(built, sid) -> dict[str, int]:
    counts = {c: 0 for c in participants(built, sid)}
    for r in records(built, sid):
        counts[r["kommunekode"]] += 1
    return counts


def title(q) -> str:
    return f"{q.number}. {q.label}" if q.number else q.label


def choice_questions(survey):
    return [q for q in survey.analysis_questions if q.is_choice]


def recount(rows: list[dict], q) -> tuple[list[int], int]:
    answers = [r[q.id] for r in rows if answered(r.get(q.id))]
    if q.type == "multi":
        picked = [a.split("; ") for a in answers]
        return [sum(label in p for p in picked) for label in q.labels], len(answers)
    return [sum(a == label for a in answers) for label in q.labels], len(answers)


def check_rows(actual: list[list], expected: list[list]) -> None:
    """Equal cell by cell; a count or share may also be hidden (complementary suppression, checked separately)."""
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected):
        assert all(same(g, w) or (g == HIDDEN and w != "") for g, w in zip(got, want)), (got, want)


def complete_bands(rows: list[dict], qs, whole: str = "a02_over_2mio") -> list[dict]:
    """The municipalities that enter a band table: every band valid, adding up to the whole when given."""
    return [
        r for r in rows
        if all(answered(r.get(q.id)) for q in qs)
        and (not whole or (answered(r.get(whole)) and sum(r[q.id] for q in qs) == r[whole]))
    ]


def given_reasons(rows: list[dict], qs) -> list[dict]:
    """Optional exit reasons: the municipalities with at least one reason; blanks beside it are 0."""
    return [{**r, **{q.id: r.get(q.id) or 0 for q in qs}} for r in rows if any(answered(r.get(q.id)) for q in qs)]


# -- files --------------------------------------------------------------------


def test_outputs_written(built):
    for paths in built["paths"].values():
        assert sorted(p.name for p in paths) == ["data.csv", "data.parquet", "master.xlsx"]


def test_sheets_in_order(built):
    assert list(built["sheets"]["sde-2024"]) == [
        "Oversigt",
        "Data",
        "Land",
        "KKR",
        "Kommuner",
        "Variation",
        "Sammenhæng",
        "Udvikling",
        "Udtrådte",
        "Læring",
        "Tiltag",
        "Kvalitet",
        "Kilder",
    ]


def test_data_csv_and_parquet(built):
    snap = built["snapshots"]["sde-2022"]
    folder = built["ws"].output_dir("sde-2022")
    frame = pd.read_csv(folder / "data.csv", dtype=str, keep_default_na=False)
    qids = [q.id for q in snap.survey.analysis_questions if q.role != "case_ref"]
    assert list(frame.columns) == ["kommunekode", "kommune", "kkr", "sagsnr"] + qids
    assert "navn" not in frame.columns and "foedselsdato" not in frame.columns
    assert len(frame) == len(snap.records)
    assert "'" + EVIL_TEXT in set(frame["bemaerkninger"])  # CSV: quoted so no spreadsheet runs it
    assert not frame.apply(lambda col: col.str.contains("010190-1234")).any().any()
    assert set(frame["kkr"]) <= set(KKRS)
    parquet = pd.read_parquet(folder / "data.parquet")
    assert len(parquet) == len(frame) and EVIL_TEXT in set(parquet["bemaerkninger"])  # parquet keeps the text
    agg = pd.read_parquet(built["ws"].output_dir("sde-2024") / "data.parquet")
    assert str(agg["a02_over_2mio"].dtype) == "Int64"
    assert agg.loc[agg["kommunekode"] == "253", "a02_over_2mio"].isna().all()


# -- Oversigt -----------------------------------------------------------------


@pytest.mark.parametrize("sid", ["sde-2022", "sde-2024"])
def test_overview(built, sid):
    snap = built["snapshots"][sid]
    rows = built["sheets"][sid]["Oversigt"]
    facts = {r[0]: r[1] for r in table(rows, "Nøgletal").rows}
    n = len(snap.participants)
    assert facts["Deltagende kommuner"] == n
    assert same(facts["Svarprocent"], n / 98)
    assert facts["Referencedato"] == snap.survey.reference_text
    assert facts["Definitionsversion"] == snap.survey_version
    if sid == "sde-2022":
        cases = case_counts(built, sid)
    else:
        cases = {r["kommunekode"]: r["a02_over_2mio"] for r in records(built, sid) if answered(r["a02_over_2mio"])}
    assert facts["Antal sager over 2 mio. kr. i alt"] == sum(cases.values())
    usable = [c for c in cases if c in POPULATION]
    assert same(
        facts["Sager pr. 1.000 18-66-årige (samlet)"],
        sum(cases[c] for c in usable) / sum(POPULATION[c] for c in usable) * 1000,
    )
    missing = table(rows, "Manglende kommuner")
    assert [r[0].split()[0] for r in missing.rows] == [c for c in kommuner() if c not in snap.participants]
    assert f"n = {98 - n}" in missing.base


# -- Data ---------------------------------------------------------------------


def test_data_sheet_is_an_excel_table_and_text_stays_text(built):
    path = built["ws"].output_dir("sde-2022") / "master.xlsx"
    wb = openpyxl.load_workbook(path)
    sheet = wb["Data"]
    assert "Data" in sheet.tables
    ref = sheet.tables["Data"].ref
    first, last = ref.split(":")
    n_rows = int("".join(ch for ch in last if ch.isdigit())) - int("".join(ch for ch in first if ch.isdigit()))
    assert n_rows == len(built["snapshots"]["sde-2022"].records)
    evil = [c for row in sheet.iter_rows() for c in row if c.value == EVIL_TEXT]
    assert evil and all(c.data_type == "s" for c in evil)
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    assert "Data" in wb["Data"].tables and "Kilder" in wb["Kilder"].tables


def test_the_data_table_holds_a_cell_for_each_answer_and_none_for_an_empty_one(built):
    """An empty cell of an Excel table needs no cell element: leaving them out is a sixth of the Data
    sheet's cells, and the table still spans every row and column."""
    path = built["ws"].output_dir("sde-2022") / "master.xlsx"
    sheet = openpyxl.load_workbook(path)["Data"]
    first, last = sheet.tables["Data"].ref.split(":")
    header = int("".join(ch for ch in first if ch.isdigit()))
    cells = [c for row in sheet.iter_rows(min_row=header + 1) for c in row if c.has_style or c.value is not None]
    frame = dataset(built["snapshots"]["sde-2022"])
    answers = int(frame.notna().sum().sum())
    assert frame.isna().sum().sum() > 0  # the synthetic round has empty answers
    assert len(cells) == answers and all(c.value is not None for c in cells)


# -- Land ---------------------------------------------------------------------


def test_land_case_survey(built):
    snap = built["snapshots"]["sde-2022"]
    rows = built["sheets"]["sde-2022"]["Land"]
    recs = records(built, "sde-2022")
    for q in choice_questions(snap.survey):
        t = table(rows, title(q))
        counts, base = recount(recs, q)
        expected = [[label, shown(c), shown_share(c, base)] for label, c in zip(q.labels, counts)]
        check_rows(t.rows, expected)
        assert f"n = {base} sager" in t.base
        if q.type == "multi":
            assert "mere end 100" in t.explanation


def test_land_number_summary(built):
    q = built["snapshots"]["sde-2022"].survey.question("q03_beloeb")
    values = [r[q.id] for r in records(built, "sde-2022") if answered(r[q.id])]
    t = table(built["sheets"]["sde-2022"]["Land"], title(q))
    check_rows(
        t.rows,
        [
            ["Antal svar (n)", len(values)],
            ["Sum", sum(values)],
            ["Gennemsnit", statistics.fmean(values)],
            ["Median", statistics.median(values)],
        ],
    )


def test_land_aggregate_bands(built):
    survey = built["snapshots"]["sde-2024"].survey
    recs = records(built, "sde-2024")
    rows = built["sheets"]["sde-2024"]["Land"]
    for indicator in ("cost_band", "age_band"):
        qs = [q for q in survey.questions if q.indicator == indicator]
        t = table(rows, qs[0].section)
        counts = [sum(r[q.id] for r in complete_bands(recs, qs)) for q in qs]
        total = sum(counts)
        check_rows(t.rows, [[q.short or q.label, shown(c), shown_share(c, total)] for q, c in zip(qs, counts)])
    q = survey.question("a02_over_2mio")
    values = [r[q.id] for r in recs if answered(r[q.id])]
    t = table(rows, title(q))
    assert t.rows[0][1] == len(values) == 9  # 253 Greve's answer had an error
    assert t.rows[1][1] == sum(values)


# -- KKR ----------------------------------------------------------------------


def test_kkr_side_by_side(built):
    snap = built["snapshots"]["sde-2022"]
    recs = records(built, "sde-2022")
    rows = built["sheets"]["sde-2022"]["KKR"]
    groups = {k: [r for r in recs if kkr_of(r["kommunekode"]) == k] for k in KKRS}
    groups[NATIONAL] = recs
    for q in choice_questions(snap.survey):
        t = table(rows, title(q))
        expected = []
        per_group = {name: recount(group, q) for name, group in groups.items()}
        for i, label in enumerate(q.labels):
            row = [label]
            for counts, base in per_group.values():
                row += [shown(counts[i]), shown_share(counts[i], base)]
            expected.append(row)
        base_row = ["Grundlag (n)"]
        for _, base in per_group.values():
            base_row += [shown(base), ""]
        check_rows(t.rows, expected + [base_row])


def test_kkr_status_and_single_participant(built):
    rows = built["sheets"]["sde-2022"]["KKR"]
    cases = case_counts(built, "sde-2022")
    t = table(rows, "Deltagelse og sager pr. KKR")
    for kkr in KKRS + [NATIONAL]:
        members = [c for c in cases if kkr == NATIONAL or kkr_of(c) == kkr]
        usable = [c for c in members if c in POPULATION]
        total = sum(1 for c in kommuner() if kkr == NATIONAL or kkr_of(c) == kkr)
        rate = sum(cases[c] for c in usable) / sum(POPULATION[c] for c in usable) * 1000
        n_cases = sum(cases[c] for c in members)
        expected = [
            kkr,
            total,
            len(members),
            len(members) / total,
            len(members),  # with a valid number of cases: every participant of a case survey
            shown(n_cases),
            len(usable),
            HIDDEN if 0 < n_cases < 3 else rate,
        ]
        check_rows([t.row(kkr)], [expected])
    notes = texts(rows)
    assert any("KKR Nordjylland har kun én deltagende kommune (Aalborg)" in s for s in notes)
    # The Nordjylland column is exactly Aalborg's own figures.
    q = built["snapshots"]["sde-2022"].survey.question("q01_koen")
    own = [r for r in records(built, "sde-2022") if r["kommunekode"] == ONLY_NORDJYLLAND]
    counts, base = recount(own, q)
    t = table(rows, title(q))
    col = t.column("KKR Nordjylland: antal")
    check_rows([[r[col] for r in t.rows]], [[shown(c) for c in counts] + [shown(base)]])


def _hidden(value) -> bool:
    return isinstance(value, str) and (value == HIDDEN or value.startswith("<"))


def _suppressed_tables(built):
    for sid in ("sde-2022", "sde-2024"):
        for sheet in ("Land", "KKR", "Udtrådte"):
            rows = built["sheets"][sid][sheet]
            titles = [r[0] for i, r in enumerate(rows) if i + 3 < len(rows) and r and rows[i + 3][:1]
                      and rows[i + 3][0] in ("Svar", "Interval", "Årsag", "KKR")]
            for name in dict.fromkeys(titles):
                for k in range(titles.count(name)):
                    yield sid, sheet, table(rows, name, k)


def test_no_suppressed_count_follows_from_a_shown_total(built):
    """Recompute every line that adds up to a shown total: never exactly one hidden cell in it."""
    lines_checked = hidden_seen = 0
    for sid, sheet, t in _suppressed_tables(built):
        multi = "Flere svar er mulige" in t.explanation
        lines = []
        if t.header[0] == "KKR":  # Deltagelse og sager pr. KKR: the KKRs add up to the whole country
            col = t.column("Antal sager")
            lines.append([r[col] for r in t.rows])
        elif "Antal" in t.header:  # Land, Udtrådte: the categories add up to n, shown in the base text
            col = t.column("Antal")
            if not multi:
                lines.append([r[col] for r in t.rows] + ["n"])
        else:  # side by side: each column adds up to its base row; each row's KKRs to the whole country
            cols = [i for i, h in enumerate(t.header) if str(h).endswith(": antal")]
            for row in t.rows:
                lines.append([row[c] for c in cols])
            if not multi:
                lines += [[r[c] for r in t.rows] for c in cols]
        for line in lines:
            lines_checked += 1
            hidden = sum(_hidden(v) for v in line)
            hidden_seen += hidden
            assert hidden != 1, (sid, sheet, t.title, line)
    assert lines_checked > 50 and hidden_seen > 0
    assert any(HIDDEN in row for _, _, t in _suppressed_tables(built) for row in t.rows)


# -- Kommuner -----------------------------------------------------------------


def test_municipalities_case_survey(built):
    survey = built["snapshots"]["sde-2022"].survey
    cases = case_counts(built, "sde-2022")
    recs = records(built, "sde-2022")
    t = table(built["sheets"]["sde-2022"]["Kommuner"], "Nøgletal pr. kommune")
    assert len(t.rows) == 98
    cost = survey.question("q03_udgift")
    age = survey.question("q02_alder")
    for row in t.rows:
        code = row[0]
        if code not in cases:
            assert row[3] == "Ikke deltaget" and row[4] == ""
            continue
        assert row[4] == cases[code]
        if code in POPULATION:
            assert same(row[6], cases[code] / POPULATION[code] * 1000)
        else:
            assert row[5] == "ikke tilgængelig" and row[6] == "ikke tilgængelig: befolkningstal mangler"
        own = [r for r in recs if r["kommunekode"] == code]
        bands = [sum(r[q.id] == label for r in own) for q in (cost, age) for label in q.labels]
        assert row[7:] == bands
    zero = t.row(ZERO)
    assert zero[3] == "Deltager (ingen sager)" and zero[4] == 0 and zero[6] == 0
    assert t.row(NO_POPULATION)[6].startswith("ikke tilgængelig")
    assert "Internt arbejdsark" in " ".join(texts(built["sheets"]["sde-2022"]["Kommuner"]))


def test_municipalities_aggregate_share_in_botilbud(built):
    recs = {r["kommunekode"]: r for r in records(built, "sde-2024")}
    t = table(built["sheets"]["sde-2024"]["Kommuner"], "Nøgletal pr. kommune")
    share_col = t.column("Andel af borgere i botilbud over 2 mio. kr.")
    for code, r in recs.items():
        row = t.row(code)
        if answered(r["a02_over_2mio"]):
            assert row[4] == r["a02_over_2mio"]
            assert same(row[share_col], r["a02_over_2mio"] / r["a01_botilbud_i_alt"])
        else:
            assert row[4].startswith("ikke tilgængelig") and row[share_col].startswith("ikke tilgængelig")
    assert t.row("461")[t.column("Udgift: 3,0-3,5 mio. kr.")].startswith("ikke tilgængelig")


# -- Variation ----------------------------------------------------------------


def rates(built, sid) -> dict[str, float]:
    if sid == "sde-2022":
        cases = case_counts(built, sid)
    else:
        cases = {r["kommunekode"]: r["a02_over_2mio"] for r in records(built, sid) if answered(r["a02_over_2mio"])}
    return {c: n / POPULATION[c] * 1000 for c, n in cases.items() if c in POPULATION}


@pytest.mark.parametrize("sid", ["sde-2022", "sde-2024"])
def test_variation(built, sid):
    r = rates(built, sid)
    values = list(r.values())
    rows = built["sheets"][sid]["Variation"]
    stats = {row[0]: row[1] for row in table(rows, "Fordelingen af raten").rows}
    q1, q3 = quartiles_inclusive(values)
    mean = sum(values) / len(values)
    sd = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5
    assert stats["Antal kommuner (n)"] == len(values)
    assert same(stats["Gennemsnit af kommunernes rater"], mean)
    assert same(
        stats["Median"],
        sorted(values)[len(values) // 2]
        if len(values) % 2
        else (sorted(values)[len(values) // 2 - 1] + sorted(values)[len(values) // 2]) / 2,
    )
    assert same(stats["1. kvartil"], q1) and same(stats["3. kvartil"], q3)
    assert same(stats["Laveste"], 0.0)  # Ballerup has no cases
    assert same(stats["Højeste"], max(values))
    positive = [v for v in values if v > 0]  # the ratio is among municipalities with cases
    assert same(stats["Forhold mellem højeste og laveste (kommuner med sager)"], max(positive) / min(positive))
    assert same(stats["Variationskoefficient (standardafvigelse / gennemsnit)"], sd / mean)
    ranking = table(rows, "Rangorden")
    assert [row[1] for row in ranking.rows] == sorted(r, key=lambda c: (-r[c], c))
    assert all(same(row[6], r[row[1]]) for row in ranking.rows)
    excluded = table(rows, "Deltagende kommuner uden rate")
    assert NO_POPULATION in [row[0] for row in excluded.rows]


# -- Sammenhæng ---------------------------------------------------------------


def test_correlation(built):
    from scipy.stats import t as student_t

    r = rates(built, "sde-2022")
    rows = built["sheets"]["sde-2022"]["Sammenhæng"]
    t = table(rows, "Korrelationer")
    for label, other in (
        ("Rate og kommunestørrelse (antal 18-66-årige)", POPULATION),
        ("Rate og socioøkonomisk indeks", SOCIO),
    ):
        keys = sorted(set(r) & set(other))
        xs, ys = [other[k] for k in keys], [r[k] for k in keys]
        n = len(keys)
        pr = pearson(xs, ys)
        rho = pearson(average_ranks(xs), average_ranks(ys))
        p = 2 * student_t.sf(abs(pr) * ((n - 2) / (1 - pr**2)) ** 0.5, n - 2)
        row = t.row(label)
        assert row[1] == n
        assert same(row[2], pr, 1e-7) and same(row[4], rho, 1e-7) and same(row[3], p, 1e-6)
        assert f"n={n}" in row[6]
    points = table(rows, "Punkter bag diagrammerne")
    assert sorted(row[0] for row in points.rows) == sorted(set(r) & set(POPULATION))


def test_correlation_too_few(built, tmp_path):
    snapshots = all_snapshots()
    ws = init_workspace(tmp_path)
    (ws.reference / "socio_indeks.csv").write_text(
        "kommunekode,indeks\n101,1.0\n265,0.9\n461,1.1\n751,1.0\n", encoding="utf-8"
    )
    build_outputs(ws, "sde-2022", snapshots)
    rows = read_sheets(ws.output_dir("sde-2022") / "master.xlsx")["Sammenhæng"]
    t = table(rows, "Korrelationer")
    assert t.row("Rate og socioøkonomisk indeks")[6] == "for få kommuner (n=0) til at beregne en sammenhæng"
    # No population imported: no rates at all, and the sheets say why instead of inventing numbers.
    kommuner_rows = table(read_sheets(ws.output_dir("sde-2022") / "master.xlsx")["Kommuner"], "Nøgletal pr. kommune")
    assert kommuner_rows.row("101")[6] == "ikke tilgængelig: befolkningstal mangler"


# -- Udvikling ----------------------------------------------------------------


def development_expectation(built):
    before = {**case_counts(built, "sde-2022"), **case_counts(built, "sde-2023")}
    after = {r["kommunekode"]: r["a02_over_2mio"] for r in records(built, "sde-2024")}
    paired = sorted(set(before) & set(after), key=int)
    return before, after, paired


def test_development_national_and_kkr(built):
    before, after, paired = development_expectation(built)
    rows = built["sheets"]["sde-2024"]["Udvikling"]
    national = table(rows, "Udvikling – hele landet")
    assert f"n = {len(paired)} kommuner" in national.base
    both = [c for c in paired if answered(after[c])]
    b, a = sum(before[c] for c in both), sum(after[c] for c in both)
    cases_row = national.rows[0]
    assert cases_row[:4] == [NATIONAL, "Antal sager over 2 mio. kr.", "", len(both)]
    check_rows([cases_row[4:7]], [[shown(b), shown(a), a - b]])
    usable = [c for c in both if c in POPULATION]
    people = sum(POPULATION[c] for c in usable)
    rate_row = national.rows[1]
    assert same(rate_row[4], sum(before[c] for c in usable) / people * 1000)
    assert same(rate_row[5], sum(after[c] for c in usable) / people * 1000)
    # Cost bands: 2022 counts rows by category, 2024 sums the band questions.
    s22, s24 = (built["snapshots"][s].survey for s in ("sde-2022", "sde-2024"))
    recs22 = records(built, "sde-2022") + records(built, "sde-2023")
    recs24 = {r["kommunekode"]: r for r in records(built, "sde-2024")}
    cost24 = [q for q in s24.questions if q.indicator == "cost_band"]
    whole_sets = {r["kommunekode"] for r in complete_bands(list(recs24.values()), cost24)}
    for q24 in cost24:
        label = next(c.label for c in s22.question("q03_udgift").choices if c.code == q24.code)
        # A band counts only with its whole set (the base rule): every band valid, adding up to question 2.
        members = [c for c in paired if c in whole_sets]
        b = sum(1 for r in recs22 if r["kommunekode"] in members and r["q03_udgift"] == label)
        a = sum(recs24[c][q24.id] for c in members)
        row = next(r for r in national.rows if r[1] == "Udgiftsinterval" and r[2] == (q24.short or q24.label))
        assert row[3] == len(members)
        check_rows([row[4:7]], [[shown(b), shown(a), HIDDEN if 0 < b < 3 or 0 < a < 3 else a - b]])
    kkr = table(rows, "Udvikling – pr. KKR")
    for name in KKRS:
        members = [c for c in paired if kkr_of(c) == name and answered(after[c])]
        row = next(r for r in kkr.rows if r[0] == name and r[1] == "Antal sager over 2 mio. kr.")
        if members:
            b, a = sum(before[c] for c in members), sum(after[c] for c in members)
            check_rows([row[3:6]], [[len(members), shown(b), shown(a)]])
        else:
            assert row[3] == 0 and row[4].startswith("ikke tilgængelig")
    # No KKR figure follows from the national one minus the other KKRs.
    checked = 0
    for n_row in national.rows:
        if n_row[1] == "Sager pr. 1.000 18-66-årige":
            continue
        members = [r for r in kkr.rows if (r[1], r[2]) == (n_row[1], n_row[2])]
        for col in (4, 5):
            line = [r[col] for r in members if not str(r[col]).startswith("ikke")] + [n_row[col]]
            checked += 1
            assert sum(_hidden(v) for v in line) != 1, (n_row[1], n_row[2], line)
    assert checked > 10


def test_development_per_municipality_and_unpaired(built):
    before, after, paired = development_expectation(built)
    rows = built["sheets"]["sde-2024"]["Udvikling"]
    t = table(rows, "Udvikling – pr. kommune")
    for code in paired:
        row = next(r for r in t.rows if r[0] == code and r[2] == "Antal sager over 2 mio. kr.")
        assert row[5:8] == [before[code], after[code], after[code] - before[code]]  # not suppressed
    zero = next(r for r in t.rows if r[0] == ZERO and r[2] == "Antal sager over 2 mio. kr.")
    assert zero[5:7] == [0, 0]
    unpaired = table(rows, "Kommuner, der kun deltog i den ene opgørelse")
    expected = sorted((set(before) | set(after)) - set(paired), key=int)
    assert sorted((r[0] for r in unpaired.rows), key=int) == expected


# -- Udtrådte -----------------------------------------------------------------


def test_exits(built):
    survey = built["snapshots"]["sde-2024"].survey
    qs = [q for q in survey.questions if q.indicator == "exit_reason"]
    recs = records(built, "sde-2024")
    rows = built["sheets"]["sde-2024"]["Udtrådte"]
    t = table(rows, qs[0].section)
    assert t.header[0] == "Årsag" and "Antal borgere pr. årsag" in t.explanation
    counts = [sum(r[q.id] for r in given_reasons(recs, qs)) for q in qs]
    check_rows(t.rows, [[q.short or q.label, shown(c), shown_share(c, sum(counts))] for q, c in zip(qs, counts)])
    side = table(rows, f"{qs[0].section} – pr. KKR")
    nord = [r for r in given_reasons(recs, qs) if kkr_of(r["kommunekode"]) == "KKR Nordjylland"]
    col = side.column("KKR Nordjylland: antal")
    check_rows([[row[col] for row in side.rows[:-1]]], [[shown(sum(r[q.id] for r in nord)) for q in qs]])
    assert "ikke" in " ".join(texts(built["sheets"]["sde-2022"]["Udtrådte"]))


# -- Tiltag, Kvalitet, Kilder -------------------------------------------------


def test_initiatives_masked_and_text(built):
    t = table(built["sheets"]["sde-2024"]["Tiltag"], "Fritekst")
    recs = records(built, "sde-2024")
    text_ids = ["a05e_andet_tekst", "a06a_bemaerkninger", "a06b_tiltag"]
    assert len(t.rows) == sum(answered(r[q]) for r in recs for q in text_ids)
    values = [row[-1] for row in t.rows]
    assert EVIL_TEXT in values
    assert CPR_TEXT.replace("010190-1234", "XXXXXX-XXXX") in values
    for sid in ("sde-2022", "sde-2024"):
        assert not any("010190-1234" in s for sheet in built["sheets"][sid].values() for s in texts(sheet))


def test_quality(built):
    snap = built["snapshots"]["sde-2024"]
    rows = built["sheets"]["sde-2024"]["Kvalitet"]
    verdicts = table(rows, "Vurdering af modtagne filer")
    counts = snap.submissions["verdict"].value_counts().to_dict()
    labels = {"accepted": "Godkendt", "accepted_with_warnings": "Godkendt med bemærkninger", "rejected": "Afvist"}
    assert {r[0]: r[1] for r in verdicts.rows} == {labels[k]: v for k, v in counts.items()}
    issues = table(rows, "Problemer efter type")
    assert {r[0]: r[3] for r in issues.rows} == dict(zip(snap.issue_counts["code"], snap.issue_counts["count"]))
    assert all(r[1] == messages.title(r[0]) for r in issues.rows)
    assert any(r[1] != r[0] for r in issues.rows)  # the catalogue explains the codes
    assert "datakvalitet fra indsamlingen" in rows[0][0]


def test_sources(built):
    snap = built["snapshots"]["sde-2024"]
    rows = built["sheets"]["sde-2024"]["Kilder"]
    start = next(i for i, r in enumerate(rows) if r[0] == "Fil")
    listed = [r for r in rows[start + 1 : start + 1 + len(snap.submissions)]]
    assert [r[0] for r in listed] == list(snap.submissions["file"])
    assert [r[1] for r in listed] == list(snap.submissions["sha256"])
    assert "=cmd|' /C calc'!A0.xlsx" in [r[0] for r in listed]


def test_small_cell_threshold_from_config(tmp_path):
    ws = init_workspace(tmp_path)
    ws.config.small_cell_threshold = 5
    build_outputs(ws, "sde-2024", all_snapshots())
    rows = read_sheets(ws.output_dir("sde-2024") / "master.xlsx")["KKR"]
    t = table(rows, "Deltagelse og sager pr. KKR")
    assert t.row("KKR Nordjylland")[t.column("Antal sager")] == HIDDEN
    assert t.row("KKR Nordjylland")[t.column("Sager pr. 1.000 18-66-årige")] == HIDDEN  # the rate would give it back


def test_only_one_round_says_so(tmp_path):
    ws = init_workspace(tmp_path)
    snapshots = all_snapshots()
    build_outputs(ws, "sde-2024", {"sde-2024": snapshots["sde-2024"]})
    rows = read_sheets(ws.output_dir("sde-2024") / "master.xlsx")["Udvikling"]
    assert any("kun data fra én opgørelse" in s for s in texts(rows))


# -- LibreOffice --------------------------------------------------------------


@pytest.mark.libreoffice
def test_libreoffice_opens_master(built, lo_convert, tmp_path):
    for sid in ("sde-2022", "sde-2024"):
        master = built["ws"].output_dir(sid) / "master.xlsx"
        converted = lo_convert(master, "xlsx", tmp_path / sid)  # fails unless soffice exits 0 with a file
        assert converted.stat().st_size > 0
        assert list(read_sheets(converted)) == list(read_sheets(master))


def test_no_cases_at_all_and_integer_codes(tmp_path):
    """Only a zero-case municipality, an empty records table without columns, codes as int."""
    from sdexl.analysis.snapshot import Snapshot
    from tests.synthetic_snapshots import survey

    definition = survey("sde-2022")
    snap = Snapshot(definition, "v1", pd.DataFrame(), [151], [151])
    ws = init_workspace(tmp_path)
    paths = build_outputs(ws, "sde-2022", {"sde-2022": snap})
    assert {p.name for p in paths} >= {"data.csv", "master.xlsx"}
    sheets = read_sheets(ws.output_dir("sde-2022") / "master.xlsx")
    row = table(sheets["Kommuner"], "Nøgletal pr. kommune").row("151")
    assert row[3:5] == ["Deltager (ingen sager)", 0]
    assert table(sheets["Land"], "1. Køn").rows[0][1:] == [0, "ikke tilgængelig: ingen svar"]
    assert pd.read_csv(ws.output_dir("sde-2022") / "data.csv").empty


def test_populations_print_as_whole_numbers_and_no_chart_sits_in_a_repeated_header(built):
    """A population is a count of people (no 27030.00); a chart beside a repeated header row would
    print again, cut, at the top of every page of the table."""
    for sid in ("sde-2022", "sde-2024"):
        wb = openpyxl.load_workbook(built["ws"].output_dir(sid) / "master.xlsx")
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value == "Befolkning 18-66 år":
                        below = ws.cell(cell.row + 1, cell.column)
                        if isinstance(below.value, (int, float)):
                            assert "." not in below.number_format, (sid, ws.title, below.coordinate, below.number_format)
            if not ws.print_title_rows:
                continue
            first, last = (int(part) for part in ws.print_title_rows.replace("$", "").split(":"))
            for chart in ws._charts:
                top = chart.anchor._from.row + 1
                bottom = chart.anchor.to.row + 1 if hasattr(chart.anchor, "to") else top + 15
                assert bottom < first or top > last, (sid, ws.title, ws.print_title_rows, top, bottom)


def test_the_socio_chart_plots_only_municipalities_with_an_index(tmp_path):
    """A municipality without an index would be a blank x, which Excel plots at 0."""
    import re
    import zipfile

    from python_calamine import CalamineWorkbook

    ws = workspace_with_population(tmp_path / "ws")
    (ws.reference / "socio_indeks.csv").write_text("kommunekode,indeks\n101,1.0\n265,0.9\n", encoding="utf-8")
    build_outputs(ws, "sde-2022", all_snapshots())
    master = ws.output_dir("sde-2022") / "master.xlsx"
    with zipfile.ZipFile(master) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    socio = next(x for x in charts if "socioøkonomisk indeks" in x)
    x_range = re.search(r"<c:xVal><c:numRef><c:f>[^!]+!\$([A-Z]+)\$(\d+):\$[A-Z]+\$(\d+)</c:f>", socio)
    col, first, last = x_range.group(1), int(x_range.group(2)), int(x_range.group(3))
    rows = CalamineWorkbook.from_path(str(master)).get_sheet_by_name("Sammenhæng").to_python(skip_empty_area=False)
    index = ord(col) - ord("A")
    xs = [rows[r - 1][index] for r in range(first, last + 1)]
    assert len(xs) == 2 and all(isinstance(x, float) for x in xs), xs
