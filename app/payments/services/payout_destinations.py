"""Where an artist's money goes: a Stripe Connect account, or an IBAN paid by hand.

IBANs are checked the ISO 13616 way: country letters, the length that country uses, and
the mod-97 checksum (move the first four characters to the end, letters to numbers A=10..Z=35,
the number mod 97 must be 1). They are stored normalized and shown masked.
"""

from __future__ import annotations

import re
import uuid

from app.accounts.models import User
from app.accounts.verification import require_verified
from app.catalog.models import Artist
from app.core.errors import Unavailable, ValidationFailed
from app.core.extensions import db
from app.core.mail import queue_mail
from app.payments.models import PayoutDestination, PayoutMethod
from app.payments.services.payment_gateway import GatewayError, account_can_receive, gateway

# Lengths of the IBANs of SEPA countries and a few others (ISO 13616 registry).
IBAN_LENGTHS = {
    "AD": 24,
    "AT": 20,
    "BE": 16,
    "BG": 22,
    "CH": 21,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "EE": 20,
    "ES": 24,
    "FI": 18,
    "FR": 27,
    "GB": 22,
    "GI": 23,
    "GR": 27,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IS": 26,
    "IT": 27,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MT": 31,
    "NL": 18,
    "NO": 15,
    "PL": 28,
    "PT": 25,
    "RO": 24,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "VA": 22,
}
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


def normalize_iban(text: str) -> str:
    """An IBAN in upper case without spaces, if it is valid; else ``ValidationFailed``."""
    iban = re.sub(r"[\s-]+", "", text or "").upper()
    if not _IBAN.match(iban):
        raise ValidationFailed("An IBAN is two letters, two check digits and up to 30 letters or digits.", field="iban")
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is None:
        raise ValidationFailed(f"We cannot pay IBANs of country {iban[:2]} by bank transfer yet.", field="iban")
    if len(iban) != expected:
        raise ValidationFailed(f"An IBAN from {iban[:2]} has {expected} characters, not {len(iban)}.", field="iban")
    if not iban_checksum_ok(iban):
        raise ValidationFailed("This IBAN's check digits do not match: please check it for a typo.", field="iban")
    return iban


def iban_checksum_ok(iban: str) -> bool:
    """The ISO 7064 mod-97-10 check of a normalized IBAN."""
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def destination_of(artist: Artist) -> PayoutDestination | None:
    return db.session.get(PayoutDestination, artist.id)


def set_bank_details(artist: Artist, *, iban: str, account_holder: str, by: User) -> PayoutDestination:
    """Pay this artist by bank transfer to ``iban`` (replaces a Stripe destination)."""
    require_verified(by, "receive payouts")
    iban = normalize_iban(iban)
    holder = (account_holder or "").strip()
    if not 1 <= len(holder) <= 200:
        raise ValidationFailed("Give the account holder's name (at most 200 characters).", field="account_holder")
    destination = destination_of(artist) or PayoutDestination(artist_id=artist.id)
    destination.method = PayoutMethod.BANK
    destination.iban = iban
    destination.account_holder = holder
    destination.updated_by_id = by.id
    db.session.add(destination)
    db.session.flush()
    notify_managers(artist, by, f"Payouts now go by bank transfer to {destination.masked_iban} ({holder}).")
    return destination


def notify_managers(artist: Artist, by: User, change: str) -> None:
    """Mail every manager of ``artist`` that its payout destination changed, and who changed
    it, so a change nobody meant is noticed before the next payout run."""
    change_id = uuid.uuid4().hex  # each change is its own notice, whatever the text
    for manager in artist.members:
        queue_mail(
            to=manager.email,
            subject=f"Encore: payout details of {artist.name} changed",
            body=(
                f"Hello {manager.display_name},\n\n"
                f"The payout details of {artist.name} were changed by {by.display_name}.\n{change}\n\n"
                "If this was not expected, log in, set the right details again and tell the co-op.\n"
            ),
            dedupe_key=f"payout-destination:{artist.id}:{change_id}:{manager.id}",
        )


def start_stripe_onboarding(artist: Artist, *, by: User, refresh_url: str, return_url: str) -> str:
    """Create (once) the artist's Stripe connected account and return a fresh onboarding link.

    Makes provider calls while the caller's transaction is open only on the first call for an
    artist (the account creation carries an idempotency key, so a retry after a lost commit
    gets the same account back).
    """
    require_verified(by, "receive payouts")
    destination = destination_of(artist)
    try:
        provider = gateway()
        account_id = destination.stripe_account_id if destination and destination.stripe_account_id else None
        if account_id is None:
            account_id = provider.create_connected_account(artist.id, by.email)
        url = provider.onboarding_link(account_id, refresh_url=refresh_url, return_url=return_url)
    except GatewayError as exc:
        raise Unavailable(f"Stripe could not start the onboarding: {exc.message}", code="provider_error") from None
    if destination is None:
        destination = PayoutDestination(artist_id=artist.id, method=PayoutMethod.STRIPE)
        db.session.add(destination)
    new_account = destination.stripe_account_id != account_id
    destination.stripe_account_id = account_id
    destination.updated_by_id = by.id
    db.session.flush()
    if new_account:
        notify_managers(
            artist,
            by,
            f"A Stripe account ({account_id}) was created for payouts; it is used once its onboarding is complete.",
        )
    return url


def finish_stripe_onboarding(artist: Artist, *, by: User) -> PayoutDestination:
    """The artist came back from Stripe: ask whether the account can receive transfers and,
    if so, make Stripe the artist's payout method."""
    destination = destination_of(artist)
    if destination is None or not destination.stripe_account_id:
        raise ValidationFailed("Start the Stripe onboarding first.", field="method")
    try:
        ready = gateway().account_ready(destination.stripe_account_id)
    except GatewayError as exc:
        raise Unavailable(
            f"Stripe could not be asked about the account: {exc.message}", code="provider_error"
        ) from None
    switched = ready and not (destination.method is PayoutMethod.STRIPE and destination.stripe_ready)
    destination.stripe_ready = ready
    if ready:
        destination.method = PayoutMethod.STRIPE
    destination.updated_by_id = by.id
    db.session.flush()
    if switched:
        notify_managers(artist, by, f"Payouts now go to the Stripe account {destination.stripe_account_id}.")
    return destination


def account_updated(account: dict) -> bool:
    """Stripe's ``account.updated``: record whether the account can now receive transfers."""
    account_id = account.get("id")
    if not isinstance(account_id, str):
        return False
    from sqlalchemy import select

    destination = db.session.scalar(select(PayoutDestination).where(PayoutDestination.stripe_account_id == account_id))
    if destination is None:
        return False
    destination.stripe_ready = account_can_receive(account)
    db.session.flush()
    return True
