"""Two-factor authentication: TOTP codes (pyotp), one-time recovery codes, the half-login.

Invariants:

* A second factor guards an account only once confirmed by a first code from the secret
  (``TwoFactor.confirmed_at``); an unconfirmed enrolment is replaced by the next one.
* A TOTP code is accepted once: its time step must be later than the last accepted step
  (``last_used_step``), so an overheard code cannot be replayed within its window.
* The secret is stored sealed (Fernet, under ``TWO_FACTOR_KEYS``), never in the clear; a
  secret that cannot be opened (keys lost) makes every TOTP code wrong, recovery codes
  still work.
* Recovery codes are single use, stored as SHA-256 only, and shown once, when made.
* Wrong codes are counted on the row. After ``MAX_FAILED_ATTEMPTS`` in a row the login
  generation moves on, which ends every half-login of the user: the password is asked again.
* A half-login is a signed marker (user id, login generation, expiry): it proves the
  password was right a moment ago and nothing more. It dies after ``HALF_LOGIN_SECONDS``,
  when the login completes, and after too many wrong codes.

Functions raise ``WrongCode`` (a 401) after counting a wrong code; the caller commits before
answering, so the count survives the refused request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select

from app.accounts.models import RecoveryCode, TwoFactor, User
from app.core.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from app.core.extensions import db
from app.core.transactions import commit_now
from app.core.types import utcnow

log = logging.getLogger(__name__)

ISSUER = "Encore"
STEP_SECONDS = 30  # RFC 6238's default, what every authenticator app assumes
DIGITS = 6
WINDOW = 1  # steps accepted either side of now: clocks drift, people type slowly
MAX_FAILED_ATTEMPTS = 5
RECOVERY_CODE_COUNT = 10
HALF_LOGIN_SECONDS = 300
FRESH_FOR = timedelta(minutes=10)  # how long a code (or a login) counts as "just now"
_HALF_LOGIN_SALT = "encore.half-login"


class WrongCode(Unauthorized):
    code = "bad_code"


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str  # otpauth://totp/...: what the QR code holds
    qr_svg_data_uri: str  # an <img src> needing no script and no static file


# --- state -----------------------------------------------------------------------------------


def _row(user: User, *, lock: bool = False) -> TwoFactor | None:
    query = select(TwoFactor).where(TwoFactor.user_id == user.id)
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query)


def is_enabled(user: User) -> bool:
    """True when the user has a confirmed second factor."""
    if not getattr(user, "is_authenticated", True) or user.id is None:
        return False
    return (
        db.session.scalar(
            select(TwoFactor.user_id).where(TwoFactor.user_id == user.id, TwoFactor.confirmed_at.is_not(None))
        )
        is not None
    )


def recovery_codes_left(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def status(user: User) -> dict:
    """What the account page and ``GET /me/two-factor`` show (never the secret)."""
    row = _row(user)
    enabled = row is not None and row.confirmed_at is not None
    return {
        "enabled": enabled,
        "enabled_at": row.confirmed_at.isoformat() if enabled else None,
        "recovery_codes_left": recovery_codes_left(user) if enabled else 0,
        "required": is_required(user),
    }


def is_required(user: User) -> bool:
    """Admins and the managers of an artist must use a second factor before they touch payouts."""
    return bool(user.is_admin or user.artists)


# --- the secret, sealed at rest ------------------------------------------------------------


def _keys() -> MultiFernet:
    configured = current_app.config["TWO_FACTOR_KEYS"]
    if isinstance(configured, str):
        configured = [configured]
    if configured:
        return MultiFernet([Fernet(k) for k in configured])
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"encore two-factor secrets").derive(
        str(current_app.secret_key).encode()
    )
    return MultiFernet([Fernet(base64.urlsafe_b64encode(derived))])


def _seal(secret: str) -> str:
    return _keys().encrypt(secret.encode()).decode()


def secret_of(row: TwoFactor) -> str | None:
    """The row's base32 secret, or None when no configured key opens it (logged)."""
    try:
        return _keys().decrypt(row.sealed_secret.encode()).decode()
    except InvalidToken:
        log.error("the TOTP secret of user %s cannot be opened with TWO_FACTOR_KEYS", row.user_id)
        return None


# --- enrolment -------------------------------------------------------------------------------


