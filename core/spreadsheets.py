"""CSV that spreadsheets open safely: a cell that starts like a formula is not run as one."""

from __future__ import annotations

from datetime import datetime

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """Text a spreadsheet would run as a formula is prefixed with ' (CSV injection)."""
    text = "" if value is None else value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
