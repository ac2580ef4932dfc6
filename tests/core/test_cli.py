"""Operator commands."""

import sqlalchemy as sa

from core.accounts.models import Member
from core.extensions import db


def test_users_create_makes_a_member_with_roles(runner, app):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Boss@Example.com",
            "--password",
            "a long password",
            "--role",
            "admin",
            "--role",
            "sales",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "roles member, admin, sales" in result.output
    with app.app_context():
        member = db.session.scalar(sa.select(Member).where(Member.email_normalized == "boss@example.com"))
        assert member.role_names == ["member", "admin", "sales"]
        assert member.email_verified  # the operator vouches for the address


def test_users_create_refuses_duplicates_and_short_passwords(runner):
    args = ["users", "create", "--email", "dup@example.com", "--password", "a long password"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(args=["users", "create", "--email", "s@example.com", "--password", "short"])
    assert short.exit_code != 0 and "--password" in short.output


def test_users_create_rejects_unknown_role(runner):
    result = runner.invoke(
        args=["users", "create", "--email", "r@example.com", "--password", "a long password", "--role", "king"]
    )
    assert result.exit_code != 0 and "king" in result.output


def test_seed_demo_builds_a_community_once(runner, app):
    first = runner.invoke(args=["seed-demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "admin@peerloop.demo" in first.output
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count(Member.id)))
        roles = set(db.session.scalars(sa.select(Member.member_type)))
    assert count >= 60
    assert {"customer", "fan", "employee", "prospect"} <= roles
    second = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "not seeded again" in second.output


def test_seed_demo_refuses_to_run_in_production(runner, app, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "production" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Member.id))) == 0
