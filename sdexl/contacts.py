"""Who receives a municipality's mail: ``reference/kontakter.csv``.

``sdexl reference contacts FILE`` imports a CSV with the columns kommunekode,
name, email and (optional) cc, separated by semicolons or commas, as Excel saves
it (UTF-8 or Windows-1252). Every line is checked and every problem reported
with its line number; nothing is written unless the whole file is right. The
imported file replaces the earlier one. ``send`` reads it again (it may have
been edited by hand) and refuses to send anything while a recipient has no address.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from sdexl import atomic
from sdexl.reference import by_code, municipalities, normalise_code

FILE_NAME = "kontakter.csv"
COLUMNS = ("kommunekode", "kommune", "name", "email", "cc")
# Header names accepted for each column (Danish or English, any case).
ALIASES = {
    "kommunekode": {"kommunekode", "kode", "komkode", "code"},
    "name": {"name", "navn", "kontaktperson", "kontakt"},
    "email": {"email", "e-mail", "mail", "e-mailadresse", "emailadresse"},
    "cc": {"cc", "kopi", "kopi til"},
    "kommune": {"kommune", "kommunenavn", "municipality"},
}
# Practical, not RFC 5322: what a municipal mailbox looks like. ASCII only: a mail system writes an
# address with other letters in punycode, and that is how it must be typed here.
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$")
SEPARATORS = re.compile(r"[;,\s]+")


class ContactsError(ValueError):
    """The contacts file has problems; ``problems`` lists each with its line."""

    def __init__(self, source: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"{source} has {len(problems)} problem(s):\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class Contact:
    kommunekode: str
    name: str
    email: str
    cc: tuple[str, ...] = ()

    @property
    def addresses(self) -> list[str]:
        return [self.email, *self.cc]


@dataclass
class ImportReport:
    written: Path
    contacts: dict[str, Contact]
    without: list[str] = field(default_factory=list)  # kommunekoder with no address

    def lines(self) -> list[str]:
        out = [f"Imported {len(self.contacts)} contacts to {self.written}."]
        if self.without:
            names = ", ".join(f"{c} {by_code()[c].name}" for c in self.without[:20])
            more = f" and {len(self.without) - 20} more" if len(self.without) > 20 else ""
            out.append(f"{len(self.without)} municipalities have no address yet: {names}{more}.")
        else:
            out.append("All 98 municipalities have an address.")
        return out


def contacts_path(reference: Path) -> Path:
    return reference / FILE_NAME


def parse(text: str, source: str = "the contacts file") -> dict[str, Contact]:
    """Every line checked; a ContactsError lists all problems (with line numbers) when any is found."""
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise ContactsError(source, ["the file is empty: it needs a header line and one line per municipality"])
    dialect = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=dialect)
    rows = list(reader)
    header = [h.strip().lower().lstrip("\ufeff") for h in rows[0]]
    where = {}
    for column, names in ALIASES.items():
        hits = [i for i, h in enumerate(header) if h in names]
        if hits:
            where[column] = hits[0]
    missing = [c for c in ("kommunekode", "name", "email") if c not in where]
    if missing:
        found = ", ".join(repr(h) for h in header) or "nothing"
        raise ContactsError(source, [
            f"line 1: the header must name the columns kommunekode, name and email (cc is optional); "
            f"missing {', '.join(missing)}; found {found}"
        ])
    problems: list[str] = []
    contacts: dict[str, Contact] = {}
    first_line: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = {c: (row[i].strip() if i < len(row) else "") for c, i in where.items()}
        found = _line(number, cell, problems)
        if found is None:
            continue
        if found.kommunekode in first_line:
            problems.append(f"line {number}: kommunekode {found.kommunekode} ({by_code()[found.kommunekode].name}) "
                            f"is also on line {first_line[found.kommunekode]}; give one line per municipality "
                            "and put further addresses in cc")
            continue
        first_line[found.kommunekode] = number
        contacts[found.kommunekode] = found
    if problems:
        raise ContactsError(source, problems)
    return contacts


def _line(number: int, cell: dict[str, str], problems: list[str]) -> Contact | None:
    before = len(problems)
    raw_code = cell["kommunekode"]
    code = normalise_code(raw_code) if raw_code else None
    if not raw_code:
        problems.append(f"line {number}: no kommunekode")
    elif code is None:
        problems.append(f"line {number}: '{raw_code}' is not the kommunekode of one of the 98 municipalities "
                        "(e.g. 101 for København)")
    named = cell.get("kommune", "")
    if code and named and not _same_name(named, by_code()[code].name):
        problems.append(f"line {number}: kommunekode {code} is {by_code()[code].name}, but the line says '{named}'")
    if not cell["name"]:
        problems.append(f"line {number}: no name of the contact person")
    email = cell["email"]
    if not email:
        problems.append(f"line {number}: no email address")
    elif not EMAIL.match(email):
        problems.append(f"line {number}: '{email}' is not an email address (like navn@kommune.dk)")
    cc = tuple(a for a in SEPARATORS.split(cell.get("cc", "")) if a)
    for address in cc:
        if not EMAIL.match(address):
            problems.append(f"line {number}: cc '{address}' is not an email address (like navn@kommune.dk)")
    if len(problems) > before or code is None:
        return None
    return Contact(code, cell["name"], email, cc)


def _same_name(a: str, b: str) -> bool:
    fold = str.maketrans({"-": " ", ".": " "})
    return " ".join(a.casefold().translate(fold).split()).removesuffix(" kommune") == " ".join(
        b.casefold().translate(fold).split())


def read_text(path: Path) -> str:
    """Excel saves CSV as UTF-8 (with a byte order mark) or, in older versions, as Windows-1252."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def import_contacts(source: Path, reference: Path) -> ImportReport:
    """Check ``source`` and, when every line is right, write reference/kontakter.csv (replacing it)."""
    contacts = parse(read_text(source), source.name)
    target = contacts_path(reference)
    atomic.write_text(target, to_csv(contacts), encoding="utf-8-sig")  # with BOM: Excel opens it right
    without = [m.code for m in municipalities() if m.code not in contacts]
    return ImportReport(target, contacts, without)


def to_csv(contacts: dict[str, Contact]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(COLUMNS)
    for code in sorted(contacts, key=int):
        c = contacts[code]
        writer.writerow([c.kommunekode, by_code()[code].name, c.name, c.email, " ".join(c.cc)])
    return out.getvalue()


def load_contacts(reference: Path) -> dict[str, Contact]:
    """The imported contacts ({} when none were imported); ContactsError when the file was broken by hand."""
    path = contacts_path(reference)
    if not path.exists():
        return {}
    return parse(read_text(path), str(path))
