"""Where things are in a generated workbook: the contract between generate and harvest.

Harvest never trusts positions blindly (municipalities insert rows and columns),
but it starts from these and finds question columns by the id row, the
aggregate form by its id column, and the zero-cases statement by defined name.
"""

from __future__ import annotations

from dataclasses import dataclass

from sdexl.survey.model import Question, Survey

GUIDE_SHEET = "Vejledning"
OVERVIEW_SHEET = "Overblik"
LISTS_SHEET = "Lister"  # hidden: the category lists behind every dropdown
META_SHEET = "_sdexl"  # very hidden: survey id, version, kommune, token

# Case surveys: the entry sheet.
TITLE_ROW = 0  # zero-based rows, as xlsxwriter counts
ZERO_CASES_ROW = 1  # "Kommunen har ingen sager pr. <dato>": [Ja]
NUMBER_ROW = 3  # question number ("1", "3a")
LABEL_ROW = 4  # question text
ID_ROW = 5  # question id: the machine key harvest maps columns by
FIRST_DATA_ROW = 6
ROW_NUMBER_COL = 0  # "Nr." 1..max_rows, locked
FIRST_QUESTION_COL = 1
ZERO_CASES_LABEL_COL = 1
ZERO_CASES_INPUT_COL = 4

# Aggregate surveys: the form sheet, one question per row.
FORM_HEADER_ROW = 2
FORM_FIRST_ROW = 3
FORM_NUMBER_COL = 0
FORM_LABEL_COL = 1
FORM_ANSWER_COL = 2
FORM_HELP_COL = 3
FORM_ID_COL = 4
FORM_ID_HEADER = "id"
FORM_ANSWER_HEADER = "Svar"

ZERO_CASES_NAME = "sdexl_ingen_sager"  # defined name of the zero-cases cell
ZERO_CASES_LABEL = "Kommunen har ingen sager"  # start of its label: found by text in .xls/.ods returns
ZERO_CASES_YES = "Ja"
MULTI_MARK = "X"  # the mark in a multiple-choice category column
MULTI_SEPARATOR = "; "  # how chosen categories are joined in data.csv

# Custom document properties carry the same metadata as the very hidden sheet.
PROPERTY_PREFIX = "sdexl_"
META_KEYS = ("survey_id", "survey_version", "kommunekode", "kommune", "token", "tool_version", "generated_at")


@dataclass(frozen=True)
class Column:
    """One input column of a case entry sheet."""

    index: int  # zero-based sheet column
    key: str  # what the id row holds: the question id, or "<id>#<n>" for a multi category
    question: Question
    choice: str | None = None  # the category a multi column stands for


def multi_key(question_id: str, n: int) -> str:
    return f"{question_id}#{n}"


def entry_columns(survey: Survey) -> list[Column]:
    """The input columns in order: one per question, one per category of a multi question."""
    columns: list[Column] = []
    col = FIRST_QUESTION_COL
    for q in survey.questions:
        if q.type == "multi":
            for n, label in enumerate(q.labels, start=1):
                columns.append(Column(col, multi_key(q.id, n), q, label))
                col += 1
        else:
            columns.append(Column(col, q.id, q))
            col += 1
    return columns


def check_column(survey: Survey) -> int:
    """The locked per-row "Kontrol" column right after the inputs."""
    return entry_columns(survey)[-1].index + 1


def list_name(question_id: str) -> str:
    """Defined name of a question's category list on the Lister sheet."""
    return f"L_{question_id}"


def col_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(row: int, col: int) -> str:
    """A1-style reference from zero-based row and column."""
    return f"{col_letter(col)}{row + 1}"

# Vejledning: the municipality is named here too, so a file whose metadata was
# lost (content copied into a new workbook) can still be identified.
GUIDE_TITLE_CELL = "A1"
GUIDE_KOMMUNE_LABEL_CELL = "A3"  # "Kommune:"
GUIDE_KOMMUNE_CELL = "B3"  # "København (kommunekode 101)"


def kommune_caption(name: str, code: str) -> str:
    return f"{name} (kommunekode {code})"