def begin_enrolment(user: User) -> Enrolment:
    """Make a new secret for ``user`` (replacing an unconfirmed one) and return what to show."""
    row = _row(user, lock=True)
    if row is not None and row.confirmed_at is not None:
        raise Conflict("Two-factor authentication is already on.", code="two_factor_enabled")
    if row is None:
        row = TwoFactor(user_id=user.id, failed_attempts=0, login_generation=0)
        db.session.add(row)
    secret = pyotp.random_base32()  # 160 bits, RFC 4226's recommended length
    row.sealed_secret = _seal(secret)
    row.last_used_step = None
    row.failed_attempts = 0
    db.session.flush()
    return _enrolment(user, secret)


def enrolment_of(user: User, row: TwoFactor | None = None) -> Enrolment:
    """The pending enrolment's secret, URI and QR code (to show the setup page again)."""
    row = row or _row(user)
    secret = secret_of(row) if row is not None and row.confirmed_at is None else None
    if secret is None:
        raise NotFound("No two-factor setup is in progress.", code="no_enrolment")
    return _enrolment(user, secret)


def _enrolment(user: User, secret: str) -> Enrolment:
    uri = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri, qr_svg_data_uri=qr_data_uri(uri))


def qr_data_uri(text: str) -> str:
    """``text`` as a QR code in an SVG ``data:`` URI (dark on light, with its quiet zone)."""
    return segno.make(text, error="m").svg_data_uri(scale=5, dark="#000", light="#fff")


def confirm_enrolment(user: User, code: str, *, at: datetime | None = None) -> list[str]:
    """Turn the second factor on with a first code from the new secret; returns the recovery
    codes, which are not stored in the clear and cannot be shown again."""
    row = _row(user, lock=True)
    if row is None or row.confirmed_at is not None:
        raise NotFound("Start the two-factor setup first.", code="no_enrolment")
    step = _matching_step(row, code, at)
    if step is None:
        _count_failure(row)
        raise WrongCode("That code is not right: check the app's clock and try the current code.", field="code")
    row.last_used_step = step
    row.failed_attempts = 0
    row.confirmed_at = at or utcnow()
    db.session.flush()
    return _new_recovery_codes(user)


def disable(user: User, code: str, *, at: datetime | None = None) -> None:
    """Turn the second factor off; needs a current code or a recovery code."""
    row = _require_row(user)
    check(user, code, at=at, row=row)
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.delete(row)
    db.session.flush()


def regenerate_recovery_codes(user: User, code: str, *, at: datetime | None = None) -> list[str]:
    """Replace every recovery code (used or not) by ten new ones; needs a current code."""
    row = _require_row(user)
    check(user, code, at=at, row=row)
    return _new_recovery_codes(user)


def _require_row(user: User) -> TwoFactor:
    row = _row(user, lock=True)
    if row is None or row.confirmed_at is None:
        raise Conflict("Two-factor authentication is off.", code="two_factor_disabled")
    return row


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_digest(c)) for c in codes)
    db.session.flush()
    return codes


_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: codes are typed from paper


def _recovery_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))  # ~49 bits
    return f"{raw[:5]}-{raw[5:]}"


def _normalize_recovery(code: str) -> str:
    raw = "".join(ch for ch in code.lower() if ch.isalnum())
    return f"{raw[:5]}-{raw[5:]}"


def _digest(code: str) -> str:
    return hashlib.sha256(_normalize_recovery(code).encode()).hexdigest()


# --- checking a code -------------------------------------------------------------------------


def _step(at: datetime | None) -> int:
    seconds = at.timestamp() if at is not None else time.time()
    return int(seconds) // STEP_SECONDS


