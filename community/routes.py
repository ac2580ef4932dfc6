from core.auth import Blueprint

blp = Blueprint(
    "community",
    __name__,
    description="Threads, replies, reactions, peer recommendations with NPS, moderation and search.",
)
