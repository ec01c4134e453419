"""Streams on S3 (moto's server over HTTP): the app answers with a short-lived presigned URL,
and the store serves the bytes, Range requests included. No audio passes through the app."""

import urllib.parse
import urllib.request

import pytest

from app.core.extensions import db
from tests.conftest import make_s3_test_app, migrate_to_head
from tests.factories import bearer, make_user, token_for
from tests.resources import fresh_database
from tests.streaming.streaming_helpers import audio_bytes, make_streamable_track


@pytest.mark.committing
def test_stream_redirects_to_presigned_url_and_s3_serves_ranges(s3_server, s3_bucket, tmp_path):
    data = audio_bytes(300_000, seed=11)
    with fresh_database(tmp_path, "stream_s3") as url:
        app = make_s3_test_app(url, s3_server, s3_bucket, tmp_path / "unused")
        migrate_to_head(app)
        client = app.test_client()
        with app.app_context():
            headers = bearer(token_for(make_user()))
            other = bearer(token_for(make_user()))
            track_id = make_streamable_track(data=data, free=True).id  # unmetered: the whole object
            db.session.commit()

            play = client.post(f"/api/v1/tracks/{track_id}/plays", headers=headers).json["play"]
            r = client.get(play["streams"]["mp3"], headers=headers)
            assert r.status_code == 302 and r.location.startswith(s3_server)
            assert r.headers["Cache-Control"] == "private, no-store"
            query = urllib.parse.parse_qs(urllib.parse.urlparse(r.location).query)
            # Valid about as long as the play (duration 180 s + 600 s grace), not forever.
            assert 700 <= int(query["X-Amz-Expires"][0]) <= 780

            with urllib.request.urlopen(r.location) as response:
                assert response.read() == data
                assert response.headers["Content-Type"] == "audio/mpeg"
            ranged = urllib.request.Request(r.location, headers={"Range": "bytes=1000-1999"})
            with urllib.request.urlopen(ranged) as response:
                assert response.status == 206 and response.read() == data[1000:2000]
                assert response.headers["Content-Range"] == "bytes 1000-1999/300000"

            assert client.get(play["streams"]["mp3"], headers=other).status_code == 404
            opus = client.get(play["streams"]["opus"], headers=headers)
            assert opus.status_code == 302 and "stream.opus" in opus.location
            db.session.remove()
            db.engine.dispose()
