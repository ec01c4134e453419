"""Pages to register, verify an email, log in and out, reset a forgotten password, and manage
your profile, password, sessions (devices) and API tokens."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, refresh
from flask_login import current_user, login_required

from app.accounts import passwords, sessions, two_factor, verification
from app.accounts import services as accounts
from app.accounts.lockout import counting_failed_logins
from app.accounts.login import VERIFIED_AT, ask_for_code, current_session_id, end_login, finish_login, safe_next
from app.accounts.tasks import deliver_mail_soon
from app.core.converters import id_from_form
from app.core.error_pages import refuse
from app.core.errors import AccountLocked, ServiceError
from app.core.extensions import db
from app.core.i18n import SESSION_KEY
from app.core.ratelimit import account_key, address_key, configured, limiter
from app.core.transactions import commit_now
from app.core.web import bp


@bp.route("/register", methods=["GET", "POST"])
@limiter.shared_limit(configured("REGISTER_ADDRESS_LIMIT"), "register", key_func=address_key, methods=["POST"])
def register():
    form = request.form
    if request.method == "POST":
        try:
            accounts.register(
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
        commit_now("the mail task reads the outbox rows this request wrote")
        deliver_mail_soon()
        # The same page whether the address was new or taken (its owner got a mail instead).
        return render_template(
            "accounts/check_mail.html",
            message=gettext(
                "Check your mail: we sent a link to %(email)s to confirm the address.",
                email=accounts.normalize_email(form.get("email", "")),
            ),
        )
    return render_template("accounts/register.html", form=form)


@bp.get("/verify-email/<token>")
def verify_email(token: str):
    try:
        verification.verify_email(token)
    except ServiceError as exc:
        refuse(exc)
        return render_template("accounts/check_mail.html", message=None), exc.status
    flash(gettext("Your email is confirmed: starter credits (one grant per person) are in your wallet."), "success")
    return redirect(url_for("web.account" if current_user.is_authenticated else "web.login"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.shared_limit(configured("LOGIN_ADDRESS_LIMIT"), "login-address", key_func=address_key, methods=["POST"])
@limiter.shared_limit(configured("LOGIN_ACCOUNT_LIMIT"), "login-account", key_func=account_key, methods=["POST"])
def login():
    form = request.form
    if request.method == "POST":
        try:
            with counting_failed_logins():
                user = accounts.authenticate(form.get("email", ""), form.get("password", ""))
        except AccountLocked:
            raise  # the error page, with Retry-After and the way out
        except ServiceError as exc:
            refuse(exc)
            return render_template("accounts/login.html", form=form), exc.status
        if two_factor.is_enabled(user):  # second step: app.accounts.two_factor_views.login_code
            return ask_for_code(user, remember=bool(form.get("remember")), next_url=request.args.get("next"))
        finish_login(user, remember=bool(form.get("remember")))
        return redirect(safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout():
    session.pop(VERIFIED_AT, None)
    end_login()
    flash(gettext("You are logged out."), "info")
    return redirect(url_for("web.index"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.shared_limit(
    configured("PASSWORD_RESET_ADDRESS_LIMIT"), "reset-address", key_func=address_key, methods=["POST"]
)
@limiter.shared_limit(
    configured("PASSWORD_RESET_ACCOUNT_LIMIT"), "reset-account", key_func=account_key, methods=["POST"]
)
def forgot_password():
    if request.method == "POST":
        email = request.form.get("email", "")
        passwords.request_reset(email)
        commit_now("the mail task reads the outbox rows this request wrote")
        deliver_mail_soon()
        return render_template(
            "accounts/check_mail.html",
            message=gettext(
                "If an account has the address %(email)s, we sent it a link to choose a new password"
                " (valid for one hour).",
                email=accounts.normalize_email(email),
            ),
        )
    return render_template("accounts/forgot_password.html")


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        if request.method == "POST":
            user = passwords.reset_password(
                token, request.form.get("new_password", ""), end_api_tokens=request.form.get("end_api_tokens") == "on"
            )
            commit_now("the mail task reads the outbox rows this request wrote")
            deliver_mail_soon()
            if current_user.is_authenticated and current_user.id == user.id:
                end_login()  # every session of that user ended, this one too
            flash(
                gettext("Your password is changed and every session was logged out. Log in with the new password."),
                "success",
            )
            return redirect(url_for("web.login"))
        passwords.check_reset_token(token)
    except ServiceError as exc:
        refuse(exc)
        valid = exc.code != "invalid_token"
        return render_template("accounts/reset_password.html", token=token, valid=valid), exc.status
    return render_template("accounts/reset_password.html", token=token, valid=True)


def _account_page(new_token=None, status=200):
    return render_template(
        "accounts/account.html",
        new_token=new_token,
        devices=sessions.active_for(current_user),
        this_device=current_session_id(),
        two_factor_state=two_factor.status(current_user),
    ), status


@bp.post("/language")
def set_language():
    """The language picker (the footer's, and the account page's): an account keeps the choice
    (``users.language``), a visitor's session does; empty means "follow the browser"."""
    language = accounts.validate_language(request.form.get("language") or None)
    if current_user.is_authenticated:
        accounts.update_profile(current_user, language=language)
    elif language is None:
        session.pop(SESSION_KEY, None)
    else:
        session[SESSION_KEY] = language
    return redirect(safe_next(request.form.get("next")))


