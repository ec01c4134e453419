"""App passwords: one per music app, good for the Subsonic API only, revocable.

Why they are stored sealed rather than hashed: Subsonic's legacy token auth sends
``t = md5(password + s)`` with a random salt ``s``; the server can check it only by computing the
same from the password itself, so the password must be recoverable (plaintext-equivalent). It is
sealed with Fernet under a key derived (HKDF) from the app's ``SECRET_KEY``, so a dump of the
database alone gives nothing; rotating ``SECRET_KEY`` makes every app password unusable (the
listener creates new ones). That is also why the account password is never accepted here: it is
hashed (argon2) and must stay so. An app password is random (100 bits), shown once, and opens
only ``/rest/``; wrong ones count towards the account's lockout (``app.accounts.lockout``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import select

from app.accounts.models import User
from app.core.errors import NotFound, ValidationFailed
from app.core.extensions import db
from app.core.types import utcnow
from app.subsonic.models import AppPassword

MAX_PER_USER = 20
_ALPHABET = "abcdefghijkmnopqrstuvwxyz23456789"  # no l/1/0: easy to type into a phone


def _fernet() -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"encore subsonic app passwords").derive(
        str(current_app.secret_key).encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def _new_password() -> str:
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(20))  # 20 * log2(33) > 100 bits
    return "-".join(chars[i : i + 5] for i in range(0, 20, 5))


def create(user: User, name: str) -> tuple[AppPassword, str]:
    """A new app password for ``user``: the row and the plaintext (shown once, then only sealed)."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 80:
        raise ValidationFailed("Name the app (1 to 80 characters), so you can tell its password apart.", field="name")
    if len(list_for(user)) >= MAX_PER_USER:
        raise ValidationFailed(f"You have {MAX_PER_USER} app passwords; revoke one first.", code="too_many")
    plaintext = _new_password()
    row = AppPassword(user_id=user.id, name=name, sealed_password=_fernet().encrypt(plaintext.encode()).decode())
    db.session.add(row)
    db.session.flush()
    return row, plaintext


def list_for(user: User) -> list[AppPassword]:
    return list(db.session.scalars(select(AppPassword).where(AppPassword.user_id == user.id).order_by(AppPassword.id)))


def revoke(user: User, password_id: int) -> None:
    row = db.session.get(AppPassword, password_id)
    if row is None or row.user_id != user.id:
        raise NotFound("There is no such app password.")
    db.session.delete(row)
    db.session.flush()


def _opened(row: AppPassword) -> str | None:
    try:
        return _fernet().decrypt(row.sealed_password.encode()).decode()
    except InvalidToken:  # sealed under another SECRET_KEY: unusable, as documented
        return None


def match_password(user: User, password: str) -> AppPassword | None:
    """The app password of ``user`` equal to ``password`` (``u`` + ``p``), or None."""
    for row in list_for(user):
        plain = _opened(row)
        if plain is not None and hmac.compare_digest(plain.encode(), password.encode()):
            return _used(row)
    return None


def match_token(user: User, token: str, salt: str) -> AppPassword | None:
    """The app password of ``user`` whose ``md5(password + salt)`` is ``token`` (``u`` + ``t`` + ``s``)."""
    token = token.lower().encode()
    for row in list_for(user):
        plain = _opened(row)
        if plain is None:
            continue
        expected = hashlib.md5((plain + salt).encode(), usedforsecurity=False).hexdigest().encode()
        if hmac.compare_digest(expected, token):
            return _used(row)
    return None


def _used(row: AppPassword) -> AppPassword:
    now = utcnow()
    # An hour's precision is enough for "last used" and spares a write on every request.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 3600:
        row.last_used_at = now
    return row
