from marshmallow import fields, validate

from core.accounts.models import MEMBER_TYPES, ROLES
from core.auth import SCOPES
from core.schemas import BaseSchema, PageArgsSchema

EMAIL = {"validate": validate.Length(max=254)}
DISPLAY_NAME = validate.Length(min=1, max=80)
PASSWORD = validate.Length(min=10, max=200, error="Passwords are 10 to 200 characters long.")


class SignupSchema(BaseSchema):
    email = fields.Email(required=True, **EMAIL)
    password = fields.String(required=True, load_only=True, validate=PASSWORD)
    display_name = fields.String(required=True, validate=DISPLAY_NAME)
    referral_code = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Za-z0-9_-]{4,40}$"))


class LoginSchema(BaseSchema):
    email = fields.Email(required=True, **EMAIL)
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=200))


class MemberSchema(BaseSchema):
    """A member as they (and admins) see themselves."""

    id = fields.Integer(dump_only=True)
    email = fields.String(dump_only=True)
    display_name = fields.String(dump_only=True)
    member_type = fields.String(dump_only=True)
    company = fields.String(dump_only=True, allow_none=True)
    job_title = fields.String(dump_only=True, allow_none=True)
    bio = fields.String(dump_only=True, allow_none=True)
    roles = fields.List(fields.String(), attribute="role_names", dump_only=True)
    referral_code = fields.String(dump_only=True)
    email_verified = fields.Boolean(dump_only=True)
    banned = fields.Boolean(attribute="is_banned", dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class MemberRefSchema(BaseSchema):
    """A member as others may see them in any domain's responses: who, not how to reach them."""

    id = fields.Integer(dump_only=True)
    display_name = fields.String(dump_only=True)


class ProfileUpdateSchema(BaseSchema):
    display_name = fields.String(validate=DISPLAY_NAME)
    email = fields.Email(metadata={"description": "Needs current_password; the new address must be verified."}, **EMAIL)
    company = fields.String(allow_none=True, validate=validate.Length(max=120))
    job_title = fields.String(allow_none=True, validate=validate.Length(max=120))
    bio = fields.String(allow_none=True, validate=validate.Length(max=1000))
    password = fields.String(load_only=True, validate=PASSWORD)
    current_password = fields.String(load_only=True, validate=validate.Length(max=200))


TOKEN = validate.Length(min=1, max=200)


class VerifyEmailSchema(BaseSchema):
    token = fields.String(required=True, load_only=True, validate=TOKEN)


class EmailRequestSchema(BaseSchema):
    email = fields.Email(required=True, **EMAIL)


class PasswordResetSchema(BaseSchema):
    token = fields.String(required=True, load_only=True, validate=TOKEN)
    password = fields.String(required=True, load_only=True, validate=PASSWORD)


class AcceptedSchema(BaseSchema):
    message = fields.String(dump_only=True)


class MemberAdminUpdateSchema(BaseSchema):
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), validate=validate.Length(max=len(ROLES)))
    member_type = fields.String(validate=validate.OneOf(MEMBER_TYPES))
    banned = fields.Boolean()


class MemberListArgsSchema(PageArgsSchema):
    role = fields.String(validate=validate.OneOf(ROLES))
    q = fields.String(validate=validate.Length(min=1, max=100))


class TokenCreateSchema(BaseSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(SCOPES)),
        load_default=lambda: ["read", "write"],
        validate=validate.Length(min=1, max=len(SCOPES)),
    )


class TokenSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    scopes = fields.List(fields.String(), dump_only=True)
    token_prefix = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    last_used_at = fields.DateTime(dump_only=True, allow_none=True)


class NewTokenSchema(TokenSchema):
    token = fields.String(
        attribute="plaintext", dump_only=True, metadata={"description": "Shown only in this response."}
    )


class ExportSchema(BaseSchema):
    member = fields.Nested(MemberSchema)
    tokens = fields.List(fields.Nested(TokenSchema))
    exported_at = fields.DateTime()
    domains = fields.Dict(keys=fields.String(), metadata={"description": "What each domain holds about you"})
