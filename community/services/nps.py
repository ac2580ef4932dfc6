"""Net Promoter Score from peer recommendations: per product, brand-wide, over time.

Promoters score 9-10, passives 7-8, detractors 0-6; NPS = %promoters - %detractors (2 decimals).
A recommendation counts in the month its current score was given (updated_at); banned and erased
members' scores, and recommendations moderators hid, do not count anywhere.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from community.models import Product, Recommendation
from community.services.common import get_row
from core.accounts.models import Member
from core.errors import ValidationFailed
from core.extensions import db
from core.reporting import month_axis, month_of, rounded

SCORE = Recommendation.score
COUNTS = (
    sa.func.count(Recommendation.id),
    sa.func.sum(sa.case((SCORE >= 9, 1), else_=0)),
    sa.func.sum(sa.case((SCORE.between(7, 8), 1), else_=0)),
    sa.func.sum(sa.case((SCORE <= 6, 1), else_=0)),
)


def counted(start: datetime | None, end: datetime | None) -> list:
    conditions = [Member.banned_at.is_(None), Member.erased_at.is_(None), Recommendation.hidden.is_(False)]
    if start is not None:
        conditions.append(Recommendation.updated_at >= start)
    if end is not None:
        conditions.append(Recommendation.updated_at < end)
    return conditions


def nps_counts(*columns, start=None, end=None, product_id: int | None = None) -> sa.Select:
    stmt = sa.select(*columns, *COUNTS).join(Member, Member.id == Recommendation.member_id).where(*counted(start, end))
    return stmt if product_id is None else stmt.where(Recommendation.product_id == product_id)


def nps_figures(counts) -> dict:
    responses, promoters, passives, detractors = (int(n or 0) for n in counts)
    value = rounded(Decimal(100 * (promoters - detractors)) / Decimal(responses)) if responses else None
    return {
        "responses": responses,
        "promoters": promoters,
        "passives": passives,
        "detractors": detractors,
        "nps": value,
    }


def product_nps(product: Product, *, start=None, end=None) -> dict:
    figures = nps_figures(db.session.execute(nps_counts(start=start, end=end, product_id=product.id)).one())
    return {"product_id": product.id, **figures}


def nps_report(*, group_by: str, product_id: int | None = None, start=None, end=None) -> dict:
    """NPS per month (brand-wide, or of one product) or per product."""
    if product_id is not None and get_row(Product, product_id) is None:
        raise ValidationFailed("No such product.", field="product_id")
    key = month_of(Recommendation.updated_at) if group_by == "month" else Recommendation.product_id
    stmt = nps_counts(key.label("key"), start=start, end=end, product_id=product_id).group_by(key)
    found = {row[0]: row[1:] for row in db.session.execute(stmt)}
    items = month_items(found, start, end) if group_by == "month" else product_items(found)
    return {"group_by": group_by, "product_id": product_id, "from": start, "to": end, "items": items}


def month_items(found: dict, start, end) -> list[dict]:
    return [
        {"key": key, "label": key, **nps_figures(found.get(key, (0, 0, 0, 0)))} for key in month_axis(found, start, end)
    ]


def product_items(found: dict) -> list[dict]:
    names = dict(db.session.execute(sa.select(Product.id, Product.name).where(Product.id.in_(list(found)))).all())
    items = [{"key": str(key), "label": names.get(key, str(key)), **nps_figures(c)} for key, c in found.items()]
    return sorted(items, key=lambda item: (item["label"], item["key"]))
