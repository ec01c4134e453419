"""The co-op's administration pages (admins with a second factor on), and the "Report this"
form every logged-in listener and artist gets on tracks and releases."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user, login_required

from app.accounts.models import Role
from app.admin.access import require_admin_access
from app.admin.services import audit, moderation, orders, users
from app.catalog import services as catalog
from app.core.converters import id_from_form
from app.core.error_pages import refuse, refused_redirect
from app.core.errors import NotFound, ServiceError, ValidationFailed
from app.core.web import bp


def _form(name: str) -> str:
    return request.form.get(name, "")


def _role_name(value: str) -> str:
    """A role in the page's language (the same words as admin/_names.html)."""
    return {"listener": gettext("listener"), "artist": gettext("artist"), "admin": gettext("administrator")}.get(
        value, value
    )


@bp.get("/admin")
@login_required
def admin_home():
    require_admin_access()
    return render_template(
        "admin/home.html",
        open_reports=moderation.list_reports("open", limit=10),
        recent=audit.entries(audit.Filters(), limit=10),
    )


# --- users ------------------------------------------------------------------------------------


@bp.get("/admin/users")
@login_required
def admin_users():
    require_admin_access()
    q = request.args.get("q", "")
    role = request.args.get("role", "")
    suspended = {"yes": True, "no": False}.get(request.args.get("suspended", ""))
    try:
        found = users.search(q, role=role or None, suspended=suspended, limit=100)
    except ServiceError as exc:
        refuse(exc)
        found = []
    return render_template("admin/users.html", users=found, q=q, role=role, roles=list(Role))


@bp.get("/admin/users/<int:user_id>")
@login_required
def admin_user(user_id: int):
    require_admin_access()
    return render_template("admin/user.html", file=users.user_file(users.get_user(user_id)), roles=list(Role))


@bp.post("/admin/users/<int:user_id>/<any(role, suspend, unsuspend):action>")
@login_required
def admin_user_action(user_id: int, action: str):
    require_admin_access()
    here = url_for("web.admin_user", user_id=user_id)
    try:
        user = users.get_user(user_id)
        if action == "role":
            users.change_role(user, _form("role"), by=current_user, reason=_form("reason"))
            flash(gettext("%(email)s is now %(role)s.", email=user.email, role=_role_name(user.role.value)), "success")
        elif action == "suspend":
            ended = users.suspend(user, reason=_form("reason"), by=current_user)
            flash(
                ngettext(
                    "%(email)s is suspended and was logged out of %(num)s session.",
                    "%(email)s is suspended and was logged out of %(num)s sessions.",
                    ended,
                    email=user.email,
                ),
                "success",
            )
        else:
            users.unsuspend(user, by=current_user, reason=_form("reason"))
            flash(gettext("%(email)s is no longer suspended.", email=user.email), "success")
    except ServiceError as exc:
        return refused_redirect(exc, here)
    return redirect(here)


# --- catalogue moderation ---------------------------------------------------------------------


@bp.get("/admin/catalogue")
@login_required
def admin_catalogue():
    require_admin_access()
    status = request.args.get("status", "open")
    try:
        reports = moderation.list_reports(None if status == "all" else status)
    except ServiceError as exc:
        refuse(exc)
        reports = []
    return render_template(
        "admin/catalogue.html", reports=reports, status=status, hidden=moderation.hidden_items(), moderation=moderation
    )


@bp.route("/admin/<any(track, release):kind>s/<int:item_id>", methods=["GET", "POST"])
@login_required
def admin_item(kind: str, item_id: int):
    """One track or release: hide it (with a reason, maybe a takedown) or show it again."""
    require_admin_access()
    item = moderation.get_item(kind, item_id)
    if request.method == "POST":
        here = url_for("web.admin_item", kind=kind, item_id=item_id)
        try:
            if _form("action") == "hide":
                moderation.hide(
                    kind, item_id, reason=_form("reason"), takedown=_form("takedown") == "on", by=current_user
                )
                flash(
                    gettext("The track is hidden.") if kind == "track" else gettext("The release is hidden."), "success"
                )
            elif _form("action") == "unhide":
                moderation.unhide(kind, item_id, by=current_user, reason=_form("reason"))
                flash(
                    gettext("The track is visible again.")
                    if kind == "track"
                    else gettext("The release is visible again."),
                    "success",
                )
            else:
                raise ValidationFailed("Choose hide or unhide.", field="action")
        except ServiceError as exc:
            return refused_redirect(exc, here)
        return redirect(here)
    return render_template("admin/item.html", item=item, kind=kind)


