"""What ``sdexl generate`` says before it writes: settings that look wrong, workbooks already issued.

Each workbook prints the round's deadline and contact person, so a missing or
past deadline, or the example contact of a new workspace, would reach 98
municipalities. A workbook already issued to a municipality carries a token the
municipality may still return: regenerating it needs ``--force``, and the old
token stays in the ledger, so a return on it is still identified (with the
warning "replaced-token").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sdexl import ledger
from sdexl.generate.guide import danish_date
from sdexl.reference import Municipality
from sdexl.workspace import CONFIG_NAME, Workspace

# The contact a new workspace's sdexl.yaml starts with (sdexl.workspace.DEFAULT_CONFIG), and the
# model's own default: both mean nobody has said who answers the municipalities' questions.
EXAMPLE_CONTACTS = {("Maibritt Kuszon", "maku@komponent.dk"), ("Projektets kontaktperson", "")}


@dataclass
class Preflight:
    warnings: list[str] = field(default_factory=list)
    already_issued: list[Municipality] = field(default_factory=list)


def preflight(ws: Workspace, survey_id: str, chosen: list[Municipality], today: dt.date | None = None) -> Preflight:
    today = today or dt.date.today()
    result = Preflight()
    deadline = ws.config.round(survey_id).deadline
    where = f"rounds.{survey_id}.deadline in {ws.root / CONFIG_NAME}"
    if deadline is None:
        result.warnings.append(f"No deadline is set for {survey_id} ({where}): the workbooks will say "
                               "\"Se den mail, skemaet kom med.\" instead of a date.")
    elif deadline < today:
        result.warnings.append(f"The deadline of {survey_id}, {deadline.isoformat()}, has already passed ({where}): "
                               f"the workbooks will say \"Svarfrist: {danish_date(deadline)}\".")
    contact = ws.config.contact
    if (contact.name, contact.email) in EXAMPLE_CONTACTS:
        shown = f"{contact.name}, {contact.email}" if contact.email else contact.name
        result.warnings.append(f"{CONFIG_NAME} still holds the example contact ({shown}): every workbook names it "
                               f"as the person to ask. Edit contact: in {ws.root / CONFIG_NAME} if that is not right.")
    with ledger.opened(ws.ledger_path) as conn:
        issued = {i.kommunekode for i in ledger.issued_for(conn, survey_id)}
    result.already_issued = [k for k in chosen if k.code in issued]
    return result


def force_needed(survey_id: str, kommuner: list[Municipality]) -> str:
    names = ", ".join(f"{k.name} ({k.code})" for k in kommuner[:5]) + (f" and {len(kommuner) - 5} more" if len(kommuner) > 5 else "")
    return (f"A workbook of {survey_id} has already been issued to {len(kommuner)} of these municipalities: {names}. "
            "Nothing was written. Run again with --force to write new workbooks with new tokens; the old tokens stay "
            "in the ledger, so a return on an old workbook is still read and tied to its municipality, with a "
            "warning that a newer workbook was issued.")


def replaced_note(n: int) -> str:
    return (f"Replaced the workbooks of {n} {'municipality' if n == 1 else 'municipalities'} that had one already. "
            "Returns on the old workbooks are still identified by their old token, with a warning (\"replaced-token\").")
