"""Registering, authenticating and issuing API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets

import pycountry
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, select

from app.accounts import account_tokens, lockout, suspension, verification
from app.accounts.models import ApiToken, ArtistMember, Role, User
from app.accounts.password_strength import require_strong_password
from app.catalog.models import Artist
from app.catalog.services import create_artist, validate_title
from app.core.errors import BadCredentials, NotFound, Unauthorized, ValidationFailed
from app.core.extensions import db
from app.core.i18n import LANGUAGES
from app.core.mail import queue_mail

# Argon2id with the library's defaults: slow by design, tuned by argon2-cffi's maintainers.
_hasher = PasswordHasher()
# A hash to verify against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOKEN_PREFIX = "enc_"
DELETED_DOMAIN = "deleted.invalid"  # RFC 2606: never a real address


def normalize_email(email: str) -> str:
    return email.strip().lower()


def validate_country(country: str | None) -> str | None:
    """Return the ISO 3166-1 alpha-2 code in upper case, or raise ``ValidationFailed``."""
    if country is None or country.strip() == "":
        return None
    code = country.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValidationFailed(
            f"'{country}' is not an ISO 3166 country code (two letters, like FR or US).", field="country"
        )
    return code


def _display_name(value: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= 80:
        raise ValidationFailed("The display name needs 1 to 80 characters.", field="display_name")
    return value


def register(
    *,
    email: str,
    password: str,
    display_name: str,
    country: str | None = None,
    artist_name: str | None = None,
    verified: bool = False,
    published_password: bool = False,
    address: str | None = None,
) -> User | None:
    """Create a listener account, or an artist account with its artist profile, unverified,
    and mail it a verification link (the starter credits come with verification).

    Never tells whether the address is taken: for a taken address nothing is created, the
    owner gets a mail saying someone tried, and the caller answers exactly as for a new
    account ("check your mail"). Returns the new user, or None in that case.

    ``verified=True`` is for accounts an operator vouches for (``flask users create``, the
    demo co-op, test factories): verified at once, starter credits granted, no mail.
    ``published_password=True`` skips the strength check, for the demo's accounts only: their
    password is printed in the README, so no estimate could make it secret.
    ``address`` is the client's address, kept on the account (the payout fraud check counts
    accounts registered from one address).
    """
    email = normalize_email(email)
    if not _EMAIL.match(email) or len(email) > 254 or email.endswith("@" + DELETED_DOMAIN):
        # the placeholder domain of deleted accounts is nobody's: taking one would block a deletion
        raise ValidationFailed("Please give a valid email address.", field="email")
    display_name = _display_name(display_name)
    if not published_password:
        require_strong_password(password, user_inputs=(email, display_name))
    elif len(password) < 8:
        raise ValidationFailed("The password needs at least 8 characters.", field="password")
    country = validate_country(country)
    if artist_name is not None:
        artist_name = validate_title(artist_name, "artist_name", "artist name")
    password_hash = _hasher.hash(password)  # also for a taken address: both answers take as long
    existing = db.session.scalar(select(User).where(User.email == email))
    if existing is not None:
        _mail_address_taken(existing)
        return None

    user = User(
        email=email,
        password_hash=password_hash,
        display_name=display_name,
        country=country,
        role=Role.ARTIST if artist_name else Role.LISTENER,
        registered_from=(address or None) and address[:45],
    )
    db.session.add(user)
    db.session.flush()
    if artist_name:
        artist = create_artist(name=artist_name)
        add_artist_member(artist, user)
    if verified:
        verification.mark_verified(user)
    else:
        verification.send_verification(user)
    return user


def _mail_address_taken(user: User) -> None:
    queue_mail(
        to=user.email,
        subject="Someone tried to join Encore with your address",
        body=(
            f"Hello {user.display_name},\n\n"
            "someone (maybe you) tried to create an Encore account with this address, which already has one. "
            "Nothing was changed.\n"
            f"Log in: {account_tokens.link('/login')}\n"
            f"Forgot your password? {account_tokens.link('/forgot-password')}\n"
        ),
        dedupe_key=f"address-taken:{user.id}:{secrets.token_hex(8)}",
    )


def add_artist_member(artist: Artist, user: User) -> None:
    """Let ``user`` manage ``artist`` (how a label gets several people on one profile)."""
    exists = db.session.get(ArtistMember, (user.id, artist.id))
    if exists is None:
        db.session.add(ArtistMember(user_id=user.id, artist_id=artist.id))
        if user.role is Role.LISTENER:
            user.role = Role.ARTIST
        db.session.flush()
        db.session.expire(user, ["artists"])


def authenticate(email: str, password: str) -> User:
    """Return the user with these credentials, or raise ``BadCredentials`` (a wrong password
    counts towards the account's lockout: wrap the call in ``lockout.counting_failed_logins``)
    or ``AccountLocked`` (locked: the password is not even checked)."""
    user = db.session.scalar(
        select(User).where(User.email == normalize_email(email), User.deleted_at.is_(None)).with_for_update()
    )
    if user is not None:
        lockout.check_not_locked(user)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        if user is not None:
            lockout.record_failure(user)
        raise BadCredentials("Wrong email or password.") from None
    if user is None:  # the dummy hash matched: cannot happen with a real password, but never log in
        raise BadCredentials("Wrong email or password.")
    lockout.record_success(user)
    # Only after the password: a stranger learns nothing; the owner learns why.
    suspension.require_not_suspended(user, "log in")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def check_password(user: User, password: str) -> None:
    """Raise ``Unauthorized`` unless ``password`` is ``user``'s (to confirm a grave action)."""
    try:
        _hasher.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        raise Unauthorized("That is not your password.", code="bad_password", field="password") from None


def token_hash(token: str) -> str:
    """How an API token is stored and looked up: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def validate_token_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 80:
        raise ValidationFailed("The token name needs 1 to 80 characters.", field="name")
    return name


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a personal API token; returns the row and the plaintext, which is never stored."""
    name = validate_token_name(name)
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=token_hash(plaintext), prefix=plaintext[:12])
    db.session.add(token)
    db.session.flush()
    return token, plaintext


