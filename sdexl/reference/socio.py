"""A socio-economic index per municipality, from a simple CSV.

Format (see docs/master.md): UTF-8 (or ISO-8859-1) text, one line per
municipality, ``kommunekode;indeks``, an optional header line, and a decimal
comma or point: ``101;1,23``. Any documented index can be used (for example
the socio-economic index of the equalisation scheme); the master says only
"socioøkonomisk indeks", so note the source in the file name you import.

Result: ``<workspace>/reference/socio_indeks.csv`` (kommunekode,indeks).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

from sdexl import atomic
from sdexl.reference import by_code, municipalities, normalise_code
from sdexl.reference.population import ReferenceImportError

FILE_NAME = "socio_indeks.csv"


@dataclass
class SocioImport:
    target: Path
    source: str
    index: dict[str, float]
    bad_codes: list[str] = field(default_factory=list)  # "line 4: '999'"
    bad_values: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [m.code for m in municipalities() if m.code not in self.index]

    def lines(self) -> list[str]:
        out = [f"Imported a socio-economic index for {len(self.index)} of 98 municipalities into {self.target}."]
        out += [f"Not a kommunekode, skipped: {item}." for item in self.bad_codes]
        out += [f"Not a number, skipped: {item}." for item in self.bad_values]
        out += [f"Listed more than once, first value kept: {item}." for item in self.duplicates]
        if self.missing:
            names = ", ".join(f"{c} {by_code()[c].name}" for c in self.missing)
            out.append(f"Missing ({len(self.missing)}): {names}.")
        return out


def import_socio(source: Path, reference_dir: Path) -> SocioImport:
    report = SocioImport(reference_dir / FILE_NAME, source.name, {})
    for number, row in _rows(source):
        if len(row) < 2 or not row[0]:
            continue
        code = normalise_code(row[0])
        value = _number(row[1])
        if code is None:
            if number > 1 or value is not None:  # line 1 may be a header
                report.bad_codes.append(f"line {number}: '{row[0]}'")
        elif value is None:
            report.bad_values.append(f"line {number}: '{row[1]}'")
        elif code in report.index:
            report.duplicates.append(f"line {number}: {code}")
        else:
            report.index[code] = value
    if not report.index:
        raise ReferenceImportError(f"{source} holds no lines 'kommunekode;indeks'. See docs/master.md for the format.")
    _write(report)
    return report


def _rows(source: Path) -> list[tuple[int, list[str]]]:
    raw = source.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    delimiter = ";" if ";" in text else ("\t" if "\t" in text else ",")
    rows = csv.reader(text.splitlines(), delimiter=delimiter)
    return [(i, [c.strip().strip('"') for c in row]) for i, row in enumerate(rows, start=1)]


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(" ", "").replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _write(report: SocioImport) -> None:
    report.target.parent.mkdir(parents=True, exist_ok=True)
    with atomic.atomic_path(report.target) as temp, temp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["kommunekode", "indeks"])
        for code in sorted(report.index, key=int):
            writer.writerow([code, repr(report.index[code])])


def read_socio(reference_dir: Path) -> dict[str, float]:
    path = reference_dir / FILE_NAME
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {r["kommunekode"]: float(r["indeks"]) for r in csv.DictReader(handle) if r["kommunekode"] in by_code()}


def socio_index(ws) -> dict[str, float]:
    """Socio-economic index by kommunekode for workspace ``ws`` (missing: absent)."""
    return read_socio(ws.reference)
