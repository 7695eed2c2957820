"""Comparable municipalities: each municipality's comparison group.

Default (computed): the ``k`` (5) nearest municipalities by standardised
Euclidean distance on three variables from the imported reference data:

* the population aged 18-66 (``reference/befolkning_18_66.csv``),
* the socio-economic index (``reference/socio_indeks.csv``),
* the share of the population aged 18-66 of the whole population, when the
  population file has a column ``befolkning_i_alt`` (FOLK1A with all ages).

Each variable is turned into a z-score over the municipalities that have all
the variables used (mean 0, sample standard deviation 1), so no variable
weighs more because of its unit. A variable nobody has is left out and the
method text says so; a municipality missing a used variable gets no computed
group. Ties in distance are broken by kommunekode, so the groups are stable.

Override: ``sdexl reference comparable FILE`` imports chosen groups (KL's own
clusters, say) as ``reference/sammenlignelige.csv``: one line per
municipality, ``kommunekode;sammenlignelige`` with the peers' codes separated
by spaces or commas (``101;751 461 851``). A municipality listed there uses
that group; the others keep the computed one. ``sdexl reference comparable``
without a file writes the computed groups to the same file (column ``kilde``
= ``beregnet``) to look at or edit; those lines are not an override until
the file is imported, which marks every line ``valgt``.
"""

from __future__ import annotations

import csv
import math
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from sdexl.reference import by_code, municipalities, normalise_code
from sdexl.reference.population import FILE_NAME as POPULATION_FILE
from sdexl.reference.population import ReferenceImportError, read_population
from sdexl.reference.socio import read_socio

FILE_NAME = "sammenlignelige.csv"
DEFAULT_K = 5
TOTAL_COLUMN = "befolkning_i_alt"  # optional: the whole population, for the share aged 18-66

VARIABLE_LABELS = {
    "population": "befolkning 18-66 år",
    "socio": "socioøkonomisk indeks",
    "share": "andel af befolkningen, der er 18-66 år",
}


@dataclass
class Groups:
    """The comparison group of each municipality and how it was found."""

    peers: dict[str, list[str]]  # kommunekode -> peer codes, nearest first
    source: dict[str, str]  # kommunekode -> "beregnet" or "valgt"
    variables: list[str]  # the variables the computed groups use (keys of VARIABLE_LABELS)
    k: int = DEFAULT_K
    missing_variables: list[str] = field(default_factory=list)

    def of(self, code: str) -> list[str]:
        return self.peers.get(code, [])

    def method(self, code: str | None = None) -> str:
        """A Danish sentence stating how the group (of ``code``, or in general) was made."""
        if code is not None and self.source.get(code) == "valgt":
            return "Sammenligningsgruppen er valgt af projektet (importeret liste over sammenlignelige kommuner)."
        if not self.variables:
            return (
                "Der er ikke beregnet en sammenligningsgruppe, fordi referencedata (befolkningstal og "
                "socioøkonomisk indeks) ikke er importeret."
            )
        names = ", ".join(VARIABLE_LABELS[v] for v in self.variables)
        text = (
            f"Sammenligningsgruppen er de {self.k} kommuner, der ligner kommunen mest målt på {names}: "
            "hver variabel er standardiseret (z-score), og afstanden er den euklidiske afstand."
        )
        if self.missing_variables:
            left = ", ".join(VARIABLE_LABELS[v] for v in self.missing_variables)
            text += f" Ikke med, fordi tallet ikke er importeret: {left}."
        return text


def variables(reference_dir: Path) -> dict[str, dict[str, float]]:
    """The variables with data, by name: code -> value."""
    population = read_population(reference_dir).values
    result: dict[str, dict[str, float]] = {}
    if population:
        result["population"] = {c: float(v) for c, v in population.items()}
    socio = read_socio(reference_dir)
    if socio:
        result["socio"] = dict(socio)
    totals = _totals(reference_dir)
    share = {c: population[c] / totals[c] for c in population if totals.get(c)}
    if share:
        result["share"] = share
    return result


def _totals(reference_dir: Path) -> dict[str, float]:
    path = reference_dir / POPULATION_FILE
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if TOTAL_COLUMN not in (reader.fieldnames or []):
            return {}
        return {
            r["kommunekode"]: float(r[TOTAL_COLUMN])
            for r in reader
            if r["kommunekode"] in by_code() and (r[TOTAL_COLUMN] or "").strip().isdigit()
        }


def zscores(values: dict[str, dict[str, float]], codes: list[str]) -> dict[str, list[float]]:
    """Each code's vector of z-scores over ``codes`` (sample SD; a constant variable scores 0)."""
    columns = []
    for name in values:
        column = [values[name][c] for c in codes]
        mean = statistics.fmean(column)
        sd = statistics.stdev(column) if len(column) > 1 else 0.0
        columns.append([(v - mean) / sd if sd else 0.0 for v in column])
    return {c: [col[i] for col in columns] for i, c in enumerate(codes)}


