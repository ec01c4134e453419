"""Pages of the second factor: the login's second step, setting TOTP up, recovery codes,
turning it off, and the "enter a code again" check before payout details change."""

from __future__ import annotations

import time

from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from app.accounts import two_factor
from app.accounts.login import HALF_LOGIN, VERIFIED_AT, finish_login, safe_next
from app.accounts.two_factor import counting_wrong_codes
from app.core.error_pages import refuse
from app.core.errors import ServiceError
from app.core.ratelimit import configured, limiter
from app.core.web import bp


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(configured("TWO_FACTOR_CODE_LIMIT"), methods=["POST"])
def login_code():
    """The login's second step: a code from the app, or a recovery code."""
    pending = session.get(HALF_LOGIN)
    if not isinstance(pending, dict):
        flash(gettext("Log in with your email and password first."), "info")
        return redirect(url_for("web.login"))
    if request.method == "POST":
        try:
            with counting_wrong_codes():
                user = two_factor.finish_half_login(pending.get("marker"), request.form.get("code", ""))
        except ServiceError as exc:
            refuse(exc)
            if exc.code in ("login_expired", "too_many_attempts"):
                session.pop(HALF_LOGIN, None)
                return redirect(url_for("web.login"))
            return render_template("accounts/login_code.html"), exc.status
        session.pop(HALF_LOGIN, None)
        finish_login(user, remember=bool(pending.get("remember")))
        return redirect(safe_next(pending.get("next")))
    return render_template("accounts/login_code.html")


@bp.get("/account/two-factor")
@login_required
def two_factor_page():
    enrolment = None
    state = two_factor.status(current_user)
    if not state["enabled"]:
        try:
            enrolment = two_factor.enrolment_of(current_user)
        except ServiceError:
            enrolment = None
    return _no_store(render_template("accounts/two_factor.html", state=state, enrolment=enrolment, codes=None))


def _no_store(body: str):
    """Pages showing a secret or recovery codes stay out of every cache (and the back button's)."""
    response = make_response(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/two-factor/setup")
@login_required
def two_factor_setup():
    try:
        two_factor.begin_enrolment(current_user)
    except ServiceError as exc:
        refuse(exc)
    return redirect(url_for("web.two_factor_page"))


def _codes_action(action, success: str):
    """Run ``action(code)``; render the recovery codes it returns once, or the refusal."""
    try:
        with counting_wrong_codes():
            codes = action(request.form.get("code", ""))
    except ServiceError as exc:
        refuse(exc)
        return redirect(url_for("web.two_factor_page"))
    session[VERIFIED_AT] = time.time()
    flash(success, "success")
    return _no_store(
        render_template("accounts/two_factor.html", state=two_factor.status(current_user), enrolment=None, codes=codes)
    )


@bp.post("/account/two-factor/confirm")
@login_required
def two_factor_confirm():
    return _codes_action(
        lambda code: two_factor.confirm_enrolment(current_user, code), gettext("Two-factor authentication is on.")
    )


@bp.post("/account/two-factor/recovery-codes")
@login_required
def two_factor_recovery_codes():
    return _codes_action(
        lambda code: two_factor.regenerate_recovery_codes(current_user, code),
        gettext("New recovery codes made; the old ones no longer work."),
    )


@bp.post("/account/two-factor/disable")
@login_required
def two_factor_disable():
    try:
        with counting_wrong_codes():
            two_factor.disable(current_user, request.form.get("code", ""))
        flash(gettext("Two-factor authentication is off."), "info")
    except ServiceError as exc:
        refuse(exc)
    return redirect(url_for("web.two_factor_page"))
