"""Plays over the API: starting, streaming with Range, counting exactly once, previews, limits."""

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.core.extensions import db
from app.core.ratelimit import limiter
from app.payments.services import wallet
from app.streaming.models import Play, PreviewPlay
from ledger.schema import Play as LedgerPlay
from tests.factories import bearer, make_artist, make_release, make_user, token_for
from tests.streaming.streaming_helpers import audio_bytes, backdate, make_streamable_track


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    with app.app_context():  # the suite's app counts in its own (memory) storage
        limiter.reset()  # counts are per user id, and rolled-back tests reuse ids
    yield
    with app.app_context():
        limiter.reset()


def listener(**kwargs):
    user = make_user(**kwargs)
    return user, bearer(token_for(user))


def broke_listener():
    """A listener with an empty wallet (no starter grant)."""
    user = User(email=f"broke{make_user().id}@example.test", password_hash="x", display_name="Broke")
    db.session.add(user)
    db.session.commit()
    return user, bearer(token_for(user))


def start(client, track_id, headers, status=201):
    r = client.post(f"/api/v1/tracks/{track_id}/plays", headers=headers)
    assert r.status_code == status, r.json
    return r.json


def report(client, play, headers, position_ms, status=200):
    r = client.post(f"/api/v1/plays/{play['id']}/progress", json={"position_ms": position_ms}, headers=headers)
    assert r.status_code == status, r.json
    return r.json


def ledger_plays(user_id) -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerPlay).where(LedgerPlay.listener_id == user_id))


# --- starting ---------------------------------------------------------------------------------


def test_start_play_quotes_number_price_and_balance_without_charging(client, app_ctx):
    user, headers = listener()
    track = make_streamable_track()
    body = start(client, track.id, headers)
    play = body["play"]
    assert len(play["id"]) == 32
    assert set(play["streams"]) == {"mp3", "opus"}
    assert play["streams"]["mp3"] == f"/api/v1/plays/{play['id']}/stream.mp3"
    assert play["play_number"] == 1 and play["price"] == {"micro": 2_000, "credits": "0.002"}
    assert play["count_after_ms"] == 45_000 and play["duration_ms"] == 180_000
    assert play["gain_db"] == -3.5 and play["waveform_url"].endswith(f"/tracks/{track.id}/waveform")
    assert play["costs_nothing"] is None and body["owned"] is False
    assert body["balance"]["credits"] == "0.2"
    assert body["progress"] == {
        "plays_counted": 0,
        "plays_to_own": 9,
        "owned": False,
        "credits_to_own": {"micro": 1_022_000, "credits": "1.022"},
    }
    assert ledger_plays(user.id) == 0 and wallet.balance(user) == 200_000  # nothing charged at start


def test_visitors_get_the_preview_only(client, app_ctx):
    track = make_streamable_track()
    r = client.post(f"/api/v1/tracks/{track.id}/plays")
    assert r.status_code == 401
    assert r.json["error"]["preview_url"] == f"/api/v1/tracks/{track.id}/previews"
    r = client.post(r.json["error"]["preview_url"])
    assert r.status_code == 201 and r.json["preview"]["url"] == f"/api/v1/tracks/{track.id}/preview"
    assert client.get(r.json["preview"]["url"]).status_code == 200
    preview = db.session.get(PreviewPlay, r.json["preview"]["id"])
    assert preview.track_id == track.id and preview.listener_id is None


def test_bad_token_is_refused(client, app_ctx):
    track = make_streamable_track()
    r = client.post(f"/api/v1/tracks/{track.id}/plays", headers=bearer("enc_nope"))
    assert r.status_code == 401 and r.json["error"]["code"] == "bad_token"


def test_empty_wallet_gets_402_with_balance_price_and_preview(client, app_ctx):
    user, headers = broke_listener()
    track = make_streamable_track()
    error = start(client, track.id, headers, status=402)["error"]
    assert error["code"] == "insufficient_credits"
    assert error["balance"] == 0 and error["price"] == 2_000
    assert error["preview_url"] == f"/api/v1/tracks/{track.id}/previews"
    assert db.session.scalar(select(func.count()).select_from(Play).where(Play.listener_id == user.id)) == 0
    r = client.post(error["preview_url"], headers=headers)
    assert r.status_code == 201
    assert db.session.get(PreviewPlay, r.json["preview"]["id"]).listener_id == user.id


