"""Uploading audio over the API: accepted formats, refused inputs (status, message, nothing
left behind), duplicates, limits, permissions, and the full processing run."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.accounts.services import add_artist_member
from app.catalog.models import Artist, Track, TrackStatus
from app.core.extensions import db
from app.core.storage import get_store
from app.uploads.models import TrackAudio
from audio.ffmpeg import decode_check
from tests import media
from tests.factories import bearer, make_artist, make_release, make_track, make_user, token_for


@pytest.fixture
def manager(app_ctx):
    user = make_user()
    artist = make_artist(manager=user)
    release = make_release(artist=artist, title="Uploads")
    return {"user": user, "artist": artist, "release": release, "headers": bearer(token_for(user))}


def upload(client, release_id, headers, *paths, names=None):
    names = names or [p.name for p in paths]
    files = [(open(p, "rb"), name) for p, name in zip(paths, names, strict=True)]  # noqa: SIM115 (closed below)
    try:
        return client.post(
            f"/api/v1/releases/{release_id}/tracks",
            data={"file": files},
            headers=headers,
            content_type="multipart/form-data",
        )
    finally:
        for handle, _ in files:
            handle.close()


def leftovers(app) -> list[str]:
    return [n for n in os.listdir(app.config["UPLOAD_TMP_DIR"]) if n.startswith("encore-")]


def track_count(release) -> int:
    return db.session.scalar(select(func.count(Track.id)).where(Track.release_id == release.id))


@pytest.mark.parametrize("kind", list(media.FORMATS))
def test_each_format_uploads_and_becomes_ready(kind, client, app, manager, tmp_path):
    path = media.make_audio(tmp_path / f"{kind}-song", kind, seconds=2, tags=kind in ("flac", "mp3", "m4a"))
    r = upload(client, manager["release"].id, manager["headers"], path)
    assert r.status_code == 202, r.json
    (track,) = r.json["tracks"]
    # The queue runs inline in tests, so processing is already done.
    assert track["status"] == "ready", track
    assert track["original"]["format"] == kind
    # Tags name the track; without them, the file name made readable ("wav-song" -> "Wav song").
    assert track["title"] == ("Tidal Song" if kind in ("flac", "mp3", "m4a") else f"{kind.capitalize()} song")
    assert 1900 <= track["duration_ms"] <= 2100
    assert leftovers(app) == []


def test_full_processing_run(client, app, manager, tmp_path):
    path = media.make_audio(tmp_path / "full", "flac", seconds=35, tags=True, cover=True)
    r = upload(client, manager["release"].id, manager["headers"], path)
    assert r.status_code == 202
    track_id = r.json["tracks"][0]["id"]
    public = client.get(f"/api/v1/tracks/{track_id}").json["track"]
    audio = public["audio"]
    assert public["status"] == "ready" and 34_900 <= public["duration_ms"] <= 35_100
    assert audio["stream"] and audio["formats"] == ["mp3", "opus"]
    assert -30 < (-14 - audio["gain_db"]) < 0  # the loudness the gain corrects is plausible
    assert audio["isrc"] == "GBABC2612345"
    assert "original" not in public and "key" not in str(public)

    peaks = client.get(audio["waveform_url"]).json["peaks"]
    assert len(peaks) == 1800 and max(peaks) > 0.1

    store = get_store()
    row = db.session.get(TrackAudio, track_id)
    for key, seconds in ((row.stream_mp3_key, 35), (row.stream_opus_key, 35), (row.preview_key, 30)):
        assert abs(decode_check(str(store.local_path(key))).seconds - seconds) < 0.2
    preview = client.get(audio["preview_url"])
    assert preview.status_code == 200 and preview.mimetype == "audio/mpeg"
    ranged = client.get(audio["preview_url"], headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.data) == 100

    cover = public["release"]["cover"]
    import io

    from PIL import Image

    for size, side in (("small", 300), ("medium", 480), ("large", 480)):  # the 640x480 cover is not enlarged
        image = Image.open(io.BytesIO(client.get(cover[size]).data))
        assert image.size == (side, side)

    original = client.get(f"/api/v1/tracks/{track_id}/original", headers=manager["headers"])
    assert original.status_code == 200 and original.data == path.read_bytes()
    assert "attachment" in original.headers["Content-Disposition"]
    assert client.get(f"/api/v1/tracks/{track_id}/original").status_code == 401


BROKEN = [
    (media.zero_bytes, "empty.mp3", 422, "corrupt_audio", "empty"),
    (media.random_bytes, "noise.mp3", 415, "unsupported_audio", "not audio we can read"),
    (media.text_file, "readme.wav", 415, "unsupported_audio", "not audio we can read"),
    (media.truncated_flac, "cut.flac", 422, "corrupt_audio", "truncated"),
    (media.zero_frame_wav, "silence.wav", 422, "corrupt_audio", "no audio"),
]


@pytest.mark.parametrize("make, name, status, code, words", BROKEN, ids=[b[1] for b in BROKEN])
def test_broken_inputs_are_refused_and_leave_nothing(make, name, status, code, words, client, app, manager, tmp_path):
    path = make(tmp_path / name)
    before = get_store().list_keys()
    r = upload(client, manager["release"].id, manager["headers"], path)
    assert r.status_code == status, r.json
    assert r.json["error"]["code"] == code
    assert words in r.json["error"]["message"] and name in r.json["error"]["message"]
    assert track_count(manager["release"]) == 0
    assert get_store().list_keys() == before
    assert leftovers(app) == []


def test_one_bad_file_refuses_the_whole_upload(client, app, manager, tmp_path):
    good = media.make_audio(tmp_path / "good", "wav", seconds=1)
    bad = media.text_file(tmp_path / "bad.wav")
    before = get_store().list_keys()
    r = upload(client, manager["release"].id, manager["headers"], good, bad)
    assert r.status_code == 415 and "bad.wav" in r.json["error"]["message"]
    assert track_count(manager["release"]) == 0 and get_store().list_keys() == before


def test_malformed_id3_mp3_is_accepted_with_tags_ignored(client, manager, tmp_path):
    path = media.malformed_id3_mp3(tmp_path / "01 - Broken Tag.mp3")
    r = upload(client, manager["release"].id, manager["headers"], path)
    assert r.status_code == 202
    assert r.json["tracks"][0]["title"] == "Broken Tag"  # from the file name, the tag being unreadable
    assert r.json["tracks"][0]["status"] == "ready"


def test_over_the_size_limit_is_413(client, app, manager, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 0.05)  # 51 kB
    path = media.make_audio(tmp_path / "big", "wav", seconds=2)
    before = get_store().list_keys()
    r = upload(client, manager["release"].id, manager["headers"], path)
    assert r.status_code == 413
    assert r.json["error"]["code"] == "too_large" and "0.05 MB" in r.json["error"]["message"]
    assert track_count(manager["release"]) == 0 and get_store().list_keys() == before
    assert leftovers(app) == []


def test_too_long_is_422(client, app, manager, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_AUDIO_MINUTES", 0.05)  # 3 s
    path = media.make_audio(tmp_path / "long", "flac", seconds=5)
    r = upload(client, manager["release"].id, manager["headers"], path)
    assert r.status_code == 422 and r.json["error"]["code"] == "audio_too_long"
    assert "limit" in r.json["error"]["message"]
    assert track_count(manager["release"]) == 0


def test_same_file_twice_to_one_artist_is_409(client, app, manager, tmp_path):
    path = media.make_audio(tmp_path / "twice", "wav", seconds=1)
    assert upload(client, manager["release"].id, manager["headers"], path).status_code == 202
    other_release = make_release(artist=manager["artist"], title="Another")
    before = get_store().list_keys()
    r = upload(client, other_release.id, manager["headers"], path, names=["renamed.wav"])
    assert r.status_code == 409 and r.json["error"]["code"] == "duplicate_upload"
    assert "already uploaded" in r.json["error"]["message"] and "Uploads" in r.json["error"]["message"]
    assert get_store().list_keys() == before
    # Twice in one request is caught too.
    r = upload(client, other_release.id, manager["headers"], path, path, names=["a.wav", "b.wav"])
    assert r.status_code == 409
    # Another artist may upload the same file.
    someone = make_user()
    theirs = make_release(artist=make_artist(manager=someone))
    assert upload(client, theirs.id, bearer(token_for(someone)), path).status_code == 202


def test_label_member_may_upload_others_may_not(client, manager, tmp_path):
    path = media.make_audio(tmp_path / "label", "wav", seconds=1)
    stranger = make_user()
    headers = bearer(token_for(stranger))
    # A draft (no ready track yet) is not even visible to a stranger: 404, not 403.
    assert upload(client, manager["release"].id, headers, path).status_code == 404
    make_track(release=db.session.get(type(manager["release"]), manager["release"].id))
    r = upload(client, manager["release"].id, headers, path)
    assert r.status_code == 403
    # The request closed the test's session: work on fresh copies.
    add_artist_member(db.session.get(Artist, manager["artist"].id), db.session.get(User, stranger.id))
    db.session.commit()
    db.session.expire_all()
    assert upload(client, manager["release"].id, headers, path).status_code == 202
    assert client.post(f"/api/v1/releases/{manager['release'].id}/tracks").status_code == 401


def test_not_multipart_and_no_file(client, manager):
    url = f"/api/v1/releases/{manager['release'].id}/tracks"
    r = client.post(url, json={"file": "x"}, headers=manager["headers"])
    assert r.status_code == 422 and r.json["error"]["code"] == "not_multipart"
    r = client.post(url, data={"other": "x"}, headers=manager["headers"], content_type="multipart/form-data")
    assert r.status_code == 422 and "at least one" in r.json["error"]["message"]


def test_reprocess_and_failure_reason(client, app, manager, tmp_path):
    path = media.make_audio(tmp_path / "again", "wav", seconds=1)
    track_id = upload(client, manager["release"].id, manager["headers"], path).json["tracks"][0]["id"]
    # Damage the stored original behind the app's back: processing must fail, with a reason.
    get_store().put_bytes(f"tracks/{track_id}/original", b"RIFF garbage")
    r = client.post(f"/api/v1/tracks/{track_id}/reprocess", headers=manager["headers"])
    assert r.status_code == 202
    listed = client.get(f"/api/v1/releases/{manager['release'].id}/uploads", headers=manager["headers"]).json
    (row,) = listed["tracks"]
    assert row["status"] == "failed" and "could not transcode" in row["status_reason"]
    assert client.get(f"/api/v1/tracks/{track_id}").status_code == 404  # not public
    get_store().put_file(f"tracks/{track_id}/original", path)
    assert (
        client.post(f"/api/v1/tracks/{track_id}/reprocess", headers=manager["headers"]).json["track"]["status"]
        == "ready"
    )
    stranger = bearer(token_for(make_user()))
    assert client.post(f"/api/v1/tracks/{track_id}/reprocess", headers=stranger).status_code == 403


def test_cover_upload(client, manager, tmp_path):
    release = manager["release"]
    make_track(release=release)  # public (a ready track), so anyone may fetch its cover
    image = tmp_path / "cover.jpg"
    image.write_bytes(media.jpeg_bytes((1500, 1500)))
    url = f"/api/v1/releases/{release.id}/cover"
    with open(image, "rb") as handle:
        r = client.put(
            url, data={"file": (handle, "cover.jpg")}, headers=manager["headers"], content_type="multipart/form-data"
        )
    assert r.status_code == 200
    cover = r.json["release"]["cover"]
    assert client.get(cover["large"]).status_code == 200
    old_prefix = db.session.get(type(release), release.id).cover_key
    text = tmp_path / "cover.png"
    text.write_text("not an image")
    with open(text, "rb") as handle:
        r = client.put(
            url, data={"file": (handle, "cover.png")}, headers=manager["headers"], content_type="multipart/form-data"
        )
    assert r.status_code == 415 and r.json["error"]["code"] == "unsupported_image"
    db.session.expire_all()
    assert db.session.get(type(release), release.id).cover_key == old_prefix


def test_processing_gives_up_only_on_the_last_retry(app, manager, tmp_path):
    """An unreachable store leaves the track processing while retries remain."""
    from app.uploads.services import processing
    from audio.storage import StorageUnavailable

    track = make_processing_track(manager, tmp_path)
    app.extensions["encore.store"], real = _UnreachableStore(), app.extensions["encore.store"]
    try:
        with pytest.raises(StorageUnavailable):
            processing.process_track(track.id, retries_left=2)
        assert track.status is TrackStatus.PROCESSING
        processing.process_track(track.id, retries_left=0)
        assert track.status is TrackStatus.FAILED and "unreachable" in track.status_reason
    finally:
        app.extensions["encore.store"] = real


def make_processing_track(manager, tmp_path):
    from app.catalog import services as catalog

    track = catalog.create_track(manager["release"], title="Pending")
    db.session.add(
        TrackAudio(
            track=track,
            artist_id=manager["artist"].id,
            sha256="0" * 64,
            original_key=f"tracks/{track.id}/original",
            original_name="x.wav",
            original_size=1,
            original_format="wav",
            original_mime="audio/wav",
            source_duration_ms=1000,
        )
    )
    db.session.commit()
    return track


class _UnreachableStore:
    """An S3 store pointed at a port nobody listens on: real connection failures."""

    def __new__(cls):
        import socket

        from audio.storage import open_store
        from tests.conftest import S3_TEST_OPTIONS

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        return open_store(
            "s3://bucket", endpoint_url=f"http://127.0.0.1:{port}", connect_timeout=1, max_attempts=1, **S3_TEST_OPTIONS
        )


def test_a_cover_whose_commit_fails_keeps_the_old_cover_and_leaves_no_new_files(client, manager, tmp_path, monkeypatch):
    """The commit of a new cover fails (the database went away): the row still points at the
    old cover, so the old cover's files stay and the new one's are deleted."""
    import app.uploads.images as images

    release = manager["release"]
    make_track(release=release)
    url = f"/api/v1/releases/{release.id}/cover"

    def put(size):
        image = tmp_path / f"cover-{size}.jpg"
        image.write_bytes(media.jpeg_bytes((size, size)))
        with open(image, "rb") as handle:
            return client.put(
                url, data={"file": (handle, image.name)}, headers=manager["headers"], content_type="multipart/form-data"
            )

    assert put(900).status_code == 200
    old_prefix = db.session.get(type(release), release.id).cover_key

    def failing_commit(reason):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(images, "commit_now", failing_commit)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        assert put(1000).status_code == 500
    finally:
        client.application.config["PROPAGATE_EXCEPTIONS"] = None
    store = get_store()
    db.session.expire_all()
    assert db.session.get(type(release), release.id).cover_key == old_prefix
    assert store.list_keys(old_prefix)  # the cover the row points at is still there
    assert [k for k in store.list_keys(f"releases/{release.id}") if not k.startswith(old_prefix)] == []
