"""Municipality reports on the demo round: each figure recomputed from data.csv, each report printed by LibreOffice.

The expectations are plain Python over output/SURVEY/data.csv and the
population file (no sdexl.analysis), with the participants taken from the
demo's plan (a municipality without cases has no row in a case survey's
data.csv). The comparison groups come from ``sdexl.reference.comparable``,
which tests/test_comparable.py checks by hand.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from sdexl.analysis.suppress import HIDDEN
from sdexl.cli import main
from sdexl.demo import make_plan, run_demo
from sdexl.reference.comparable import groups as comparable_groups
from sdexl.report.run import build_reports
from sdexl.workspace import open_workspace
from tests.master_reader import kommuner, read_sheets, same
from tests.render import render

THRESHOLD = 3
KOMMUNER = kommuner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("report") / "ws"
    result = run_demo(root, progress=False, soffice=None, reports=False)
    return result


@pytest.fixture(scope="module")
def ws(demo):
    return open_workspace(demo.root)


def rows(ws, survey: str) -> list[dict]:
    with (ws.output_dir(survey) / "data.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def population(ws) -> dict[str, int]:
    with (ws.reference / "befolkning_18_66.csv").open(encoding="utf-8") as handle:
        return {r["kommunekode"]: int(r["befolkning_18_66"]) for r in csv.DictReader(handle)}


def case_counts(ws, demo) -> dict[str, int]:
    """sde-2022: rows per municipality, and 0 for a participant without rows."""
    plan = make_plan(demo.seed)
    counts = {c: 0 for c in KOMMUNER if c not in plan.silent_2022}
    for r in rows(ws, "sde-2022"):
        counts[r["kommunekode"]] += 1
    return counts


def form_counts(ws, column: str = "a02_over_2mio") -> dict[str, int]:
    return {r["kommunekode"]: int(r[column]) for r in rows(ws, "sde-2024") if r[column] != ""}


def pooled(counts: dict[str, int], people: dict[str, int], members) -> float:
    members = [m for m in members if m in counts and m in people]
    return sum(counts[m] for m in members) / sum(people[m] for m in members) * 1000


def published(value: float, threshold: int = THRESHOLD):
    return f"<{threshold}" if 0 < value < threshold else value


def rank_of(values: dict[str, float], code: str) -> int:
    """1 = highest; ties share the best rank."""
    return 1 + sum(v > values[code] for v in values.values())


def front(path: Path) -> dict[str, list]:
    sheet = read_sheets(path)["Forside"]
    header = next(i for i, r in enumerate(sheet) if r and r[0] == "" and r[-1] == "Kvartil")
    table = {}
    for r in sheet[header + 1 :]:
        if not r or r[0] == "" or str(r[0]).startswith("Grundlag"):
            break
        table[r[0]] = r
    return {"header": sheet[header], "table": table, "text": [str(c) for r in sheet for c in r if c != ""]}


def pick(counts: dict[str, int], people: dict[str, int]) -> list[str]:
    """The largest, a middle one and a small one with cases (a population figure, and no mistake in the return)."""
    plan = make_plan(2024)
    odd = set(plan.mistakes.values()) | {plan.form_mistake}
    usable = sorted((c for c in counts if counts[c] > 0 and c in people and c not in odd), key=lambda c: (counts[c], c))
    return [usable[-1], usable[len(usable) // 2], usable[2]]


# -- figures recomputed -------------------------------------------------------


def test_case_report_key_figures_recomputed_from_data_csv(ws, demo):
    counts, people = case_counts(ws, demo), population(ws)
    chosen = pick(counts, people)
    run = build_reports(ws, "sde-2022", chosen, pdf=False)
    assert len(run.workbooks) == len(chosen)
    comparable = comparable_groups(ws.reference)
    rates = {c: counts[c] / people[c] * 1000 for c in counts if c in people}
    for code, path in zip(chosen, run.workbooks):
        name, kkr = KOMMUNER[code]["kommune"], KOMMUNER[code]["kkr"]
        assert path.name == f"{code}_{name}.xlsx"
        page = front(path)
        assert page["header"][1:5] == [name, kkr, "Sammenlignelige", "Hele landet"]
        cases = page["table"]["Borgere over 2 mio. kr."]
        kkr_members = [c for c in counts if KOMMUNER[c]["kkr"] == kkr]
        peers = [c for c in comparable.of(code) if c in counts]
        assert cases[1] == counts[code]
        assert cases[2] == published(sum(counts[c] for c in kkr_members))
        few = len(peers) < 3  # fewer than 3 other municipalities: the group is not shown
        assert cases[3] == ("for få kommuner" if few else published(sum(counts[c] for c in peers)))
        assert cases[4] == sum(counts.values())
        rate = page["table"]["Pr. 1.000 18-66-årige"]
        assert same(rate[1], rates[code])
        assert same(rate[2], pooled(counts, people, kkr_members))
        assert same(rate[4], pooled(counts, people, counts))
        if few:
            assert rate[3] == "for få kommuner"
        elif sum(counts[c] for c in peers) >= THRESHOLD:
            assert same(rate[3], pooled(counts, people, peers))
        assert rate[5] == f"{rank_of(rates, code)} af {len(rates)}"
        assert page["table"]["Deltagende kommuner i gruppen (n)"][1:5] == [1, len(kkr_members), len(peers), len(counts)]


def group_share(answers: list[str], label: str, multi: bool):
    """The published share of ``label`` among ``answers``: hidden ("x") when its count is small."""
    count = sum(label in a.split("; ") if multi else a == label for a in answers)
    if not answers:
        return None
    return HIDDEN if 0 < count < THRESHOLD else count / len(answers)


def check_share(got, want) -> None:
    # A share may also be hidden by secondary suppression (a small count elsewhere in the column).
    assert got == want or got == HIDDEN or same(got, want), (got, want)


def test_case_report_every_distribution_recomputed(ws, demo):
    counts, people = case_counts(ws, demo), population(ws)
    data = rows(ws, "sde-2022")
    survey = ws.survey("sde-2022")
    comparable = comparable_groups(ws.reference)
    chosen = pick(counts, people)[:2]
    run = build_reports(ws, "sde-2022", chosen, pdf=False)
    for code, path in zip(chosen, run.workbooks):
        sheet = read_sheets(path)["Fordelinger"]
        titles = {str(r[0]): i for i, r in enumerate(sheet)}
        kkr = KOMMUNER[code]["kkr"]
        groups = {
            "own": [code],
            "kkr": [c for c in counts if KOMMUNER[c]["kkr"] == kkr],
            "peers": [c for c in comparable.of(code) if c in counts],
            "land": list(counts),
        }
        checked = 0
        for q in survey.analysis_questions:
            if not q.is_choice:
                continue
            at = titles[f"{q.number}. {q.label}"]
            header = next(i for i in range(at, at + 8) if sheet[i][0] == "Svar")
            answers = {
                key: [r[q.id] for r in data if r["kommunekode"] in set(members) and r[q.id]]
                for key, members in groups.items()
            }
            multi = q.type == "multi"
            for offset, label in enumerate(q.labels, start=1):
                line = sheet[header + offset]
                assert line[0] == label
                own = sum(label in a.split("; ") if multi else a == label for a in answers["own"])
                assert line[1] == own
                if answers["own"]:
                    assert same(line[2], own / len(answers["own"]))
                for col, key in ((3, "kkr"), (4, "peers"), (5, "land")):
                    if len(groups[key]) < 3:
                        assert line[col] == "for få kommuner"
                        continue
                    check_share(line[col] if line[col] != "" else None, group_share(answers[key], label, multi))
            base = sheet[header + len(q.labels) + 1]
            assert base[0] == "Grundlag (n)"
            assert [base[1], base[3], base[4], base[5]] == [
                len(answers[k]) if k == "own" or len(groups[k]) >= 3 else "for få kommuner"
                for k in ("own", "kkr", "peers", "land")
            ]
            checked += 1
        assert checked >= 20


def test_aggregate_report_share_in_botilbud_and_rank_recomputed(ws, demo):
    cases, totals, people = form_counts(ws), form_counts(ws, "a01_botilbud_i_alt"), population(ws)
    chosen = pick(cases, people)
    run = build_reports(ws, "sde-2024", chosen, pdf=False)
    shares = {c: cases[c] / totals[c] for c in cases if totals.get(c)}
    for code, path in zip(chosen, run.workbooks):
        kkr = KOMMUNER[code]["kkr"]
        page = front(path)
        share = page["table"]["Andel af borgere i botilbud"]
        assert same(share[1], shares[code])
        members = [c for c in shares if KOMMUNER[c]["kkr"] == kkr]
        assert same(share[2], sum(cases[c] for c in members) / sum(totals[c] for c in members))
        assert same(share[4], sum(cases[c] for c in shares) / sum(totals[c] for c in shares))
        assert share[5] == f"{rank_of(shares, code)} af {len(shares)}"
        assert page["table"]["Borgere over 2 mio. kr."][1] == cases[code]
        # The KKR table of the share, with its base.
        sheet = read_sheets(path)["Forside"]
        line = next(r for r in sheet if r[0] == kkr and isinstance(r[3], float))
        assert same(line[3], sum(cases[c] for c in members) / sum(totals[c] for c in members))
        assert line[4] == len(members)


def test_development_compares_the_paired_municipalities(ws, demo):
    counts22, counts24 = case_counts(ws, demo), form_counts(ws)
    both = [c for c in counts22 if c in counts24]
    code = max(both, key=lambda c: counts24[c])
    run = build_reports(ws, "sde-2024", [code], pdf=False)
    sheet = read_sheets(run.workbooks[0])["Udvikling"]
    text = " ".join(str(c) for r in sheet for c in r)
    assert "metodeskiftet" in text
    own = next(r for r in sheet if r[0] == KOMMUNER[code]["kommune"])
    assert own[1:4] == [1, counts22[code], counts24[code]]
    national = next(r for r in sheet if r[0] == "Hele landet")
    assert national[1:4] == [len(both), sum(counts22[c] for c in both), sum(counts24[c] for c in both)]


def test_only_accepted_participants_get_a_report(ws, demo):
    plan = make_plan(demo.seed)
    silent = sorted(plan.silent_2024, key=int)[0]
    run = build_reports(ws, "sde-2024", [plan.form_mistake, silent], pdf=False)
    assert run.workbooks == []
    assert run.not_accepted == [plan.form_mistake]
    assert run.not_participating == [silent]


def test_cli_report_without_libreoffice_says_so(ws, demo, monkeypatch):
    counts, people = case_counts(ws, demo), population(ws)
    code = pick(counts, people)[1]
    monkeypatch.setattr("sdexl.report.run.find_soffice", lambda: None)
    out = CliRunner().invoke(main, ["-w", str(ws.root), "report", "sde-2022", "-k", code])
    assert out.exit_code == 0, out.output
    assert "Wrote 1 reports" in out.output and "xlsx only" in out.output


# -- printed ------------------------------------------------------------------


@pytest.mark.libreoffice
@pytest.mark.parametrize("survey, max_pages", [("sde-2022", 22), ("sde-2024", 8)])
def test_reports_print_readably(ws, demo, soffice, tmp_path, survey, max_pages):
    if survey == "sde-2022":
        counts = case_counts(ws, demo)
    else:
        counts = form_counts(ws)
    chosen = pick(counts, population(ws))[:2]
    run = build_reports(ws, survey, chosen, pdf=False)
    comparable = comparable_groups(ws.reference)
    for code, path in zip(chosen, run.workbooks):
        printed = render(soffice, path, tmp_path / code)
        assert 4 <= len(printed.pages) <= max_pages, len(printed.pages)
        assert printed.hashes() == [], printed.hashes()
        assert printed.raw_floats() == []
        first = " ".join(printed.pages[0].split())
        assert KOMMUNER[code]["kommune"] in first
        assert "Sammenligningsgruppe" in first
        for peer in comparable.of(code):
            assert KOMMUNER[peer]["kommune"] in first, peer
        assert "Side 1 af" in printed.pages[0]


def test_chosen_comparison_group_is_used_and_named(ws, demo):
    from sdexl.reference.comparable import import_comparable

    counts = form_counts(ws)
    code = pick(counts, population(ws))[1]
    chosen = [c for c in sorted(counts, key=int) if c != code][:3]  # all took part
    source = ws.root / "klynger.csv"
    source.write_text(f"kommunekode;sammenlignelige\n{code};{' '.join(chosen)}\n", encoding="utf-8")
    target = import_comparable(source, ws.reference).target
    try:
        run = build_reports(ws, "sde-2024", [code], pdf=False)
        page = front(run.workbooks[0])
        names = ", ".join(KOMMUNER[c]["kommune"] for c in chosen)
        assert any(f"sammenlignes med: {names}." in t for t in page["text"])
        assert any("valgt af projektet" in t for t in page["text"])
        assert page["table"]["Borgere over 2 mio. kr."][3] == published(sum(counts[c] for c in chosen))
    finally:
        target.unlink()


@pytest.mark.libreoffice
def test_pdf_copies_are_printed_in_danish(ws, demo, soffice):
    from pypdf import PdfReader

    from sdexl.report.pdf import to_pdf

    counts = form_counts(ws)
    code = pick(counts, population(ws))[0]
    run = build_reports(ws, "sde-2024", [code], pdf=False)
    pdfs, notes = to_pdf(run.workbooks, soffice)
    assert notes == [] and pdfs == [run.workbooks[0].with_suffix(".pdf")]
    first = PdfReader(str(pdfs[0])).pages[0].extract_text()
    total = sum(counts.values())
    assert f"{total // 1000}.{total % 1000:03d}" in first  # 1.581: the Danish thousands separator
    assert KOMMUNER[code]["kommune"] in first


def test_a_group_of_fewer_than_three_others_is_not_shown(ws, demo):
    """Two chosen peers: their sums would be nearly one municipality's figures, so the column says so."""
    from sdexl.reference.comparable import import_comparable

    counts = form_counts(ws)
    code = pick(counts, population(ws))[2]
    chosen = [c for c in sorted(counts, key=int) if c != code][:2]
    source = ws.root / "klynger2.csv"
    source.write_text(f"kommunekode;sammenlignelige\n{code};{' '.join(chosen)}\n", encoding="utf-8")
    target = import_comparable(source, ws.reference).target
    try:
        run = build_reports(ws, "sde-2024", [code], pdf=False)
        page = front(run.workbooks[0])
        assert all(row[3] == "for få kommuner" for label, row in page["table"].items() if "(n)" not in label)
        sheet = read_sheets(run.workbooks[0])["Intervaller"]
        assert all(r[4] == "for få kommuner" for r in sheet if r[0] and r[1] != "" and isinstance(r[2], float))
    finally:
        target.unlink()


