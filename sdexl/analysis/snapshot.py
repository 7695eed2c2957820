"""What analysis reads: the harvested state of one survey, as plain tables.

Harvest builds a ``Snapshot`` from the ledger (``sdexl.harvest.store``);
analysis and publishing only ever see this, never files or the ledger, so they
can be tested on synthetic snapshots with known answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sdexl.survey.model import Survey

# Column names shared by every records table.
KOMMUNEKODE = "kommunekode"
CASE_REF = "sagsnr"  # the municipality's own case number (case surveys only)


@dataclass
class Snapshot:
    survey: Survey
    survey_version: str
    # One row per accepted case (case surveys) or per municipality (aggregate):
    # "kommunekode" (str), "sagsnr" (str, case surveys only), then one column per
    # non-personal question id with canonical values: category label (str; a
    # multi answer joined with "; "), int/float for numbers, ISO date str, text.
    # A cell whose answer had an error is None: excluded from analysis.
    records: pd.DataFrame
    # Municipalities with a usable return (accepted, with warnings, or needs
    # correction), including those that stated zero cases.
    participants: list[str]
    # Municipalities that stated "Kommunen har ingen sager" (case surveys).
    zero_cases: list[str] = field(default_factory=list)
    # Provenance: one row per harvested file. Columns: file, sha256, verdict,
    # kommunekode, received_at, survey_version, tool_version, superseded (bool).
    submissions: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Data quality: columns code, severity, count.
    issue_counts: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Answers harvest rejected (stored as None in ``records``): (index label of
    # the record in ``records``, question id) -> the code of the issue that
    # rejected it ("required-missing", "rule-at-most", "" when unknown). An
    # empty cell that was not rejected is simply not answered.
    rejected: dict[tuple, str] = field(default_factory=dict)

    @property
    def survey_id(self) -> str:
        return self.survey.id
