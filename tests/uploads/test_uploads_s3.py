"""One upload and processing run with the app's store on S3 (moto's server over HTTP)."""

import urllib.request

import pytest

from app.core.extensions import db
from app.core.storage import get_store
from tests import media
from tests.conftest import make_s3_test_app, migrate_to_head
from tests.factories import bearer, make_artist, make_release, make_user, token_for
from tests.resources import fresh_database


@pytest.mark.committing
def test_upload_and_process_on_s3(s3_server, s3_bucket, tmp_path):
    with fresh_database(tmp_path, "s3") as url:
        app = make_s3_test_app(url, s3_server, s3_bucket, tmp_path / "unused")
        migrate_to_head(app)
        client = app.test_client()
        with app.app_context():
            user = make_user()
            release = make_release(artist=make_artist(manager=user))
            headers = bearer(token_for(user))
            release_id = release.id
            # End this test's own transaction before the requests: a request's session is
            # another connection and must see these rows.
            db.session.commit()
            path = media.make_audio(tmp_path / "cloud", "mp3", seconds=3, tags=True, cover=True)
            with open(path, "rb") as handle:
                r = client.post(
                    f"/api/v1/releases/{release_id}/tracks",
                    data={"file": (handle, "cloud.mp3")},
                    headers=headers,
                    content_type="multipart/form-data",
                )
            assert r.status_code == 202, r.json
            track = r.json["tracks"][0]
            assert track["status"] == "ready", track
            keys = get_store().list_keys(f"tracks/{track['id']}")
            assert [k.rsplit("/", 1)[1] for k in keys] == ["original", "preview.mp3", "stream.mp3", "stream.opus"]

            preview = client.get(track["audio"]["preview_url"])
            assert preview.status_code == 302 and preview.location.startswith(s3_server)
            with urllib.request.urlopen(preview.location) as response:
                assert response.headers["Content-Type"] == "audio/mpeg" and len(response.read()) > 10_000
            original = client.get(f"/api/v1/tracks/{track['id']}/original", headers=headers)
            with urllib.request.urlopen(original.location) as response:
                assert response.read() == path.read_bytes()
                assert "cloud.mp3" in response.headers["Content-Disposition"]
            cover = client.get(f"/api/v1/releases/{release_id}/cover/small")
            assert cover.status_code == 302
            assert len(client.get(track["audio"]["waveform_url"]).json["peaks"]) > 1000
            db.session.remove()
            db.engine.dispose()
