"""Third-party Subsonic clients from PyPI against a live server: py-opensonic (API key, and
token auth) and knuckles (token auth with an app password). Each browses, searches, stars,
builds a playlist, streams a track and scrobbles it; the play is charged once and the ledger
verifies."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timezone

import pytest
import requests
from sqlalchemy import func, select

import ledger
from app.core.extensions import db
from app.library.models import FavouriteTrack, Playlist
from app.streaming.models import Play
from app.uploads.services import processing
from ledger.schema import Play as LedgerPlay
from tests.browser.conftest import LiveServer
from tests.conftest import make_test_app, migrate_to_head
from tests.factories import make_artist, make_release, make_user, token_for
from tests.media import jpeg_bytes
from tests.resources import fresh_database
from tests.streaming.streaming_helpers import audio_bytes, make_streamable_track
from tests.subsonic.subsonic_helpers import app_password_for

pytestmark = pytest.mark.committing

# Short tracks count at their end, so a scrobble right after the stream is due by server time.
TRACK_MS = 3_000


@pytest.fixture(scope="module")
def co_op(tmp_path_factory):
    """A live server with one artist, an album with a cover and three short tracks."""
    tmp = tmp_path_factory.mktemp("subsonic-live")
    with fresh_database(tmp, "subsonic") as url:
        app = make_test_app(url, tmp / "media", TESTING=False, WTF_CSRF_ENABLED=True)
        migrate_to_head(app)
        with app.app_context():
            artist = make_artist(name="Tidal Choir")
            release = make_release(artist=artist, title="Salt Window")
            tracks = [
                make_streamable_track(release=release, title=title, duration_ms=TRACK_MS, data=audio_bytes(seed=i))
                for i, title in enumerate(("Low Tide", "Harbour Lights", "Gull Song"))
            ]
            processing.set_release_cover(release, jpeg_bytes((700, 700)))
            db.session.commit()
            info = {
                "artist_id": artist.id,
                "release_id": release.id,
                "track_ids": [t.id for t in tracks],
            }
        with LiveServer(app) as server:
            yield app, server, info
        with app.app_context():
            db.engine.dispose()


def _listener(app):
    with app.app_context():
        user = make_user()
        return user.id, user.email, token_for(user), app_password_for(user)


def _charged(app, user_id: int) -> tuple[int, list[Play], bool]:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(LedgerPlay).where(LedgerPlay.listener_id == user_id))
        plays = list(db.session.scalars(select(Play).where(Play.listener_id == user_id)))
        return count, plays, ledger.verify(db.session).ok


def test_py_opensonic_with_an_api_key(co_op):
    from libopensonic import AsyncConnection

    app, server, info = co_op
    user_id, email, key, _ = _listener(app)
    port = int(server.url.rsplit(":", 1)[1])
    track_ids = [f"tr-{i}" for i in info["track_ids"]]
    album_id, artist_id = f"al-{info['release_id']}", f"ar-{info['artist_id']}"

    async def session():
        conn = AsyncConnection("http://127.0.0.1", port=port, api_key=key, app_name="pytest")
        try:
            assert await conn.ping()
            assert (await conn.token_info()).username == email
            names = {e.name for e in await conn.get_open_subsonic_extensions()}
            assert {"apiKeyAuthentication", "formPost"} <= names
            artists = await conn.get_artists()
            assert [a.name for index in artists.index for a in index.artist] == ["Tidal Choir"]
            artist = await conn.get_artist(artist_id)
            assert [a.name for a in artist.album] == ["Salt Window"]
            album = await conn.get_album(album_id)
            assert [s.title for s in album.song] == ["Low Tide", "Harbour Lights", "Gull Song"]
            assert album.cover_art == album_id
            newest = await conn.get_album_list2("newest")
            assert [a.id for a in newest] == [album_id]
            found = await conn.search3("harbour")
            assert [s.id for s in found.song] == [track_ids[1]]
            await conn.star(sids=[track_ids[0]], album_ids=[album_id], artist_ids=[artist_id])
            starred = await conn.get_starred2()
            assert [s.id for s in starred.song] == [track_ids[0]]
            assert [a.id for a in starred.album] == [album_id]
            await conn.create_playlist(name="Road trip", song_ids=track_ids[:2])
            (listed,) = await conn.get_playlists()
            await conn.update_playlist(listed.id, song_ids_to_add=[track_ids[2]], song_indices_to_remove=[0])
            playlist = await conn.get_playlist(listed.id)
            assert [e.id for e in playlist.entry] == track_ids[1:]
            cover = await conn.get_cover_art(album_id, size=300)
            assert (await cover.read())[:2] == b"\xff\xd8"  # a JPEG
            response = await conn.stream(track_ids[0])
            assert await response.read() == audio_bytes(seed=0)
            await conn.scrobble(track_ids[0], submission=True)
            await conn.scrobble(track_ids[0], submission=True)  # a retry charges nothing more
            song = await conn.get_song(track_ids[0])
            assert song.play_count == 1
        finally:
            await conn.cleanup()

    run_in_a_thread_of_its_own(session)
    count, plays, verified = _charged(app, user_id)
    assert count == 1 and len(plays) == 1 and plays[0].counted_at is not None and verified
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Playlist).where(Playlist.owner_id == user_id)) == 1
        assert (
            db.session.scalar(select(func.count()).select_from(FavouriteTrack).where(FavouriteTrack.user_id == user_id))
            == 1
        )


def test_py_opensonic_with_token_auth(co_op):
    from libopensonic import AsyncConnection

    app, server, _ = co_op
    _, email, _, password = _listener(app)
    port = int(server.url.rsplit(":", 1)[1])

    async def session():
        conn = AsyncConnection("http://127.0.0.1", username=email, password=password, port=port, use_get=True)
        try:
            assert await conn.ping()
            assert (await conn.get_user(email)).username == email
        finally:
            await conn.cleanup()

    run_in_a_thread_of_its_own(session)


def test_knuckles_with_an_app_password(co_op):
    from knuckles import Subsonic

    app, server, info = co_op
    user_id, email, _, password = _listener(app)
    host = server.url.removeprefix("http://")
    track_ids = [f"tr-{i}" for i in info["track_ids"]]
    client = Subsonic(url=host, user=email, password=password, client="pytest", use_https=False)

    assert client.system.ping().status == "ok"
    artists = client.browsing.get_artists()
    assert [a.name for a in artists] == ["Tidal Choir"]
    album = client.browsing.get_album(f"al-{info['release_id']}")
    assert [s.id for s in album.songs] == track_ids
    found = client.searching.search("gull")
    assert [s.id for s in found.songs] == [track_ids[2]]
    client.media_annotation.star_song(track_ids[2])
    playlist = client.playlists.create_playlist("Evening", song_ids=[track_ids[2]])
    assert [s.id for s in client.playlists.get_playlist(playlist.id).songs] == [track_ids[2]]
    url = client.media_retrieval.stream(track_ids[2])
    response = requests.get(url, timeout=10)
    assert response.status_code == 200 and response.content == audio_bytes(seed=2)
    client.media_annotation.scrobble([track_ids[2]], [datetime.now(timezone.utc)])
    count, plays, verified = _charged(app, user_id)
    assert count == 1 and len(plays) == 1 and verified


def run_in_a_thread_of_its_own(session) -> None:
    """``asyncio.run`` in a fresh thread: the browser tests' Playwright keeps an event loop
    running in the main thread, where ``asyncio.run`` refuses to start."""
    failure: list[BaseException] = []

    def main():
        try:
            asyncio.run(session())
        except BaseException as exc:  # re-raised in the test's thread
            failure.append(exc)

    thread = threading.Thread(target=main)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
