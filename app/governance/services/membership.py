"""Who is a member of the co-op, and since when.

Payments call ``grant_membership`` when a share is bought and ``end_membership`` when it is
refunded or sold back; admins record shares bought outside the service the same way. A user
with several shares is still one member with one vote.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.extensions import db
from app.core.types import utcnow
from app.governance.models import MemberClass, Membership, MembershipSource


def _covering(at: datetime):
    """SQL condition: the membership row covers instant ``at``."""
    return and_(Membership.started_at <= at, or_(Membership.ended_at.is_(None), Membership.ended_at > at))


def parse_member_class(value: str | MemberClass) -> MemberClass:
    try:
        return MemberClass(value)
    except ValueError:
        raise ValidationFailed("The member class is listener, artist or worker.", field="member_class") from None


def grant_membership(
    user: User,
    member_class: str | MemberClass,
    source: MembershipSource,
    reference: str | None = None,
    *,
    at: datetime | None = None,
    recorded_by: User | None = None,
) -> Membership:
    """Record that ``user`` holds a share from ``at`` (default now).

    Idempotent on ``(source, reference)``: granting the same payment twice returns the first
    membership; the same reference for another user is a conflict.
    """
    member_class = parse_member_class(member_class)
    reference = (reference or "").strip() or None
    if reference is not None and len(reference) > 200:
        raise ValidationFailed("The reference needs at most 200 characters.", field="reference")
    if reference is not None:
        existing = db.session.scalar(
            select(Membership).where(Membership.source == source, Membership.reference == reference)
        )
        if existing is not None:
            if existing.user_id != user.id or existing.member_class is not member_class:
                raise Conflict(
                    f"The reference '{reference}' is already recorded for another membership.",
                    code="reference_taken",
                    field="reference",
                )
            return existing
    membership = Membership(
        user_id=user.id,
        member_class=member_class,
        source=source,
        reference=reference,
        started_at=at or utcnow(),
        recorded_by_id=recorded_by.id if recorded_by else None,
    )
    db.session.add(membership)
    db.session.flush()
    return membership


def end_membership(membership: Membership, *, at: datetime | None = None, reason: str = "") -> Membership:
    """End one share at ``at`` (default now). The row stays, as history."""
    at = at or utcnow()
    if membership.ended_at is not None:
        raise Conflict("This membership has already ended.", code="membership_ended")
    if at < membership.started_at:
        raise ValidationFailed("A membership cannot end before it started.", field="ended_at")
    membership.ended_at = at
    membership.end_reason = reason.strip()[:200] or None
    db.session.flush()
    return membership


def find_membership(source: MembershipSource, reference: str) -> Membership | None:
    """The membership a payment (or an admin's reference) created, if any."""
    return db.session.scalar(select(Membership).where(Membership.source == source, Membership.reference == reference))


def get_membership(membership_id: int) -> Membership:
    membership = db.session.get(Membership, membership_id)
    if membership is None:
        raise NotFound(f"There is no membership {membership_id}.")
    return membership


def is_member(user, at: datetime | None = None) -> bool:
    """True when ``user`` holds at least one share at ``at`` (default now)."""
    if user is None or not getattr(user, "is_authenticated", True) or getattr(user, "id", None) is None:
        return False
    at = at or utcnow()
    return (
        db.session.scalar(select(Membership.id).where(Membership.user_id == user.id, _covering(at)).limit(1))
        is not None
    )


def member_ids_at(at: datetime):
    """A subquery of the ids of users who are members at ``at`` (each once)."""
    return select(Membership.user_id).where(_covering(at)).distinct()


def count_members(at: datetime | None = None, *, session: Session | None = None) -> int:
    """Members at ``at``: people, not shares, read through ``session`` (default: the primary's)."""
    at = at or utcnow()
    return (session or db.session).scalar(
        select(func.count(func.distinct(Membership.user_id))).where(_covering(at))
    ) or 0


def member_emails(at: datetime | None = None) -> list[tuple[int, str]]:
    """(user id, email) of every member at ``at``, for notices."""
    at = at or utcnow()
    rows = db.session.execute(select(User.id, User.email).where(User.id.in_(member_ids_at(at))).order_by(User.id))
    return [(r.id, r.email) for r in rows]


def memberships_of(user: User) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership).where(Membership.user_id == user.id).order_by(Membership.started_at, Membership.id)
        )
    )


def list_memberships(*, active_only: bool = False, limit: int = 200, offset: int = 0) -> list[Membership]:
    query = select(Membership).order_by(Membership.started_at.desc(), Membership.id.desc())
    if active_only:
        query = query.where(_covering(utcnow()))
    return list(db.session.scalars(query.limit(limit).offset(offset)))
