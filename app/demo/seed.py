"""The demo co-op that ``make run`` seeds once: an admin, two artists, a listener, fans with
months of history (``history``) and every feature in use (``showcase``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import Role, User
from app.catalog import services as catalog
from app.core.extensions import db
from app.demo import history, showcase
from app.payments.services import wallet
from ledger import clock

DEMO_PASSWORD = "encore-demo"
ADMIN_EMAIL = "admin@encore.test"
LISTENER_EMAIL = "listener@encore.test"

# (artist, login, [(release, kind, date, [(track title, seconds, free)])])
DEMO_ARTISTS = [
    (
        "Harbour Lights",
        "harbour@encore.test",
        [
            (
                "Low Tide",
                "album",
                date(2026, 3, 14),
                [
                    ("Morning Ferry", 62, False),
                    ("Salt on the Window", 58, False),
                    ("Lighthouse Keeper", 71, False),
                    ("Slack Water", 49, True),
                ],
            ),
            ("Gulls", "single", date(2026, 9, 2), [("Gulls", 55, False)]),
        ],
    ),
    (
        "The Copper Wires",
        "copper@encore.test",
        [
            (
                "Static Bloom",
                "ep",
                date(2025, 11, 20),
                [
                    ("Ohm Sweet Ohm", 64, False),
                    ("Short Circuit", 40, False),
                    ("Patina", 57, False),
                ],
            ),
        ],
    ),
]


def demo_logins() -> list[tuple[str, str]]:
    rows = [("admin", ADMIN_EMAIL)]
    rows += [(f"artist ({name})", email) for name, email, _ in DEMO_ARTISTS]
    rows.append(("listener", LISTENER_EMAIL))
    return rows


def is_seeded() -> bool:
    return db.session.scalar(select(User.id).where(User.email == ADMIN_EMAIL)) is not None


def seed_demo(*, audio_seconds: float | None = None) -> list:
    """Create the demo co-op and return the tracks it made. Call once (see ``is_seeded``).

    Each track gets music synthesized with ffmpeg and put through the real upload and
    processing pipeline. ``audio_seconds`` shortens every song (tests). The co-op's past
    (``app.demo.history``) is played forward first: everyone joins on its day 0, fans listen
    for months, a vote closes; then today's listening, an open vote and last month's payout
    run. Commits (the payout run does).
    """
    now = clock.now()
    start = history.history_start(now)
    with history.at(start + timedelta(hours=8)):
        admin, artist_users, listener, tracks = _accounts_and_catalogue(audio_seconds)
        fans = history.register_fans(DEMO_PASSWORD, start)
    history.fans_listen(fans, tracks, start, history.HISTORY_DAYS, released=_released)
    db.session.flush()
    seed_governance(admin, listener, fans, start)
    _demo_listening(listener, tracks, now)
    showcase.dress_the_catalogue(tracks)
    showcase.draft_release(artist_users[0])
    showcase.listener_library(listener, tracks)
    showcase.report_in_the_queue(fans[0], tracks)
    db.session.flush()
    history.pay_last_month(admin, artist_users)
    _build_rollups()
    return tracks


def _build_rollups() -> None:
    """The dashboards read rollups, which the worker keeps up; build them now so the first
    page shown has the history."""
    from app.analytics.services import rollups

    rollups.rebuild()
    db.session.commit()


def _released(track, moment: datetime) -> bool:
    return track.release.release_date is None or track.release.release_date <= moment.date()


def _accounts_and_catalogue(audio_seconds: float | None):
    """The admin, the artists with their releases and processed tracks, the demo listener."""
    admin = accounts.register(
        email=ADMIN_EMAIL,
        password=DEMO_PASSWORD,
        display_name="Co-op Admin",
        country="FR",
        verified=True,
        published_password=True,
    )
    admin.role = Role.ADMIN
    pending = []  # (release, uploader, title, seconds, free) of the songs to synthesize
    artist_users = []
    for artist_name, email, releases in DEMO_ARTISTS:
        user = accounts.register(
            email=email,
            password=DEMO_PASSWORD,
            display_name=artist_name,
            country="GB",
            artist_name=artist_name,
            verified=True,
            published_password=True,
        )
        artist_users.append(user)
        artist = user.artists[0]
        for title, kind, released, songs in releases:
            release = catalog.create_release(artist, title=title, kind=kind, release_date=released)
            for song, seconds, free in songs:
                pending.append((release, user, song, audio_seconds or seconds, free))
    listener = accounts.register(
        email=LISTENER_EMAIL,
        password=DEMO_PASSWORD,
        display_name="Demo Listener",
        country="DE",
        verified=True,
        published_password=True,
    )
    tracks = _tracks_with_audio(pending)
    return admin, artist_users, listener, tracks


def _tracks_with_audio(pending: list) -> list:
    """Synthesize each song (two at a time: ffmpeg does the work), then upload and process it
    exactly as an artist's upload would be, only synchronously."""
    import hashlib
    import tempfile
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    from flask import current_app

    from app.uploads.services import processing, uploads
    from audio.synth import synthesize_song

    tracks = []
    with tempfile.TemporaryDirectory(prefix="encore-demo-", dir=current_app.config["UPLOAD_TMP_DIR"]) as tmp:
        paths = [Path(tmp) / f"{title}.wav" for _, _, title, _, _ in pending]
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(
                pool.map(
                    lambda item: synthesize_song(item[1], item[0][3], seed=item[2]),
                    zip(pending, paths, range(len(pending)), strict=True),
                )
            )
        for (release, user, _, _, free), path in zip(pending, paths, strict=True):
            digest = hashlib.sha256()
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
            received = uploads.ReceivedFile(path, path.name, path.stat().st_size, digest.hexdigest())
            (track,) = uploads.add_tracks(release, user, [received]).tracks
            track.free = free
            processing.process_track(track.id)
            tracks.append(track)
    return tracks


DEMO_PROPOSAL_TITLE = "A gentler first play: 0.0015 credits"


def seed_governance(admin: User, listener: User, fans: list[User], start: datetime) -> None:
    """The admin, the listener and three fans are members (shares recorded by hand on day 0),
    a vote closed in the past, and a vote is open now."""
    from app.governance.models import MembershipSource
    from app.governance.services import membership, proposals

    with history.at(start + timedelta(hours=9)):
        membership.grant_membership(admin, "worker", MembershipSource.ADMIN_RECORD, "demo-share-1")
        membership.grant_membership(listener, "listener", MembershipSource.ADMIN_RECORD, "demo-share-2")
    history.closed_vote(admin, fans, start)
    proposal = proposals.create_draft(
        admin,
        title=DEMO_PROPOSAL_TITLE,
        rationale="New listeners hesitate at the first play. A lower first price, with the same growth, "
        "makes trying a track cheaper and owning it a little cheaper too.",
        changes={"first_play_price": "0.0015"},
    )
    proposals.open_proposal(proposal, admin)


def _demo_listening(listener: User, tracks, now: datetime) -> None:
    """The demo listener's last day, so their wallet and history have something in them (and
    this month's books, unless the month is younger than a day): five credits topped up, a
    track owned after its nine plays, another on its way, a free track played. Each play goes
    through the player's own path (start, report, end)."""
    listened = now - timedelta(hours=20)
    with history.at(listened):
        wallet.admin_top_up(listener.id, "5", "demo-top-up")
    by_title = {t.title: t for t in tracks}
    for title, plays in (("Gulls", 9), ("Morning Ferry", 3), ("Slack Water", 1), ("Patina", 1)):
        for _ in range(plays):
            listened += timedelta(hours=1)
            history.play_through(listener, by_title[title].id, listened)
