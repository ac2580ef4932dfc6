"""The leads API: one blueprint, its views split by audience."""

from core.auth import Blueprint

blp = Blueprint(
    "leads", __name__, description="Activity ledger, decaying engagement scores, leads for sales, webhooks."
)

from leads.routes import ingestion, sales, scoring, webhooks  # noqa: E402, F401  (views register on blp)
