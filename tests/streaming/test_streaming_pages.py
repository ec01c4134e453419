"""The listening pages: collection, history, and each track's standing in track lists."""

from app.core.extensions import db
from app.payments.services import wallet
from tests.factories import PASSWORD, bearer, make_artist, make_release, make_user, token_for
from tests.streaming.streaming_helpers import backdate, make_streamable_track


def log_in(client, user):
    client.post("/login", data={"email": user.email, "password": PASSWORD})


def test_pages_need_login(client):
    for path in ("/collection", "/history"):
        r = client.get(path)
        assert r.status_code == 302 and "/login" in r.location


def test_history_shows_counted_and_skipped_plays_with_their_cost(client, app_ctx):
    user = make_user()
    headers = bearer(token_for(user))
    track = make_streamable_track(title="Harbour Song")
    counted = client.post(f"/api/v1/tracks/{track.id}/plays", headers=headers).json["play"]
    backdate(counted["id"], 50)
    assert client.post(counted["progress_url"], json={"position_ms": 50_000}, headers=headers).json["counted"]
    skipped = client.post(f"/api/v1/tracks/{track.id}/plays", headers=headers).json["play"]
    client.post(skipped["progress_url"], json={"position_ms": 12_000}, headers=headers)

    log_in(client, user)
    html = client.get("/history").get_data(as_text=True)
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    assert len(rows) == 2
    assert "skipped" in rows[0] and "not counted" in rows[0] and "0:12" in rows[0]
    assert "counted" in rows[1] and "play 1" in rows[1] and "0.002" in rows[1] and "Harbour Song" in rows[1]


def test_track_lists_show_standing_and_collection_offers_downloads(client, app_ctx):
    user = make_user()
    release = make_release(title="Tides")
    owned = make_streamable_track(release=release, title="Owned One")
    halfway = make_streamable_track(release=release, title="Halfway")
    free = make_streamable_track(release=release, title="Free One", free=True)
    wallet.admin_top_up(user.id, "3", "top")
    wallet.buy_now(user, owned.id, "buy")
    for n in range(4):
        wallet.charge_play(user, halfway, f"p{n}")
    db.session.commit()

    log_in(client, user)
    page = client.get(f"/releases/{release.id}").get_data(as_text=True)
    assert f'data-standing-for="{owned.id}">owned</span>' in page
    assert f'data-standing-for="{halfway.id}">4 of 9 plays · 0.992 credits to own</span>' in page
    assert f'data-standing-for="{free.id}"' not in page  # the "free" tag says it already
    assert page.count('class="buy-track') == 1 and 'data-price="0.992"' in page
    assert 'id="player"' in page and "player.js" in page

    collection = client.get("/collection").get_data(as_text=True)
    assert "Owned One" in collection and "Halfway" not in collection
    assert f'href="/api/v1/tracks/{owned.id}/original" download' in collection


def test_visitors_see_tracks_without_standing(client, app_ctx):
    track = make_streamable_track()
    page = client.get(f"/releases/{track.release_id}").get_data(as_text=True)
    assert "play-track" in page and "data-standing-for" not in page and "buy-track" not in page
    assert 'data-logged-in="0"' in page


def test_artists_see_their_own_tracks_as_theirs(client, app_ctx):
    user = make_user()
    release = make_release(artist=make_artist(manager=user))
    track = make_streamable_track(release=release)
    log_in(client, user)
    page = client.get(f"/releases/{release.id}").get_data(as_text=True)
    assert f'data-standing-for="{track.id}">your track</span>' in page


def test_history_says_why_a_play_was_not_counted_against_the_count_point(client, app_ctx):
    """ "stopped at 0:32, before 0:45": the play's own count point (the pricing version's
    count-after when it started); an open play says it may still count; a play past the point
    but not counted says what stopped it. The page names the count point in force."""
    from dataclasses import replace
    from datetime import timedelta

    from app.core.types import utcnow
    from ledger.pricing import DEFAULT_PRICING, enact_pricing

    user = make_user()
    headers = bearer(token_for(user))
    track = make_streamable_track(title="Harbour Song")
    stopped = client.post(f"/api/v1/tracks/{track.id}/plays", headers=headers).json["play"]
    client.post(stopped["progress_url"], json={"position_ms": 32_900}, headers=headers)
    client.post(stopped["end_url"], headers=headers)
    skipped_ahead = client.post(f"/api/v1/tracks/{track.id}/plays", headers=headers).json["play"]
    client.post(skipped_ahead["progress_url"], json={"position_ms": 60_000}, headers=headers)  # 0 s of real time
    client.post(skipped_ahead["end_url"], headers=headers)
    enact_pricing(
        db.session, replace(DEFAULT_PRICING, count_after_seconds=30), effective_from=utcnow() - timedelta(seconds=1)
    )
    db.session.commit()
    still_open = client.post(f"/api/v1/tracks/{track.id}/plays", headers=headers).json["play"]
    client.post(still_open["progress_url"], json={"position_ms": 5_000}, headers=headers)

    log_in(client, user)
    html = client.get("/history").get_data(as_text=True)
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    assert len(rows) == 3
    assert "not counted" in rows[0] and "still open: at 0:05, counts at 0:30" in rows[0]
    assert "reached 1:00 before 0:45 of listening time had passed" in rows[1]
    assert "stopped at 0:32, before 0:45" in rows[2]  # 32.9 s is not 0:33: it stopped before
    assert "(0:30 for plays started now)" in html


def test_a_french_browser_gets_the_history_in_french_with_the_reason(client, app_ctx):
    """Accept-Language: fr words the page, the results and the "why not counted" reason in
    French, with French numbers."""
    user = make_user()
    headers = bearer(token_for(user))
    track = make_streamable_track(title="Harbour Song")
    counted = client.post(f"/api/v1/tracks/{track.id}/plays", headers=headers).json["play"]
    backdate(counted["id"], 50)
    assert client.post(counted["progress_url"], json={"position_ms": 50_000}, headers=headers).json["counted"]
    skipped = client.post(f"/api/v1/tracks/{track.id}/plays", headers=headers).json["play"]
    client.post(skipped["progress_url"], json={"position_ms": 12_000}, headers=headers)

    log_in(client, user)
    html = client.get("/history", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="fr"' in html and "Historique d’écoute" in html
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    assert "non comptée" in rows[0] and "0:12" in rows[0]
    assert "encore ouverte : à 0:12" in rows[0] or "arrêtée à 0:12" in rows[0]
    assert "écoute n° 1" in rows[1] and "0,002" in rows[1]
    assert "Listening history" not in html and "not counted" not in html
