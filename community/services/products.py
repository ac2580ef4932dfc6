"""The brand's catalogue, peer recommendations, endorsements and NPS."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from community.models import Endorsement, Product, Recommendation
from community.services.announcements import recommendation_saved
from community.services.common import ensure_can_contribute, get_row, increment, is_moderator, record_activity
from community.services.markdown import render_markdown
from community.services.threads import share
from core.accounts.models import Member
from core.database import upsert_statement
from core.errors import Conflict, Forbidden, NotFound
from core.extensions import db
from core.models import utcnow
from core.pagination import paginate
from core.signals import RECOMMENDATION_ENDORSED, RECOMMENDATION_MADE


def product_names(product_ids: list[int]) -> dict[int, str]:
    """{id: name} for the given products (unknown ids are left out). Used by leads."""
    if not product_ids:
        return {}
    rows = db.session.execute(sa.select(Product.id, Product.name).where(Product.id.in_(set(product_ids))))
    return {product_id: name for product_id, name in rows}


def list_products(*, limit: int, cursor: str | None, active: bool | None = None, q: str | None = None):
    stmt = sa.select(Product)
    if active is not None:
        stmt = stmt.where(Product.active.is_(active))
    if q:
        stmt = stmt.where(sa.func.lower(Product.name).contains(q.lower(), autoescape=True))
    return paginate(stmt, [Product.id], limit=limit, cursor=cursor, descending=False)


def get_product(product_id: int) -> Product:
    product = get_row(Product, product_id)
    if product is None:
        raise NotFound("No such product.")
    return product


def ensure_unique_name(name: str, product_id: int | None = None) -> None:
    existing = db.session.scalar(sa.select(Product.id).where(sa.func.lower(Product.name) == name.lower()))
    if existing is not None and existing != product_id:
        raise Conflict("A product with this name exists already.", field="name")


def create_product(*, name: str, description: str = "", url: str | None = None, active: bool = True) -> Product:
    ensure_unique_name(name.strip())
    product = Product(name=name.strip(), description=description.strip(), url=url, active=active)
    db.session.add(product)
    db.session.flush()
    return product


def update_product(product: Product, changes: dict) -> Product:
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        ensure_unique_name(changes["name"], product.id)
    for name, value in changes.items():
        setattr(product, name, value)
    db.session.flush()
    return product


def recommend(product: Product, member: Member, *, score: int, body: str) -> Recommendation:
    """One recommendation per member per product: an atomic insert-or-update, exact under concurrency."""
    ensure_can_contribute(member)
    if not product.active:
        raise Conflict("This product no longer takes recommendations.")
    now, html = utcnow(), render_markdown(body)
    table = Recommendation.__table__
    content = {"score": score, "body": body, "body_html": html, "updated_at": now}
    stmt = (
        upsert_statement(table)
        .values(product_id=product.id, member_id=member.id, created_at=now, endorsement_count=0, **content)
        .on_conflict_do_nothing(index_elements=[table.c.product_id, table.c.member_id])
        .returning(table.c.id)
    )
    created = db.session.execute(stmt).scalar() is not None
    mine = (table.c.product_id == product.id) & (table.c.member_id == member.id)
    if created:
        record_activity(member.id, RECOMMENDATION_MADE, "product", product.id, score=score)
    else:
        db.session.execute(sa.update(table).where(mine).values(**content))
    recommendation_saved.send(
        current_app._get_current_object(), member_id=member.id, product_id=product.id, score=score, rated_at=now
    )
    return db.session.scalars(sa.select(Recommendation).where(mine).execution_options(populate_existing=True)).one()


def list_recommendations(product: Product, viewer: Member | None, *, limit: int, cursor: str | None):
    stmt = sa.select(Recommendation).where(Recommendation.product_id == product.id)
    if not is_moderator(viewer):
        stmt = stmt.where(Recommendation.hidden.is_(False))
    return paginate(stmt, [Recommendation.id], limit=limit, cursor=cursor)


def get_recommendation(recommendation_id: int, viewer: Member | None = None) -> Recommendation:
    """The recommendation, if the viewer may see it: a hidden one only to moderators."""
    recommendation = get_row(Recommendation, recommendation_id)
    if recommendation is None or (recommendation.hidden and not is_moderator(viewer)):
        raise NotFound("No such recommendation.")
    return recommendation


def endorse(recommendation: Recommendation, member: Member) -> Recommendation:
    """Idempotent: endorsing twice counts once."""
    ensure_can_contribute(member)
    if recommendation.member_id == member.id:
        raise Forbidden("You cannot endorse your own recommendation.")
    table = Endorsement.__table__
    stmt = (
        upsert_statement(table)
        .values(recommendation_id=recommendation.id, member_id=member.id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[table.c.recommendation_id, table.c.member_id])
        .returning(table.c.member_id)
    )
    if db.session.execute(stmt).scalar() is not None:
        increment(Recommendation, recommendation.id, endorsement_count=1)
        record_activity(
            member.id,
            RECOMMENDATION_ENDORSED,
            "recommendation",
            recommendation.id,
            product_id=recommendation.product_id,
            recommender_id=recommendation.member_id,
        )
    return recommendation


def share_recommendation(recommendation: Recommendation, member: Member) -> dict:
    return share("recommendation", recommendation.id, member)
