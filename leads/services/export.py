"""Leads as CSV a CRM import accepts, streamed page by page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from core.spreadsheets import safe_cell
from leads.services.ranking import list_leads

CSV_COLUMNS = (
    "email", "first_name", "last_name", "company", "title", "lead_score", "stage", "owner_email", "created_at",
    "last_activity_at",
)  # fmt: skip
EXPORT_PAGE = 500


def csv_row(lead) -> list:
    member = lead.member
    first, _, last = member.display_name.partition(" ")
    text = [member.email, first, last, member.company or lead.score.organization, member.job_title]
    owner = lead.owner.email if lead.owner is not None else None
    return [
        *map(safe_cell, text),
        f"{lead.current_score:.2f}",  # a number we produce: never prefixed, so CRMs read it as one
        lead.stage,
        safe_cell(owner),
        lead.created_at.isoformat(),
        lead.last_activity_at.isoformat() if lead.last_activity_at else "",
    ]


def export_csv(filters: dict) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    cursor = None
    while True:
        leads, cursor = list_leads(limit=EXPORT_PAGE, cursor=cursor, **filters)
        for lead in leads:
            writer.writerow(csv_row(lead))
        yield flush()
        if cursor is None:
            return
