"""Leaving the co-op: erase what identifies a person, keep the books whole.

What happens (the rule shown to the person before they confirm):

* The ``users`` row stays, because the ledger, orders, memberships and ballots refer to its
  id, but it no longer says who it was: the email becomes ``deleted-<id>@deleted.invalid``
  (so the real address can register again), the display name "Former member", the country
  and the password hash are cleared (nobody can log in as it), ``deleted_at`` is set.
* API tokens, Subsonic app passwords and saved play queue, the second factor and its
  recovery codes are deleted; every server session and
  remember-me token of the account is ended (``sessions.end_all``: the other devices are
  logged out at once, and the rows holding their user agents and addresses are gone).
* Draft proposals (never published) are deleted; opened ones are the co-op's record and stay.
* Emails to the person are deleted from the outbox; their email and name are blanked out of
  other people's emails (a payout notice naming who changed the details, for instance).
* The ledger, ballots, orders, plays and the public books are not touched: they hold ids and
  amounts, not names, and still verify. Ballots stay counted in closed votes; current
  memberships end today ("account deleted"), so the former member no longer counts.
* Credits left in the wallet are forfeited: they stay in the (now anonymous) wallet and
  are neither refunded nor spent.
* Artists: earnings belong to the artist profile, not to a person, and are never moved by
  a deletion. If other managers remain, nothing changes: the earnings keep being paid to the
  artist's payout details by the monthly runs, and those managers are told. If the person
  is the artist's last manager, the profile and its tracks stay (listeners own them), the
  payout details are erased with the rest of the person's data (an IBAN and holder name
  are personal), and the unpaid earnings stay on the artist's account, paid to whoever the
  co-op names as the artist's next manager once they set payout details. The last manager
  cannot leave while a bank payout of the artist is in transit (its CSV line needs the IBAN).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update

from app.accounts import services as accounts
from app.accounts import sessions, two_factor
from app.accounts.models import ApiToken, ArtistMember, RecoveryCode, Role, TwoFactor, User
from app.core.errors import Conflict, ValidationFailed
from app.core.extensions import db
from app.core.mail import queue_mail
from app.core.models import OutboxMessage
from app.core.types import utcnow
from app.governance.models import Membership, Proposal, ProposalStatus
from app.payments.models import Payout, PayoutDestination, PayoutMethod, PayoutStatus
from app.payments.services.payouts import earnings
from app.subsonic.models import AppPassword, PlayQueue
from ledger import reads

DELETED_NAME = "Former member"
_BLANKED = "[a former member]"


def deleted_email(user_id: int) -> str:
    """The placeholder address of a deleted account: unique, and never deliverable."""
    return f"deleted-{user_id}@{accounts.DELETED_DOMAIN}"


@dataclass(frozen=True)
class ArtistFate:
    artist_id: int
    name: str
    unpaid_micro: int
    other_managers: int
    fate: str  # in words, for the confirmation page and the API


@dataclass(frozen=True)
class DeletionPreview:
    wallet_micro: int
    artists: list[ArtistFate]
    blocked_by: list[str]  # reasons the deletion cannot happen yet (empty: it can)
    two_factor: bool  # the confirmation needs a code too

    def as_json(self) -> dict:
        return {
            "wallet_micro": self.wallet_micro,
            "wallet": "Credits left in your wallet are forfeited: they are not refunded.",
            "artists": [a.__dict__ for a in self.artists],
            "blocked_by": self.blocked_by,
            "needs_code": self.two_factor,
            "rule": "Your email, name, country, password, tokens and two-factor secrets are erased; the ledger, "
            "ballots and the public books keep their numbers under an anonymous id.",
        }


def preview(user: User) -> DeletionPreview:
    """What deleting ``user`` would do, in words, before they confirm."""
    fates, blocked = [], []
    for artist in user.artists:
        others = [m for m in artist.members if m.id != user.id]
        unpaid = earnings(artist)
        if others:
            fate = (
                f"{artist.name} keeps its earnings and payout details; its {len(others)} other manager(s) "
                "keep running it and get the payouts as before."
            )
        else:
            fate = (
                f"You are the last manager of {artist.name}: its tracks stay in the catalog, its payout details "
                "are erased, and its unpaid earnings stay on the artist's account until the co-op names a new "
                "manager, who is paid them once they set payout details."
            )
            in_transit = db.session.scalar(
                select(func.count(Payout.id)).where(
                    Payout.artist_id == artist.id,
                    Payout.method == PayoutMethod.BANK,
                    Payout.status == PayoutStatus.IN_TRANSIT,
                )
            )
            if in_transit:
                blocked.append(f"A bank payout of {artist.name} is on its way: wait until it is paid.")
        fates.append(ArtistFate(artist.id, artist.name, unpaid, len(others), fate))
    return DeletionPreview(
        wallet_micro=reads.wallet_balance(db.session, user.id),
        artists=fates,
        blocked_by=blocked,
        two_factor=two_factor.is_enabled(user),
    )


def delete_account(user: User, *, password: str, code: str | None = None) -> None:
    """Erase ``user``'s personal data (see the module's rule). Needs the password, and a
    code when the second factor is on (a wrong code is counted: ``two_factor.WrongCode``)."""
    accounts.check_password(user, password)
    if two_factor.is_enabled(user):
        if not code:
            raise ValidationFailed("Enter a code from your authenticator app too.", code="code_required", field="code")
        two_factor.check(user, code)
    plan = preview(user)
    if plan.blocked_by:
        raise Conflict(" ".join(plan.blocked_by), code="deletion_blocked")

    old_email, old_name = user.email, user.display_name
    for artist in list(user.artists):
        others = [m for m in artist.members if m.id != user.id]
        if not others:
            db.session.execute(delete(PayoutDestination).where(PayoutDestination.artist_id == artist.id))
        for manager in others:
            queue_mail(
                to=manager.email,
                subject=f"Encore: a manager of {artist.name} left",
                body=(
                    f"Hello {manager.display_name},\n\nOne of the managers of {artist.name} deleted their Encore "
                    "account. The artist's earnings and payout details are unchanged.\n"
                ),
                dedupe_key=f"manager-left:{artist.id}:{user.id}:{manager.id}",
            )
    db.session.execute(delete(ArtistMember).where(ArtistMember.user_id == user.id))
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    db.session.execute(delete(AppPassword).where(AppPassword.user_id == user.id))
    db.session.execute(delete(PlayQueue).where(PlayQueue.user_id == user.id))
    sessions.end_all(user)
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TwoFactor).where(TwoFactor.user_id == user.id))
    now = utcnow()
    db.session.execute(
        update(Membership)
        .where(Membership.user_id == user.id, Membership.ended_at.is_(None))
        .values(ended_at=now, end_reason="account deleted")
    )
    db.session.execute(delete(Proposal).where(Proposal.author_id == user.id, Proposal.status == ProposalStatus.DRAFT))
    _erase_from_mail(old_email, old_name)
    _erase_bank_holder(old_name)

    user.email = deleted_email(user.id)
    user.display_name = DELETED_NAME
    user.password_hash = "!"  # not an Argon2 hash: every password is refused
    user.country = None
    user.visible_to_artists = False
    user.language = None
    user.role = Role.LISTENER
    user.deleted_at = now
    db.session.flush()
    db.session.expire(user)


def _erase_from_mail(email: str, name: str) -> None:
    """Delete mails to the person; blank their email and name out of everyone else's."""
    db.session.execute(delete(OutboxMessage).where(func.lower(OutboxMessage.to_address) == email.lower()))
    for needle in (email, name):
        if len(needle) < 3:  # too short to blank without mangling ordinary words
            continue
        db.session.execute(
            update(OutboxMessage)
            .where((OutboxMessage.body.contains(needle)) | (OutboxMessage.subject.contains(needle)))
            .values(
                body=func.replace(OutboxMessage.body, needle, _BLANKED),
                subject=func.replace(OutboxMessage.subject, needle, _BLANKED),
            )
        )


def _erase_bank_holder(name: str) -> None:
    """Payout details held in the person's own name are theirs: erase them too."""
    db.session.execute(delete(PayoutDestination).where(func.lower(PayoutDestination.account_holder) == name.lower()))
