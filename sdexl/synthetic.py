"""Synthetic answers that obey a survey definition: for the demo, tests and benchmarks.

Every value produced is valid: categories come from the definition, skip logic
and cross-field rules are respected. Nothing here is real data, and callers
must say so wherever the results are shown.
"""

from __future__ import annotations

import random
from typing import Any

from sdexl import layout
from sdexl.survey.model import Question, Rule, Survey

FIRST_NAMES = ["Anna", "Bo", "Carl", "Dorte", "Emil", "Freja", "Gustav", "Hanne", "Ib", "Jonna"]


def case_answers(survey: Survey, rng: random.Random, case_no: int, personal: bool = True) -> dict[str, Any]:
    """One valid case as column key -> value (multi categories as "<id>#<n>": "X")."""
    answers: dict[str, Any] = {}
    chosen: dict[str, str] = {}  # single-choice answers so far, for skip logic
    for q in survey.questions:
        if q.role == "case_ref":
            answers[q.id] = f"S-{case_no:04d}"
        elif q.personal:
            if personal:
                answers[q.id] = _personal_value(q, rng)
        elif q.relevant and q.relevant.holds(chosen.get(q.relevant.question)) is not True:
            continue  # skipped question: left empty
        elif q.type == "single":
            if q.required or rng.random() < 0.5:
                chosen[q.id] = answers[q.id] = _weighted_choice(q, rng)
        elif q.type == "multi":
            for n in _multi_pick(q, rng):
                answers[layout.multi_key(q.id, n)] = layout.MULTI_MARK
        elif q.type == "other_text":
            if chosen.get(q.other_of) == q.other_choice:
                answers[q.id] = f"Syntetisk uddybning {case_no}"
        elif q.type == "text":
            if rng.random() < 0.3:
                answers[q.id] = f"Syntetisk bemærkning til sag {case_no}"
        elif q.is_number and (q.required or rng.random() < 0.4):
            answers[q.id] = _number(q, rng)
    for rule in survey.rules:
        _satisfy_case_rule(survey, rule, answers, rng)
    return answers


def _personal_value(q: Question, rng: random.Random) -> Any:
    import datetime as dt

    if q.type == "date":
        return dt.date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
    return rng.choice(FIRST_NAMES)


def _weighted_choice(q: Question, rng: random.Random) -> str:
    # Earlier categories a little more likely, and "Ved ikke" rare: plausible shapes.
    labels = q.labels
    weights = [0.3 if label == "Ved ikke" else 1.0 / (1 + 0.3 * i) for i, label in enumerate(labels)]
    return rng.choices(labels, weights)[0]


def _multi_pick(q: Question, rng: random.Random) -> list[int]:
    labels = q.labels
    if "Ingen" in labels and rng.random() < 0.5:
        return [labels.index("Ingen") + 1]
    options = [n for n, label in enumerate(labels, start=1) if label != "Ingen"]
    return sorted(rng.sample(options, rng.randint(1, min(2, len(options)))))


def _number(q: Question, rng: random.Random) -> int:
    low = int(q.min if q.min is not None else 0)
    high = int(q.max if q.max is not None else low + 1000)
    return rng.randint(low, min(high, low + 5000))


def _satisfy_case_rule(survey: Survey, rule: Rule, answers: dict[str, Any], rng: random.Random) -> None:
    if rule.kind != "band_matches_amount" or rule.amount not in answers:
        return
    band = next((c for c in survey.question(rule.band).choices if c.label == answers.get(rule.band)), None)
    if band is None:
        answers.pop(rule.amount)
        return
    upper = band.max if band.max is not None else band.min * 2
    answers[rule.amount] = rng.randrange(int(band.min), int(upper), 1000)


def form_answers(survey: Survey, rng: random.Random, cases: int, total_in_botilbud: int | None = None) -> dict[str, Any]:
    """A valid aggregate form: parts sum to their whole, parts never exceed it."""
    answers: dict[str, Any] = {}
    sums = [r for r in survey.rules if r.kind == "sum_equals"]
    for rule in survey.rules:
        if rule.kind == "at_most":
            answers[rule.part] = cases
            answers[rule.whole] = total_in_botilbud if total_in_botilbud is not None else cases * rng.randint(8, 20) + rng.randint(0, 30)
    for rule in sums:
        answers[rule.whole] = cases
        for qid, value in zip(rule.parts, _split(cases, len(rule.parts), rng)):
            answers[qid] = value
    for q in survey.questions:
        if q.id in answers:
            continue
        if q.is_number and q.required:
            answers[q.id] = _number(q, rng)
        elif q.is_number and rng.random() < 0.6:
            answers[q.id] = rng.randint(0, max(1, cases // 4))
        elif q.type == "text" and rng.random() < 0.5:
            answers[q.id] = "Syntetisk tekst: kommunen arbejder med tidlig indsats og fælles visitation."
    return answers


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` split into ``parts`` non-negative integers, front-loaded like real bands."""
    weights = [rng.random() / (1 + 0.4 * i) for i in range(parts)]
    scale = sum(weights) or 1.0
    values = [int(total * w / scale) for w in weights]
    values[0] += total - sum(values)
    return values
