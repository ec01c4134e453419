"""Starter credits go to verified, distinct people: one grant per normalised email, ever.

Invariants: ``claim`` grants the starter credits only when no grant was recorded for the
same person (the same ``identity`` of the email); the record is written in the same
transaction as the grant and outlives the account, so deleting an account and registering
its address again gets no second grant. Two verifications racing on one identity: the
primary key lets one insert through, the other grants nothing.

The identity is for this check only (the account keeps the address as typed, lower-cased):
lower-case, a ``+tag`` dropped from the local part (plus-addressing, which most providers
deliver to the same mailbox), and for Gmail, which ignores dots, the dots dropped too
(``googlemail.com`` is ``gmail.com``). Only its SHA-256 is stored: it recognises the address
when it comes back, and names nobody once the account is deleted.
"""

from __future__ import annotations

import hashlib

from sqlalchemy.dialects.postgresql import insert

import ledger
from app.accounts.models import StarterGrantClaim, User
from app.core.extensions import db

_GMAIL = {"gmail.com", "googlemail.com"}


def identity(email: str) -> str:
    """The address with the spellings one mailbox answers to folded together."""
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in _GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def digest(email: str) -> str:
    return hashlib.sha256(identity(email).encode()).hexdigest()


def claim(user: User) -> bool:
    """Grant ``user`` the starter credits unless this person had them already. True when granted."""
    inserted = db.session.execute(
        insert(StarterGrantClaim)
        .values(email_digest=digest(user.email), user_id=user.id)
        .on_conflict_do_nothing(index_elements=["email_digest"])
        .returning(StarterGrantClaim.email_digest)  # an ORM insert's rowcount is not reliable: ask
    ).scalar_one_or_none()
    if inserted is None:
        return False
    ledger.grant_starter(db.session, listener_id=user.id)  # once per listener id, too
    return True
