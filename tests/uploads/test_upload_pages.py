"""The release page shows its managers every track, failures with their reason, an "Upload
tracks" link and a reprocess button; the upload page shows the drop zone, every track's status
and replacement; other people see none of it."""

from app.catalog.models import TrackStatus
from app.core.extensions import db
from app.uploads.models import AudioReplacement, ReplacementStatus, TrackAudio
from tests.factories import PASSWORD, make_artist, make_release, make_track, make_user


def login(client, user):
    client.post("/login", data={"email": user.email, "password": PASSWORD})


def test_managers_see_failures_and_the_upload_link(client, app_ctx):
    user = make_user()
    release = make_release(artist=make_artist(manager=user))
    failed = make_track(release=release, title="Broken one", status=TrackStatus.FAILED)
    failed.status_reason = "We could not transcode this file."
    db.session.commit()
    page = client.get(f"/releases/{release.id}").get_data(as_text=True)
    assert "Upload tracks" not in page and "Broken one" not in page

    login(client, user)
    page = client.get(f"/releases/{release.id}").get_data(as_text=True)
    assert f'href="/releases/{release.id}/upload">Upload tracks</a>' in page
    assert "Broken one" in page and "We could not transcode this file." in page


def test_reprocess_button_needs_audio(client, app_ctx):
    user = make_user()
    release = make_release(artist=make_artist(manager=user))
    track = make_track(release=release)
    login(client, user)
    r = client.post(f"/releases/{release.id}/tracks/{track.id}/reprocess", follow_redirects=True)
    assert "no uploaded audio" in r.get_data(as_text=True)


def _audio(track, **fields):
    values = {
        "artist_id": track.release.artist_id,
        "sha256": f"{track.id:064d}",
        "original_key": f"tracks/{track.id}/original",
        "original_name": "take.wav",
        "original_size": 10,
        "original_format": "wav",
        "original_mime": "audio/wav",
        "source_duration_ms": 1000,
    }
    return values | fields


def test_upload_page_for_managers_only(client, app_ctx):
    user = make_user()
    release = make_release(artist=make_artist(manager=user), title="Night Works")
    make_track(release=release, title="Public one")  # a ready track: the release is visible
    processing = make_track(release=release, title="Still cooking", status=TrackStatus.PROCESSING)
    db.session.add(TrackAudio(track=processing, **_audio(processing)))
    replaced = make_track(release=release, title="Second take")
    db.session.add(TrackAudio(track=replaced, **_audio(replaced)))
    db.session.add(
        AudioReplacement(
            track=replaced,
            version=2,
            status=ReplacementStatus.FAILED,
            status_reason="The file looks damaged: we could not transcode its audio.",
            **(_audio(replaced, sha256="f" * 64, original_name="better.flac") | {"original_key": "k"}),
        )
    )
    db.session.commit()
    url = f"/releases/{release.id}/upload"
    assert client.get(url).status_code == 302  # to the login page

    stranger = make_user()
    login(client, stranger)
    assert client.get(url).status_code == 403
    client.post("/logout")

    login(client, user)
    r = client.get(url)
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert 'id="dropzone"' in page and 'type="file" id="upload-files"' in page and "multiple" in page
    assert "upload.js" in page and 'data-processing="true"' in page
    assert f'data-status-url="/api/v1/releases/{release.id}/uploads"' in page
    assert "Still cooking" in page and "Second take" in page
    assert "New audio “better.flac” failed: The file looks damaged" in page
    assert (
        page.count(">Replace audio</button>") == 1
    )  # not while the first processing runs; not for a track without audio


def test_a_french_browser_gets_the_upload_page_in_french(client, app_ctx):
    """Accept-Language: fr: the page, the statuses, the formats list and the script's words
    (data-say-*) are French; the script's placeholders survive the translation."""
    user = make_user()
    release = make_release(artist=make_artist(manager=user), title="Night Works")
    processing = make_track(release=release, title="Still cooking", status=TrackStatus.PROCESSING)
    db.session.add(TrackAudio(track=processing, **_audio(processing)))
    db.session.commit()
    login(client, user)
    page = client.get(f"/releases/{release.id}/upload", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="fr"' in page and "<h1>Envoyer des morceaux</h1>" in page
    assert '<span class="status">en traitement</span>' in page
    assert "Opus ou M4A/AAC" in page and "Déposez des fichiers audio ici" in page
    assert 'data-say-ready="prêt : « {title} »"' in page
    assert 'data-say-uploading-percent="envoi en cours {percent} %"' in page
    assert 'data-say-status-failed="en échec"' in page
    assert "Upload tracks" not in page and "Drop audio files" not in page
