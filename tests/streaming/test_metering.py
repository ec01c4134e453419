"""Metering that cannot be skipped: before a play counts, no client gets audio past its count
point plus the margin, whatever it asks; once it counts, the rest comes in one request.
Real transcodes, real Range answers, the audio decoded by ffmpeg and measured."""

import pytest
from sqlalchemy import func, select, update

import ledger
from app.catalog.models import Track
from app.core.extensions import db
from app.core.storage import get_store
from app.payments.services import wallet
from app.uploads.models import TrackAudio
from app.uploads.services import packaging
from ledger.schema import Play as LedgerPlay
from tests.factories import bearer, make_artist, make_release, make_user, token_for
from tests.streaming.metering_helpers import (
    COUNT_AFTER_SECONDS,
    Greedy,
    decoded_seconds,
    processed_track,
    short_count_point,
)
from tests.streaming.streaming_helpers import backdate

MARGIN_SECONDS = 6  # the default ENCORE_STREAM_METERED_MARGIN_SECONDS
LIMIT_SECONDS = COUNT_AFTER_SECONDS + MARGIN_SECONDS


def counted_plays(user_id) -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerPlay).where(LedgerPlay.listener_id == user_id))


def listener_with_credits():
    user = make_user()  # with the starter grant
    return user, bearer(token_for(user))


@pytest.fixture
def metered_track(app_ctx, tmp_path):
    short_count_point()
    return processed_track(tmp_path, seconds=20)


@pytest.mark.parametrize("fmt", ["mp3", "opus"])
def test_a_greedy_client_gets_no_audio_past_the_count_point_before_the_play_counts(client, metered_track, fmt):
    user, headers = listener_with_credits()
    started = client.post(f"/api/v1/tracks/{metered_track.id}/plays", headers=headers)
    assert started.status_code == 201, started.json
    play = started.json["play"]
    assert play["metered_until_ms"] == LIMIT_SECONDS * 1000

    haul = Greedy(client, headers).grab_everything(play, fmt)
    size = get_store().size(getattr(metered_track.audio, f"stream_{fmt}_key"))
    assert 0 < haul.end() < size  # only a head, whatever was asked (measured below)
    got = decoded_seconds(haul.stitched(), "." + fmt)
    assert COUNT_AFTER_SECONDS < got <= LIMIT_SECONDS, (got, haul.statuses)
    statuses = dict(haul.statuses)
    assert statuses[f"from {haul.end()}"] == 409  # asking for the rest too early
    assert statuses["head request"] == 409
    assert counted_plays(user.id) == 0  # and nothing was charged

    # Once the server's clock allows, asking for the rest counts the play (once) and gets it.
    backdate(play["id"], COUNT_AFTER_SECONDS)
    greedy = Greedy(client, headers)
    head = haul.end()
    for _ in range(2):
        status, answer, rest, _ = greedy.fetch("GET", play["streams"][fmt], {"Range": f"bytes={head}-"})
        assert status == 206 and answer["Content-Range"] == f"bytes {head}-{size - 1}/{size}"
    assert counted_plays(user.id) == 1
    whole = haul.stitched() + rest
    assert decoded_seconds(whole, "." + fmt) == pytest.approx(20, abs=0.1)
    status, _, body, _ = greedy.fetch("GET", play["streams"][fmt])
    assert status == 200 and body == whole  # counted: the whole rendition, byte for byte
    assert ledger.verify(db.session).ok


def test_a_progress_report_past_the_count_point_opens_the_whole_stream(client, metered_track):
    user, headers = listener_with_credits()
    play = client.post(f"/api/v1/tracks/{metered_track.id}/plays", headers=headers).json["play"]
    backdate(play["id"], COUNT_AFTER_SECONDS)
    report = client.post(play["progress_url"], headers=headers, json={"position_ms": COUNT_AFTER_SECONDS * 1000})
    assert report.json["counted"] is True
    r = client.get(play["streams"]["mp3"], headers=headers)
    assert r.status_code == 200 and decoded_seconds(r.data, ".mp3") == pytest.approx(20, abs=0.1)
    assert "Encore-Head-Bytes" not in r.headers
    assert counted_plays(user.id) == 1


