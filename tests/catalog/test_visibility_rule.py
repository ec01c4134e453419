"""The one visibility rule (app/catalog/visibility.py) with drafts and removed tracks: its SQL
form for the streaming start agrees with its ORM form, and every public read applies it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from app.catalog import services as catalog
from app.catalog import visibility
from app.catalog.models import Release, Track
from app.core.extensions import db
from app.core.ratelimit import limiter
from app.core.types import utcnow
from app.payments.services import wallet
from tests.factories import bearer, make_artist, make_release, make_user, token_for
from tests.streaming.streaming_helpers import make_streamable_track


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    with app.app_context():
        limiter.reset()
    yield
    with app.app_context():
        limiter.reset()


@pytest.mark.parametrize("published", [True, False])
@pytest.mark.parametrize("removed", [True, False])
@pytest.mark.parametrize("release_date", [None, date(2030, 1, 2), date(2030, 1, 3)])
def test_the_sql_form_of_playable_agrees(app_ctx, published, removed, release_date):
    track = make_streamable_track(release=make_release(release_date=release_date))
    track.release.published_at = utcnow() if published else None
    track.removed_at = utcnow() if removed else None
    db.session.commit()
    today = date(2030, 1, 2)
    via_sql = db.session.scalar(
        text(f"SELECT {visibility.PLAYABLE_SQL} FROM tracks t JOIN releases r ON r.id = t.release_id WHERE t.id = :id"),
        {"id": track.id, "today": today},
    )
    via_orm = db.session.scalar(
        select(Track.id)
        .join(Track.release)
        .where(Track.id == track.id, visibility.PUBLIC_TRACK, visibility.public_release_clause(today))
    )
    assert via_sql is (via_orm is not None)


def test_a_draft_with_ready_tracks_is_hidden_everywhere(client, app_ctx):
    manager = make_user()
    artist = make_artist(name="Draft Owner", manager=manager)
    release = make_release(artist=artist, title="Unheard Draft")
    track = make_streamable_track(release=release, title="Unheard Song")
    release.published_at = None
    db.session.commit()
    stranger, own = bearer(token_for(make_user())), bearer(token_for(manager))
    assert client.get(f"/api/v1/releases/{release.id}", headers=stranger).status_code == 404
    assert client.get(f"/api/v1/tracks/{track.id}", headers=stranger).status_code == 404
    assert client.get(f"/api/v1/tracks/{track.id}/waveform", headers=stranger).status_code == 404
    assert client.get(f"/api/v1/releases/{release.id}/cover/small", headers=stranger).status_code == 404
    assert client.post(f"/api/v1/tracks/{track.id}/plays", headers=stranger).status_code == 404
    assert client.post(f"/api/v1/tracks/{track.id}/previews").status_code == 404
    assert not client.get("/api/v1/search?q=unheard", headers=stranger).json["tracks"]
    assert "Unheard Draft" not in client.get(f"/artists/{artist.id}").text
    # its managers hear it
    assert client.get(f"/api/v1/tracks/{track.id}", headers=own).status_code == 200
    assert client.post(f"/api/v1/tracks/{track.id}/plays", headers=own).status_code == 201


def test_owners_keep_a_track_whose_release_went_back_to_draft(client, app_ctx):
    track = make_streamable_track(title="Kept Song")
    owner = make_user()
    wallet.admin_top_up(owner.id, "2", "owner-top")
    wallet.buy_now(owner, track.id, "owner-buy")
    db.session.get(Release, track.release_id).published_at = None
    db.session.commit()
    assert client.post(f"/api/v1/tracks/{track.id}/plays", headers=bearer(token_for(owner))).status_code == 201
    assert client.get(f"/api/v1/tracks/{track.id}", headers=bearer(token_for(make_user()))).status_code == 404


def test_scheduled_releases_wait_for_their_date(app_ctx):
    release = make_release(release_date=catalog.today_utc() + timedelta(days=1))
    make_streamable_track(release=release)
    assert release not in catalog.latest_releases()
    release.release_date = catalog.today_utc()
    db.session.commit()
    assert release in catalog.latest_releases()


def test_a_release_created_as_a_draft_is_a_draft(app_ctx):
    artist = make_artist()
    release = catalog.create_release(artist, title="Unfinished", published=False)
    db.session.expire(release)
    assert release.published_at is None
    assert not catalog.release_visible_to(None, release)
