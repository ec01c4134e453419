"""Accounts over JSON: register, verify the email, log in and out (cookie sessions), reset or
change the password, get a token, read and edit your profile, manage tokens and sessions."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.accounts import passwords, sessions, two_factor, verification
from app.accounts import services as accounts
from app.accounts.lockout import counting_failed_logins
from app.accounts.login import current_session_id, end_login, finish_login
from app.accounts.passwords import RESET_SENT
from app.accounts.representations import session_json, user_json
from app.accounts.tasks import deliver_mail_soon
from app.accounts.two_factor import counting_wrong_codes
from app.accounts.verification import CHECK_MAIL
from app.core.api import bp
from app.core.auth import api_login_required
from app.core.errors import Unauthorized
from app.core.inputs import Field, accepts, documented
from app.core.ratelimit import account_key, address_key, configured, limiter
from app.core.transactions import commit_now


@bp.post("/auth/register")
@documented(status=202, errors=(409,))
@limiter.shared_limit(configured("REGISTER_ADDRESS_LIMIT"), "register", key_func=address_key)
@accepts(
    Field("email", str, format="email"),
    Field("password", str, description="at least 8 characters, not easy to guess (zxcvbn score 3 or more)"),
    Field("display_name", str),
    Field("country", str, required=False, nullable=True, description="ISO 3166-1 alpha-2"),
    Field("artist_name", str, required=False, description="register as an artist with this profile name"),
)
def register(body):
    """Create an account; a link to confirm the email is mailed (the same answer for a taken email)."""
    accounts.register(**body, address=request.remote_addr)
    commit_now("the mail task reads the outbox rows this request wrote")
    deliver_mail_soon()
    return jsonify(message=CHECK_MAIL.format(email=accounts.normalize_email(body["email"]))), 202


@bp.post("/auth/verify-email")
@documented(errors=(409,))
@accepts(Field("token", str, description="the token from the mailed link"))
def verify_email(body):
    """Confirm an email with the mailed token (grants the starter credits, once)."""
    user = verification.verify_email(body["token"])
    return jsonify(user=user_json(user))


@bp.post("/auth/login")
@documented(errors=(401,))
@limiter.shared_limit(configured("LOGIN_ADDRESS_LIMIT"), "login-address", key_func=address_key)
@limiter.shared_limit(configured("LOGIN_ACCOUNT_LIMIT"), "login-account", key_func=account_key)
@accepts(
    Field("email", str, format="email"),
    Field("password", str),
    Field("remember", bool, required=False, description="keep this device logged in (30 days)"),
    Field("code", str, required=False, description="a two-factor code, when two-factor authentication is on"),
)
def login(body):
    """Log in with a session cookie (browsers); answers the CSRF token for later writes. With
    two-factor authentication on, the code comes in the same request (else a 401
    ``two_factor_required``)."""
    with counting_failed_logins():
        user = accounts.authenticate(body["email"], body["password"])
    if two_factor.is_enabled(user):
        if not body.get("code"):
            raise Unauthorized(
                "Send a code from your authenticator app with the password (the code field).",
                code="two_factor_required",
                field="code",
            )
        with counting_wrong_codes():
            two_factor.check(user, body["code"])
    finish_login(user, remember=bool(body.get("remember")))
    return jsonify(user=user_json(user), csrf_token=generate_csrf())


@bp.post("/auth/logout")
@documented(status=204)
def logout():
    """End this browser's session (its cookie, and its remember-me token, stop working)."""
    end_login()
    return "", 204


@bp.post("/auth/password-reset")
@documented(status=202)
@limiter.shared_limit(configured("PASSWORD_RESET_ADDRESS_LIMIT"), "reset-address", key_func=address_key)
@limiter.shared_limit(configured("PASSWORD_RESET_ACCOUNT_LIMIT"), "reset-account", key_func=account_key)
@accepts(Field("email", str, format="email"))
def request_password_reset(body):
    """Mail a password reset link (the same answer whether or not the email has an account)."""
    passwords.request_reset(body["email"])
    commit_now("the mail task reads the outbox rows this request wrote")
    deliver_mail_soon()
    return jsonify(message=RESET_SENT.format(email=accounts.normalize_email(body["email"]))), 202