# Built once: every API call by a token client runs it, and building the select (coercions,
# joins) cost more CPU than running it. One round trip.
_USER_FOR_TOKEN = (
    select(User).join(ApiToken, ApiToken.user_id == User.id).where(ApiToken.token_hash == bindparam("token_hash"))
)


def user_for_token(plaintext: str) -> User | None:
    """The user a Bearer token belongs to, or None for an unknown or revoked token."""
    return db.session.scalar(_USER_FOR_TOKEN, {"token_hash": token_hash(plaintext)})


def revoke_token(user: User, token_id: int) -> None:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("No such token.")
    db.session.delete(token)
    db.session.flush()


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id))) or 0


_UNCHANGED = object()


def update_profile(
    user: User,
    *,
    display_name: str | None = None,
    country=_UNCHANGED,
    visible_to_artists: bool | None = None,
    language=_UNCHANGED,
) -> User:
    """Change the display name and/or the country (``None`` clears the country), and/or
    whether artists see this listener by name on their dashboards, and/or the language of
    their pages (``None``: the browser's)."""
    if language is not _UNCHANGED:
        user.language = validate_language(language)
    if visible_to_artists is not None:
        if not isinstance(visible_to_artists, bool):
            raise ValidationFailed("visible_to_artists is true or false.", field="visible_to_artists")
        user.visible_to_artists = visible_to_artists
    if display_name is not None:
        user.display_name = _display_name(display_name)
    if country is not _UNCHANGED:
        user.country = validate_country(country)
    db.session.flush()
    return user


def validate_language(language: str | None) -> str | None:
    """A supported language code, or None (follow the browser)."""
    if language is None or language == "":
        return None
    if language not in LANGUAGES:
        raise ValidationFailed(f"language is one of {', '.join(sorted(LANGUAGES))}, or empty.", field="language")
    return language
