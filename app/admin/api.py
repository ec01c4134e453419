"""The co-op's administration over JSON (admins with a second factor only, except filing a
report): users, suspensions, roles, hidden tracks and releases, reports, orders and refunds,
the audit log."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from app.admin.access import require_admin_access
from app.admin.representations import (
    admin_user_json,
    audit_json,
    item_json,
    order_json,
    report_json,
    user_file_json,
)
from app.admin.services import audit, moderation, orders, users
from app.core.api import bp
from app.core.auth import api_login_required
from app.core.errors import ValidationFailed
from app.core.inputs import Field, Query, accepts, documented, query_int, query_str

_PAGE = (
    Query("limit", int, "how many (at most 200)", minimum=1, maximum=200),
    Query("offset", int, "how many to skip", minimum=0),
)


def _flag(name: str) -> bool | None:
    value = query_str(name)
    if value in (None, ""):
        return None
    if value not in ("true", "false"):
        raise ValidationFailed(f"'{name}' is true or false.", field=name)
    return value == "true"


# --- users ------------------------------------------------------------------------------------


@bp.get("/admin/users")
@documented(
    query=(
        Query("q", str, "text to find in emails and display names"),
        Query("role", str, "listener, artist or admin"),
        Query("suspended", str, "true or false"),
        *_PAGE,
    )
)
@api_login_required
def admin_list_users():
    """Admins: search users by email or name."""
    require_admin_access()
    found = users.search(
        query_str("q"),
        role=query_str("role") or None,
        suspended=_flag("suspended"),
        limit=query_int("limit", 50, minimum=1, maximum=200),
        offset=query_int("offset", 0),
    )
    return jsonify(users=[admin_user_json(u) for u in found])


@bp.get("/admin/users/<int:user_id>")
@api_login_required
def admin_get_user(user_id: int):
    """Admins: one user's file: wallet balance, recent plays, orders, sessions."""
    require_admin_access()
    return jsonify(user_file_json(users.user_file(users.get_user(user_id))))


@bp.post("/admin/users/<int:user_id>/role")
@documented(errors=(409,))
@api_login_required
@accepts(Field("role", str, description="listener, artist or admin"), Field("reason", str, required=False))
def admin_change_role(user_id: int, body):
    """Admins: change a user's role (written to the audit log)."""
    require_admin_access()
    user = users.get_user(user_id)
    users.change_role(user, body["role"], by=current_user, reason=body.get("reason"))
    return jsonify(user=admin_user_json(user))


@bp.post("/admin/users/<int:user_id>/suspend")
@documented(errors=(409,))
@api_login_required
@accepts(Field("reason", str, description="shown to the person when they try to log in"))
def admin_suspend_user(user_id: int, body):
    """Admins: suspend an account: logged out everywhere, API tokens refused, no plays, uploads,
    purchases or votes until unsuspended. Its data and money stay."""
    require_admin_access()
    user = users.get_user(user_id)
    ended = users.suspend(user, reason=body["reason"], by=current_user)
    return jsonify(user=admin_user_json(user), sessions_ended=ended)


@bp.post("/admin/users/<int:user_id>/unsuspend")
@documented(errors=(409,))
@api_login_required
@accepts(Field("reason", str, required=False))
def admin_unsuspend_user(user_id: int, body):
    """Admins: lift a suspension."""
    require_admin_access()
    user = users.get_user(user_id)
    users.unsuspend(user, by=current_user, reason=body.get("reason"))
    return jsonify(user=admin_user_json(user))


# --- catalogue moderation ---------------------------------------------------------------------


def _hide(kind: str, item_id: int, body):
    require_admin_access()
    item = moderation.hide(kind, item_id, reason=body["reason"], takedown=body.get("takedown", False), by=current_user)
    return jsonify(item=item_json(item))


def _unhide(kind: str, item_id: int, body):
    require_admin_access()
    item = moderation.unhide(kind, item_id, by=current_user, reason=body.get("reason"))
    return jsonify(item=item_json(item))


_HIDE_FIELDS = (
    Field("reason", str, description="shown to the artist's managers"),
    Field("takedown", bool, required=False, description="a legal takedown: owners lose access too (default false)"),
)


@bp.post("/admin/tracks/<int:track_id>/hide")
@api_login_required
@accepts(*_HIDE_FIELDS)
def admin_hide_track(track_id: int, body):
    """Admins: hide a track from every public listing, page, search and API."""
    return _hide("track", track_id, body)


@bp.post("/admin/tracks/<int:track_id>/unhide")
@documented(errors=(409,))
@api_login_required
@accepts(Field("reason", str, required=False))
def admin_unhide_track(track_id: int, body):
    """Admins: show a hidden track again."""
    return _unhide("track", track_id, body)


@bp.post("/admin/releases/<int:release_id>/hide")
@api_login_required
@accepts(*_HIDE_FIELDS)
def admin_hide_release(release_id: int, body):
    """Admins: hide a release (and so its tracks) from every public listing, page, search and API."""
    return _hide("release", release_id, body)