def whole_stream(client, track, headers, costs_nothing):
    play = client.post(f"/api/v1/tracks/{track.id}/plays", headers=headers).json["play"]
    assert play["metered_until_ms"] is None and play["costs_nothing"] == costs_nothing
    r = client.get(play["streams"]["mp3"], headers=headers)
    assert r.status_code == 200 and "Encore-Head-Bytes" not in r.headers
    assert decoded_seconds(r.data, ".mp3") == pytest.approx(20, abs=0.1)
    tail = client.get(play["streams"]["mp3"], headers=headers | {"Range": "bytes=300000-"})
    assert tail.status_code == 206


def test_own_free_and_owned_tracks_stream_whole_and_previews_are_unchanged(client, app_ctx, tmp_path):
    short_count_point()
    artist_user, artist_headers = listener_with_credits()
    track = processed_track(tmp_path, seconds=20, release=make_release(artist=make_artist(manager=artist_user)))
    whole_stream(client, track, artist_headers, "own_artist")

    fan, fan_headers = listener_with_credits()
    wallet.admin_top_up(fan.id, "2", "metering-fan-top-up")
    wallet.buy_now(fan, track.id, "metering-fan-buys")
    db.session.commit()
    whole_stream(client, track, fan_headers, "owned")

    db.session.execute(update(Track).where(Track.id == track.id).values(free=True))
    db.session.commit()
    whole_stream(client, track, listener_with_credits()[1], "free")

    # The preview is the public 30-second preview (here the whole 20 s), as before.
    preview = client.get(f"/api/v1/tracks/{track.id}/preview")
    assert preview.status_code == 200 and decoded_seconds(preview.data, ".mp3") == pytest.approx(20, abs=0.2)
    assert ledger.verify(db.session).ok


def test_tracks_processed_before_metering_are_packaged_by_the_task_or_on_first_play(client, metered_track):
    from app.uploads.tasks import package_streams

    audio = db.session.get(TrackAudio, metered_track.id)
    cuts = audio.stream_cuts
    assert (
        cuts["step_ms"] == 1000
        and len(cuts["mp3"]) in (21, 22)
        and cuts["mp3"][-1] == get_store().size(audio.stream_mp3_key)
    )
    audio.stream_cuts = None
    db.session.commit()
    assert packaging.unpackaged_tracks(0, 10) == [metered_track.id]
    package_streams()
    package_streams()  # idempotent: nothing left to do
    db.session.refresh(audio)
    assert audio.stream_cuts["mp3"] == cuts["mp3"] and audio.stream_cuts["opus"] == cuts["opus"]
    assert packaging.unpackaged_tracks(0, 10) == []

    audio.stream_cuts = None  # and without the task: on the first metered play
    db.session.commit()
    _, headers = listener_with_credits()
    play = client.post(f"/api/v1/tracks/{metered_track.id}/plays", headers=headers).json["play"]
    r = client.get(play["streams"]["mp3"], headers=headers)
    assert r.status_code == 200 and int(r.headers["Encore-Head-Bytes"]) == len(r.data)
    assert decoded_seconds(r.data, ".mp3") <= LIMIT_SECONDS


def test_the_rule_for_other_entry_points_and_the_too_early_answer(client, metered_track):
    from app.streaming import services as streaming

    user, headers = listener_with_credits()
    play = client.post(f"/api/v1/tracks/{metered_track.id}/plays", headers=headers).json["play"]
    head, until = streaming.stream_window(user, play["id"], "mp3")
    assert until == LIMIT_SECONDS * 1000 and 0 < head < get_store().size(metered_track.audio.stream_mp3_key)
    early = client.get(play["streams"]["mp3"], headers=headers | {"Range": f"bytes={head}-"})
    assert early.status_code == 409 and early.json["error"]["code"] == "not_counted_yet"
    assert early.json["error"]["wait_ms"] > 0 and int(early.headers["Retry-After"]) >= 1
    assert streaming.stream_window(user, play["id"], "mp3") == (head, until)  # asking did not count
    backdate(play["id"], COUNT_AFTER_SECONDS)
    client.post(play["progress_url"], headers=headers, json={"position_ms": COUNT_AFTER_SECONDS * 1000})
    assert streaming.stream_window(user, play["id"], "mp3") == (None, None)
