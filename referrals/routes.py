from core.auth import Blueprint

blp = Blueprint(
    "referrals", __name__, description="Referral links and campaigns, click tracking, attribution and fraud controls."
)
