"""Who manages an artist: inviting another person by email, accepting, removing a manager.

An artist always keeps at least one manager: removing the last is refused (409). The artist
row is locked while managers change, so two removals at once cannot leave it with none.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import delete, func, select

from app.accounts.models import ArtistMember, User
from app.accounts.services import add_artist_member, normalize_email
from app.catalog.models import Artist
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.extensions import db
from app.core.mail import queue_mail
from app.core.types import utcnow
from app.studio.models import ArtistInvitation

INVITATION_LIFETIME = timedelta(days=7)
MAX_PENDING_INVITATIONS = 20


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def managers_of(artist: Artist) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(ArtistMember, ArtistMember.user_id == User.id)
            .where(ArtistMember.artist_id == artist.id)
            .order_by(ArtistMember.created_at, User.id)
        )
    )


def pending_invitations(artist: Artist) -> list[ArtistInvitation]:
    return list(
        db.session.scalars(
            select(ArtistInvitation)
            .where(
                ArtistInvitation.artist_id == artist.id,
                ArtistInvitation.accepted_at.is_(None),
                ArtistInvitation.expires_at > utcnow(),
            )
            .order_by(ArtistInvitation.id)
        )
    )


def _checked_email(email) -> str:
    if not isinstance(email, str):
        raise ValidationFailed("'email' must be a string.", field="email")
    email = normalize_email(email)
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 254 or any(c.isspace() for c in email):
        raise ValidationFailed("That is not an email address.", field="email")
    return email


def invite(artist: Artist, email, by: User) -> tuple[ArtistInvitation, str]:
    """Mail ``email`` a link to manage ``artist``; returns the invitation and its secret.
    409 when that person manages the artist already."""
    email = _checked_email(email)
    if any(normalize_email(m.email) == email for m in managers_of(artist)):
        raise Conflict(f"{email} manages {artist.name} already.", code="already_manager", field="email")
    if len(pending_invitations(artist)) >= MAX_PENDING_INVITATIONS:
        raise Conflict("Too many invitations are waiting; withdraw some first.", code="too_many_invitations")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    invitation = ArtistInvitation(
        artist_id=artist.id,
        email=email,
        token_hash=digest(token),
        invited_by_id=by.id,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    db.session.add(invitation)
    db.session.flush()
    link = current_app.config["BASE_URL"].rstrip("/") + url_for("web.studio_invitation", token=token)
    queue_mail(
        to=email,
        subject=f"{by.display_name} invites you to manage {artist.name} on Encore",
        body=(
            f"Hello,\n\n{by.display_name} invites you to manage the artist {artist.name} on Encore: "
            "its releases, tracks and profile, and to see its listeners and earnings.\n\n"
            f"Open this link within seven days to accept (log in, or join, with this address):\n\n{link}\n\n"
            "If you do not know what this is about, ignore this mail.\n"
        ),
        dedupe_key=f"artist-invitation:{invitation.id}",
    )
    return invitation, token


def find_invitation(token) -> ArtistInvitation:
    """The invitation behind ``token``, unaccepted and unexpired, locked (422 otherwise)."""
    found = None
    if isinstance(token, str) and 0 < len(token) <= 200:
        found = db.session.scalar(
            select(ArtistInvitation).where(ArtistInvitation.token_hash == digest(token)).with_for_update()
        )
    if found is None or not found.pending:
        raise ValidationFailed(
            "This invitation is not valid any more (it was used, it expired, was withdrawn, or was mistyped). "
            "Ask a manager of the artist for a new one.",
            code="invalid_invitation",
            field="token",
        )
    return found


def accept(token, user: User) -> Artist:
    """Make ``user`` a manager of the invitation's artist. The account must have the address
    the invitation was sent to (403 otherwise): the link alone, forwarded, is not enough."""
    invitation = find_invitation(token)
    if normalize_email(user.email) != invitation.email:
        raise Forbidden(
            f"This invitation was sent to {invitation.email}; log in with that address to accept it.",
            code="wrong_account",
        )
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = user.id
    add_artist_member(invitation.artist, user)  # a listener becomes an artist account
    db.session.flush()
    return invitation.artist


def withdraw(artist: Artist, invitation_id: int) -> None:
    invitation = db.session.get(ArtistInvitation, invitation_id)
    if invitation is None or invitation.artist_id != artist.id or not invitation.pending:
        raise NotFound("There is no such invitation waiting.")
    db.session.delete(invitation)
    db.session.flush()


def remove_manager(artist: Artist, user_id: int) -> None:
    """Stop ``user_id`` managing ``artist``; 409 for the last manager, 404 for a non-manager."""
    db.session.execute(select(Artist.id).where(Artist.id == artist.id).with_for_update())
    count = db.session.scalar(select(func.count()).where(ArtistMember.artist_id == artist.id)) or 0
    if db.session.get(ArtistMember, (user_id, artist.id)) is None:
        raise NotFound(f"User {user_id} does not manage {artist.name}.")
    if count <= 1:
        raise Conflict(
            f"{artist.name} needs at least one manager: invite someone else before you leave.",
            code="last_manager",
        )
    db.session.execute(delete(ArtistMember).where(ArtistMember.artist_id == artist.id, ArtistMember.user_id == user_id))
    db.session.expire(artist, ["members"])
    user = db.session.get(User, user_id)
    if user is not None:
        db.session.expire(user, ["artists"])
