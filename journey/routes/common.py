"""The journey blueprint and who reads its reports."""

from core.auth import Blueprint

MARKETING = ("marketer", "admin")

blp = Blueprint(
    "journey",
    __name__,
    description="The customer journey: stages per member, the journey funnel, customer health, retention.",
)
