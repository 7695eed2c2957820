"""The survey definition format: what a question, a condition and a rule are.

A survey lives in ``templates/<id>.yaml`` as data. This module only describes
and checks the shape of that data; it never evaluates strings from the file.
Conditions and cross-field rules are structured objects that the generator
turns into spreadsheet formulas and the harvester re-checks in Python.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

QuestionId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]

QuestionType = Literal[
    "single",  # one category from a dropdown
    "multi",  # several categories: one "X" column per category
    "integer",  # whole number (counts)
    "amount",  # amount in kr.
    "date",
    "text",  # free text
    "other_text",  # "Andet: angiv" text tied to one category of a choice question
]

CHOICE_TYPES = ("single", "multi")
NUMBER_TYPES = ("integer", "amount")
TEXT_TYPES = ("text", "other_text")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Choice(_Strict):
    """One answer category. ``label`` is the canonical Danish text."""

    label: str = Field(min_length=1)
    # A stable code shared across rounds (e.g. the age band "18-25"), so the
    # 2022 case screening and the 2024 aggregate follow-up map onto the same
    # indicator.
    code: str | None = None
    # Numeric bounds for bands (kr.): min <= amount < max.
    min: float | None = None
    max: float | None = None


class Condition(_Strict):
    """Relevance: ask ``question`` only when another answer is (not) in a set."""

    question: QuestionId
    in_: list[str] | None = Field(default=None, alias="in")
    not_in: list[str] | None = None

    @model_validator(mode="after")
    def _exactly_one_operator(self) -> Condition:
        if (self.in_ is None) == (self.not_in is None):
            raise ValueError("a condition needs exactly one of 'in' or 'not_in'")
        return self

    def holds(self, answer: str | None) -> bool | None:
        """True/False when decidable; None when the controlling answer is missing."""
        if answer is None or answer == "":
            return None
        if self.in_ is not None:
            return answer in self.in_
        return answer not in (self.not_in or [])


class Question(_Strict):
    id: QuestionId
    number: str | None = None  # as shown to the municipality: "1", "3a"
    label: str = Field(min_length=1)  # the full Danish question text
    short: str | None = None  # short header text; defaults to the label
    help: str | None = None  # input help shown in Excel (<= 255 characters)
    type: QuestionType
    choices: list[Choice] | None = None
    required: bool = False
    personal: bool = False  # name, CPR, birth date: never harvested
    role: Literal["case_ref"] | None = None  # the municipality's own case number
    relevant: Condition | None = None
    other_of: QuestionId | None = None  # for other_text: the choice question
    other_choice: str | None = None  # ... and the category that opens it
    min: float | None = None
    max: float | None = None
    section: str | None = None  # heading on aggregate forms
    indicator: str | None = None  # cross-round indicator this question feeds
    code: str | None = None  # for a count question: the indicator category
    width: float | None = None  # column width on the entry sheet

    @field_validator("choices", mode="before")
    @classmethod
    def _plain_strings_are_choices(cls, value):
        if isinstance(value, list):
            return [{"label": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _type_fits_fields(self) -> Question:
        if self.type in CHOICE_TYPES and not self.choices:
            raise ValueError(f"question {self.id}: type {self.type} needs choices")
        if self.type not in CHOICE_TYPES and self.choices:
            raise ValueError(f"question {self.id}: only single/multi questions have choices")
        if self.type == "other_text" and not (self.other_of and self.other_choice):
            raise ValueError(f"question {self.id}: other_text needs other_of and other_choice")
        if self.role == "case_ref" and self.personal:
            raise ValueError(f"question {self.id}: the case reference cannot be personal data")
        if self.choices:
            labels = [c.label for c in self.choices]
            if len(set(labels)) != len(labels):
                raise ValueError(f"question {self.id}: duplicate answer categories")
        return self

    @property
    def header(self) -> str:
        return self.short or self.label

    @property
    def labels(self) -> list[str]:
        return [c.label for c in self.choices or []]

    @property
    def is_choice(self) -> bool:
        return self.type in CHOICE_TYPES

    @property
    def is_number(self) -> bool:
        return self.type in NUMBER_TYPES


class Rule(_Strict):
    """A cross-field rule, checked live in the workbook and again on harvest."""

    id: QuestionId
    kind: Literal["sum_equals", "at_most", "band_matches_amount", "none_if_zero_cases"]
    parts: list[QuestionId] | None = None  # sum_equals
    whole: QuestionId | None = None  # sum_equals, at_most
    part: QuestionId | None = None  # at_most
    band: QuestionId | None = None  # band_matches_amount: the band question
    amount: QuestionId | None = None  # ... and the optional exact amount
    description: str = Field(min_length=1)  # Danish, shown on the overview tab

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Rule:
        needed = {
            "sum_equals": ("parts", "whole"),
            "at_most": ("part", "whole"),
            "band_matches_amount": ("band", "amount"),
            "none_if_zero_cases": (),
        }[self.kind]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"rule {self.id} ({self.kind}) needs {', '.join(missing)}")
        return self

    @property
    def question_ids(self) -> list[str]:
        ids = list(self.parts or [])
        ids += [q for q in (self.whole, self.part, self.band, self.amount) if q]
        return ids


class Survey(_Strict):
    id: QuestionId | Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    title: str
    round: str  # e.g. "Runde 1 (2022)"
    kind: Literal["cases", "aggregate"]
    reference_date: dt.date
    reference_text: str  # as the municipality reads it: "1. oktober 2022"
    purpose: str
    definition: str  # the 2 mio. kr. definition, in Danish
    instructions: list[str] = Field(default_factory=list)
    entry_sheet: str = Field(min_length=1)  # "Sager" or "Skema"; Excel limits in check.py
    max_rows: int = Field(default=300, ge=1, le=5000)
    questions: list[Question]
    rules: list[Rule] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # editorial notes (English)

    @model_validator(mode="after")
    def _references_resolve(self) -> Survey:
        problems = reference_problems(
            [q.model_dump(by_alias=True, exclude_none=True) for q in self.questions],
            [r.model_dump(exclude_none=True) for r in self.rules],
            self.kind,
        )
        if problems:
            raise ValueError("; ".join(message for _loc, message in problems))
        return self

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    @property
    def case_ref(self) -> Question | None:
        return next((q for q in self.questions if q.role == "case_ref"), None)

    @property
    def analysis_questions(self) -> list[Question]:
        """Questions whose answers may leave the municipality's own copy."""
        return [q for q in self.questions if not q.personal]


