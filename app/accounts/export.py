"""Everything Encore holds about one person, as one JSON-ready dict (the data export).

Sections: profile, memberships, managed artists, API tokens (names and dates, never a
secret), the second factor's state (never the secret), the devices logged in (created, last
seen, user agent, address, whether remembered; never a session id or token), listening sessions, counted plays
with what each cost, the complete wallet statement, owned tracks, orders, ballots with
their receipt hashes, proposals written, previews played and the emails sent. Amounts are
integer micro-credits or minor currency units, as stored; times are ISO 8601 in UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.accounts import sessions, two_factor
from app.accounts.models import ApiToken, User
from app.core.extensions import db
from app.core.models import OutboxMessage
from app.core.types import utcnow
from app.governance.models import Ballot, Membership, Proposal
from app.payments.models import Order
from app.streaming.models import Play, PreviewPlay
from ledger import reads as ledger_reads

FORMAT_VERSION = 1


def _t(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _enum(value):
    return value.value if value is not None else None


def export(user: User) -> dict:
    """The archive of ``user``'s data. Reads only."""
    uid = user.id
    return {
        "format": "encore-export",
        "version": FORMAT_VERSION,
        "exported_at": _t(utcnow()),
        "profile": {
            "id": uid,
            "email": user.email,
            "display_name": user.display_name,
            "country": user.country,
            "role": user.role.value,
            "created_at": _t(user.created_at),
            "visible_to_artists": user.visible_to_artists,
            "language": user.language,
        },
        "two_factor": {k: v for k, v in two_factor.status(user).items() if k != "required"},
        "memberships": [
            {
                "id": m.id,
                "class": m.member_class.value,
                "source": m.source.value,
                "reference": m.reference,
                "started_at": _t(m.started_at),
                "ended_at": _t(m.ended_at),
                "end_reason": m.end_reason,
            }
            for m in db.session.scalars(select(Membership).where(Membership.user_id == uid).order_by(Membership.id))
        ],
        "managed_artists": [{"id": a.id, "name": a.name} for a in user.artists],
        "api_tokens": [
            {"id": t.id, "name": t.name, "prefix": t.prefix, "created_at": _t(t.created_at)}
            for t in db.session.scalars(select(ApiToken).where(ApiToken.user_id == uid).order_by(ApiToken.id))
        ],
        "sessions": [
            {
                "id": s.id,
                "created_at": _t(s.created_at),
                "last_seen_at": _t(s.last_seen_at),
                "user_agent": s.user_agent,
                "ip_address": s.ip_address,
                "remembered_until": _t(s.remember_expires_at),
            }
            for s in sessions.active_for(user)
        ],
        "listening_sessions": [
            {
                "id": p.id,
                "track_id": p.track_id,
                "started_at": _t(p.started_at),
                "ended_at": _t(p.ended_at),
                "position_ms": p.position_ms,
                "counted_at": _t(p.counted_at),
                "ledger_play_id": p.ledger_play_id,
            }
            for p in db.session.scalars(select(Play).where(Play.listener_id == uid).order_by(Play.started_at))
        ],
        "plays": [
            {
                "id": p.id,
                "track_id": p.track_id,
                "artist_id": p.artist_id,
                "kind": p.kind.value,
                "play_number": p.play_number,
                "price_micro": p.price,
                "pricing_version_id": p.pricing_version_id,
                "at": _t(p.created_at),
            }
            for p in reversed(_all_pages(ledger_reads.play_history, uid))
        ],
        "wallet_statement": _wallet_statement(uid),
        "owned_tracks": [
            {
                "track_id": o.track_id,
                "artist_id": o.artist_id,
                "via": o.via.value,
                "paid_micro": o.paid,
                "acquired_at": _t(o.acquired_at),
            }
            for o in reversed(ledger_reads.owned_tracks(db.session, uid))
        ],
        "orders": [
            {
                "id": o.id,
                "kind": o.kind.value,
                "status": o.status.value,
                "provider": o.provider.value,
                "credits_micro": o.credits,
                "member_class": _enum(o.member_class),
                "amount_cents": o.amount_cents,
                "currency": o.currency,
                "refunded_cents": o.refunded_cents,
                "created_at": _t(o.created_at),
                "paid_at": _t(o.paid_at),
            }
            for o in db.session.scalars(select(Order).where(Order.user_id == uid).order_by(Order.id))
        ],
        "ballots": [
            {
                "id": b.id,
                "proposal_id": b.proposal_id,
                "sequence": b.sequence,
                "choice": b.choice.value,
                "receipt_sha256": b.receipt_hash,
                "cast_at": _t(b.cast_at),
            }
            for b in db.session.scalars(select(Ballot).where(Ballot.voter_id == uid).order_by(Ballot.id))
        ],
        "proposals": [
            {"id": p.id, "title": p.title, "status": p.status.value, "created_at": _t(p.created_at)}
            for p in db.session.scalars(select(Proposal).where(Proposal.author_id == uid).order_by(Proposal.id))
        ],
        "previews": [
            {"track_id": p.track_id, "at": _t(p.at)}
            for p in db.session.scalars(
                select(PreviewPlay).where(PreviewPlay.listener_id == uid).order_by(PreviewPlay.id)
            )
        ],
        "emails": [
            {"subject": m.subject, "created_at": _t(m.created_at), "sent_at": _t(m.sent_at)}
            for m in db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.to_address == user.email).order_by(OutboxMessage.id)
            )
        ],
    }


def _all_pages(read, uid: int) -> list:
    """Every item of a paged ledger read (newest first), page after page."""
    items, before = [], None
    while True:
        page = read(db.session, uid, limit=ledger_reads.MAX_PAGE, before_id=before)
        items.extend(page)
        if len(page) < ledger_reads.MAX_PAGE:
            return items
        before = getattr(page[-1], "posting_id", None) or page[-1].id


def _wallet_statement(uid: int) -> dict:
    return {
        "balance_micro": ledger_reads.wallet_balance(db.session, uid),
        "movements": [
            {
                "transfer_id": r.transfer_id,
                "kind": r.kind.value,
                "amount_micro": r.amount,
                "track_id": r.track_id,
                "memo": r.memo,
                "at": _t(r.created_at),
            }
            for r in reversed(_all_pages(ledger_reads.wallet_statement, uid))
        ],
    }