@bp.post("/admin/releases/<int:release_id>/unhide")
@documented(errors=(409,))
@api_login_required
@accepts(Field("reason", str, required=False))
def admin_unhide_release(release_id: int, body):
    """Admins: show a hidden release again."""
    return _unhide("release", release_id, body)


@bp.get("/admin/hidden")
@api_login_required
def admin_list_hidden():
    """Admins: every hidden track and release, most recently hidden first."""
    require_admin_access()
    return jsonify(items=[item_json(i) for i in moderation.hidden_items()])


# --- reports ----------------------------------------------------------------------------------


@bp.post("/tracks/<int:track_id>/reports")
@documented(status=201, errors=(409,))
@api_login_required
@accepts(Field("reason", str, description="what is wrong (copyright, abuse...)"))
def report_track(track_id: int, body):
    """Report a track to the co-op's admins."""
    report = moderation.file_report("track", track_id, reporter=current_user, reason=body["reason"])
    return jsonify(report={"id": report.id, "status": report.status}), 201


@bp.post("/releases/<int:release_id>/reports")
@documented(status=201, errors=(409,))
@api_login_required
@accepts(Field("reason", str, description="what is wrong (copyright, abuse...)"))
def report_release(release_id: int, body):
    """Report a release to the co-op's admins."""
    report = moderation.file_report("release", release_id, reporter=current_user, reason=body["reason"])
    return jsonify(report={"id": report.id, "status": report.status}), 201


@bp.get("/admin/reports")
@documented(query=(Query("status", str, "open (default), hidden, dismissed or all"),))
@api_login_required
def admin_list_reports():
    """Admins: the report queue."""
    require_admin_access()
    status = query_str("status") or "open"
    return jsonify(reports=[report_json(r) for r in moderation.list_reports(None if status == "all" else status)])


@bp.post("/admin/reports/<int:report_id>/resolve")
@documented(errors=(409,))
@api_login_required
@accepts(
    Field("action", str, description="hide (the item) or dismiss (the report)"),
    Field("note", str, description="why; when hiding, the reason the artist's managers see"),
    Field("takedown", bool, required=False, description="when hiding: a legal takedown"),
)
def admin_resolve_report(report_id: int, body):
    """Admins: resolve a report by hiding its item or dismissing it."""
    require_admin_access()
    report = moderation.resolve(
        report_id, body["action"], note=body["note"], takedown=body.get("takedown", False), by=current_user
    )
    return jsonify(report=report_json(report))


# --- orders and refunds -----------------------------------------------------------------------


@bp.get("/admin/orders")
@documented(
    query=(
        Query("user", int, "only this user's orders", minimum=1),
        Query("status", str, "pending, paid, failed or refunded"),
    )
)
@api_login_required
def admin_list_orders():
    """Admins: orders, newest first."""
    require_admin_access()
    found = orders.list_orders(user_id=query_int("user", 0, minimum=0) or None, status=query_str("status") or None)
    return jsonify(orders=[order_json(o) for o in found])


@bp.get("/admin/orders/<int:order_id>")
@api_login_required
def admin_get_order(order_id: int):
    """Admins: one order."""
    require_admin_access()
    return jsonify(order=order_json(orders.get_order(order_id)))


@bp.post("/admin/orders/<int:order_id>/refund")
@documented(errors=(409,))
@api_login_required
@accepts(
    Field("amount_cents", int, required=False, description="minor units to refund (default: all that is left)"),
    Field("reason", str, required=False),
)
def admin_refund_order(order_id: int, body):
    """Admins: refund an order through the payment provider; the wallet follows through the
    same code as the provider's refund webhook."""
    require_admin_access()
    outcome = orders.refund(order_id, by=current_user, amount_cents=body.get("amount_cents"), reason=body.get("reason"))
    return jsonify(order=order_json(outcome.order), refund={"id": outcome.refund_id, "outcome": outcome.outcome})


# --- audit log --------------------------------------------------------------------------------

AUDIT_QUERY = (
    Query("actor", int, "the admin's user id", minimum=1),
    Query("action", str, "e.g. user.suspend, track.hide, order.refund"),
    Query("target_type", str, "user, track, release, report or order"),
    Query("target_id", int, "the target's id", minimum=1),
    Query("since", str, "from this day (UTC)", format="date"),
    Query("until", str, "to this day (UTC), inclusive", format="date"),
)


@bp.get("/admin/audit")
@documented(
    query=(
        *AUDIT_QUERY,
        Query("limit", int, "how many (at most 200)", minimum=1, maximum=200),
        Query("before", int, "entries older than this id", minimum=1),
    )
)
@api_login_required
def admin_audit_log():
    """Admins: the audit log of admin actions, newest first, filtered."""
    require_admin_access()
    filters = audit.Filters.parse(
        actor_id=query_int("actor", 0),
        action=query_str("action"),
        target_type=query_str("target_type"),
        target_id=query_int("target_id", 0),
        since=query_str("since"),
        until=query_str("until"),
    )
    found = audit.entries(
        filters,
        limit=query_int("limit", 100, minimum=1, maximum=200),
        before_id=query_int("before", 0) or None,
    )
    return jsonify(entries=[audit_json(e) for e in found], next_before=found[-1].id if found else None)
