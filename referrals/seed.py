"""Demo data for referrals (filled in as the domain lands)."""


def seed_demo(context: dict, progress) -> None:
    """Add this domain's part of the demo community; `context` holds what earlier seeders made."""
