"""Synthetic snapshots with known answers, built on the real survey definitions.

The design covers the cases the issue names:
* 151 Ballerup took part and stated zero cases;
* 147 Frederiksberg has no population figure;
* KKR Nordjylland has one participant only (851 Aalborg);
* 253 Greve's 2024 count of cases had an error (None);
* free text starting with "=" and holding a CPR-like number.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pandas as pd

from sdexl.analysis.snapshot import CASE_REF, KOMMUNEKODE, Snapshot
from sdexl.survey.load import load_survey, version_hash

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

CASES_2022 = {"101": 6, "147": 3, "151": 0, "265": 4, "370": 2, "461": 5, "621": 1, "751": 7, "730": 3, "851": 4}
CASES_2023 = {"159": 2, "657": 3}
NO_POPULATION = "147"
ZERO = "151"
ONLY_NORDJYLLAND = "851"

# 2024 aggregate forms: cases, total in botilbud, and how the cases split.
AGG_2024 = {
    "101": 5,
    "147": 4,
    "151": 0,
    "265": 3,
    "461": 6,
    "751": 9,
    "851": 2,
    "159": 1,
    "480": 2,
    "253": None,
}

POPULATION = {
    "101": 430000,
    "151": 30000,
    "265": 55000,
    "370": 51000,
    "461": 135000,
    "621": 62000,
    "751": 240000,
    "730": 59000,
    "851": 145000,
    "159": 45000,
    "657": 55000,
    "480": 18000,
    "253": 32000,
}
SOCIO = {
    "101": 1.10,
    "151": 0.92,
    "265": 0.88,
    "370": 1.05,
    "461": 1.12,
    "621": 0.97,
    "751": 1.01,
    "730": 1.08,
    "851": 1.04,
}

EVIL_TEXT = '=HYPERLINK("http://x";"klik")'
CPR_TEXT = "Borger 010190-1234 flyttede"


def survey(survey_id: str):
    return load_survey(TEMPLATES / f"{survey_id}.yaml")


def case_snapshot(survey_id: str, cases: dict[str, int], seed: int = 1) -> Snapshot:
    definition = survey(survey_id)
    rng = random.Random(seed)
    rows = []
    for code, n in cases.items():
        for i in range(n):
            rows.append(_case_row(definition, rng, code, i))
    _add_special_texts(definition, rows)
    columns = [KOMMUNEKODE, CASE_REF] + [q.id for q in definition.analysis_questions if q.role != "case_ref"]
    records = pd.DataFrame(rows, columns=columns)
    zero = [c for c, n in cases.items() if n == 0]
    return Snapshot(
        definition,
        version_hash(definition),
        records,
        list(cases),
        zero,
        _submissions(definition, list(cases)),
        _issues(),
    )


def _case_row(definition, rng: random.Random, code: str, i: int) -> dict:
    row: dict = {KOMMUNEKODE: code, CASE_REF: f"S{code}-{i + 1}"}
    for q in definition.analysis_questions:
        if q.role == "case_ref":
            continue
        if q.relevant is not None and not q.relevant.holds(row.get(q.relevant.question)):
            row[q.id] = None
        elif q.type == "single":
            # About one answer in 25 is missing (an excluded error cell).
            row[q.id] = None if rng.random() < 0.04 else rng.choice(q.labels)
        elif q.type == "multi":
            picked = rng.sample(q.labels, rng.randint(1, 2))
            row[q.id] = "; ".join(label for label in q.labels if label in picked)
        elif q.type == "amount":
            row[q.id] = _amount(definition, row, rng)
        elif q.type == "other_text":
            row[q.id] = "Noget andet" if row.get(q.other_of) == q.other_choice else None
        elif q.type == "text":
            row[q.id] = rng.choice([None, None, "Kort bemærkning"])
        else:
            row[q.id] = None
    return row


def _amount(definition, row: dict, rng: random.Random) -> float | None:
    band_q = next(q for q in definition.questions if q.indicator == "cost_band")
    choice = next((c for c in band_q.choices if c.label == row.get(band_q.id)), None)
    if choice is None or rng.random() < 0.5:
        return None
    return float(rng.randint(int(choice.min), int(choice.max or 12_000_000) - 1))


def _add_special_texts(definition, rows: list[dict]) -> None:
    text_q = [q for q in definition.analysis_questions if q.type == "text" and q.role != "case_ref"]
    if rows and text_q:
        rows[0][text_q[-1].id] = EVIL_TEXT
        rows[-1][text_q[-1].id] = CPR_TEXT


def aggregate_snapshot(survey_id: str = "sde-2024", seed: int = 7) -> Snapshot:
    definition = survey(survey_id)
    rng = random.Random(seed)
    rows = []
    for code, cases in AGG_2024.items():
        row: dict = {KOMMUNEKODE: code}
        row["a02_over_2mio"] = cases
        row["a01_botilbud_i_alt"] = (cases or 0) * 10 + rng.randint(0, 20)
        for indicator in ("cost_band", "age_band"):
            qs = [q for q in definition.questions if q.indicator == indicator]
            for q, value in zip(qs, _split(cases or 0, len(qs), rng)):
                row[q.id] = value
        for q in [q for q in definition.questions if q.indicator == "exit_reason"]:
            row[q.id] = rng.choice([None, 0, 1, 2, 4]) if code != "101" else 3
        row["a05e_andet_tekst"] = None
        row["a06a_bemaerkninger"] = EVIL_TEXT if code == "265" else None
        row["a06b_tiltag"] = CPR_TEXT if code == "461" else ("Tværfagligt team" if code == "751" else None)
        rows.append(row)
    # 461's cost band 3,0-3,5 had an error and is excluded.
    rows[4]["a03c_3_0_3_5"] = None
    columns = [KOMMUNEKODE] + [q.id for q in definition.analysis_questions]
    records = pd.DataFrame(rows, columns=columns).astype(object)
    records = records.where(pd.notna(records), None)
    return Snapshot(
        definition,
        version_hash(definition),
        records,
        list(AGG_2024),
        [],
        _submissions(definition, list(AGG_2024)),
        _issues(),
    )


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    cuts = sorted(rng.randint(0, total) for _ in range(parts - 1))
    return [b - a for a, b in zip([0] + cuts, cuts + [total])]


def _submissions(definition, codes: list[str]) -> pd.DataFrame:
    rows = []
    for i, code in enumerate(codes):
        rows.append(
            {
                "file": f"{code}_{definition.id}.xlsx",
                "sha256": f"{i:064x}",
                "verdict": "accepted" if i % 3 else "accepted_with_warnings",
                "kommunekode": code,
                "received_at": dt.datetime(2024, 12, 1, 9, i),
                "survey_version": version_hash(definition),
                "tool_version": "0.1.0",
                "superseded": False,
            }
        )
    rows.append(
        {
            "file": "=cmd|' /C calc'!A0.xlsx",
            "sha256": "f" * 64,
            "verdict": "rejected",
            "kommunekode": None,
            "received_at": dt.datetime(2024, 12, 2, 10, 0),
            "survey_version": None,
            "tool_version": None,
            "superseded": False,
        }
    )
    return pd.DataFrame(rows)


def _issues() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"code": "missing-answer", "severity": "warning", "count": 4},
            {"code": "not-a-category", "severity": "error", "count": 2},
        ]
    )


def all_snapshots() -> dict[str, Snapshot]:
    return {
        "sde-2022": case_snapshot("sde-2022", CASES_2022, seed=1),
        "sde-2023": case_snapshot("sde-2023", CASES_2023, seed=2),
        "sde-2024": aggregate_snapshot(),
    }