def nearest(values: dict[str, dict[str, float]], k: int = DEFAULT_K) -> dict[str, list[str]]:
    """The ``k`` nearest municipalities of each municipality having every variable."""
    if not values:
        return {}
    codes = sorted(set.intersection(*(set(v) for v in values.values())), key=int)
    scores = zscores(values, codes)
    result = {}
    for code in codes:
        others = [(math.dist(scores[code], scores[o]), int(o), o) for o in codes if o != code]
        result[code] = [o for _, _, o in sorted(others)[:k]]
    return result


def computed(reference_dir: Path, k: int = DEFAULT_K) -> Groups:
    found = variables(reference_dir)
    peers = nearest(found, k)
    return Groups(
        peers,
        {c: "beregnet" for c in peers},
        list(found),
        k,
        [v for v in VARIABLE_LABELS if v not in found],
    )


def groups(reference_dir: Path, k: int = DEFAULT_K) -> Groups:
    """The groups the reports use: chosen groups (the imported file) where given, else computed."""
    result = computed(reference_dir, k)
    for code, peers in read_chosen(reference_dir).items():
        result.peers[code] = peers
        result.source[code] = "valgt"
    return result


def read_chosen(reference_dir: Path) -> dict[str, list[str]]:
    path = reference_dir / FILE_NAME
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        r["kommunekode"]: r["sammenlignelige"].split()
        for r in rows
        if r.get("kommunekode") in by_code() and r.get("kilde", "valgt") == "valgt"
    }


# -- import -------------------------------------------------------------------


class ComparableError(ReferenceImportError):
    """The file has lines that cannot be used; nothing was imported."""


@dataclass
class ComparableImport:
    target: Path
    chosen: dict[str, list[str]]

    def lines(self) -> list[str]:
        return [
            f"Imported chosen comparison groups for {len(self.chosen)} of 98 municipalities into {self.target}; "
            "the others keep the computed group."
        ]


SEPARATORS = re.compile(r"[\s,]+")


def import_comparable(source: Path, reference_dir: Path) -> ComparableImport:
    """Read 'kommunekode;peer peer ...' lines; every problem is listed and nothing imported until all are right.

    Also reads the file ``sdexl reference comparable`` writes (columns
    kommunekode and sammenlignelige), so the computed groups can be edited and
    imported back.
    """
    raw = source.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    delimiter = ";" if ";" in text else "\t" if "\t" in text else ","
    rows = list(csv.reader(text.splitlines(), delimiter=delimiter))
    header = [c.strip().lower() for c in rows[0]] if rows else []
    peer_column = header.index("sammenlignelige") if "sammenlignelige" in header else None
    chosen: dict[str, list[str]] = {}
    problems: list[str] = []
    for number, cells in enumerate(rows, start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        code = normalise_code(cells[0])
        if code is None:
            if number > 1:
                problems.append(f"line {number}: '{cells[0]}' is not a kommunekode")
            continue
        fields = [cells[peer_column]] if peer_column is not None and peer_column < len(cells) else cells[1:]
        peers: list[str] = []
        for item in (i for f in fields for i in SEPARATORS.split(f) if i):
            peer = normalise_code(item)
            if peer is None:
                problems.append(f"line {number}: '{item}' is not a kommunekode")
            elif peer == code:
                problems.append(f"line {number}: {code} is listed as its own comparable municipality")
            elif peer not in peers:
                peers.append(peer)
        if not peers:
            problems.append(f"line {number}: {code} has no comparable municipalities")
        if code in chosen:
            problems.append(f"line {number}: {code} is listed twice")
        chosen[code] = peers
    if problems:
        raise ComparableError("\n".join(problems))
    if not chosen:
        raise ComparableError(f"{source} holds no lines 'kommunekode;sammenlignelige'.")
    target = reference_dir / FILE_NAME
    write_groups(target, chosen, "valgt")
    return ComparableImport(target, chosen)


def write_groups(target: Path, peers: dict[str, list[str]], source: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["kommunekode", "kommune", "sammenlignelige", "navne", "kilde"])
        for code in sorted(peers, key=int):
            names = ", ".join(by_code()[p].name for p in peers[code])
            writer.writerow([code, by_code()[code].name, " ".join(peers[code]), names, source])
    return target


def write_default(reference_dir: Path, k: int = DEFAULT_K) -> tuple[Path, Groups]:
    """The computed groups written to reference/sammenlignelige.csv (to inspect or edit, then import)."""
    result = computed(reference_dir, k)
    if not result.peers:
        raise ComparableError(
            "No comparison groups can be computed: import the population (sdexl reference population FILE) "
            "and, ideally, the socio-economic index (sdexl reference socio FILE) first."
        )
    return write_groups(reference_dir / FILE_NAME, result.peers, "beregnet"), result


def names(codes: list[str]) -> str:
    return ", ".join(by_code()[c].name for c in codes if c in by_code())


__all__ = [
    "DEFAULT_K",
    "FILE_NAME",
    "Groups",
    "computed",
    "groups",
    "import_comparable",
    "municipalities",
    "nearest",
    "write_default",
]
