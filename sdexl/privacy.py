"""Personal data in what municipalities type: CPR-like numbers, the row's own name and birth date.

One place decides what looks like a CPR number, used by validation, the ledger
and everything published. A CPR number is ddmmyy + 4 digits, written with '-',
a space, an en dash or nothing between, or as dd.mm.yy-xxxx. Only a plausible
date (day 01-31, month 01-12) counts, so "1234567890" is left alone. Numbers
(amounts) are never masked: only text is.
"""

from __future__ import annotations

import datetime as dt
import functools
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
    if not isinstance(text, str) or len(text) < 10:  # a CPR number is at least 10 characters
        return []
    return [m[0] for m in _CPR.finditer(text) if _plausible(m["d"] or m["d2"], m["m"] or m["m2"])]


def mask_cpr(text: Any) -> Any:
    """``text`` with every CPR-like number replaced by XXXXXX-XXXX; non-text passes through."""
    if not isinstance(text, str) or len(text) < 10:  # a CPR number is at least 10 characters
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
    """The row's own name and birth date, to find them again in its other answers.

    ``scrub`` runs for every text answer of every row, so it first asks a cheap question
    that every real match passes (is each word of the name in the text, compared case-folded;
    are the date's digits in it) and compiles and runs a pattern only when the answer is yes.
    Measured: 37 % of the validation time went into compiling each row's date pattern.
    """

    names: list[str] = field(default_factory=list)
    birth_date: dt.date | None = None
    # Per name: its words case-folded (the pre-check); the pattern, compiled on first need.
    _folded: list[list[str]] = field(init=False, repr=False, compare=False, default_factory=list)
    _date_digits: tuple[str, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        self._folded = [[fold(word) for word in name.split(" ")] for name in self.names]
        if self.birth_date is not None:
            d = self.birth_date
            # Every written form holds the day and month without a leading zero, and the year's last two digits.
            self._date_digits = (str(d.day), str(d.month), f"{d.year % 100:02d}")

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
        if self.birth_date is not None and all(digits in text for digits in self._date_digits):
            text, n = _date_pattern(self.birth_date).subn(DATE_MASK, text)
            found_date = n > 0
        folded = fold(text) if self.names else ""
        for name, words in zip(self.names, self._folded, strict=True):  # the full name first, then its parts
            if not all(word in folded for word in words):
                continue
            text, n = _name_pattern(name).subn(NAME_MASK, text)
            if n:
                found_name = True
                folded = fold(text)
        return text, found_name, found_date


def fold(text: str) -> str:
    """``text`` case-folded so that any two characters ``re.IGNORECASE`` matches fold alike.

    str.casefold does that for all of Unicode except the Turkish i's: the regex engine matches
    dotless \u0131 with i, and \u0130 (which casefolds to i + U+0307) with i. Checked for every
    code point in tests/test_privacy.py. Both sides of a comparison must be folded with this.
    """
    if text.isascii():
        return text.lower()
    return text.casefold().replace("\u0131", "i").replace("\u0307", "")


@functools.lru_cache(maxsize=256)
def _name_pattern(name: str) -> re.Pattern:
    return re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, name.split(" "))) + r"(?!\w)", re.IGNORECASE)


@functools.lru_cache(maxsize=256)
def _date_pattern(date: dt.date) -> re.Pattern:
    d, m, y, yy = date.day, date.month, date.year, date.year % 100
    day, month = rf"0?{d}" if d < 10 else str(d), rf"0?{m}" if m < 10 else str(m)
    written = rf"{day}[-./ ]{month}[-./ ](?:{y}|{yy:02d})"  # dd-mm-yyyy, dd.mm.yyyy, d/m/yy
    compact = rf"{d:02d}{m:02d}(?:{y}|{yy:02d})"  # ddmmyy, ddmmyyyy
    return re.compile(rf"(?<![\d.]){written}(?![\d])|(?<!\d){compact}(?!\d)")