def test_free_own_and_owned_tracks_never_402(client, app_ctx):
    _user, headers = broke_listener()
    free = make_streamable_track(free=True)
    assert start(client, free.id, headers)["play"]["costs_nothing"] == "free"

    artist_user, artist_headers = broke_listener()
    own = make_streamable_track(release=make_release(artist=make_artist(manager=artist_user)))
    body = start(client, own.id, artist_headers)
    assert body["play"]["costs_nothing"] == "own_artist" and body["play"]["price"]["micro"] == 0

    fan, fan_headers = listener()
    owned = make_streamable_track()
    wallet.admin_top_up(fan.id, "2", "fan-top-up")
    wallet.buy_now(fan, owned.id, "fan-buys")
    db.session.commit()
    # Empty the fan's wallet: the owned track still plays, free.
    body = start(client, owned.id, fan_headers)
    assert body["owned"] is True and body["play"]["costs_nothing"] == "owned" and body["play"]["play_number"] is None


def test_unknown_unready_and_streamless_tracks_are_404(client, app_ctx):
    from app.catalog.models import TrackStatus
    from tests.factories import make_track

    _, headers = listener()
    assert start(client, 999_999, headers, status=404)["error"]["code"] == "not_found"
    hidden = make_streamable_track(status=TrackStatus.PROCESSING)
    start(client, hidden.id, headers, status=404)
    bare = make_track()
    assert start(client, bare.id, headers, status=404)["error"]["code"] == "no_stream"


def test_at_most_three_open_plays_and_ended_or_expired_ones_free_a_slot(client, app_ctx):
    _, headers = listener()
    track = make_streamable_track()
    plays = [start(client, track.id, headers)["play"] for _ in range(3)]
    error = start(client, track.id, headers, status=409)["error"]
    assert error["code"] == "too_many_open_plays" and error["open_plays"] == 3

    r = client.post(plays[0]["end_url"], headers=headers)
    assert r.status_code == 200 and r.json["play"]["counted"] is False
    assert client.post(plays[0]["end_url"], headers=headers).status_code == 200  # ending twice is harmless
    fourth = start(client, track.id, headers)["play"]
    start(client, track.id, headers, status=409)

    backdate(fourth["id"], 180 + 601)  # past the track's duration plus the grace period
    start(client, track.id, headers)


# --- counting ---------------------------------------------------------------------------------


def test_metering_counts_once_past_threshold_and_server_time(client, app_ctx):
    user, headers = listener()
    track = make_streamable_track()
    play = start(client, track.id, headers)["play"]

    body = report(client, play, headers, 30_000)  # before the threshold
    assert body["counted"] is False and body["charge"] is None
    body = report(client, play, headers, 46_000)  # past it, but only ~0 s of server time
    assert body["counted"] is False and body["play"]["wait_ms"] > 40_000
    assert ledger_plays(user.id) == 0 and wallet.balance(user) == 200_000

    backdate(play["id"], 44)  # 44 s ago: within the 2-s tolerance of 45 s
    body = report(client, play, headers, 46_000)
    assert body["counted"] is True
    assert body["charge"] == {
        "kind": "charged",
        "play_number": 1,
        "price": {"micro": 2_000, "credits": "0.002"},
        "replayed": False,
    }
    assert body["balance"]["credits"] == "0.198"
    assert body["progress"] == {
        "plays_counted": 1,
        "plays_to_own": 9,
        "owned": False,
        "credits_to_own": {"micro": 1_020_000, "credits": "1.02"},
    }

    for position in (50_000, 10_000, 46_000):  # repeated and out-of-order reports
        again = report(client, play, headers, position)
        assert again["counted"] is True and again["charge"]["replayed"] is True
        assert again["charge"]["play_number"] == 1 and again["balance"]["credits"] == "0.198"
        assert again["progress"]["plays_counted"] == 1
    assert ledger_plays(user.id) == 1 and wallet.balance(user) == 198_000
    assert db.session.get(Play, play["id"]).position_ms == 50_000

    second = start(client, track.id, headers)["play"]
    assert second["play_number"] == 2 and second["price"]["credits"] == "0.004"


def test_report_too_early_by_more_than_the_tolerance_does_not_count(client, app_ctx):
    user, headers = listener()
    play = start(client, make_streamable_track().id, headers)["play"]
    backdate(play["id"], 42)
    assert report(client, play, headers, 60_000)["counted"] is False
    assert ledger_plays(user.id) == 0


