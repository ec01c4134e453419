"""Model factories: the shortest way to a valid row, through the same services the app uses.

Each factory commits, so what it made is there for the request a test sends next, as it
would be in real life. Commits land in the per-test SAVEPOINT (see conftest), never beyond.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from app.accounts import services as accounts
from app.accounts.models import Role
from app.catalog import services as catalog
from app.catalog.models import TrackStatus
from app.core.extensions import db

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def make_user(*, email=None, display_name=None, country="FR", role=Role.LISTENER, password=PASSWORD, verified=True):
    """A user whose email is verified (with the starter credits) unless ``verified=False``."""
    n = next(_seq)
    user = accounts.register(
        email=email or f"user{n}@example.test",
        password=password,
        display_name=display_name or f"Listener {n}",
        country=country,
        verified=verified,
    )
    user.role = role
    db.session.commit()
    return user


def make_artist(*, name=None, manager=None):
    artist = catalog.create_artist(name=name or f"Artist {next(_seq)}")
    if manager is not None:
        accounts.add_artist_member(artist, manager)
    db.session.commit()
    return artist


def make_release(*, artist=None, title=None, kind="album", release_date=None):
    release = catalog.create_release(
        artist or make_artist(), title=title or f"Release {next(_seq)}", kind=kind, release_date=release_date
    )
    db.session.commit()
    return release


def make_track(*, release=None, title=None, duration_ms=180_000, free=False, status=TrackStatus.READY):
    track = catalog.create_track(
        release or make_release(),
        title=title or f"Track {next(_seq)}",
        duration_ms=duration_ms,
        free=free,
        status=status,
    )
    db.session.commit()
    return track


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def token_for(user) -> str:
    _, plaintext = accounts.create_token(user, "tests")
    db.session.commit()
    return plaintext


def make_member(user=None, *, member_class="listener", at=None, reference=None):
    """A user (new unless given) holding one share since ``at`` (default now)."""
    from app.governance.models import MembershipSource
    from app.governance.services import membership

    user = user or make_user()
    membership.grant_membership(user, member_class, MembershipSource.ADMIN_RECORD, reference, at=at)
    db.session.commit()
    return user


def make_proposal(*, author=None, title="Cheaper first plays", changes=None, open_at=None, **fields):
    """A draft by ``author`` (a new member unless given); opened at ``open_at`` when given."""
    from app.governance.services import proposals

    author = author or make_member(at=open_at - timedelta(days=30) if open_at else None)
    proposal = proposals.create_draft(
        author, title=title, changes=changes if changes is not None else {"first_play_price": "0.0015"}, **fields
    )
    db.session.commit()
    if open_at is not None:
        proposals.open_proposal(proposal, author, now=open_at)
        db.session.commit()
    return proposal


def enable_two_factor(user) -> str:
    """Turn TOTP on for ``user`` through the service; returns the secret (an authenticator)."""
    import pyotp

    from app.accounts import two_factor

    enrolment = two_factor.begin_enrolment(user)
    two_factor.confirm_enrolment(user, pyotp.TOTP(enrolment.secret).now())
    db.session.commit()
    return enrolment.secret


def current_code(user) -> str:
    """A code ``user``'s app shows now. The test forgets the last used step first, so two
    logins within one 30-second step both work (replays are tested on their own)."""
    import pyotp

    from app.accounts import two_factor
    from app.accounts.models import TwoFactor

    row = db.session.get(TwoFactor, user.id)
    row.last_used_step = None
    db.session.commit()
    return pyotp.TOTP(two_factor.secret_of(row)).now()


def login(client, user, password=PASSWORD):
    """Log ``user`` in through the pages: the password, then a code when two-factor is on."""
    r = client.post("/login", data={"email": user.email, "password": password})
    assert r.status_code == 302, r.text
    if r.headers["Location"].endswith("/login/code"):
        r = client.post("/login/code", data={"code": current_code(user)})
        assert r.status_code == 302 and not r.headers["Location"].endswith("/login"), r.text
    return r
