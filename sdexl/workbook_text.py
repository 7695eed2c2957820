"""Danish texts that go into generated workbooks (sheet names, input help, alerts).

Kept in one place so that ``template check`` measures exactly the texts the
generator writes against Excel's limits.
"""

from __future__ import annotations

from sdexl import layout
from sdexl.survey.model import Question, Survey

DONT_KNOW = "Ved ikke"

TYPE_HINTS = {
    "single": "Vælg ét svar på listen.",
    "multi": "Skriv X (eller vælg X på listen) ud for hver svarmulighed, der passer.",
    "integer": "Skriv et helt tal.",
    "amount": "Skriv beløbet i hele kroner, uden punktummer og 'kr.'.",
    "date": "Skriv en dato som dd-mm-åååå.",
    "text": "Fri tekst.",
    "other_text": "Fri tekst.",
}


def sheet_names(survey: Survey) -> list[str]:
    return [layout.GUIDE_SHEET, survey.entry_sheet, layout.OVERVIEW_SHEET, layout.LISTS_SHEET, layout.META_SHEET]


def question_name(q: Question) -> str:
    return f"Spørgsmål {q.number}" if q.number else q.header


def input_title(q: Question) -> str:
    title = question_name(q)
    return title if len(title) <= 32 else title[:31] + "…"


def input_message(q: Question) -> str:
    parts = [q.help] if q.help else []
    parts.append(TYPE_HINTS[q.type])
    if q.type == "other_text":
        parts.append(f"Udfyldes kun, når svaret er '{q.other_choice}'.")
    if q.personal:
        parts.append("Kun til kommunens eget brug: indsamles ikke.")
    return " ".join(parts)


def error_title(q: Question) -> str:
    return "Ugyldigt svar"


def error_message(q: Question) -> str:
    name = question_name(q)
    if q.type == "single":
        if DONT_KNOW in q.labels:
            return f"{name}: vælg et af svarene på listen. Er I i tvivl, så vælg '{DONT_KNOW}', eller skriv i Bemærkninger."
        return f"{name}: vælg et af svarene på listen. Er I i tvivl, så skriv i Bemærkninger."
    if q.type == "multi":
        return f"{name}: skriv X ud for de svarmuligheder, der passer, og lad de andre stå tomme."
    if q.type in ("integer", "amount"):
        return f"{name}: skriv et helt tal{_range_text(q)}."
    if q.type == "date":
        return f"{name}: skriv en gyldig dato, fx 01-10-1980."
    return f"{name}: ugyldig tekst."


def _range_text(q: Question) -> str:
    if q.min is not None and q.max is not None:
        return f" mellem {_num(q.min)} og {_num(q.max)}"
    if q.min is not None:
        return f" på mindst {_num(q.min)}"
    if q.max is not None:
        return f" på højst {_num(q.max)}"
    return ""


def _num(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")
