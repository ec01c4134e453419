"""The app passwords page: create one per music app (shown once), see and revoke them."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.core.errors import ServiceError
from app.core.web import bp
from app.subsonic import app_passwords


@bp.route("/account/app-passwords", methods=["GET", "POST"])
@login_required
def app_passwords_page():
    """Music apps (Subsonic): app passwords for the apps that do not take an API key."""
    new_password = None
    status = 200
    if request.method == "POST":
        try:
            if request.form.get("action") == "revoke":
                app_passwords.revoke(current_user, int(request.form.get("password_id", "0") or 0))
                flash("App password revoked: the app using it can no longer sign in.", "success")
                return redirect(url_for("web.app_passwords_page"))
            _, new_password = app_passwords.create(current_user, request.form.get("name", ""))
        except (ServiceError, ValueError) as exc:
            flash(getattr(exc, "message", "That did not work."), "error")
            status = getattr(exc, "status", 422)
    return (
        render_template(
            "subsonic/app_passwords.html",
            passwords=app_passwords.list_for(current_user),
            new_password=new_password,
            server_url=request.host_url.rstrip("/"),
        ),
        status,
    )
