"""Prospects: profiles integrations make for people who have not signed up.

A prospect's history joins an account only once the account has verified the address. An
account that signs up with (or changes to) a prospect's address before verifying it takes the
address; the prospect steps aside (`claim_email` keeps the address, `email_normalized` becomes
a placeholder) and waits. Verification merges it into the account (each domain moves its rows
on `prospect_claimed`); the account letting go of the address unverified gives it back.

Erased people's addresses are kept only as keyed hashes, so integrations cannot create them again
(and in plain only until the erasure's background work has scrubbed them from others' rows).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from core.accounts.models import PROSPECT, ErasedEmail, ErasureAddress, Member
from core.caller import keyed_hash
from core.database import upsert_statement
from core.extensions import db
from core.signals import prospect_claimed

ERASED_EMAIL_PURPOSE = "erased-email"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def is_unclaimed_prospect(member: Member) -> bool:
    """A prospect profile (made without a password) that nobody has signed up to."""
    return member.member_type == PROSPECT and member.password_hash is None and member.erased_at is None


def park_prospect(prospect: Member) -> None:
    """An account takes the prospect's address before verifying it: the prospect waits aside."""
    prospect.claim_email = prospect.email_normalized
    prospect.email_normalized = f"prospect-{prospect.id}@invalid"
    db.session.flush()


def waiting_prospect(email: str) -> Member | None:
    """The prospect waiting for whoever verifies `email`, if any."""
    return db.session.scalar(sa.select(Member).where(Member.claim_email == normalize_email(email)))


def unpark_prospect(email: str) -> None:
    """The account let go of `email` without verifying it: the waiting prospect takes it back."""
    prospect = waiting_prospect(email)
    if prospect is not None:
        prospect.email_normalized, prospect.claim_email = prospect.claim_email, None
        db.session.flush()


def claim_waiting_prospect(member: Member) -> None:
    """`member` verified its address: the prospect waiting for it joins them, then goes."""
    prospect = waiting_prospect(member.email_normalized)
    if prospect is None:
        return
    prospect_claimed.send(current_app._get_current_object(), prospect_id=prospect.id, member_id=member.id)
    db.session.delete(prospect)
    db.session.flush()


def email_hash(email: str) -> str:
    return keyed_hash(normalize_email(email), ERASED_EMAIL_PURPOSE)


def suppress_email(email: str) -> None:
    """Remember that this address's owner was erased (a keyed hash, never the address)."""
    table = ErasedEmail.__table__
    db.session.execute(upsert_statement(table).values(email_hash=email_hash(email)).on_conflict_do_nothing())


def is_suppressed(email: str) -> bool:
    return db.session.get(ErasedEmail, email_hash(email)) is not None


def hold_for_erasure(member_id: int, email: str) -> None:
    """Keep the erased member's address for the background erasure (never as a task argument)."""
    db.session.merge(ErasureAddress(member_id=member_id, email=email))


def take_for_erasure(member_id: int) -> str | None:
    """The address held for this member's erasure, forgotten now (with the caller's commit)."""
    held = db.session.get(ErasureAddress, member_id)
    if held is None:
        return None
    db.session.delete(held)
    return held.email
