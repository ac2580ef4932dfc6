"""What referrals holds about a member: in their export, and anonymised when they erase themselves."""

import re

import sqlalchemy as sa

from core.extensions import db
from referrals.models import Click, Conversion, MemberVisitor, Touch


def test_export_lists_my_clicks_and_conversions(visitor, auth):
    rita = auth.member()
    browser = visitor()
    browser.get(f"/r/{rita.referral_code}?utm_source=mail", headers={"Referer": "https://mail.example/inbox/42"})
    browser.post(
        "/api/v1/auth/signup", json={"email": "me@example.com", "password": "long enough pw", "display_name": "Me"}
    )
    export = browser.get("/api/v1/me/export").get_json()["domains"]["referrals"]
    assert export["visitor_ids"] == [browser.get_cookie("plvid").value]
    [click] = export["my_clicks"]
    assert (click["referrer_id"], click["utm_source"], click["referring_host"]) == (rita.id, "mail", "mail.example")
    assert [(c["kind"], c["referred_by_id"]) for c in export["my_conversions"]] == [("signup", rita.id)]
    assert export["members_i_referred"] == 0 and export["clicks_on_my_links"] == 0
    referrer_export = auth.client(rita).get("/api/v1/me/export").get_json()["domains"]["referrals"]
    assert referrer_export["clicks_on_my_links"] == 1 and referrer_export["members_i_referred"] == 1


def test_erasure_unlinks_clicks_but_keeps_the_counts(app, visitor, auth):
    rita = auth.member()
    browser = visitor()
    browser.get(f"/r/{rita.referral_code}")
    member_id = browser.post(
        "/api/v1/auth/signup", json={"email": "me@example.com", "password": "long enough pw", "display_name": "Me"}
    ).get_json()["id"]
    visitor_id = browser.get_cookie("plvid").value
    assert browser.delete("/api/v1/me").status_code == 204
    with app.app_context():
        [click] = db.session.scalars(sa.select(Click)).all()
        assert click.visitor_id.startswith("erased-") and (click.ip_hash, click.referring_host) == (None, None)
        assert click.referrer_id == rita.id
        assert db.session.scalar(sa.select(MemberVisitor).where(MemberVisitor.member_id == member_id)) is None
        conversion = db.session.scalar(sa.select(Conversion).where(Conversion.member_id == member_id))
        assert conversion.referred_by_id == rita.id and conversion.visitor_id is None
        assert db.session.scalar(sa.select(sa.func.count()).where(Click.visitor_id == visitor_id)) == 0


def test_erased_clicks_lead_nowhere_near_the_member(app, visitor, auth):
    rita = auth.member()
    browser, other = visitor(), visitor(address="203.0.113.8")
    browser.get(f"/r/{rita.referral_code}")
    member_id = browser.post(
        "/api/v1/auth/signup", json={"email": "me@example.com", "password": "long enough pw", "display_name": "Me"}
    ).get_json()["id"]
    browser.get(f"/r/{rita.referral_code}?utm_source=later")  # browsing after the signup, same cookie
    other.get(f"/r/{rita.referral_code}")
    assert browser.delete("/api/v1/me").status_code == 204
    with app.app_context():
        clicks = db.session.scalars(sa.select(Click).order_by(Click.id)).all()
        # random, not derived from the member (a short id may occur in hex by chance: check the shape)
        assert all(re.fullmatch(r"erased-[0-9a-f]{16}", click.visitor_id) for click in clicks[:2])
        assert f"erased-{member_id}" not in {click.visitor_id for click in clicks}
        assert clicks[0].visitor_id == clicks[1].visitor_id != clicks[2].visitor_id  # still two unique visitors
        linked = (
            sa.select(Click.id)
            .join(Touch, Touch.click_id == Click.id)
            .join(Conversion, Conversion.id == Touch.conversion_id)
            .where(Conversion.member_id == member_id)
        )
        assert db.session.scalars(linked).all() == []
        stitched = sa.select(MemberVisitor.visitor_id).where(MemberVisitor.member_id == member_id)
        assert db.session.scalar(sa.select(sa.func.count()).where(Click.visitor_id.in_(stitched))) == 0
