"""The Danish mail texts: ``templates/mail/<kind>.txt`` in the workspace, else the built-in one.

A template is plain UTF-8 text: comment lines starting with ``#`` (dropped), a
first line ``Emne: ...`` (the subject), then the body. Fields in braces
(``{kommune}``, ``{frist}``) are filled in per municipality; an unknown field is
an error naming the template, its line and the fields there are, before any
message is built. ``copy_builtin`` puts the built-in texts in the workspace the
first time mail is prepared, so the consultant has them to edit.
"""

from __future__ import annotations

import re
import shutil
import string
from dataclasses import dataclass
from pathlib import Path

from sdexl.workspace import Workspace, builtin_templates

SUBJECT_PREFIX = "Emne:"
FOLDER = "mail"

# Every field a template may use, with what it holds (README lists the same). There is no field for the
# name of the file a municipality sent: a file name can carry a citizen's name, and no mail text may.
FIELDS = {
    "kommune": "the municipality's name",
    "kommunekode": "its kommunekode",
    "modtager": "the contact person's name (reference/kontakter.csv)",
    "undersoegelse": "the survey's title",
    "runde": "the round (Runde 1 (2022), Opfølgning 2024)",
    "referencedato": "the survey's reference date, as text",
    "frist": "the deadline (rounds.SURVEY.deadline in sdexl.yaml)",
    "genfrist": "the re-send deadline (rounds.SURVEY.resend_deadline)",
    "seneste_frist": "'senest' and the deadline still ahead (the deadline, then the re-send deadline), else "
                     "'snarest muligt'",
    "fil": "the attached file's name",
    "databeskyttelse": "the data protection paragraph for this kind of survey",
    "kontaktperson": "the project's contact person (contact in sdexl.yaml)",
    "kontakt_organisation": "the contact's organisation",
    "kontakt_detaljer": "how to reach the contact: mail and telephone",
    "afsender": "the sender's name (sender in sdexl.yaml)",
    "afsender_organisation": "the sender's organisation",
    "modtaget_tid": "feedback: when it came",
    "modtaget_tekst": "reminder: what came from them so far, if anything",
    "tilbagemelding_tekst": "feedback: what is wrong, in one or two sentences",
    "kvittering": "receipt: what was received (file, time, number of cases, notes)",
}


class TemplateError(ValueError):
    """A mail template that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Template:
    kind: str
    path: Path
    subject: str
    body: str

    def render(self, values: dict[str, str]) -> tuple[str, str]:
        """(subject, body) with the fields filled in."""
        subject = self.subject.format_map(values)
        body = self.body.format_map(values)
        body = re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"  # an empty field leaves no gap
        return " ".join(subject.split()), body


def template_path(ws: Workspace, kind: str) -> Path:
    own = ws.templates / FOLDER / f"{kind}.txt"
    return own if own.exists() else builtin_templates() / FOLDER / f"{kind}.txt"


def load_template(ws: Workspace, kind: str) -> Template:
    path = template_path(ws, kind)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{path} cannot be read as UTF-8 text ({exc}).") from exc
    return parse_template(kind, path, text)


def parse_template(kind: str, path: Path, text: str) -> Template:
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if not line.lstrip().startswith("#")]
    while lines and not lines[0][1].strip():
        lines.pop(0)
    if not lines or not lines[0][1].startswith(SUBJECT_PREFIX):
        where = f"line {lines[0][0]}" if lines else "the file"
        raise TemplateError(f"{path}, {where}: the first line (after the # comments) must be the subject, "
                            f"'{SUBJECT_PREFIX} ...'.")
    subject = lines[0][1][len(SUBJECT_PREFIX):].strip()
    if not subject:
        raise TemplateError(f"{path}, line {lines[0][0]}: the subject is empty.")
    for number, line in lines:
        _check_fields(path, number, line)
    body = "\n".join(line for _, line in lines[1:])
    return Template(kind, path, subject, body)


def _check_fields(path: Path, number: int, line: str) -> None:
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(line) if name is not None]
    except ValueError as exc:
        raise TemplateError(f"{path}, line {number}: {exc} (write {{{{ and }}}} for a brace in the text).") from exc
    unknown = [n for n in names if n not in FIELDS]
    if unknown:
        raise TemplateError(
            f"{path}, line {number}: unknown field {{{unknown[0]}}}. Fields: {', '.join(sorted(FIELDS))}."
        )


def copy_builtin(ws: Workspace) -> list[Path]:
    """Copy the built-in templates the workspace does not have yet; returns those copied."""
    copied = []
    for source in sorted((builtin_templates() / FOLDER).glob("*.txt")):
        target = ws.templates / FOLDER / source.name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            copied.append(target)
    return copied
