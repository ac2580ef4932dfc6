"""Demo data for referrals: campaigns, reward rules, 90 days of clicks, referred signups with conversions."""

from __future__ import annotations

from datetime import timedelta

from core.caller import keyed_hash
from core.extensions import db
from core.models import utcnow
from referrals.models import Campaign, RewardRule
from referrals.services import conversions
from referrals.services.click_store import store_clicks
from referrals.services.links import site_url

CAMPAIGNS = [
    ("Spring launch", "spring-launch", "/launch", "newsletter", "email"),
    ("Customer stories", "customer-stories", "/stories", "linkedin", "social"),
    ("Bring a friend", "bring-a-friend", "/friends", "peerloop", "referral"),
]
BACKGROUND_CLICKS = 3000
BROWSER_SHARE = 0.93


def seed_demo(context: dict, progress) -> None:
    rng = context["rng"]
    members = context["members"]
    marketer = next(s for s in context["staff"] if "marketer" in s.role_names)
    campaigns = seed_campaigns(marketer)
    seed_reward_rules(marketer, campaigns[2])
    advocates = rng.sample(members, 12)
    addresses = [keyed_hash(f"198.51.100.{n}", "click-ip") for n in range(1, 255)]
    store_clicks(db.session.connection(), background_clicks(rng, advocates, campaigns, addresses))
    referred = [m for m in members if m not in advocates][:24]
    for member in referred:
        seed_referred_signup(rng, member, advocates, campaigns, addresses)
    db.session.flush()
    context["campaigns"] = campaigns
    context.setdefault("summary", []).append(
        f"Referrals: {len(campaigns)} campaigns, {BACKGROUND_CLICKS}+ clicks over 90 days, "
        f"{len(referred)} referred signups."
    )
    progress.update(100)


def seed_campaigns(marketer) -> list[Campaign]:
    campaigns = [
        Campaign(
            name=name,
            slug=slug,
            landing_url=f"{site_url()}{path}",
            utm_source=source,
            utm_medium=medium,
            utm_campaign=slug,
            created_by_id=marketer.id,
        )
        for name, slug, path, source, medium in CAMPAIGNS
    ]
    db.session.add_all(campaigns)
    db.session.flush()
    return campaigns


def seed_reward_rules(marketer, friends_campaign: Campaign) -> None:
    db.session.add_all(
        [
            RewardRule(trigger="signup", referrer_amount=100, referee_amount=100, created_by_id=marketer.id),
            RewardRule(
                campaign_id=friends_campaign.id,
                trigger="customer",
                referrer_amount=2000,
                referee_amount=1000,
                unit="cents",
                created_by_id=marketer.id,
            ),
        ]
    )
    db.session.flush()


def click_row(rng, referrer, campaigns, addresses, visitor_id: str, at) -> dict:
    campaign = rng.choice([None, None, *campaigns])
    content = f"thread-{rng.randint(1, 40)}" if campaign is None and rng.random() < 0.2 else None
    return {
        "occurred_at": at,
        "code": referrer.referral_code,
        "referrer_id": referrer.id,
        "campaign_id": campaign.id if campaign else None,
        "visitor_id": visitor_id,
        "channel": "share" if content else "campaign" if campaign else "link",
        "content": content,
        "utm_source": campaign.utm_source if campaign else rng.choice([None, "twitter", "whatsapp"]),
        "utm_medium": campaign.utm_medium if campaign else None,
        "utm_campaign": campaign.utm_campaign if campaign else None,
        "referring_host": rng.choice([None, "t.co", "www.linkedin.com", "mail.google.com"]),
        "ua_class": "browser" if rng.random() < BROWSER_SHARE else rng.choice(["bot", "unknown"]),
        "ip_hash": rng.choice(addresses),
    }


def demo_visitor_id(rng) -> str:
    return f"demo{rng.getrandbits(80):020x}"


def background_clicks(rng, advocates, campaigns, addresses) -> list[dict]:
    """Clicks that did not (yet) lead to a signup, spread over the last 90 days; some visitors return."""
    now = utcnow()
    visitors = [demo_visitor_id(rng) for _ in range(BACKGROUND_CLICKS * 2 // 3)]
    weights = [len(advocates) - rank for rank in range(len(advocates))]  # a few advocates do most sharing
    return [
        click_row(
            rng,
            rng.choices(advocates, weights)[0],
            campaigns,
            addresses,
            rng.choice(visitors),
            now - timedelta(minutes=rng.randint(5, 90 * 24 * 60)),
        )
        for _ in range(BACKGROUND_CLICKS)
    ]


def seed_referred_signup(rng, member, advocates, campaigns, addresses) -> None:
    """One to three clicks from advocates, then the signup, then maybe engaged, lead and customer."""
    signed_up = utcnow() - timedelta(days=rng.randint(1, 80), hours=rng.randint(0, 23))
    visitor_id = demo_visitor_id(rng)
    rows = [
        click_row(
            rng,
            rng.choice(advocates),
            campaigns,
            addresses,
            visitor_id,
            signed_up - timedelta(hours=rng.randint(1, 20 * 24)),
        )
        for _ in range(rng.randint(1, 3))
    ]
    store_clicks(db.session.connection(), rows)
    member.created_at = signed_up
    conversions.attribute_signup(member, visitor_id=visitor_id, ip_hash=rng.choice(addresses), at=signed_up)
    for kind, chance, days in (("engaged", 0.7, 2), ("lead", 0.4, 9), ("customer", 0.2, 20)):
        if rng.random() >= chance:
            break
        conversions.record_conversion(member.id, kind, min(signed_up + timedelta(days=days), utcnow()))
