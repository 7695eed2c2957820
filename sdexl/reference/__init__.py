"""Reference data shipped with sdexl: the 98 municipalities, their region and KKR."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Municipality:
    code: str  # kommunekode as Danmarks Statistik writes it: "101", "147"
    name: str
    region: str
    kkr: str

    @property
    def file_stem(self) -> str:
        """'101_København': the name of this municipality's files."""
        return f"{self.code}_{self.name}"


@lru_cache(maxsize=1)
def municipalities() -> tuple[Municipality, ...]:
    text = resources.files(__package__).joinpath("kommuner.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return tuple(Municipality(r["kommunekode"].strip(), r["kommune"].strip(), r["region"].strip(), r["kkr"].strip()) for r in rows)


@lru_cache(maxsize=1)
def by_code() -> dict[str, Municipality]:
    return {m.code: m for m in municipalities()}


def normalise_code(value: object) -> str | None:
    """'0101', 101, 101.0 and ' 101 ' are all København's code '101'."""
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit():
        return None
    code = str(int(text))
    return code if code in by_code() else None


def lookup(value: object) -> Municipality | None:
    code = normalise_code(value)
    return by_code()[code] if code else None


def kkr_names() -> list[str]:
    return sorted({m.kkr for m in municipalities()})
