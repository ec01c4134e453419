"""Pages to register, log in and out, and manage your profile and API tokens."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.core.converters import id_from_form
from app.core.extensions import db
from app.accounts import services as accounts, two_factor
from app.core.error_pages import refuse
from app.core.errors import ServiceError
from app.core.web import bp
from app.accounts.two_factor_views import VERIFIED_AT, ask_for_code


def _safe_next(target: str | None) -> str:
    """Only follow ``next`` to a path on this site (no open redirects)."""
    # Browsers read "\\" as "/" (so "/\\evil.example" is "//evil.example"): refuse backslashes.
    # They also drop tab, CR and LF from a URL ("/\n/evil.example" is "//evil.example"), and a
    # CR/LF cannot go in a Location header at all: refuse every control character.
    if (target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//")
            and "\\" not in target and not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target)):
        return target
    return url_for("web.index")


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = request.form
    if request.method == "POST":
        try:
            user = accounts.register(
                email=form.get("email", ""),
                password=form.get("password", ""),
                display_name=form.get("display_name", ""),
                country=form.get("country") or None,
                artist_name=(form.get("artist_name") or "").strip() or None,
                address=request.remote_addr,
            )
        except ServiceError as exc:
            refuse(exc)
            return render_template("accounts/register.html", form=form), exc.status
        login_user(user)
        flash(f"Welcome to Encore, {user.display_name}!", "success")
        return redirect(url_for("web.index"))
    return render_template("accounts/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = request.form
    if request.method == "POST":
        try:
            user = accounts.authenticate(form.get("email", ""), form.get("password", ""))
        except ServiceError as exc:
            refuse(exc)
            return render_template("accounts/login.html", form=form), exc.status
        if two_factor.is_enabled(user):  # second step: app.accounts.two_factor_views.login_code
            return ask_for_code(user, remember=bool(form.get("remember")), next_url=request.args.get("next"))
        finish_login(user, remember=bool(form.get("remember")))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form)


def finish_login(user, *, remember: bool) -> None:
    """Log ``user`` in (after the password and, when on, the second factor were checked)."""
    login_user(user, remember=remember)
    session[VERIFIED_AT] = time.time()  # a fresh login counts as a fresh code for a while


@bp.post("/logout")
def logout():
    session.pop(VERIFIED_AT, None)
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("web.index"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    new_token = None
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "profile":
                accounts.update_profile(
                    current_user,
                    display_name=request.form.get("display_name", ""),
                    country=request.form.get("country") or None,
                    visible_to_artists=request.form.get("visible_to_artists") == "on",
                )
                flash("Profile saved.", "success")
            elif action == "create_token":
                _, new_token = accounts.create_token(current_user, request.form.get("name", ""))
            elif action == "revoke_token":
                accounts.revoke_token(current_user, id_from_form(request.form.get("token_id")))
                flash("Token revoked.", "info")
        except ServiceError as exc:
            refuse(exc)
            return render_template("accounts/account.html", new_token=None,
                                   two_factor_state=two_factor.status(current_user)), exc.status
    return render_template("accounts/account.html", new_token=new_token, two_factor_state=two_factor.status(current_user))


@bp.get("/account/export")
@login_required
def account_export():
    """Download everything Encore holds about you, as JSON."""
    import json

    from flask import Response

    from app.accounts import export as data_export

    body = json.dumps(data_export.export(current_user), indent=2, ensure_ascii=False)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": 'attachment; filename="encore-export.json"', "Cache-Control": "no-store",
    })


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def account_delete():
    """Leave the co-op: what happens, then the password (and a code) to confirm."""
    from app.core.auth import counting_wrong_codes
    from app.accounts import deletion as account_deletion

    if request.method == "POST":
        try:
            with counting_wrong_codes():
                account_deletion.delete_account(
                    current_user, password=request.form.get("password", ""), code=request.form.get("code") or None,
                )
        except ServiceError as exc:
            refuse(exc)
            return render_template("accounts/account_delete.html", plan=account_deletion.preview(current_user)), exc.status
        session.pop(VERIFIED_AT, None)
        logout_user()
        flash("Your account is deleted. Thank you for having been part of Encore.", "info")
        return redirect(url_for("web.index"))
    return render_template("accounts/account_delete.html", plan=account_deletion.preview(current_user))
