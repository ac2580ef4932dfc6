"""Customer health: judged from the signals, stored with its reasons, listed worst first; the move to
at risk publishes customer.at_risk once (again only after the customer has been healthy in between)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from core.accounts.models import Member
from core.database import upsert_statement
from core.extensions import db
from core.models import utcnow
from core.pagination import paginate
from journey.models import AT_RISK, HEALTHY, CustomerHealth
from journey.services import health_signals
from journey.services.rules import current_rules
from leads.services import history, webhooks

AT_RISK_EVENT = "customer.at_risk"
BATCH = 500


def customers() -> sa.Select:
    """Ids of the customers health is kept for: member_type customer or a won lead; not banned or erased."""
    is_customer = sa.or_(Member.member_type == "customer", Member.id.in_(history.won_member_ids()))
    return sa.select(Member.id).where(is_customer, Member.banned_at.is_(None), Member.erased_at.is_(None))


def assess(members: list[Member], now: datetime | None = None) -> dict[int, tuple[int, list[dict]]]:
    """{member_id: (health, reasons)} for a batch of customers under the rules in force."""
    now = now or utcnow()
    config = current_rules().config
    facts = health_signals.gather([m.id for m in members], config["signals"], now)
    return {member.id: health_signals.judge(member, facts, config, now) for member in members}


def store(member: Member, health: int, reasons: list[dict], now: datetime, at_risk_below: int) -> bool:
    """Save a customer's health; True when this call moved them to at risk (one conditional UPDATE, so
    of two recomputes at once only one sees the move)."""
    status = AT_RISK if health < at_risk_below else HEALTHY
    table = CustomerHealth.__table__
    values = {"health": health, "reasons": reasons, "computed_at": now}
    insert = upsert_statement(table).values(member_id=member.id, status=HEALTHY, status_since=now, **values)
    db.session.execute(insert.on_conflict_do_update(index_elements=[table.c.member_id], set_=values))
    moved = db.session.execute(
        sa.update(table)
        .where(table.c.member_id == member.id, table.c.status != status)
        .values(status=status, status_since=now)
        .returning(table.c.member_id)
    ).scalar()
    return moved is not None and status == AT_RISK


def publish_at_risk(member: Member, health: int, reasons: list[dict], now: datetime) -> None:
    data = {
        "member_id": member.id,
        "email": member.email,
        "display_name": member.display_name,
        "health": health,
        "reasons": reasons,
        "at_risk_since": now.isoformat(),
    }
    webhooks.publish(AT_RISK_EVENT, data)


def update_batch(members: list[Member], now: datetime | None = None) -> int:
    """Assess and store a batch of customers; returns how many moved to at risk (each announced)."""
    now = now or utcnow()
    at_risk_below, moved = current_rules().config["at_risk_below"], 0
    for member_id, (health, reasons) in assess(members, now).items():
        member = db.session.get(Member, member_id)
        if store(member, health, reasons, now, at_risk_below):
            publish_at_risk(member, health, reasons, now)
            moved += 1
    db.session.flush()
    return moved


def is_customer(member_id: int) -> bool:
    return db.session.scalar(customers().where(Member.id == member_id)) is not None


def refresh_health(member_id: int) -> None:
    """After something happened to a member: their health now, or none if they are no customer."""
    if is_customer(member_id):
        update_batch([db.session.get(Member, member_id)])
    else:
        db.session.execute(sa.delete(CustomerHealth).where(CustomerHealth.member_id == member_id))


def customer_batches(size: int = BATCH):
    """Every customer, `size` at a time by id: the nightly recompute commits after each batch."""
    after = 0
    while True:
        ids = list(db.session.scalars(customers().where(Member.id > after).order_by(Member.id).limit(size)))
        if not ids:
            return
        yield list(db.session.scalars(sa.select(Member).where(Member.id.in_(ids)).order_by(Member.id)))
        after = ids[-1]


def forget_former_customers() -> int:
    """Health rows of members who are no longer customers (or were banned or erased) go."""
    stale = sa.delete(CustomerHealth).where(CustomerHealth.member_id.not_in(customers()))
    return db.session.execute(stale).rowcount


def list_health(
    *, limit: int, cursor: str | None, status: str | None = None, start=None, end=None
) -> tuple[list, str | None]:
    """Customers' health, worst first; `from`/`to` bound since when the status holds."""
    stmt = sa.select(CustomerHealth).where(CustomerHealth.member_id.in_(customers()))
    if status is not None:
        stmt = stmt.where(CustomerHealth.status == status)
    if start is not None:
        stmt = stmt.where(CustomerHealth.status_since >= start)
    if end is not None:
        stmt = stmt.where(CustomerHealth.status_since < end)
    order = [CustomerHealth.health, CustomerHealth.member_id]
    return paginate(stmt, order, limit=limit, cursor=cursor, descending=False)


def status_counts() -> dict[str, int]:
    """{status: customers} over the customers health is kept for."""
    stmt = (
        sa.select(CustomerHealth.status, sa.func.count())
        .where(CustomerHealth.member_id.in_(customers()))
        .group_by(CustomerHealth.status)
    )
    return dict(db.session.execute(stmt).all())
