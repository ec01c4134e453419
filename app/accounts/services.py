"""Registering, authenticating and issuing API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets

import pycountry
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, select

from app.core.extensions import db
from app.accounts.models import ApiToken, ArtistMember, Role, User
from app.catalog.models import Artist
from app.payments.services import wallet
from app.catalog.services import create_artist, validate_title
from app.core.errors import Conflict, NotFound, Unauthorized, ValidationFailed

# Argon2id with the library's defaults: slow by design, tuned by argon2-cffi's maintainers.
_hasher = PasswordHasher()
# A hash to verify against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOKEN_PREFIX = "enc_"
MIN_PASSWORD_LENGTH = 8


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
) -> User:
    """Create a listener account, or an artist account with its artist profile; either gets
    the co-op's starter credits."""
    email = normalize_email(email)
    if not _EMAIL.match(email) or len(email) > 254:
        raise ValidationFailed("Please give a valid email address.", field="email")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"The password needs at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
    display_name = _display_name(display_name)
    country = validate_country(country)
    if artist_name is not None:
        artist_name = validate_title(artist_name, "artist_name", "artist name")
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("An account with this email already exists.", code="email_taken", field="email")

    user = User(
        email=email,
        password_hash=_hasher.hash(password),
        display_name=display_name,
        country=country,
        role=Role.ARTIST if artist_name else Role.LISTENER,
    )
    db.session.add(user)
    db.session.flush()
    if artist_name:
        artist = create_artist(name=artist_name)
        add_artist_member(artist, user)
    wallet.grant_starter(user)
    return user


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
    """Return the user with these credentials, or raise ``Unauthorized``."""
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None:
        raise Unauthorized("Wrong email or password.", code="bad_credentials")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a personal API token; returns the row and the plaintext, which is never stored."""
    name = name.strip()
    if not 1 <= len(name) <= 80:
        raise ValidationFailed("The token name needs 1 to 80 characters.", field="name")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=_digest(plaintext), prefix=plaintext[:12])
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
    return db.session.scalar(_USER_FOR_TOKEN, {"token_hash": _digest(plaintext)})


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
    user: User, *, display_name: str | None = None, country=_UNCHANGED, visible_to_artists: bool | None = None
) -> User:
    """Change the display name and/or the country (``None`` clears the country), and/or
    whether artists see this listener by name on their dashboards."""
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
