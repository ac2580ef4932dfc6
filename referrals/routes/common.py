"""The referrals API blueprint and what its views share."""

from core.auth import Blueprint

MARKETING = ("marketer", "admin")

blp = Blueprint(
    "referrals", __name__, description="Referral links and campaigns, click tracking, attribution and fraud controls."
)