def test_short_track_counts_at_its_end(client, app_ctx):
    _user, headers = listener()
    play = start(client, make_streamable_track(duration_ms=10_000).id, headers)["play"]
    assert play["count_after_ms"] == 9_000
    backdate(play["id"], 10)
    assert report(client, play, headers, 8_000)["counted"] is False
    assert report(client, play, headers, 10_000)["counted"] is True


def test_owned_track_play_is_counted_free(client, app_ctx):
    user, headers = listener()
    track = make_streamable_track()
    wallet.admin_top_up(user.id, "2", "top")
    wallet.buy_now(user, track.id, "buy")
    db.session.commit()
    balance = wallet.balance(user)
    play = start(client, track.id, headers)["play"]
    backdate(play["id"], 50)
    body = report(client, play, headers, 50_000)
    assert body["charge"]["kind"] == "owned" and body["charge"]["price"]["micro"] == 0
    assert body["progress"]["owned"] is True and wallet.balance(user) == balance


def test_expired_or_ended_play_cannot_count(client, app_ctx):
    user, headers = listener()
    track = make_streamable_track()
    play = start(client, track.id, headers)["play"]
    backdate(play["id"], 180 + 601)
    error = report(client, play, headers, 60_000, status=410)["error"]
    assert error["code"] == "play_expired"

    ended = start(client, track.id, headers)["play"]
    backdate(ended["id"], 60)
    client.post(ended["end_url"], headers=headers)
    report(client, ended, headers, 60_000, status=410)
    assert ledger_plays(user.id) == 0


def test_insufficient_credits_at_count_time_charges_nothing(client, app_ctx):
    user, headers = listener()
    track = make_streamable_track()
    play = start(client, track.id, headers)["play"]
    # The wallet is emptied between start and count (another purchase): 402, nothing written.
    wallet.admin_top_up(user.id, "0.822", "top")
    wallet.buy_now(db.session.get(User, user.id), make_streamable_track().id, "spend-all")
    db.session.commit()
    assert wallet.balance(user) == 0
    backdate(play["id"], 50)
    error = report(client, play, headers, 50_000, status=402)["error"]
    assert error["code"] == "insufficient_credits"
    assert db.session.get(Play, play["id"]).counted_at is None


def test_another_listeners_play_is_not_found(client, app_ctx):
    _, headers = listener()
    _, other = listener()
    play = start(client, make_streamable_track().id, headers)["play"]
    assert client.post(play["progress_url"], json={"position_ms": 1}, headers=other).status_code == 404
    assert client.get(play["streams"]["mp3"], headers=other).status_code == 404
    assert client.post(play["end_url"], headers=other).status_code == 404
    assert client.get(play["streams"]["mp3"]).status_code == 401
    assert client.get("/api/v1/plays/not-a-play/stream.mp3", headers=headers).status_code == 404


def test_bad_progress_bodies(client, app_ctx):
    _, headers = listener()
    play = start(client, make_streamable_track().id, headers)["play"]
    for body, code in (
        ({"position_ms": -1}, 422),
        ({"position_ms": "5"}, 422),
        ({}, 422),
        ({"position_ms": 1, "x": 2}, 422),
    ):
        r = client.post(play["progress_url"], json=body, headers=headers)
        assert r.status_code == code, body
        assert "error" in r.json


# --- streams ----------------------------------------------------------------------------------


def test_stream_serves_range_requests_on_local_storage(client, app_ctx):
    data = audio_bytes(100_000, seed=7)
    _, headers = listener()
    # A free track: its play is not metered, the whole file from the start.
    play = start(client, make_streamable_track(data=data, free=True).id, headers)["play"]
    assert play["metered_until_ms"] is None
    url = play["streams"]["mp3"]

    whole = client.get(url, headers=headers)
    assert whole.status_code == 200 and whole.data == data
    assert whole.headers["Accept-Ranges"] == "bytes" and whole.mimetype == "audio/mpeg"
    assert "no-store" in whole.headers["Cache-Control"]

    first = client.get(url, headers=headers | {"Range": "bytes=0-99"})
    assert first.status_code == 206 and first.data == data[:100]
    assert first.headers["Content-Range"] == "bytes 0-99/100000" and first.headers["Content-Length"] == "100"

    middle = client.get(url, headers=headers | {"Range": "bytes=50000-50999"})
    assert middle.status_code == 206 and middle.data == data[50_000:51_000]
    assert middle.headers["Content-Range"] == "bytes 50000-50999/100000"

    suffix = client.get(url, headers=headers | {"Range": "bytes=-500"})
    assert suffix.status_code == 206 and suffix.data == data[-500:]
    assert suffix.headers["Content-Range"] == "bytes 99500-99999/100000"

    open_ended = client.get(url, headers=headers | {"Range": "bytes=99990-"})
    assert open_ended.status_code == 206 and open_ended.data == data[99_990:]

    past = client.get(url, headers=headers | {"Range": "bytes=100000-"})
    assert past.status_code == 416 and past.headers["Content-Range"] == "bytes */100000"

    etag = whole.headers["ETag"]
    same = client.get(url, headers=headers | {"Range": "bytes=10-19", "If-Range": etag})
    assert same.status_code == 206 and same.data == data[10:20]
    stale = client.get(url, headers=headers | {"Range": "bytes=10-19", "If-Range": '"stale"'})
    assert stale.status_code == 200 and stale.data == data  # changed since: the whole file

    opus = client.get(play["streams"]["opus"], headers=headers | {"Range": "bytes=0-9"})
    assert opus.status_code == 206 and opus.mimetype == "audio/ogg"
    assert client.get(url.replace(".mp3", ".flac"), headers=headers).status_code == 404