def _matching_step(row: TwoFactor, code: str, at: datetime | None) -> int | None:
    """The time step whose code is ``code`` (within the window), or None."""
    digits = "".join(ch for ch in (code or "") if not ch.isspace())
    if len(digits) != DIGITS or not (digits.isascii() and digits.isdigit()):  # "٣" is a digit too
        return None
    secret = secret_of(row)
    if secret is None:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    now = _step(at)
    for step in range(now - WINDOW, now + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def _count_failure(row: TwoFactor) -> bool:
    """Count a wrong code; True when that was one too many (every half-login is ended)."""
    row.failed_attempts += 1
    too_many = row.failed_attempts >= MAX_FAILED_ATTEMPTS
    if too_many:
        row.failed_attempts = 0
        row.login_generation += 1
    db.session.flush()
    return too_many


def check(user: User, code: str, *, at: datetime | None = None, row: TwoFactor | None = None) -> str:
    """Accept a current TOTP code or an unused recovery code of ``user``; returns which
    ("totp" or "recovery"). A wrong or replayed code is counted and raises ``WrongCode``."""
    row = row or _require_row(user)
    if not isinstance(code, str) or not code.strip():
        raise ValidationFailed("Enter the 6-digit code from your app (or a recovery code).", field="code")
    step = _matching_step(row, code, at)
    if step is not None:
        if row.last_used_step is not None and step <= row.last_used_step:
            _count_failure(row)
            raise WrongCode("That code was used already: wait for the next one.", code="code_used", field="code")
        row.last_used_step = step
        row.failed_attempts = 0
        db.session.flush()
        return "totp"
    recovery = db.session.scalar(
        select(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _digest(code), RecoveryCode.used_at.is_(None))
        .with_for_update()
    )
    if recovery is not None:
        recovery.used_at = at or utcnow()
        row.failed_attempts = 0
        db.session.flush()
        return "recovery"
    too_many = _count_failure(row)
    if too_many:
        raise WrongCode(
            "Too many wrong codes: log in again with your password.", code="too_many_attempts", field="code"
        )
    raise WrongCode("That code is not right.", field="code")


# --- the half-login --------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_HALF_LOGIN_SALT)


def start_half_login(user: User, **extra) -> str:
    """The password was right and ``user`` has a second factor: a signed marker that lets the
    next request (with a code) finish the login, for ``HALF_LOGIN_SECONDS``. ``extra``
    (JSON values) rides along, signed, and comes back from ``half_login_extra``."""
    row = _row(user)
    return _serializer().dumps({"u": user.id, "g": row.login_generation, "n": secrets.token_hex(8), "x": extra})


def half_login_extra(marker: str) -> dict:
    """The ``extra`` of a marker already accepted by ``half_login_user``."""
    data = _serializer().loads(marker, max_age=HALF_LOGIN_SECONDS)
    return data.get("x") or {}


def half_login_user(marker: str | None) -> User:
    """The user a still-valid half-login belongs to, or ``Unauthorized``."""
    expired = Unauthorized("The login timed out: enter your email and password again.", code="login_expired")
    if not marker or not isinstance(marker, str):
        raise expired
    try:
        data = _serializer().loads(marker, max_age=HALF_LOGIN_SECONDS)
    except (SignatureExpired, BadSignature):
        raise expired from None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) and isinstance(data.get("u"), int) else None
    row = _row(user, lock=True) if user is not None else None
    if (
        user is None
        or not user.is_active
        or row is None
        or row.confirmed_at is None
        or row.login_generation != data.get("g")
    ):
        raise expired
    return user


def finish_half_login(marker: str | None, code: str, *, at: datetime | None = None) -> User:
    """Check the code of a half-login; returns the user, whose login may now complete. The
    marker is spent: the login generation moves on, so it cannot be used again."""
    user = half_login_user(marker)
    row = _row(user)
    check(user, code, at=at, row=row)
    row.login_generation += 1
    db.session.flush()
    return user


# --- rules for payouts -----------------------------------------------------------------------


def require_for_payouts(user: User, enable_url: str) -> None:
    """Admins and artist managers touch payouts only with a second factor on: a 403 that says
    where to turn it on."""
    if not is_enabled(user):
        raise Forbidden(
            "Turn on two-factor authentication before you change payout details or run payouts.",
            code="two_factor_required",
            link=enable_url,
            link_text="Turn on two-factor authentication",
        )


def is_fresh(verified_at: float | None, *, now: float | None = None) -> bool:
    """True when a login or a code (epoch seconds) was less than ``FRESH_FOR`` ago."""
    if verified_at is None:
        return False
    now = time.time() if now is None else now
    return 0 <= now - verified_at < FRESH_FOR.total_seconds()


@contextmanager
def counting_wrong_codes():
    """Let a refused second-factor code still count: commit the failed attempt (and nothing
    else was changed by then) before the refusal is answered."""
    try:
        yield
    except WrongCode:
        commit_now("a refused code still counts against the login")
        raise
