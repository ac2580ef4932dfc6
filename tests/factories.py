"""factory_boy factories for the accounts core; domains keep theirs beside their tests."""

from functools import cache

import factory
from argon2 import PasswordHasher, profiles

from core.accounts.models import ApiToken, Member, MemberRole
from core.auth import TOKEN_PREFIX, hash_token
from core.extensions import db
from core.models import utcnow

PASSWORD = "correct horse battery"


@cache
def password_hash() -> str:
    return PasswordHasher.from_parameters(profiles.CHEAPEST).hash(PASSWORD)


class ModelFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731  (the current scoped session)
        sqlalchemy_session_persistence = "flush"


class MemberFactory(ModelFactory):
    class Meta:
        model = Member

    email = factory.Sequence(lambda n: f"member{n}@example.com")
    email_normalized = factory.LazyAttribute(lambda m: m.email.lower())
    password_hash = factory.LazyFunction(password_hash)
    display_name = factory.Faker("name")
    member_type = "customer"
    # Members in tests have proved their address unless a test says otherwise.
    email_verified_at = factory.LazyFunction(utcnow)

    @factory.post_generation
    def roles(member, create, extracted, **kwargs):
        member.roles = [MemberRole(role=role) for role in (extracted or ()) if role != "member"]
        if create:
            db.session.flush()


class ApiTokenFactory(ModelFactory):
    class Meta:
        model = ApiToken

    member = factory.SubFactory(MemberFactory)
    name = "script"
    token_hash = factory.Sequence(lambda n: hash_token(f"{TOKEN_PREFIX}factory-{n}"))
    token_prefix = TOKEN_PREFIX
    scope_list = "read write"
