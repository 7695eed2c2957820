"""Population aged 18-66 per municipality, imported from a Statistikbanken FOLK1A export.

Download (see docs/master.md): table FOLK1A, OMRÅDE = the 98 municipalities,
KØN = "Køn i alt", ALDER = "18 år" ... "66 år" (single years), CIVILSTAND =
"Civilstand i alt", TID = the latest quarter; format "CSV (semikolonsepareret)".

The reader does not depend on one exact layout, because Statistikbanken's
export and its API write the same figures differently: the quarter may be a
column heading ("2024K3") or a cell in each row, and a repeated area name may
be left blank. Every row needs an age cell ("18 år"); the area is the nearest
label matching a municipality. "Hele landet", regions, landsdele and
Christiansø are skipped; any other unknown name is reported, never guessed.

Result: ``<workspace>/reference/befolkning_18_66.csv`` with columns
kommunekode, befolkning_18_66, kvartal, and befolkning_i_alt (all ages) when
the export holds every age 0-99. A municipality without a complete set
of ages 18-66 is left out and reported, so no figure is ever invented.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from sdexl import atomic
from sdexl.reference import by_code, municipalities

FILE_NAME = "befolkning_18_66.csv"
AGES = range(18, 67)
ALL_AGES = range(0, 100)  # an export with every one of these ages gives the whole population too
AGE = re.compile(r"^(\d{1,3}) år$", re.IGNORECASE)
QUARTER = re.compile(r"^(\d{4})K([1-4])$", re.IGNORECASE)
NUMBER = re.compile(r"^\d+$")
NOT_MUNICIPALITY = re.compile(r"^(hele landet|region .*|landsdel .*|christiansø|uoplyst.*)$", re.IGNORECASE)
# Values of KØN and CIVILSTAND: totals are used, breakdowns are skipped so a
# file holding both cannot be counted twice.
TOTAL_LABELS = {"i alt", "køn i alt", "civilstand i alt", "total"}
BREAKDOWN_LABELS = {"mænd", "kvinder", "ugift", "gift/separeret", "enke/enkemand", "fraskilt"}


class ReferenceImportError(Exception):
    """The file cannot be used at all; the message says what to download instead."""


@dataclass
class PopulationImport:
    target: Path
    quarter: str
    population: dict[str, int]
    # All ages, when the export holds every age 0-99 (for the share aged 18-66 behind comparable municipalities).
    totals: dict[str, int] = field(default_factory=dict)
    unmatched_names: list[str] = field(default_factory=list)
    incomplete: dict[str, int] = field(default_factory=dict)  # code -> number of ages 18-66 missing
    breakdown_rows: int = 0
    quarters_found: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [m.code for m in municipalities() if m.code not in self.population]

    def lines(self) -> list[str]:
        out = [
            (
                f"Imported population aged 18-66 for {len(self.population)} of 98 municipalities "
                f"(quarter {self.quarter}) into {self.target}."
            )
        ]
        if len(self.quarters_found) > 1:
            out.append(f"The file holds {len(self.quarters_found)} quarters; the latest, {self.quarter}, was used.")
        if self.breakdown_rows:
            out.append(f"Skipped {self.breakdown_rows} rows split by sex or marital status (totals were used).")
        for name in self.unmatched_names:
            out.append(f"Unknown area name, skipped: '{name}'.")
        for code, gaps in sorted(self.incomplete.items(), key=lambda kv: int(kv[0])):
            out.append(f"{_name(code)}: {gaps} of the ages 18-66 are missing; left out.")
        if self.missing:
            names = ", ".join(_name(c) for c in self.missing)
            out.append(f"Missing ({len(self.missing)}): {names}. Their rates will read 'ikke tilgængelig'.")
        return out


def _name(code: str) -> str:
    return f"{code} {by_code()[code].name}"


def import_population(source: Path, reference_dir: Path) -> PopulationImport:
    """Read a FOLK1A export, aggregate ages 18-66 and write the reference file."""
    rows = _read_rows(source)
    parsed = _parse(rows)
    if not parsed.values:
        raise ReferenceImportError(
            f"{source} holds no rows with a municipality and a single-year age ('18 år'). "
            "Download FOLK1A as described in docs/master.md."
        )
    quarter = max(parsed.values, key=_quarter_key)
    values = parsed.values[quarter]
    report = PopulationImport(
        reference_dir / FILE_NAME,
        quarter,
        {},
        {},
        sorted(parsed.unmatched),
        breakdown_rows=parsed.breakdown_rows,
        quarters_found=sorted(parsed.values, key=_quarter_key),
    )
    for code, ages in values.items():
        gaps = [a for a in AGES if a not in ages]
        if gaps:
            report.incomplete[code] = len(gaps)
        else:
            report.population[code] = sum(ages[a] for a in AGES)
            if all(a in ages for a in ALL_AGES):
                report.totals[code] = sum(ages.values())
    _write(report)
    return report


def _quarter_key(quarter: str) -> tuple[int, int]:
    match = QUARTER.match(quarter)
    return (int(match[1]), int(match[2])) if match else (0, 0)


def _read_rows(source: Path) -> list[list[str]]:
    raw = source.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Statistikbanken's classic export is ISO-8859-1 (Windows-1252 is a superset).
        text = raw.decode("cp1252", errors="replace")
    delimiter = ";" if ";" in text else ("\t" if "\t" in text else ",")
    return [
        [cell.strip().strip('"').strip() for cell in row] for row in csv.reader(text.splitlines(), delimiter=delimiter)
    ]


@dataclass
class _Parsed:
    values: dict[str, dict[str, dict[int, int]]] = field(default_factory=dict)  # quarter -> code -> age -> n
    unmatched: set[str] = field(default_factory=set)
    breakdown_rows: int = 0


def _parse(rows: list[list[str]]) -> _Parsed:
    parsed = _Parsed()
    quarter_columns: dict[int, str] = {}
    area: str | None = None  # current municipality code, "" for a skipped area
    for cells in rows:
        ages = [i for i, c in enumerate(cells) if AGE.match(c)]
        if not ages:
            header = {i: c.upper() for i, c in enumerate(cells) if QUARTER.match(c)}
            if header:
                quarter_columns = header
            area = _area(cells, parsed, default=area, report=False)
            continue
        age_at = ages[0]
        labels = [c for c in cells[:age_at] if c and not NUMBER.match(c) and not QUARTER.match(c)]
        if any(c.lower() in BREAKDOWN_LABELS for c in cells):
            parsed.breakdown_rows += 1
            continue
        area = _area(labels, parsed, default=area)
        if area:
            _collect(parsed, cells, age_at, area, quarter_columns)
    return parsed


def _area(labels: list[str], parsed: _Parsed, default: str | None, report: bool = True) -> str | None:
    """The municipality code named among ``labels``; "" for a skipped area.

    Rows without an age (titles, headings) only change the area when they name
    a known area, and an unknown name there is not reported: it is a title.
    """
    names = [
        c
        for c in labels
        if c and c.lower() not in TOTAL_LABELS and not AGE.match(c) and not QUARTER.match(c) and not NUMBER.match(c)
    ]
    if not names:
        return default
    name = names[0]
    if NOT_MUNICIPALITY.match(name):
        return ""
    code = match_name(name)
    if code is not None:
        return code
    if not report:
        return default
    parsed.unmatched.add(name)
    return ""


def _collect(parsed: _Parsed, cells: list[str], age_at: int, code: str, quarter_columns: dict[int, str]) -> None:
    age = int(AGE.match(cells[age_at])[1])
    in_row = [(i, c.upper()) for i, c in enumerate(cells) if QUARTER.match(c)]
    if in_row:
        at, quarter = in_row[0]
        numbers = [c for c in cells[at + 1 :] if NUMBER.match(c)]
        pairs = [(quarter, numbers[-1])] if numbers else []
    elif quarter_columns:
        pairs = [(q, cells[i]) for i, q in quarter_columns.items() if i < len(cells) and NUMBER.match(cells[i])]
    else:
        numbers = [c for c in cells[age_at + 1 :] if NUMBER.match(c)]
        pairs = [("ukendt kvartal", numbers[-1])] if numbers else []
    for quarter, value in pairs:
        parsed.values.setdefault(quarter, {}).setdefault(code, {}).setdefault(age, int(value))


def match_name(name: str) -> str | None:
    """Kommunekode for a municipality name as DST writes it ("København", "101 København")."""
    text = name.strip()
    leading = re.match(r"^(\d{3})\s+(.*)$", text)
    if leading and leading[1].lstrip("0") in by_code():
        return leading[1].lstrip("0")
    text = re.sub(r"\s+kommune$", "", text, flags=re.IGNORECASE).casefold()
    for m in municipalities():
        if m.name.casefold() == text:
            return m.code
    return None


def _write(report: PopulationImport) -> None:
    report.target.parent.mkdir(parents=True, exist_ok=True)
    with atomic.atomic_path(report.target) as temp, temp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        totals = ["befolkning_i_alt"] if report.totals else []  # only when the export held every age
        writer.writerow(["kommunekode", "befolkning_18_66", "kvartal", *totals])
        for code in sorted(report.population, key=int):
            total = [report.totals.get(code, "")] if totals else []
            writer.writerow([code, report.population[code], report.quarter, *total])


@dataclass
class Population:
    values: dict[str, int]
    quarter: str | None  # None when nothing was imported


def read_population(reference_dir: Path) -> Population:
    """The imported figures; a municipality without one is absent, never zero."""
    path = reference_dir / FILE_NAME
    if not path.exists():
        return Population({}, None)
    values: dict[str, int] = {}
    quarter = None
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["kommunekode"].strip()
            if code in by_code() and row["befolkning_18_66"].strip().isdigit():
                values[code] = int(row["befolkning_18_66"])
                quarter = row.get("kvartal") or quarter
    return Population(values, quarter)


def population(ws) -> dict[str, int]:
    """Population aged 18-66 by kommunekode for workspace ``ws`` (missing: absent)."""
    return read_population(ws.reference).values
