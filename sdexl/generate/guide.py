"""The "Vejledning" sheet: what the survey is for, who counts, how to fill it in."""

from __future__ import annotations

import datetime as dt

from xlsxwriter.workbook import Workbook

from sdexl import layout
from sdexl.generate.styles import Styles
from sdexl.reference import Municipality
from sdexl.survey.model import Survey
from sdexl.workspace import Config

MONTHS = ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober", "november", "december"]


def danish_date(day: dt.date) -> str:
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def write_guide(wb: Workbook, survey: Survey, kommune: Municipality, config: Config, styles: Styles) -> None:
    ws = wb.add_worksheet(layout.GUIDE_SHEET)
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 100)
    ws.hide_gridlines(2)
    ws.write_string(layout.GUIDE_TITLE_CELL, survey.title, styles.title)
    ws.set_row(0, 24)
    deadline = config.round(survey.id).deadline
    facts = [
        ("Kommune:", layout.kommune_caption(kommune.name, kommune.code)),
        ("Referencedato:", survey.reference_text),
        ("Svarfrist:", danish_date(deadline) if deadline else "Se den mail, skemaet kom med."),
        ("Runde:", survey.round),
    ]
    row = 2  # facts start at A3: layout.GUIDE_KOMMUNE_CELL
    for label, value in facts:
        ws.write_string(row, 0, label, styles.bold)
        ws.write_string(row, 1, value, styles.text)
        row += 1
    row += 1
    for heading, paragraphs in _sections(survey, config):
        ws.write_string(row, 0, heading, styles.subtitle)
        row += 1
        for text in paragraphs:
            ws.write_string(row, 1, text, styles.wrap)
            ws.set_row(row, 15 * max(1, len(text) // 95 + 1))
            row += 1
        row += 1
    ws.protect("", {"format_columns": True})
    ws.activate()
    # One portrait A4 page: the guide is read as a whole, never as pages of a table.
    ws.set_portrait()
    ws.set_paper(9)
    ws.set_margins(left=0.6, right=0.6, top=0.7, bottom=0.6)
    ws.fit_to_pages(1, 1)
    ws.set_header("&L&\"Calibri,Bold\"&A")
    ws.set_footer("&L&D&CSide &P af &N")


def _sections(survey: Survey, config: Config) -> list[tuple[str, list[str]]]:
    contact = config.contact
    contact_lines = [f"{contact.name}, {contact.organisation}".strip(", ")]
    if contact.email:
        contact_lines.append(f"E-mail: {contact.email}")
    if contact.phone:
        contact_lines.append(f"Telefon: {contact.phone}")
    how = [f"{n}. {text}" for n, text in enumerate(survey.instructions, start=1)]
    zero = (
        [
            "Har kommunen ingen borgere, der opfylder definitionen pr. referencedatoen, så vælg Ja ud for "
            f"\"Kommunen har ingen sager\" øverst på fanen {survey.entry_sheet}, og send skemaet retur. "
            "Et skema uden sager og uden Ja kan vi ikke skelne fra et skema, der ikke er udfyldt."
        ]
        if survey.kind == "cases"
        else ["Har kommunen ingen borgere over 2 mio. kr., så skriv 0 i spørgsmål 2 og i alle intervaller. Det er et gyldigt svar."]
    )
    return [
        ("Formål", [survey.purpose]),
        ("Hvem skal med?", [survey.definition]),
        ("Sådan udfylder I skemaet", how),
        ("Ingen sager?", zero),
        ("Overblik", ["Fanen Overblik tæller jeres svar op og viser grafer, mens I udfylder. Den viser også, hvor der mangler svar, eller hvor et svar ikke passer."]),
        ("Databeskyttelse", _privacy(survey, config)),
        (
            "Om filen",
            [
                "Fanerne og overskrifterne er låst, så skemaet kan læses automatisk, når I sender det retur. "
                "I kan sortere, filtrere og gøre kolonner bredere. Tilføj ikke faner, og slet ikke kolonner. I må gerne omdøbe filen.",
            ],
        ),
        ("Kontakt", contact_lines),
    ]


def _privacy(survey: Survey, config: Config) -> list[str]:
    """What the municipality must know about personal data, for this survey only.

    Name and birth date fields and the data transfer agreement belong to the case
    screening; an aggregate form holds counts, so it mentions neither.
    """
    published = (f"Resultaterne offentliggøres kun samlet. Grupper med færre end {config.small_cell_threshold} borgere "
                 "vises ikke, så enkeltpersoner ikke kan genkendes.")
    personal = [q.label.lower() for q in survey.questions if q.personal]
    if survey.kind != "cases":
        return [
            "Skemaet indeholder kun antal. Skriv ikke navne, CPR-numre eller andet, der kan pege på en bestemt borger, "
            "i tekstfelterne.",
            published,
            "Send skemaet retur som vedhæftet fil.",
        ]
    lines = ["Skriv aldrig CPR-numre i skemaet."]
    if personal:
        fields = " og ".join(personal).capitalize()
        lines[0] += (f" {fields} er kun til kommunens eget overblik: de bliver fjernet, når vi modtager skemaet, "
                     "og indgår aldrig i analysen.")
    return [*lines, published, "Send skemaet som vedhæftet fil via sikker mail, som aftalt i dataoverførselsaftalen."]
