"""Turn one cell as read into a canonical answer, noting what had to be forgiven.

Municipalities type, paste and resave: "kvinde " for "Kvinde", "2.500.000 kr."
for 2500000, "01.10.1980" for a date. Each parser returns the canonical value
and a list of notes (catalogue code + fields). A note whose code is an error
means the value could not be used and ``value`` is None.

Canonical values follow the snapshot contract (sdexl/analysis/snapshot.py):
category label (str), int or float for numbers, ISO date str, text.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sdexl import messages, privacy
from sdexl.survey.model import Question

Note = tuple[str, dict[str, Any]]  # (catalogue code, extra message fields)

CPR_MASK = privacy.CPR_MASK

_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−"), "-")
_SPACES = re.compile(r"\s+")
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 after Excel's leap-year bug
MULTI_YES = {"x", "1", "ja", "yes", "sand", "true", "✓", "✔"}  # all read as the mark


@dataclass
class Parsed:
    value: Any = None  # canonical value; None when empty or unusable
    notes: list[Note] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(messages.severity(code) == "error" for code, _ in self.notes)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def display(value: Any) -> str:
    """A value as the municipality would recognise it in a message."""
    if isinstance(value, bool):
        return "SAND" if value else "FALSK"
    if isinstance(value, (int, float)):
        return format_number(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%d-%m-%Y %H:%M") if value.time() != dt.time() else value.strftime("%d-%m-%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d-%m-%Y")
    return str(value)


def format_number(value: float) -> str:
    """Danish style: 2.500.000 and 2,5."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    text = f"{value:,.10g}" if abs(value) < 1e15 else repr(value)
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def fold(text: str) -> str:
    """Compare text the way a reader would: case, spaces, dashes and Unicode forms ignored."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return _SPACES.sub(" ", text).strip().casefold()


def integral(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


# --- Choices -------------------------------------------------------------


def parse_choice(value: Any, q: Question) -> Parsed:
    if is_blank(value):
        return Parsed()
    labels = q.labels
    for candidate in _choice_texts(value):
        if candidate in labels:
            return Parsed(candidate)
        folded = {fold(label): label for label in labels}
        canonical = folded.get(fold(candidate))
        if canonical is not None:
            # Same answer, different spelling: kept, but said so.
            return Parsed(canonical, [("category-normalised", {"canonical": canonical})])
    hint = messages.did_you_mean(_closest(display(value), labels))
    return Parsed(None, [("not-a-category", {"choices": ", ".join(labels), "hint": hint})])


def _choice_texts(value: Any) -> list[str]:
    """The texts a cell may stand for: "2" typed becomes 2.0; "10%" typed becomes 0.1."""
    if isinstance(value, bool):
        return [display(value)]
    if isinstance(value, (int, float)):
        texts = [str(integral(value)), display(value)]
        percent = integral(round(value * 100, 6))
        texts.append(f"{percent}%".replace(".", ","))
        return texts
    if isinstance(value, dt.date):
        return [display(value)]
    return [str(value)]


def _closest(text: str, labels: list[str]) -> str | None:
    folded = {fold(label): label for label in labels}
    match = difflib.get_close_matches(fold(text), list(folded), n=1, cutoff=0.6)
    return f"'{folded[match[0]]}'" if match else None


def parse_mark(value: Any) -> Parsed:
    """One category column of a multi question: True when marked."""
    if is_blank(value):
        return Parsed(False)
    if value == "X":
        return Parsed(True)
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float)):
        text = str(integral(value))
    else:
        text = fold(str(value))
    if text in MULTI_YES:
        return Parsed(True, [("multi-mark-normalised", {})])
    return Parsed(None, [("multi-mark-invalid", {})])


# --- Numbers -------------------------------------------------------------

_NUMBER_PATTERNS = (
    # Danish thousands separators with optional decimal comma: 2.500.000 / 1.234,5
    (re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$"), lambda s: s.replace(".", "").replace(",", ".")),
    # Danish decimal comma: 2,5
    (re.compile(r"^[+-]?\d+(,\d+)?$"), lambda s: s.replace(",", ".")),
    # English thousands (two groups or more, so '2,500' stays Danish 2,5): 2,500,000.00
    (re.compile(r"^[+-]?\d{1,3}(,\d{3}){2,}(\.\d+)?$"), lambda s: s.replace(",", "")),
    # Decimal point: 12.5
    (re.compile(r"^[+-]?\d*\.\d+$"), lambda s: s),
)
_UNIT = re.compile(r"(?i)(dkk|kr\.?|kroner|,-|\.-)")
_DIGIT_GROUP_SPACE = re.compile(r"(?<=\d)[ \u00a0\u202f'](?=\d{3}\b)")
_MILLION = re.compile(r"(?i)\s*(mio\.?|millioner|million)\s*$")


def number_from_text(text: str) -> float | None:
    """'2.500.000 kr.' -> 2500000; '2,5 mio.' -> 2500000; None when it is no number."""
    s = unicodedata.normalize("NFKC", text).translate(_DASHES).strip()
    s = _UNIT.sub("", s).strip()
    factor = 1
    if _MILLION.search(s):
        s, factor = _MILLION.sub("", s), 1_000_000
    s = _DIGIT_GROUP_SPACE.sub(".", s.strip())  # "2 500 000"
    for pattern, clean in _NUMBER_PATTERNS:
        if pattern.match(s):
            return round(float(clean(s)) * factor, 6)
    return None


def parse_number(value: Any, q: Question) -> Parsed:
    if is_blank(value):
        return Parsed()
    notes: list[Note] = []
    if isinstance(value, (bool, dt.date)):
        number = None
    elif isinstance(value, (int, float)):
        number = float(value)
    else:
        number = number_from_text(str(value))
        if number is not None:
            notes.append(("number-as-text", {"number": format_number(number)}))
    if number is None:
        return Parsed(None, [("not-a-number", {})])
    if q.type == "integer" and not number.is_integer():
        return Parsed(None, [("not-an-integer", {"value": format_number(number)})])
    if q.min is not None and number < q.min:
        return Parsed(None, notes + [("below-min", {"value": format_number(number), "limit": format_number(q.min)})])
    if q.max is not None and number > q.max:
        return Parsed(None, notes + [("above-max", {"value": format_number(number), "limit": format_number(q.max)})])
    return Parsed(integral(number), notes)


# --- Dates ---------------------------------------------------------------

_DMY = re.compile(r"^(\d{1,2})[-./ ](\d{1,2})[-./ ](\d{4}|\d{2})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
MAX_SERIAL = 2958465  # 31-12-9999


def parse_date(value: Any, today: dt.date | None = None) -> Parsed:
    if is_blank(value):
        return Parsed()
    if isinstance(value, dt.datetime):
        return Parsed(value.date().isoformat())
    if isinstance(value, dt.date):
        return Parsed(value.isoformat())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value <= MAX_SERIAL and float(value).is_integer():
            date = EXCEL_EPOCH + dt.timedelta(days=int(value))
            return Parsed(date.isoformat(), [("date-from-number", {"date": display(date)})])
        return Parsed(None, [("not-a-date", {})])
    date = date_from_text(str(value), today or dt.date.today())
    if date is None:
        return Parsed(None, [("not-a-date", {})])
    return Parsed(date.isoformat(), [("date-as-text", {"date": display(date)})])


def date_from_text(text: str, today: dt.date) -> dt.date | None:
    s = unicodedata.normalize("NFKC", text).strip()
    try:
        if m := _YMD.match(s):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DMY.match(s):
            year = int(m[3])
            if len(m[3]) == 2:  # 80 -> 1980, 05 -> 2005: never a date in the future
                year += 2000 if 2000 + year <= today.year else 1900
            return dt.date(year, int(m[2]), int(m[1]))
    except ValueError:
        return None
    return None


# --- Text ----------------------------------------------------------------


def parse_text(value: Any) -> Parsed:
    """Free text, with anything that looks like a CPR number masked."""
    if is_blank(value):
        return Parsed()
    if isinstance(value, bool):
        text = display(value)
    elif isinstance(value, (int, float)):
        text = str(integral(value))  # a case number typed as 17 is "17", not "17.0"
    elif isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = str(value).strip()
    masked, found = mask_cpr(text)
    # The note carries the masked text as its value, so the CPR number never reaches an issue.
    notes: list[Note] = [("cpr-masked", {"value": masked})] if found else []
    cut = cut_to_cell(masked)
    if cut is not masked:
        notes.append(("text-too-long", {"length": format_number(excel_length(masked)),
                                        "limit": format_number(CELL_TEXT_LIMIT)}))
    return Parsed(cut, notes)


CELL_TEXT_LIMIT = 32767  # Excel's most characters in one cell (UTF-16 units), as publish/sheet.py


def excel_length(text: str) -> int:
    """Characters as Excel counts them: UTF-16 units (an emoji is two)."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def cut_to_cell(text: str, limit: int = CELL_TEXT_LIMIT) -> str:
    """``text`` itself when a cell can hold it, else its first ``limit`` characters (never half an emoji).

    Another program than Excel (or a script) can write a longer text into a file; the master, the
    feedback and any resave would cut it anyway, so it is cut here, where it can be said.
    """
    if len(text) <= limit // 2 or excel_length(text) <= limit:
        return text
    return text.encode("utf-16-le")[: 2 * limit].decode("utf-16-le", errors="ignore")


def mask_cpr(text: str) -> tuple[str, bool]:
    """(``text`` masked, whether anything was masked): see sdexl/privacy.py."""
    found = bool(privacy.find_cpr(text))
    return (privacy.mask_cpr(text) if found else text), found
