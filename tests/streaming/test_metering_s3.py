"""Metering on S3 (moto's server and Ceph's RADOS Gateway): before a play counts, every URL
the app hands out is presigned for the head object, never for the whole rendition; asking
for the rest once the play may count is answered with a URL for the whole object."""

import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import func, select

from app.core.extensions import db
from ledger.schema import Play as LedgerPlay
from tests.conftest import make_s3_test_app, migrate_to_head
from tests.factories import bearer, make_user, token_for
from tests.resources import fresh_database
from tests.streaming.metering_helpers import (
    COUNT_AFTER_SECONDS,
    Greedy,
    decoded_seconds,
    processed_track,
    short_count_point,
)
from tests.streaming.streaming_helpers import backdate

LIMIT_SECONDS = COUNT_AFTER_SECONDS + 6


@pytest.mark.committing
def test_on_s3_no_url_before_the_count_reaches_past_the_head(s3_server, s3_bucket, tmp_path, request):
    with fresh_database(tmp_path, "metering_s3") as url:
        app = make_s3_test_app(url, s3_server, s3_bucket, tmp_path / "unused", UPLOAD_TMP_DIR=str(tmp_path))
        migrate_to_head(app)
        client = app.test_client()
        with app.app_context():
            short_count_point()
            track = processed_track(tmp_path, seconds=20)
            user = make_user()
            headers = bearer(token_for(user))
            play = client.post(f"/api/v1/tracks/{track.id}/plays", headers=headers).json["play"]

            haul = Greedy(client, headers).grab_everything(play)
            assert haul.locations and all("/heads/" in loc for loc in haul.locations), haul.locations
            got = decoded_seconds(haul.stitched(), ".mp3")
            assert COUNT_AFTER_SECONDS < got <= LIMIT_SECONDS, (got, haul.statuses)
            assert dict(haul.statuses)[f"from {haul.end()}"] == 409

            # The head's signature does not open another key (RGW checks signatures; moto's
            # server, by design, does not authenticate at all).
            if request.node.callspec.params["s3_server"] == "rgw":
                parts = urllib.parse.urlparse(haul.locations[0])
                whole_path = parts.path.split("/heads/")[0] + "/stream.mp3"
                guessed = urllib.parse.urlunparse(parts._replace(path=whole_path))
                with pytest.raises(urllib.error.HTTPError) as refused:
                    urllib.request.urlopen(guessed)
                assert refused.value.code == 403

            backdate(play["id"], COUNT_AFTER_SECONDS)
            head = haul.end()
            status, _, rest, location = Greedy(client, headers).fetch(
                "GET", play["streams"]["mp3"], {"Range": f"bytes={head}-"}
            )
            assert status == 206 and "/heads/" not in location and location.split("?")[0].endswith("/stream.mp3")
            assert decoded_seconds(haul.stitched() + rest, ".mp3") == pytest.approx(20, abs=0.1)
            counted = select(func.count()).select_from(LedgerPlay).where(LedgerPlay.listener_id == user.id)
            assert db.session.scalar(counted) == 1
            db.session.remove()
            db.engine.dispose()