def test_stream_stops_when_the_play_ends_or_expires(client, app_ctx):
    _, headers = listener()
    track = make_streamable_track()
    play = start(client, track.id, headers)["play"]
    client.post(play["end_url"], headers=headers)
    r = client.get(play["streams"]["mp3"], headers=headers)
    assert r.status_code == 410 and r.json["error"]["code"] == "play_expired"
    later = start(client, track.id, headers)["play"]
    backdate(later["id"], 180 + 601)
    assert client.get(later["streams"]["mp3"], headers=headers).status_code == 410


def test_x_accel_redirect_hands_the_file_to_nginx(client, app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "X_ACCEL_PREFIX", "/_media/")
    _, headers = listener()
    track = make_streamable_track()
    play = start(client, track.id, headers)["play"]
    r = client.get(play["streams"]["mp3"], headers=headers | {"Range": "bytes=0-9"})
    assert r.status_code == 200 and r.data == b""
    # A metered play: nginx is handed the head, never the whole file, before the play counts.
    head = 200_000 * 51 // 180  # 45 s count point + 6 s margin, of 180 s
    assert r.headers["X-Accel-Redirect"] == f"/_media/tracks/{track.id}/heads/t0/stream.mp3-{head}"
    assert r.mimetype == "audio/mpeg"
    free = start(client, make_streamable_track(free=True).id, headers)["play"]
    r = client.get(free["streams"]["mp3"], headers=headers | {"Range": "bytes=0-9"})
    assert r.headers["X-Accel-Redirect"] == f"/_media/tracks/{free['track_id']}/stream.mp3"


# --- ownership and the original ---------------------------------------------------------------


def test_owners_and_managers_download_the_original_others_cannot(client, app_ctx):
    data = audio_bytes(5_000, seed=3)
    manager, manager_headers = listener()
    track = make_streamable_track(data=data, release=make_release(artist=make_artist(manager=manager)))
    fan, fan_headers = listener()
    url = f"/api/v1/tracks/{track.id}/original"
    r = client.get(url, headers=fan_headers)
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"

    wallet.admin_top_up(fan.id, "2", "fan-top")
    wallet.buy_now(fan, track.id, "fan-buy")
    db.session.commit()
    for headers in (fan_headers, manager_headers):
        r = client.get(url, headers=headers)
        assert r.status_code == 200 and r.data == data
        assert (
            r.headers["Content-Disposition"].startswith("attachment")
            and "master.wav" in r.headers["Content-Disposition"]
        )


# --- abuse limits -----------------------------------------------------------------------------


def test_progress_reports_and_starts_are_rate_limited(client, app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "STREAM_PROGRESS_LIMIT", "3 per minute")
    monkeypatch.setitem(app.config, "STREAM_START_LIMIT", "2 per minute")
    _, headers = listener()
    track = make_streamable_track()
    play = start(client, track.id, headers)["play"]
    for _ in range(3):
        report(client, play, headers, 1_000)
    r = client.post(play["progress_url"], json={"position_ms": 2_000}, headers=headers)
    assert r.status_code == 429
    assert r.json["error"]["code"] == "too_many_requests" and "Retry-After" in r.headers

    start(client, track.id, headers)
    r = client.post(f"/api/v1/tracks/{track.id}/plays", headers=headers)
    assert r.status_code == 429 and r.json["error"]["code"] == "too_many_requests"
    _, other = listener()  # counted per listener, not for everyone
    start(client, track.id, other)


