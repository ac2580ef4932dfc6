"""The leads API blueprint."""

from core.auth import Blueprint

blp = Blueprint(
    "leads", __name__, description="Activity ledger, decaying engagement scores, leads for sales, webhooks."
)
