"""Times as people in Denmark read them: "9. december 2024", "14. november 2024 kl. 09.40".

The ledger holds UTC (ISO 8601); what a municipality or consultant reads is Danish local time.
"""

from __future__ import annotations

import datetime as dt

MONTHS = ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
          "november", "december"]


def _zone() -> dt.tzinfo | None:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Europe/Copenhagen")
    except Exception:  # noqa: BLE001 - no time zone database (Windows without tzdata): the machine's own zone
        return None


ZONE = _zone()


def danish_date(day: dt.date) -> str:
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def local(iso: str) -> dt.datetime:
    """An ISO time from the ledger in Danish local time (a time without zone is taken as UTC)."""
    when = dt.datetime.fromisoformat(iso)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(ZONE) if ZONE else when.astimezone()


def local_date(iso: str) -> dt.date:
    return local(iso).date()


def danish_time(iso: str) -> str:
    when = local(iso)
    return f"{danish_date(when.date())} kl. {when:%H.%M}"


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
