"""``stream``, ``scrobble``, ``download`` and ``getCoverArt`` with Encore's rules: one play per
listening, counted by server time, charged once; no money, no stream."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

import ledger
from app.accounts.models import User
from app.catalog.models import Release
from app.core.extensions import db
from app.core.ratelimit import limiter
from app.payments.services import wallet
from app.streaming.models import Play
from app.uploads.services import processing
from ledger.schema import Play as LedgerPlay
from tests.factories import make_artist, make_release, make_user, token_for
from tests.media import jpeg_bytes
from tests.streaming.streaming_helpers import audio_bytes, backdate, make_streamable_track
from tests.subsonic.subsonic_helpers import error, listener, ok


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    with app.app_context():
        limiter.reset()
    yield
    with app.app_context():
        limiter.reset()


def stream(client, key, track, **params):
    headers = params.pop("headers", {})
    return client.get("/rest/stream", query_string={"apiKey": key, "id": f"tr-{track.id}", **params}, headers=headers)


def plays_of(user) -> list[Play]:
    return list(db.session.scalars(select(Play).where(Play.listener_id == user.id).order_by(Play.started_at)))


def charges(user) -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerPlay).where(LedgerPlay.listener_id == user.id))


def test_stream_starts_one_play_and_continues_it(client, app_ctx):
    user, key = listener()
    data = audio_bytes(seed=7)
    track = make_streamable_track(data=data)
    r = stream(client, key, track)
    # Metered (docs/METERING.md): until the play counts, only its head (count point + margin).
    head = int(r.headers["Encore-Head-Bytes"])
    assert r.status_code == 200 and r.mimetype == "audio/mpeg" and r.data == data[:head] and head < len(data)
    assert r.headers["Cache-Control"] == "private, no-store"
    r = stream(client, key, track, headers={"Range": "bytes=100-199"})
    assert r.status_code == 206 and r.data == data[100:200]
    r = stream(client, key, track, headers={"Range": "bytes=0-"})
    assert r.status_code == 206 and r.data == data[:head]
    assert len(plays_of(user)) == 1  # one listening, however many requests
    assert charges(user) == 0  # nothing is charged before the play counts


def test_stream_past_the_head_counts_the_play_only_when_the_server_clock_allows(client, app_ctx):
    user, key = listener()
    data = audio_bytes(seed=8)
    track = make_streamable_track(data=data)
    head = int(stream(client, key, track).headers["Encore-Head-Bytes"])
    early = stream(client, key, track, headers={"Range": f"bytes={head}-"})
    assert early.status_code != 206 and charges(user) == 0  # too early: no audio past the point
    (play,) = plays_of(user)
    backdate(play.id, 46)
    rest = stream(client, key, track, headers={"Range": f"bytes={head}-"})
    assert rest.status_code == 206 and rest.data == data[head:]
    assert charges(user) == 1 and ledger.verify(db.session).ok


def test_scrobble_counts_by_server_time_and_charges_once(client, app_ctx):
    user, key = listener()
    track = make_streamable_track()
    assert stream(client, key, track).status_code == 200
    (play,) = plays_of(user)
    backdate(play.id, 46)
    for _ in range(3):
        ok(client, "scrobble", key, id=f"tr-{track.id}")
    db.session.expire_all()
    (play,) = plays_of(user)
    assert play.counted_at is not None
    assert charges(user) == 1
    assert ledger.verify(db.session).ok
    song = ok(client, "getSong", key, id=f"tr-{track.id}")["song"]
    assert song["playCount"] == 1 and song["encorePlaysCounted"] == 1 and song["played"]


def test_an_early_scrobble_counts_once_due_at_the_next_call(client, app_ctx):
    user, key = listener()
    track, other = make_streamable_track(), make_streamable_track()
    stream(client, key, track)
    ok(client, "scrobble", key, id=f"tr-{track.id}")  # at once: 45 s have not passed on the server
    db.session.expire_all()
    (play,) = plays_of(user)
    play_id = play.id
    assert play.counted_at is None and charges(user) == 0
    backdate(play_id, 46)
    stream(client, key, other)  # the app moves on to the next track
    db.session.expire_all()
    assert db.session.get(Play, play_id).counted_at is not None
    assert charges(user) == 1


def test_now_playing_scrobbles_count_nothing(client, app_ctx):
    user, key = listener()
    track = make_streamable_track()
    stream(client, key, track)
    backdate(plays_of(user)[0].id, 46)
    ok(client, "scrobble", key, id=f"tr-{track.id}", submission="false")
    assert charges(user) == 0
    # nor does a scrobble of a track never streamed here (an offline cache, another server)
    ok(client, "scrobble", key, id=f"tr-{make_streamable_track().id}")
    assert charges(user) == 0


def test_fetching_further_after_the_count_point_counts(client, app_ctx):
    user, key = listener()
    track = make_streamable_track()
    stream(client, key, track, headers={"Range": "bytes=0-999"})
    stream(client, key, track, headers={"Range": "bytes=1000-1999"})  # too early on the server's clock
    assert charges(user) == 0
    backdate(plays_of(user)[0].id, 46)
    stream(client, key, track, headers={"Range": "bytes=0-999"})  # a seek back to the start: no sign
    assert charges(user) == 0
    stream(client, key, track, headers={"Range": "bytes=2000-2999"})
    assert charges(user) == 1


def test_a_short_track_counts_at_its_end(client, app_ctx):
    user, key = listener()
    track = make_streamable_track(duration_ms=3_000)
    stream(client, key, track)
    backdate(plays_of(user)[0].id, 3)
    ok(client, "scrobble", key, id=f"tr-{track.id}")
    assert charges(user) == 1


def test_an_unaffordable_play_is_an_error_the_app_shows(client, app_ctx):
    user = User(email=f"broke{make_user().id}@example.test", password_hash="x", display_name="Broke")
    db.session.add(user)
    db.session.commit()
    key = token_for(user)
    track = make_streamable_track()
    err = error(client, "stream", key, id=f"tr-{track.id}")
    assert err["code"] == 50 and "Not enough credits" in err["message"]
    assert plays_of(user) == []
    # free tracks still play
    free = make_streamable_track(free=True)
    assert stream(client, key, free).status_code == 200


def test_formats_from_the_stored_renditions(client, app_ctx):
    _, key = listener()
    track = make_streamable_track()
    assert stream(client, key, track).mimetype == "audio/mpeg"
    assert stream(client, key, track, format="mp3").mimetype == "audio/mpeg"
    assert stream(client, key, track, format="opus").mimetype == "audio/ogg"
    assert stream(client, key, track, maxBitRate="128").mimetype == "audio/ogg"
    assert stream(client, key, track, maxBitRate="320").mimetype == "audio/mpeg"
    assert stream(client, key, track, format="raw").mimetype == "audio/mpeg"


def test_unknown_songs_are_70(client, app_ctx):
    _, key = listener()
    assert error(client, "stream", key, id="tr-999999")["code"] == 70
    assert error(client, "stream", key, id="al-1")["code"] == 70
    assert error(client, "stream", key, id="nonsense")["code"] == 70
    assert error(client, "stream", key)["code"] == 10


def test_download_only_for_owners_and_the_artists_managers(client, app_ctx):
    user, key = listener()
    data = audio_bytes(seed=3)
    track = make_streamable_track(data=data, free=False)
    assert error(client, "download", key, id=f"tr-{track.id}")["code"] == 50
    cheap = make_streamable_track(data=data)
    wallet.admin_top_up(user.id, "2", "top-1")
    wallet.buy_now(db.session.get(User, user.id), cheap.id, "buy-1")  # owned from now on
    db.session.commit()
    r = client.get("/rest/download", query_string={"apiKey": key, "id": f"tr-{cheap.id}"})
    assert r.status_code == 200 and r.data == data
    manager = make_user()
    artist = make_artist(manager=manager)
    own = make_streamable_track(data=data, release=make_release(artist=artist))
    r = client.get("/rest/download", query_string={"apiKey": token_for(manager), "id": f"tr-{own.id}"})
    assert r.status_code == 200 and r.data == data
    assert "attachment" in r.headers["Content-Disposition"]


def test_cover_art_from_the_stored_sizes(client, app_ctx):
    _, key = listener()
    track = make_streamable_track()
    release = track.release
    assert error(client, "getCoverArt", key, id=f"al-{release.id}")["code"] == 70
    release = db.session.get(Release, release.id)
    processing.set_release_cover(release, jpeg_bytes((1500, 1500)))
    db.session.commit()
    for size, width in ((None, 600), ("100", 300), ("301", 600), ("5000", 1200)):
        params = {"apiKey": key, "id": f"al-{release.id}"} | ({"size": size} if size else {})
        r = client.get("/rest/getCoverArt", query_string=params)
        assert r.status_code == 200 and r.mimetype == "image/jpeg", r.data[:200]
        assert Image.open(io.BytesIO(r.data)).size[0] == width
    r = client.get("/rest/getCoverArt", query_string={"apiKey": key, "id": f"tr-{track.id}"})
    assert r.status_code == 200
    assert ok(client, "getSong", key, id=f"tr-{track.id}")["song"]["coverArt"] == f"al-{release.id}"


def test_starts_are_rate_limited_like_the_web_players(client, app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "STREAM_START_LIMIT", "2 per minute")
    _, key = listener()
    first, second, third = (make_streamable_track(free=True) for _ in range(3))
    assert stream(client, key, first).status_code == 200
    for _ in range(3):  # continuing a play is not a start
        assert stream(client, key, first, headers={"Range": "bytes=0-9"}).status_code == 206
    assert stream(client, key, second).status_code == 200
    refused = error(client, "stream", key, id=f"tr-{third.id}")
    assert refused["code"] == 0 and "Too many plays" in refused["message"]