@bp.post("/admin/reports/<int:report_id>")
@login_required
def admin_resolve_report(report_id: int):
    require_admin_access()
    back = url_for("web.admin_catalogue")
    try:
        report = moderation.resolve(
            report_id, _form("action"), note=_form("note"), takedown=_form("takedown") == "on", by=current_user
        )
    except ServiceError as exc:
        return refused_redirect(exc, back)
    if report.status == "hidden":
        flash(gettext("Report %(id)s resolved: the item is hidden.", id=report.id), "success")
    else:
        flash(gettext("Report %(id)s dismissed.", id=report.id), "success")
    return redirect(back)


@bp.route("/report/<any(track, release):kind>/<int:item_id>", methods=["GET", "POST"])
@login_required
def report_item(kind: str, item_id: int):
    """ "Report this": a reason, sent to the admins' queue."""
    if request.method == "POST":
        try:
            moderation.file_report(kind, item_id, reporter=current_user, reason=_form("reason"))
        except ServiceError as exc:
            if isinstance(exc, NotFound):
                raise
            refuse(exc)
            return render_template("admin/report.html", kind=kind, item=_reportable(kind, item_id)), exc.status
        flash(gettext("Thank you: your report is in the admins' queue."), "success")
        item = _reportable(kind, item_id)
        release_id = item.release_id if kind == "track" else item.id
        return redirect(url_for("web.release", release_id=release_id))
    return render_template("admin/report.html", kind=kind, item=_reportable(kind, item_id))


def _reportable(kind: str, item_id: int):
    if kind == "track":
        return catalog.get_public_track(item_id, current_user)
    return catalog.get_release(item_id, current_user)


# --- orders and refunds -----------------------------------------------------------------------


@bp.get("/admin/orders")
@login_required
def admin_orders():
    require_admin_access()
    user_id = id_from_form(request.args.get("user", "")) or None
    status = request.args.get("status") or None
    try:
        found = orders.list_orders(user_id=user_id, status=status)
    except ServiceError as exc:
        refuse(exc)
        found = []
    return render_template("admin/orders.html", orders=found, status=status or "", user_id=user_id)


@bp.get("/admin/orders/<int:order_id>")
@login_required
def admin_order(order_id: int):
    require_admin_access()
    order = orders.get_order(order_id)
    return render_template(
        "admin/order.html",
        order=order,
        refundable=orders.refundable_cents(order),
        history=audit.entries(audit.Filters(target_type="order", target_id=order_id), limit=50),
    )


@bp.post("/admin/orders/<int:order_id>/refund")
@login_required
def admin_refund(order_id: int):
    require_admin_access()
    here = url_for("web.admin_order", order_id=order_id)
    raw = _form("amount_cents").strip()
    try:
        if raw and not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
            raise ValidationFailed("The amount is a whole number of cents.", field="amount_cents")
        outcome = orders.refund(
            order_id, by=current_user, amount_cents=int(raw) if raw else None, reason=_form("reason")
        )
    except ServiceError as exc:
        return refused_redirect(exc, here)
    if outcome.outcome == "requested":
        flash(gettext("Refund requested from the payment provider; the wallet follows when it confirms."), "success")
    else:
        flash(_refund_message(outcome.outcome), "success")
    return redirect(here)


def _refund_message(outcome: str) -> str:
    """What the (test) provider's refund event did, in the page's language."""
    known = {
        "refunded": gettext("Refunded in full."),
        "partially_refunded": gettext("Partly refunded."),
        "already_refunded": gettext("Refunded (the order was already refunded this far)."),
    }
    return known.get(outcome) or gettext("Refunded (%(outcome)s).", outcome=outcome.replace("_", " "))


# --- audit log --------------------------------------------------------------------------------


def _audit_filters() -> audit.Filters:
    return audit.Filters.parse(
        actor_id=id_from_form(request.args.get("actor", "")),
        action=request.args.get("action") or None,
        target_type=request.args.get("target_type") or None,
        target_id=id_from_form(request.args.get("target_id", "")),
        since=request.args.get("since") or None,
        until=request.args.get("until") or None,
    )


@bp.get("/admin/audit")
@login_required
def admin_audit():
    require_admin_access()
    try:
        filters = _audit_filters()
        entries = audit.entries(filters, limit=200, before_id=id_from_form(request.args.get("before", "")) or None)
    except ServiceError as exc:
        refuse(exc)
        entries = []
    return render_template(
        "admin/audit.html",
        entries=entries,
        args=request.args,
        actions=audit.ACTIONS,
        target_types=audit.TARGET_TYPES,
        csv_url=url_for("web.admin_audit_csv", **request.args),
    )


@bp.get("/admin/audit.csv")
@login_required
def admin_audit_csv():
    require_admin_access()
    body = audit.as_csv(_audit_filters())
    return Response(
        body, mimetype="text/csv", headers={"Content-Disposition": 'attachment; filename="encore-admin-audit.csv"'}
    )