def _labels(question: dict) -> list[str]:
    return [c if isinstance(c, str) else (c or {}).get("label") for c in question.get("choices") or []]


def reference_problems(questions: list, rules: list, kind: str | None) -> list[tuple[tuple, str]]:
    """Every reference between questions and rules that does not resolve, as (location, message).

    Works on plain data (the YAML as read, or a model dumped), so ``template check``
    can list all of them at once, each at its place in the file.
    """
    problems: list[tuple[tuple, str]] = []
    items = [(i, q) for i, q in enumerate(questions) if isinstance(q, dict)]
    by_id = {q.get("id"): q for _i, q in items}
    seen: set = set()
    for i, q in items:
        qid = q.get("id")
        if qid in seen:
            problems.append((("questions", i, "id"), f"the id {qid} is used by another question too"))
        seen.add(qid)
        cond = q.get("relevant")
        if isinstance(cond, dict):
            target = by_id.get(cond.get("question"))
            if target is None:
                problems.append((("questions", i, "relevant", "question"), f"the condition names unknown question {cond.get('question')}"))
            elif target.get("type") != "single":
                problems.append((("questions", i, "relevant", "question"),
                                 f"{cond.get('question')} is not a single-choice question; only those can control relevance"))
            else:
                for op in ("in", "not_in"):
                    for label in cond.get(op) or []:
                        if label not in _labels(target):
                            problems.append((("questions", i, "relevant", op), f"'{label}' is not a category of {target.get('id')}"))
        other = q.get("other_of")
        if other is not None:
            target = by_id.get(other)
            if target is None or target.get("type") not in CHOICE_TYPES:
                problems.append((("questions", i, "other_of"), f"{other} is not a choice question"))
            elif q.get("other_choice") not in _labels(target):
                problems.append((("questions", i, "other_choice"), f"'{q.get('other_choice')}' is not a category of {other}"))
    for j, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        named = list(rule.get("parts") or []) + [rule.get(k) for k in ("whole", "part", "band", "amount") if rule.get(k)]
        unknown = [n for n in named if n not in by_id]
        if unknown:
            problems.append((("rules", j), f"names questions that do not exist: {', '.join(map(str, unknown))}"))
    if kind == "cases" and sum(q.get("role") == "case_ref" for _i, q in items) != 1:
        problems.append((("questions",), "a case survey needs exactly one question with role: case_ref (the case number)"))
    return problems
