"""Accounts over JSON: register, get a token, read and edit your profile, manage tokens."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from app.core.api import bp
from app.core.inputs import Field, accepts
from app.core.representations import user_json
from app.core.auth import api_login_required
from app.core.extensions import db
from app.accounts import services as accounts, two_factor
from app.core.transactions import commit_now
from app.core.errors import Unauthorized


@bp.post("/auth/register")
@accepts(
    Field("email", str, format="email"),
    Field("password", str, description="at least 8 characters"),
    Field("display_name", str),
    Field("country", str, required=False, nullable=True, description="ISO 3166-1 alpha-2"),
    Field("artist_name", str, required=False, description="register as an artist with this profile name"),
)
def register(body):
    """Create an account."""
    user = accounts.register(**body, address=request.remote_addr)
    return jsonify(user=user_json(user)), 201


@bp.post("/auth/tokens")
@accepts(Field("email", str, format="email"), Field("password", str), Field("name", str))
def create_token(body):
    """Exchange email and password for a personal API token (shown once); with two-factor on,
    a 401 ``two_factor_required`` carries a ``challenge`` for POST /auth/two-factor."""
    name = accounts.validate_token_name(body["name"])
    user = accounts.authenticate(body["email"], body["password"])
    if two_factor.is_enabled(user):
        challenge = two_factor.start_half_login(user, token_name=name)
        commit_now("the half-login's state must outlive the 401 that hands out its challenge")
        raise Unauthorized("Send a code from your authenticator app to POST /api/v1/auth/two-factor.",
                           code="two_factor_required", challenge=challenge)
    token, plaintext = accounts.create_token(user, name)
    return jsonify(token=plaintext, id=token.id, name=token.name), 201


@bp.get("/me")
@api_login_required
def get_me():
    """The logged-in user."""
    return jsonify(user=user_json(current_user))


@bp.patch("/me")
@api_login_required
@accepts(
    Field("display_name", str, required=False),
    Field("country", str, required=False, nullable=True),
    Field("visible_to_artists", bool, required=False,
          description="let the artists you listen to see your display name and plays (default: anonymous)"),
)
def update_me(body):
    """Change your display name, country, or whether artists may see you on their dashboards."""
    accounts.update_profile(current_user, **body)
    return jsonify(user=user_json(current_user))


@bp.get("/me/tokens")
@api_login_required
def list_tokens():
    """Your API tokens (never the secret itself)."""
    return jsonify(
        tokens=[
            {"id": t.id, "name": t.name, "prefix": t.prefix, "created_at": t.created_at.isoformat()}
            for t in current_user.tokens
        ]
    )


@bp.delete("/me/tokens/<int:token_id>")
@api_login_required
def revoke_token(token_id: int):
    """Revoke one of your API tokens."""
    accounts.revoke_token(current_user, token_id)
    return "", 204


@bp.get("/me/export")
@api_login_required
def export_me():
    """Everything Encore holds about you, as one JSON archive (never a secret)."""
    from app.accounts import export as data_export

    response = jsonify(data_export.export(current_user))
    response.headers["Content-Disposition"] = 'attachment; filename="encore-export.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/me/delete")
@api_login_required
def deletion_preview():
    """What deleting your account would do (wallet, artists' earnings), before you confirm."""
    from app.accounts import deletion as account_deletion

    return jsonify(deletion=account_deletion.preview(current_user).as_json())


@bp.post("/me/delete")
@api_login_required
@accepts(
    Field("password", str),
    Field("code", str, required=False, description="a two-factor code, when two-factor authentication is on"),
)
def delete_me(body):
    """Delete your account: personal data erased, the books kept (needs the password, and a code)."""
    from flask_login import logout_user

    from app.core.auth import counting_wrong_codes
    from app.accounts import deletion as account_deletion

    with counting_wrong_codes():
        account_deletion.delete_account(current_user, password=body["password"], code=body.get("code"))
    logout_user()
    return "", 204
