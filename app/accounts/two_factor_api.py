"""The second factor over JSON: the token login's second step, enrolment, recovery codes,
turning it off. Wrong codes are counted even though the request is refused."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from app.accounts import services as accounts
from app.accounts import two_factor
from app.accounts.two_factor import counting_wrong_codes
from app.core.api import bp
from app.core.auth import api_login_required
from app.core.inputs import Field, accepts, documented
from app.core.ratelimit import configured, limiter

_CODE = Field("code", str, description="the 6-digit code from the authenticator app, or a recovery code")


@bp.post("/auth/two-factor")
@documented(status=201, errors=(401,))
@limiter.limit(configured("TWO_FACTOR_CODE_LIMIT"))
@accepts(Field("challenge", str, description="from the two_factor_required error of POST /auth/tokens"), _CODE)
def finish_token_login(body):
    """The second step of getting a token: the code for a half-login (5 tries, 5 minutes)."""
    with counting_wrong_codes():
        user = two_factor.finish_half_login(body["challenge"], body["code"])
    name = two_factor.half_login_extra(body["challenge"]).get("token_name") or "API"
    token, plaintext = accounts.create_token(user, name)
    return jsonify(token=plaintext, id=token.id, name=token.name), 201


@bp.get("/me/two-factor")
@api_login_required
def get_two_factor():
    """Whether your second factor is on, required, and how many recovery codes are left."""
    return jsonify(two_factor=two_factor.status(current_user))


@bp.post("/me/two-factor")
@documented(status=201, errors=(409,))
@api_login_required
def begin_two_factor():
    """Start the TOTP setup: a new secret, its otpauth:// URI and a QR code (SVG data URI)."""
    enrolment = two_factor.begin_enrolment(current_user)
    response = jsonify(secret=enrolment.secret, otpauth_uri=enrolment.uri, qr_svg=enrolment.qr_svg_data_uri)
    response.headers["Cache-Control"] = "no-store"
    return response, 201


@bp.post("/me/two-factor/confirm")
@documented(errors=(409,))
@api_login_required
@accepts(_CODE)
def confirm_two_factor(body):
    """Turn the second factor on with a first code; returns 10 recovery codes, shown once."""
    with counting_wrong_codes():
        codes = two_factor.confirm_enrolment(current_user, body["code"])
    return jsonify(recovery_codes=codes, two_factor=two_factor.status(current_user))


@bp.post("/me/two-factor/recovery-codes")
@documented(errors=(409,))
@api_login_required
@accepts(_CODE)
def regenerate_recovery_codes(body):
    """Replace your recovery codes with 10 new ones (shown once); needs a current code."""
    with counting_wrong_codes():
        codes = two_factor.regenerate_recovery_codes(current_user, body["code"])
    return jsonify(recovery_codes=codes)


@bp.post("/me/two-factor/disable")
@documented(status=204, errors=(409,))
@api_login_required
@accepts(_CODE)
def disable_two_factor(body):
    """Turn the second factor off; needs a current code or a recovery code."""
    with counting_wrong_codes():
        two_factor.disable(current_user, body["code"])
    return "", 204