@bp.route("/account", methods=["GET", "POST"])
@login_required
@limiter.shared_limit(
    configured("TOKEN_CREATE_LIMIT"),
    "token-create",
    methods=["POST"],
    exempt_when=lambda: request.form.get("action") != "create_token",
)
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
                flash(gettext("Profile saved."), "success")
            elif action == "language":
                accounts.update_profile(current_user, language=request.form.get("language") or None)
                refresh()  # the confirmation is already in the new language
                flash(gettext("Language saved."), "success")
            elif action == "create_token":
                _, new_token = accounts.create_token(current_user, request.form.get("name", ""))
            elif action == "revoke_token":
                accounts.revoke_token(current_user, id_from_form(request.form.get("token_id")))
                flash(gettext("Token revoked."), "info")
            elif action == "change_password":
                ended = passwords.change_password(
                    current_user,
                    current_password=request.form.get("current_password", ""),
                    new_password=request.form.get("new_password", ""),
                    keep_session_id=current_session_id(),
                    end_api_tokens=request.form.get("end_api_tokens") == "on",
                )
                flash(gettext("Password changed. %(count)s other session(s) logged out.", count=ended), "success")
            elif action == "resend_verification":
                verification.send_verification(current_user)
                flash(
                    gettext("We sent a new link to %(email)s (at most one a minute).", email=current_user.email), "info"
                )
            elif action == "end_session":
                session_id = id_from_form(request.form.get("session_id"))
                sessions.end_for_user(current_user, session_id)
                if session_id == current_session_id():
                    end_login()
                    flash(gettext("You are logged out."), "info")
                    return redirect(url_for("web.index"))
                flash(gettext("That device is logged out."), "info")
            elif action == "end_all_sessions":
                sessions.end_all(current_user)
                end_login()
                flash(gettext("You are logged out everywhere, here too."), "info")
                return redirect(url_for("web.index"))
            if action in ("change_password", "resend_verification"):
                commit_now("the mail task reads the outbox rows this request wrote")
                deliver_mail_soon()
        except ServiceError as exc:
            refuse(exc)
            return _account_page(status=exc.status)
    return _account_page(new_token)


@bp.get("/account/export")
@login_required
def account_export():
    """Download everything Encore holds about you, as JSON."""
    import json

    from flask import Response

    from app.accounts import export as data_export

    body = json.dumps(data_export.export(current_user), indent=2, ensure_ascii=False)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="encore-export.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def account_delete():
    """Leave the co-op: what happens, then the password (and a code) to confirm."""
    from app.accounts import deletion as account_deletion
    from app.accounts.two_factor import counting_wrong_codes

    if request.method == "POST":
        try:
            with counting_wrong_codes():
                account_deletion.delete_account(
                    current_user,
                    password=request.form.get("password", ""),
                    code=request.form.get("code") or None,
                )
        except ServiceError as exc:
            refuse(exc)
            return render_template(
                "accounts/account_delete.html", plan=account_deletion.preview(current_user)
            ), exc.status
        session.pop(VERIFIED_AT, None)
        end_login()
        flash(gettext("Your account is deleted. Thank you for having been part of Encore."), "info")
        return redirect(url_for("web.index"))
    return render_template("accounts/account_delete.html", plan=account_deletion.preview(current_user))


@bp.get("/dev/mail")
def dev_mail():
    """The outbox, readable in the browser: only when ``ENCORE_DEV_MAIL_PAGE`` is on (``make run``)."""
    if not current_app.config["DEV_MAIL_PAGE"]:
        abort(404)
    from sqlalchemy import select

    from app.core.models import OutboxMessage

    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(50)).all()
    return render_template("accounts/dev_mail.html", messages=messages)
