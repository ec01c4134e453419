"""Pages to register, log in and out, and manage your profile and API tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.converters import id_from_form
from app.extensions import db
from app.services import accounts
from app.services.errors import ServiceError
from app.web import bp


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
            )
            db.session.commit()
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("web/register.html", form=form), exc.status
        login_user(user)
        flash(f"Welcome to Encore, {user.display_name}!", "success")
        return redirect(url_for("web.index"))
    return render_template("web/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = request.form
    if request.method == "POST":
        try:
            user = accounts.authenticate(form.get("email", ""), form.get("password", ""))
            db.session.commit()  # a password rehash, if the hash parameters changed
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("web/login.html", form=form), exc.status
        login_user(user, remember=bool(form.get("remember")))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("web/login.html", form=form)


@bp.post("/logout")
def logout():
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
            db.session.commit()
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("web/account.html", new_token=None), exc.status
    return render_template("web/account.html", new_token=new_token)
