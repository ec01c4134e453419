"""Accounts over JSON: register, get a token, read and edit your profile, manage tokens."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from app.core.api import bp
from app.core.inputs import Field, accepts
from app.accounts.representations import user_json
from app.core.auth import api_login_required
from app.core.extensions import db
from app.accounts import services as accounts


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
    user = accounts.register(**body)
    db.session.commit()
    return jsonify(user=user_json(user)), 201


@bp.post("/auth/tokens")
@accepts(Field("email", str, format="email"), Field("password", str), Field("name", str))
def create_token(body):
    """Exchange email and password for a personal API token (shown once)."""
    user = accounts.authenticate(body["email"], body["password"])
    token, plaintext = accounts.create_token(user, body["name"])
    db.session.commit()
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
    db.session.commit()
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
    db.session.commit()
    return "", 204
