"""Your credits over JSON: balance, progress to owning a track, owned tracks, history, buy-now.

Amounts are shown both as integer micro-credits and as decimal credit text (``money()``).
"""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from app.catalog.representations import track_ref
from app.core.api import bp
from app.core.auth import api_login_required, require_admin
from app.core.inputs import Field, Query, accepts, documented, query_int
from app.core.representations import money
from app.payments.representations import play_json, progress_json, statement_json
from app.payments.services import wallet


def _page(rows, make):
    items = [make(record, track) for record, track in rows]
    return items, (items[-1]["id"] if items else None)


@bp.get("/me/wallet")
@api_login_required
def get_wallet():
    """Your balance."""
    return jsonify(balance=money(wallet.balance(current_user)))


@bp.get("/me/tracks/<int:track_id>/progress")
@api_login_required
def get_track_progress(track_id: int):
    """Your way to owning a track: plays counted, credits paid, credits still to pay."""
    return jsonify(progress=progress_json(wallet.track_progress(current_user, track_id)))


@bp.get("/me/owned")
@api_login_required
def list_owned():
    """The tracks you own."""
    return jsonify(
        owned=[
            {
                "track": track_ref(track, record.track_id),
                "via": record.via.value,
                "acquired_at": record.acquired_at.isoformat(),
            }
            for record, track in wallet.owned(current_user)
        ]
    )


# A page of the newest rows first: ?limit= (at most MAX_PAGE) and ?before=<the last id seen>.
# Declared once, read once, so the document and the bounds cannot drift apart.
_KEYSET_PAGE = (
    Query("limit", int, "how many (at most 200)", minimum=1, maximum=200),
    Query("before", int, "only rows with a smaller id (the next page)", minimum=0),
)


def _keyset_page() -> dict:
    return {
        "limit": query_int("limit", 50, minimum=1, maximum=200),
        "before_id": query_int("before", 0, minimum=0) or None,
    }


@bp.get("/me/plays")
@documented(query=_KEYSET_PAGE)
@api_login_required
def list_plays():
    """Your plays, newest first, with what each cost. Page with ?before=<last id>&limit=."""
    rows = wallet.play_history(
        current_user,
        **_keyset_page(),
    )
    plays, last = _page(rows, play_json)
    return jsonify(plays=plays, next_before=last)


@bp.get("/me/statement")
@documented(query=_KEYSET_PAGE)
@api_login_required
def list_statement():
    """Every movement of your wallet, newest first. Page with ?before=<last id>&limit=."""
    rows = wallet.statement(
        current_user,
        **_keyset_page(),
    )
    lines, last = _page(rows, statement_json)
    return jsonify(statement=lines, next_before=last)


@bp.post("/me/tracks/<int:track_id>/buy")
@documented(errors=(402, 409))
@api_login_required
@accepts(
    Field("idempotency_key", str, description="a unique string per purchase; a retry with it returns the first result")
)
def buy_track(track_id: int, body):
    """Buy a track now: pay the rest of its play schedule and own it."""
    result = wallet.buy_now(current_user, track_id, f"buy:{current_user.id}:{body['idempotency_key']}")
    return jsonify(
        purchase={
            "track_id": track_id,
            "price": money(result.price),
            "artist_part": money(result.artist_part),
            "coop_part": money(result.coop_part),
            "pricing_version_id": result.pricing_version_id,
            "replayed": result.replayed,
        },
        balance=money(wallet.balance(current_user)),
    ), (200 if result.replayed else 201)


@bp.post("/admin/users/<int:user_id>/top-ups")
@documented(errors=(409,))
@api_login_required
@accepts(
    Field("credits", str, description='decimal credits as text, e.g. "2.5" (at most 6 decimals)'),
    Field("idempotency_key", str),
)
def admin_top_up(user_id: int, body):
    """Admins only: credit a user's wallet by hand."""
    require_admin()
    result = wallet.admin_top_up(user_id, body["credits"], f"admin-top-up:{body['idempotency_key']}")
    amount = max(amount for _, amount in result.postings)
    return jsonify(top_up={"transfer_id": result.id, "amount": money(amount), "replayed": result.replayed}), (
        200 if result.replayed else 201
    )
