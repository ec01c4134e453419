"""The app passwords page: create one per music app (shown once), see and revoke them."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from app.core.error_pages import translated
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
                flash(gettext("App password revoked: the app using it can no longer sign in."), "success")
                return redirect(url_for("web.app_passwords_page"))
            _, new_password = app_passwords.create(current_user, request.form.get("name", ""))
        except ServiceError as exc:
            flash(_page_message(exc), "error")
            status = exc.status
        except ValueError:  # a password id that is not a number
            flash(gettext("That did not work."), "error")
            status = 422
    return (
        render_template(
            "subsonic/app_passwords.html",
            passwords=app_passwords.list_for(current_user),
            new_password=new_password,
            server_url=request.host_url.rstrip("/"),
        ),
        status,
    )


def _page_message(exc: ServiceError) -> str:
    """The refusal in the page's language (the limit's message is built with its number, so the
    page words it itself; the JSON API and the protocol keep the English)."""
    if exc.code == "too_many":
        return gettext("You have %(count)s app passwords; revoke one first.", count=app_passwords.MAX_PER_USER)
    return translated(exc.message) or ""
