"""Demo accounts: staff with each role and a crowd of members of every type."""

from __future__ import annotations

import random

from core.accounts import services

DEMO_PASSWORD = "peerloop-demo"
STAFF = [
    ("admin@peerloop.demo", "Ada Admin", ("admin",), "employee"),
    ("mod@peerloop.demo", "Moe Moderator", ("moderator",), "employee"),
    ("marketing@peerloop.demo", "Mia Marketer", ("marketer",), "employee"),
    ("sales@peerloop.demo", "Sam Sales", ("sales",), "employee"),
]
FIRST = ["Alex", "Blake", "Casey", "Dana", "Eli", "Finley", "Gray", "Harper", "Indy", "Jules", "Kai", "Logan"]
LAST = ["Nguyen", "Okafor", "Petrov", "Quinn", "Rossi", "Sato", "Tanaka", "Umar", "Varga", "Weber"]
DOMAINS = ["gmail.com", "outlook.com", "acme.io", "globex.com", "initech.com", "umbrella.org"]
TYPES = ["customer"] * 5 + ["fan"] * 3 + ["prospect"] * 2


def seed_demo(context: dict, progress) -> None:
    rng = random.Random(7)
    password_hash = services.hasher().hash(DEMO_PASSWORD)  # hashing is slow by design: once
    staff = [
        services.create_member(email, None, name, roles=roles, member_type=member_type)
        for email, name, roles, member_type in STAFF
    ]
    members = []
    for n in range(60):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}.{n}@{rng.choice(DOMAINS)}".lower()
        member = services.create_member(email, None, f"{first} {last}", member_type=rng.choice(TYPES))
        member.company = (
            email.split("@")[1].split(".")[0].title() if "gmail" not in email and "outlook" not in email else None
        )
        members.append(member)
    for member in (*staff, *members):
        member.password_hash = password_hash
        member.email_verified_at = member.created_at  # demo addresses count as verified
    progress.update(100)
    context.update(staff=staff, members=members, rng=rng)
    context.setdefault("summary", []).append(
        f"Demo accounts (password '{DEMO_PASSWORD}'): " + ", ".join(email for email, *_ in STAFF)
    )