def test_a_reader_who_subtracts_its_own_figures_learns_no_small_count(ws, demo):
    """The attacker is the municipality itself: it knows its own counts, and its KKR and the country
    include them. From a group's shares and base it computes the group's counts, subtracts its own,
    and must not find 1 or 2 citizens of the other municipalities, nor pin a hidden cell by
    subtracting the shown ones from the base."""
    counts = case_counts(ws, demo)
    survey = ws.survey("sde-2022")
    with_cases = sorted((c for c in counts if counts[c] > 0), key=lambda c: (counts[c], c))
    chosen = with_cases  # every report: the rare categories of the small KKRs are where it shows
    run = build_reports(ws, "sde-2022", chosen, pdf=False)
    found, hidden_seen = [], 0
    for code, path in zip(chosen, run.workbooks):
        sheet = read_sheets(path)["Fordelinger"]
        titles = {str(r[0]): i for i, r in enumerate(sheet)}
        for q in survey.analysis_questions:
            if not q.is_choice or q.type == "multi":
                continue
            at = titles[f"{q.number}. {q.label}"]
            header = next(i for i in range(at, at + 8) if sheet[i][0] == "Svar")
            lines = sheet[header + 1 : header + 1 + len(q.labels)]
            base = sheet[header + len(q.labels) + 1]
            own = [line[1] for line in lines]
            for col in (3, 5):  # the KKR and the whole country include the reader
                if base[col] in ("for få kommuner", HIDDEN) or not base[col]:
                    hidden_seen += base[col] == HIDDEN
                    continue
                others_base = base[col] - base[1]
                shown, hidden = [], 0
                for i, line in enumerate(lines):
                    if line[col] == HIDDEN:
                        hidden += 1
                        continue
                    others = round(line[col] * base[col]) - own[i]
                    shown.append(others)
                    if 0 < others < THRESHOLD:
                        found.append(f"{code} {q.id} {line[0]} col {col}: {others} besides the own")
                hidden_seen += hidden
                rest = others_base - sum(shown)
                if hidden == 1:
                    found.append(f"{code} {q.id} col {col}: one hidden cell, pinned to {rest}")
                elif hidden and rest - (hidden - 1) < THRESHOLD:
                    found.append(f"{code} {q.id} col {col}: hidden cells shown to be small ({rest} for {hidden})")
    assert not found, "\n".join(found)
    assert hidden_seen > 0, "the reports should meet some suppression"