def test_preview_of_missing_track_is_404(client, app_ctx):
    assert client.post("/api/v1/tracks/999999/previews").status_code == 404
    track = make_streamable_track()
    from app.uploads.models import TrackAudio

    db.session.get(TrackAudio, track.id).preview_key = None
    db.session.commit()
    assert client.post(f"/api/v1/tracks/{track.id}/previews").status_code == 404


# --- retryable starts, open plays, idle plays (a lost answer cannot lock a listener out) --------


def keyed(headers, key):
    return headers | {"Idempotency-Key": key}


def test_lost_start_answer_then_three_retries_with_its_key_never_409(client, app_ctx):
    _, headers = listener()
    track = make_streamable_track()
    others = [start(client, track.id, headers)["play"] for _ in range(2)]  # two plays already open
    first = client.post(f"/api/v1/tracks/{track.id}/plays", headers=keyed(headers, "start-1"))
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    # The answer was lost: the client retries three times with the same key.
    for _ in range(3):
        again = client.post(f"/api/v1/tracks/{track.id}/plays", headers=keyed(headers, "start-1"))
        assert again.status_code == 200, again.json
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json == first.json  # the same play, the same answer
    open_ids = {p.id for p in db.session.scalars(select(Play).where(Play.ended_at.is_(None)))}
    assert open_ids == {others[0]["id"], others[1]["id"], first.json["play"]["id"]}


def test_a_start_key_reused_for_another_track_is_422_and_bad_keys_are_refused(client, app_ctx):
    _, headers = listener()
    one, two = make_streamable_track(), make_streamable_track()
    client.post(f"/api/v1/tracks/{one.id}/plays", headers=keyed(headers, "k"))
    r = client.post(f"/api/v1/tracks/{two.id}/plays", headers=keyed(headers, "k"))
    assert r.status_code == 422 and r.json["error"]["code"] == "idempotency_key_reused"
    for bad in ("x" * 256, "spaces inside"):
        r = client.post(f"/api/v1/tracks/{one.id}/plays", headers=keyed(headers, bad))
        assert r.status_code == 422 and r.json["error"]["code"] == "invalid"
    # Keys belong to their listener: another listener's "k" is a new play.
    _, other_headers = listener()
    assert client.post(f"/api/v1/tracks/{two.id}/plays", headers=keyed(other_headers, "k")).status_code == 201


def test_listeners_list_their_open_plays_and_end_them(client, app_ctx):
    _, headers = listener()
    _, stranger = listener()
    track = make_streamable_track()
    plays = [start(client, track.id, headers)["play"] for _ in range(3)]
    error = start(client, track.id, headers, status=409)["error"]
    assert error["open_plays_url"] == "/api/v1/me/plays/open"

    r = client.get(error["open_plays_url"], headers=headers)
    assert r.status_code == 200 and r.json["limit"] == 3
    assert [p["id"] for p in r.json["plays"]] == [p["id"] for p in plays]
    assert r.json["plays"][0]["end_url"] == plays[0]["end_url"] and r.json["plays"][0]["counted"] is False
    assert client.get("/api/v1/me/plays/open", headers=stranger).json["plays"] == []
    assert client.get("/api/v1/me/plays/open").status_code == 401

    assert client.post(r.json["plays"][1]["end_url"], headers=headers).status_code == 200
    listed = client.get("/api/v1/me/plays/open", headers=headers).json["plays"]
    assert [p["id"] for p in listed] == [plays[0]["id"], plays[2]["id"]]
    start(client, track.id, headers)


def test_at_the_limit_the_idlest_play_is_closed_to_make_room(client, app_ctx):
    _, headers = listener()
    track = make_streamable_track()
    plays = [start(client, track.id, headers)["play"] for _ in range(3)]
    backdate(plays[0]["id"], 100)  # started 100 s ago: not idle yet (120 s)
    backdate(plays[1]["id"], 200)
    backdate(plays[2]["id"], 300)
    report(client, plays[2], headers, 10_000)  # reported just now: active again
    start(client, track.id, headers)  # plays[1] (no report for 200 s) makes room
    assert db.session.get(Play, plays[1]["id"]).ended_at is not None
    assert db.session.get(Play, plays[2]["id"]).ended_at is None
    error = start(client, track.id, headers, status=409)["error"]  # none idle now
    assert error["code"] == "too_many_open_plays"
    assert {p["id"] for p in client.get("/api/v1/me/plays/open", headers=headers).json["plays"]} >= {
        plays[0]["id"],
        plays[2]["id"],
    }
