"""Personal data in what municipalities type: CPR-like numbers, the row's own name and birth date.

One place decides what looks like a CPR number, used by validation, the ledger
and everything published. A CPR number is ddmmyy + 4 digits, written with '-',
a space, an en dash or nothing between, or as dd.mm.yy-xxxx. Only a plausible
date (day 01-31, month 01-12) counts, so "1234567890" is left alone. Numbers
(amounts) are never masked: only text is.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

CPR_MASK = "XXXXXX-XXXX"
NAME_MASK = "[navn fjernet]"
DATE_MASK = "[dato fjernet]"

_SEP = r"[-\u2010\u2011\u2012\u2013\u2014\u2212 ]?"
_CPR = re.compile(
    r"(?<![\d.])"
    r"(?:(?P<d>\d{2})(?P<m>\d{2})\d{2}|(?P<d2>\d{2})\.(?P<m2>\d{2})\.\d{2})"
    rf"{_SEP}\d{{4}}"
    r"(?![\d])"
)


def _plausible(day: str, month: str) -> bool:
    try:
        dt.date(2000, int(month), int(day))  # a leap year, so 29-02 passes
    except ValueError:
        return False
    return True


def find_cpr(text: Any) -> list[str]:
    """Every CPR-like number in ``text`` (empty for non-text)."""
    if not isinstance(text, str):
        return []
    return [m[0] for m in _CPR.finditer(text) if _plausible(m["d"] or m["d2"], m["m"] or m["m2"])]


def mask_cpr(text: Any) -> Any:
    """``text`` with every CPR-like number replaced by XXXXXX-XXXX; non-text passes through."""
    if not isinstance(text, str):
        return text

    def _replace(m: re.Match) -> str:
        return CPR_MASK if _plausible(m["d"] or m["d2"], m["m"] or m["m2"]) else m[0]

    return _CPR.sub(_replace, text)


def is_cpr_number(value: Any) -> bool:
    """A whole number that is a CPR number with its leading zero lost (typed into a non-amount cell)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer():
        return False
    number = int(value)
    return 10**8 <= number < 10**10 and bool(find_cpr(str(number).zfill(10)))


@dataclass
class Personal:
    """The row's own name and birth date, to find them again in its other answers."""

    names: list[str] = field(default_factory=list)
    birth_date: dt.date | None = None

    @classmethod
    def of(cls, name: Any, birth_date: dt.date | None) -> Personal:
        names: list[str] = []
        if isinstance(name, str) and len(name.strip()) >= 3:
            full = " ".join(name.split())
            names = [full] + [part for part in full.split(" ") if len(part) >= 3 and part != full]
        return cls(names, birth_date)

    def __bool__(self) -> bool:
        return bool(self.names) or self.birth_date is not None

    def scrub(self, text: Any) -> tuple[Any, bool, bool]:
        """(text with the name and birth date removed, name found, date found)."""
        if not isinstance(text, str) or not self:
            return text, False, False
        found_name = found_date = False
        if self.birth_date is not None:
            text, n = _date_pattern(self.birth_date).subn(DATE_MASK, text)
            found_date = n > 0
        for name in self.names:  # the full name first, then its parts
            pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, name.split(" "))) + r"(?!\w)", re.IGNORECASE)
            text, n = pattern.subn(NAME_MASK, text)
            found_name = found_name or n > 0
        return text, found_name, found_date


def _date_pattern(date: dt.date) -> re.Pattern:
    d, m, y, yy = date.day, date.month, date.year, date.year % 100
    day, month = rf"0?{d}" if d < 10 else str(d), rf"0?{m}" if m < 10 else str(m)
    written = rf"{day}[-./ ]{month}[-./ ](?:{y}|{yy:02d})"  # dd-mm-yyyy, dd.mm.yyyy, d/m/yy
    compact = rf"{d:02d}{m:02d}(?:{y}|{yy:02d})"  # ddmmyy, ddmmyyyy
    return re.compile(rf"(?<![\d.]){written}(?![\d])|(?<!\d){compact}(?!\d)")