@bp.post("/auth/password-reset/confirm")
@documented(errors=(409,))
@accepts(
    Field("token", str, description="the token from the mailed link (single use, valid one hour)"),
    Field("new_password", str),
    Field("end_api_tokens", bool, required=False, description="also revoke every API token"),
)
def confirm_password_reset(body):
    """Set a new password with a mailed reset token; every session of the account ends."""
    user = passwords.reset_password(
        body["token"], body["new_password"], end_api_tokens=bool(body.get("end_api_tokens"))
    )
    commit_now("the mail task reads the outbox rows this request wrote")
    deliver_mail_soon()
    if current_user.is_authenticated and current_user.id == user.id:
        end_login()  # its row is gone with every other session of the account
    return jsonify(message="Your password is changed. Log in with the new password.")


@bp.post("/auth/tokens")
@documented(status=201, errors=(401,))
@limiter.shared_limit(configured("LOGIN_ADDRESS_LIMIT"), "login-address", key_func=address_key)
@limiter.shared_limit(configured("LOGIN_ACCOUNT_LIMIT"), "login-account", key_func=account_key)
@limiter.shared_limit(configured("TOKEN_CREATE_LIMIT"), "token-create", key_func=account_key)
@accepts(Field("email", str, format="email"), Field("password", str), Field("name", str))
def create_token(body):
    """Exchange email and password for a personal API token (shown once); with two-factor on,
    a 401 ``two_factor_required`` carries a ``challenge`` for POST /auth/two-factor."""
    name = accounts.validate_token_name(body["name"])
    with counting_failed_logins():
        user = accounts.authenticate(body["email"], body["password"])
    if two_factor.is_enabled(user):
        challenge = two_factor.start_half_login(user, token_name=name)
        commit_now("the half-login's state must outlive the 401 that hands out its challenge")
        raise Unauthorized(
            "Send a code from your authenticator app to POST /api/v1/auth/two-factor.",
            code="two_factor_required",
            challenge=challenge,
        )
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
    Field(
        "visible_to_artists",
        bool,
        required=False,
        description="let the artists you listen to see your display name and plays (default: anonymous)",
    ),
    Field(
        "language",
        str,
        required=False,
        nullable=True,
        description="the pages' language: en or fr; null follows the browser",
    ),
)
def update_me(body):
    """Change your display name, country, language, or whether artists may see you on their dashboards."""
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
@documented(status=204)
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
@documented(status=204, errors=(409,))
@api_login_required
@accepts(
    Field("password", str),
    Field("code", str, required=False, description="a two-factor code, when two-factor authentication is on"),
)
def delete_me(body):
    """Delete your account: personal data erased, the books kept (needs the password, and a code)."""
    from flask_login import logout_user

    from app.accounts import deletion as account_deletion
    from app.accounts.two_factor import counting_wrong_codes

    with counting_wrong_codes():
        account_deletion.delete_account(current_user, password=body["password"], code=body.get("code"))
    logout_user()
    return "", 204


@bp.post("/me/verification-email")
@documented(status=202, errors=(409,))
@api_login_required
def resend_verification():
    """Mail a new email confirmation link (at most one a minute)."""
    verification.send_verification(current_user)
    commit_now("the mail task reads the outbox rows this request wrote")
    deliver_mail_soon()
    return jsonify(message=CHECK_MAIL.format(email=current_user.email)), 202


@bp.put("/me/password")
@api_login_required
@accepts(
    Field("current_password", str),
    Field("new_password", str),
    Field("end_api_tokens", bool, required=False, description="also revoke every API token"),
)
def change_password(body):
    """Change your password; every other session and remembered device is logged out."""
    ended = passwords.change_password(
        current_user,
        current_password=body["current_password"],
        new_password=body["new_password"],
        keep_session_id=current_session_id(),
        end_api_tokens=bool(body.get("end_api_tokens")),
    )
    commit_now("the mail task reads the outbox rows this request wrote")
    deliver_mail_soon()
    return jsonify(sessions_ended=ended)


@bp.get("/me/sessions")
@api_login_required
def list_sessions():
    """Where you are logged in: your sessions and remembered devices."""
    this = current_session_id()
    return jsonify(sessions=[session_json(row, current=row.id == this) for row in sessions.active_for(current_user)])


@bp.delete("/me/sessions/<int:session_id>")
@documented(status=204)
@api_login_required
def end_session(session_id: int):
    """Log one device out (its session and its remember-me token)."""
    sessions.end_for_user(current_user, session_id)
    if session_id == current_session_id():
        end_login()
    return "", 204


@bp.delete("/me/sessions")
@documented(status=204)
@api_login_required
def end_all_sessions():
    """Log out everywhere, this session included (API tokens stay; revoke them one by one)."""
    sessions.end_all(current_user)
    end_login()
    return "", 204
