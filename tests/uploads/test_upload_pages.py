"""The release page shows its managers every track, failures with their reason, the upload
form, and a reprocess button; other people see none of it."""

from app.catalog.models import TrackStatus
from app.core.extensions import db
from tests.factories import PASSWORD, make_artist, make_release, make_track, make_user


def login(client, user):
    client.post("/login", data={"email": user.email, "password": PASSWORD})


def test_managers_see_failures_and_the_upload_form(client, app_ctx):
    user = make_user()
    release = make_release(artist=make_artist(manager=user))
    failed = make_track(release=release, title="Broken one", status=TrackStatus.FAILED)
    failed.status_reason = "We could not transcode this file."
    db.session.commit()
    page = client.get(f"/releases/{release.id}").get_data(as_text=True)
    assert "upload-form" not in page and "Broken one" not in page

    login(client, user)
    page = client.get(f"/releases/{release.id}").get_data(as_text=True)
    assert 'id="upload-form"' in page and "upload.js" in page
    assert "Broken one" in page and "We could not transcode this file." in page


def test_reprocess_button_needs_audio(client, app_ctx):
    user = make_user()
    release = make_release(artist=make_artist(manager=user))
    track = make_track(release=release)
    login(client, user)
    r = client.post(f"/releases/{release.id}/tracks/{track.id}/reprocess", follow_redirects=True)
    assert "no uploaded audio" in r.get_data(as_text=True)
