"""Replacing the audio of a track: the new file becomes a new version once processed, the
old one serves until then, a failure leaves the old one in place; owners and plays stay."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.catalog.models import Track
from app.core.extensions import db
from app.core.storage import get_store
from app.uploads.models import AudioReplacement, RetiredObject, TrackAudio
from app.uploads.services import processing, retirement
from app.uploads.tasks import delete_retired_objects
from tests import media
from tests.factories import bearer, make_artist, make_release, make_user, token_for
from tests.uploads.test_uploads import upload


@pytest.fixture
def manager(app_ctx):
    user = make_user()
    artist = make_artist(manager=user)
    release = make_release(artist=artist, title="Versions")
    return {"user": user, "artist": artist, "release": release, "headers": bearer(token_for(user))}


def replace(client, track_id, headers, path, name=None):
    with open(path, "rb") as handle:
        return client.post(
            f"/api/v1/tracks/{track_id}/audio",
            data={"file": (handle, name or path.name)},
            headers=headers,
            content_type="multipart/form-data",
        )


@contextlib.contextmanager
def queued(app):
    """The real queue (huey on the test database) instead of running tasks inline, so a test
    can look between the upload and the processing; ``run_next()`` is what a worker does."""
    huey = app.extensions["encore.queue"]
    huey.immediate = False
    huey.storage.ensure_tables()
    huey.flush()
    try:
        yield lambda: huey.execute(huey.dequeue())
    finally:
        huey.flush()
        huey.immediate = True


def first_track(client, manager, tmp_path, seconds=2.0):
    path = media.make_audio(tmp_path / "first", "wav", seconds=seconds)
    r = upload(client, manager["release"].id, manager["headers"], path)
    assert r.status_code == 202 and r.json["tracks"][0]["status"] == "ready"
    return r.json["tracks"][0]


def preview_bytes(client, track_id) -> bytes:
    r = client.get(f"/api/v1/tracks/{track_id}/preview")
    assert r.status_code == 200
    return r.data


def test_replace_switches_to_the_new_version(client, manager, tmp_path, clock):
    track = first_track(client, manager, tmp_path)
    old_preview = preview_bytes(client, track["id"])
    old = db.session.get(TrackAudio, track["id"])
    old_keys = [old.original_key, old.stream_mp3_key, old.stream_opus_key, old.preview_key]

    new = media.make_audio(tmp_path / "second take", "flac", seconds=4)
    r = replace(client, track["id"], manager["headers"], new)
    assert r.status_code == 202, r.json
    body = r.json["track"]
    assert body["version"] == 2 and body["replacement"] is None
    assert body["original"]["name"] == "second take.flac" and body["original"]["format"] == "flac"
    # Same track, same title and place: only the audio changed.
    assert (body["id"], body["title"], body["position"]) == (track["id"], track["title"], track["position"])
    assert 3900 <= body["duration_ms"] <= 4100
    assert preview_bytes(client, track["id"]) != old_preview
    db.session.expire_all()
    audio = db.session.get(TrackAudio, track["id"])
    assert audio.stream_mp3_key == f"tracks/{track['id']}/v2/stream.mp3"
    assert db.session.get(AudioReplacement, track["id"]) is None
    store = get_store()
    assert all(store.exists(k) for k in (audio.original_key, audio.stream_mp3_key, audio.preview_key))
    # The old version's objects are retired, not deleted: a player may still hold a link to them.
    assert all(store.exists(k) for k in old_keys)
    assert delete_retired_objects() == 0  # not due yet
    clock.advance(timedelta(seconds=retirement.RETIRE_AFTER_SECONDS + 1))
    assert delete_retired_objects() == len(old_keys)
    assert not any(store.exists(k) for k in old_keys)  # now they are gone
    assert all(store.exists(k) for k in (audio.original_key, audio.stream_mp3_key, audio.preview_key))
    assert db.session.scalar(select(func.count()).select_from(RetiredObject)) == 0


def test_the_old_audio_outlives_the_stream_link_of_a_play_of_a_long_track(client, manager, tmp_path, clock):
    """A play's stream link lives as long as the play: the track's length plus the grace
    period. The old version of a 40-minute track must outlive that link, not just 15 minutes."""
    track = first_track(client, manager, tmp_path)
    db.session.get(Track, track["id"]).duration_ms = 40 * 60 * 1000  # what the catalogue says it lasts
    db.session.commit()
    r = client.post(f"/api/v1/tracks/{track['id']}/plays", headers=manager["headers"])
    assert r.status_code == 201, r.json
    play = r.json["play"]
    old = db.session.get(TrackAudio, track["id"])
    old_keys = [old.original_key, old.stream_mp3_key, old.stream_opus_key, old.preview_key]
    link = client.get(play["streams"]["mp3"], headers=manager["headers"])
    assert link.status_code in (200, 206, 302)  # the player holds the old version's audio

    r = replace(client, track["id"], manager["headers"], media.make_audio(tmp_path / "second", "flac", seconds=3))
    assert r.status_code == 202 and r.json["track"]["version"] == 2, r.json
    store = get_store()
    clock.advance(timedelta(seconds=retirement.RETIRE_AFTER_SECONDS + 1))
    assert delete_retired_objects() == 0  # the play (and its link) still has half an hour to go
    assert all(store.exists(k) for k in old_keys)
    play_left = datetime.fromisoformat(play["expires_at"]) - clock.now()
    clock.advance(play_left + timedelta(seconds=retirement.STREAM_LINK_MINIMUM_SECONDS + 1))
    assert delete_retired_objects() == len(old_keys)
    assert not any(store.exists(k) for k in old_keys)


def test_failed_replace_leaves_the_old_version_serving(client, app, manager, tmp_path):
    track = first_track(client, manager, tmp_path)
    old_preview = preview_bytes(client, track["id"])
    new = media.make_audio(tmp_path / "broken later", "wav", seconds=3)
    with queued(app) as run_next:
        r = replace(client, track["id"], manager["headers"], new)
        assert r.status_code == 202
        pending = r.json["track"]
        assert pending["status"] == "ready" and pending["version"] == 1
        assert pending["replacement"]["status"] == "processing" and pending["replacement"]["version"] == 2
        listed = client.get(f"/api/v1/releases/{manager['release'].id}/uploads", headers=manager["headers"]).json
        assert listed["processing"] is True
        # While it is processed the old version plays.
        assert preview_bytes(client, track["id"]) == old_preview
        # A second replacement while one is processing is refused.
        other = media.make_audio(tmp_path / "third", "wav", seconds=1)
        refused = replace(client, track["id"], manager["headers"], other)
        assert refused.status_code == 409 and refused.json["error"]["code"] == "already_processing"
        # The new original is damaged behind the app's back: processing fails.
        get_store().put_bytes(f"tracks/{track['id']}/v2/original", b"RIFF garbage")
        run_next()

    listed = client.get(f"/api/v1/releases/{manager['release'].id}/uploads", headers=manager["headers"]).json
    (row,) = listed["tracks"]
    assert listed["processing"] is False
    assert row["status"] == "ready" and row["version"] == 1 and row["original"]["name"] == "first.wav"
    assert row["replacement"]["status"] == "failed"
    assert "damaged" in row["replacement"]["status_reason"]
    assert preview_bytes(client, track["id"]) == old_preview
    assert client.get(f"/api/v1/tracks/{track['id']}").json["track"]["status"] == "ready"
    assert not get_store().exists(f"tracks/{track['id']}/v2/stream.mp3")

    # Trying again with a good file works; the failed version's number is not reused.
    r = replace(client, track["id"], manager["headers"], other)
    assert r.status_code == 202 and r.json["track"]["version"] == 3 and r.json["track"]["replacement"] is None
    assert preview_bytes(client, track["id"]) != old_preview


def test_plays_and_owners_stay_with_the_track(client, manager, tmp_path):
    from app.streaming.models import Play

    track = first_track(client, manager, tmp_path)
    listener = make_user()
    headers = bearer(token_for(listener))
    started = client.post(f"/api/v1/tracks/{track['id']}/plays", headers=headers)
    assert started.status_code in (200, 201), started.json
    before = db.session.scalars(select(Play.id).where(Play.track_id == track["id"])).all()
    assert before
    r = replace(client, track["id"], manager["headers"], media.make_audio(tmp_path / "v2", "mp3", seconds=2))
    assert r.status_code == 202 and r.json["track"]["version"] == 2
    assert db.session.scalars(select(Play.id).where(Play.track_id == track["id"])).all() == before


def test_replace_refusals(client, manager, tmp_path):
    track = first_track(client, manager, tmp_path)
    url_headers = manager["headers"]
    same = tmp_path / "first.wav"
    r = replace(client, track["id"], url_headers, same, name="again.wav")
    assert r.status_code == 409 and "already" in r.json["error"]["message"]
    bad = media.text_file(tmp_path / "notes.mp3")
    r = replace(client, track["id"], url_headers, bad)
    assert r.status_code == 415 and "notes.mp3" in r.json["error"]["message"]
    r = replace(client, track["id"], url_headers, media.truncated_flac(tmp_path / "cut.flac"))
    assert r.status_code == 422 and r.json["error"]["code"] == "corrupt_audio"
    # Another track's file cannot become this one's too.
    second = media.make_audio(tmp_path / "second", "wav", seconds=1)
    assert upload(client, manager["release"].id, url_headers, second).status_code == 202
    r = replace(client, track["id"], url_headers, second)
    assert r.status_code == 409 and r.json["error"]["code"] == "duplicate_upload"
    stranger = bearer(token_for(make_user()))
    good = media.make_audio(tmp_path / "good", "wav", seconds=1)
    assert replace(client, track["id"], stranger, good).status_code == 403
    assert client.post(f"/api/v1/tracks/{track['id']}/audio").status_code == 401
    assert replace(client, 999_999, url_headers, good).status_code == 404
    # Nothing of the refusals was kept.
    db.session.expire_all()
    assert db.session.get(AudioReplacement, track["id"]) is None
    assert db.session.get(TrackAudio, track["id"]).version == 1
    assert not get_store().exists(f"tracks/{track['id']}/v2/original")


def test_stale_reprocess_outcome_is_dropped(client, manager, tmp_path):
    """A reprocess of version 1 that ends after the switch to version 2 changes nothing."""
    track = first_track(client, manager, tmp_path)
    job = processing.load_job(track["id"])
    r = replace(client, track["id"], manager["headers"], media.make_audio(tmp_path / "v2", "wav", seconds=1))
    assert r.json["track"]["version"] == 2
    outcome = processing.run_job(job)
    assert processing.record_outcome(track["id"], outcome) is None
    db.session.expire_all()
    audio = db.session.get(TrackAudio, track["id"])
    assert audio.version == 2 and audio.stream_mp3_key.endswith("/v2/stream.mp3")
    assert get_store().exists(audio.stream_mp3_key)
    assert db.session.get(Track, track["id"]).status.value == "ready"


def test_a_retired_object_the_store_cannot_delete_waits_for_the_next_run(app_ctx, clock, monkeypatch):
    """Retired objects are deleted when due; one the store refuses to delete keeps its row,
    and the next run deletes it (nothing is forgotten, nothing deleted early)."""
    from tests.uploads.test_uploads import _UnreachableStore

    store = get_store()
    keys = ["tracks/999/v1/stream.mp3", "tracks/999/v1/preview.mp3"]
    for key in keys:
        store.put_bytes(key, b"old audio", "audio/mpeg")
    retirement.retire(keys + keys[:1])  # a key retired twice is one row
    db.session.commit()
    clock.advance(timedelta(seconds=retirement.RETIRE_AFTER_SECONDS + 1))

    monkeypatch.setattr(retirement, "get_store", _UnreachableStore)
    assert retirement.delete_due() == 0
    assert db.session.scalar(select(func.count()).select_from(RetiredObject)) == 2
    monkeypatch.undo()
    assert all(store.exists(k) for k in keys)

    assert retirement.delete_due() == 2
    assert not any(store.exists(k) for k in keys)
    assert db.session.scalar(select(func.count()).select_from(RetiredObject)) == 0
