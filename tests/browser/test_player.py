"""The player in Chromium: a counted play, seeking, navigating while playing, and the 402 path."""

import hashlib
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import User
from app.catalog.models import Release
from app.core.extensions import db
from app.core.types import utcnow
from app.demo import seed as demo
from app.uploads.services import processing, uploads
from ledger.pricing import DEFAULT_PRICING, enact_pricing
from tests import media

pytestmark = [pytest.mark.browser, pytest.mark.committing]

COUNT_AFTER_SECONDS = 3
LONG_TRACK = "Long Crossing"


@pytest.fixture(scope="module")
def player_setup(live_app, tmp_path_factory):
    """A pricing version that counts plays after 3 s (enacted through the ledger), a 20-s track
    on Low Tide (so there is time to seek and navigate while it plays), and a listener whose
    wallet is empty."""
    from dataclasses import replace

    tmp = tmp_path_factory.mktemp("player")
    with live_app.app_context():
        enact_pricing(
            db.session,
            replace(DEFAULT_PRICING, count_after_seconds=COUNT_AFTER_SECONDS),
            effective_from=utcnow() - timedelta(seconds=1),
        )
        release = db.session.scalar(select(Release).where(Release.title == "Low Tide"))
        uploader = release.artist.members[0]
        path = media.make_audio(tmp / LONG_TRACK, "wav", seconds=20)
        received = uploads.ReceivedFile(
            path, path.name, path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest()
        )
        (track,) = uploads.add_tracks(release, uploader, [received]).tracks
        db.session.commit()
        processing.process_track(track.id)
        broke = User(
            email="broke@encore.test",
            password_hash=accounts._hasher.hash(demo.DEMO_PASSWORD),
            display_name="Empty Wallet",
        )
        db.session.add(broke)
        db.session.commit()
        ids = {"release": release.id, "track": track.id}
        db.session.remove()
    return ids


def log_in(page, server, email):
    page.goto(server.url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("form.stack button[type=submit]")
    expect(page.locator("header.site")).to_contain_text("Log out")


def current_time(page) -> float:
    return page.evaluate("window.encorePlayer.audio.currentTime")


def test_listener_plays_a_track_counted_seeks_and_navigates_while_playing(page, live_server, player_setup):
    log_in(page, live_server, demo.LISTENER_EMAIL)
    page.goto(f"{live_server.url}/releases/{player_setup['release']}")
    row = page.locator(f".track[data-track-id='{player_setup['track']}']")
    standing = row.locator(".standing")
    expect(standing).to_have_text(re.compile(r"^0 of 9 plays · 1\.022 credits to own$"))

    starts = []  # each start carries an Idempotency-Key, so a lost answer can be retried
    page.on(
        "request",
        lambda r: (
            starts.append(r.headers.get("idempotency-key"))
            if r.method == "POST" and re.search(r"/api/v1/tracks/\d+/plays$", r.url)
            else None
        ),
    )
    row.locator(".play-track").click()
    player = page.locator("#player")
    expect(player).to_be_visible()
    expect(player).to_have_attribute("data-mode", "full")
    assert starts and all(starts), starts
    expect(page.locator(".player-title")).to_have_text(LONG_TRACK)
    expect(page.locator(".player-status")).to_contain_text("Play 1 of 9: 0.002 credits")
    page.wait_for_function("() => window.encorePlayer.playing && window.encorePlayer.audio.currentTime > 0.5")

    # The server counts the play once 3 s have passed both in the audio and on its clock.
    expect(page.locator(".player-status")).to_contain_text("Counted: play 1 of 9, 0.002 credits", timeout=20_000)
    expect(player).to_have_attribute("data-counted", "1")
    expect(standing).to_have_text("1 of 9 plays · 1.02 credits to own")

    # Seek by clicking the waveform at three quarters: Range requests serve the jump.
    box = page.locator(".player-waveform").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 3)
    page.wait_for_function("() => window.encorePlayer.audio.currentTime > 13")
    page.evaluate("window.encorePlayer.audio.currentTime = 2")  # back near the start: time to navigate
    page.wait_for_function("() => window.encorePlayer.audio.currentTime < 4 && window.encorePlayer.playing")

    # Navigate while playing: <main> changes, the page is not reloaded, the audio goes on.
    page.evaluate("window.__sameDocument = true")
    before = current_time(page)
    page.locator("header.site nav >> text=Artists").click()
    expect(page).to_have_url(f"{live_server.url}/artists")
    expect(page.locator("main h1")).to_have_text("Artists")
    assert page.evaluate("window.__sameDocument") is True
    page.wait_for_function(f"() => window.encorePlayer.audio.currentTime > {before + 1}")
    assert page.evaluate("window.encorePlayer.playing")
    expect(page.locator(".player-title")).to_have_text(LONG_TRACK)

    # Back button: the previous page comes back, still the same document, still playing.
    page.go_back()
    expect(page.locator("main h1")).to_have_text("Low Tide")
    assert page.evaluate("window.__sameDocument") is True and page.evaluate("window.encorePlayer.playing")

    # The history page shows the counted play and its cost.
    page.locator("header.site >> text=History").click()
    first = page.locator("#history tbody tr").first
    expect(first).to_contain_text(LONG_TRACK)
    expect(first).to_contain_text("play 1")
    expect(first).to_contain_text("0.002")
    assert page.evaluate("window.__sameDocument") is True


def test_empty_wallet_plays_the_preview_and_offers_a_top_up(page, live_server, player_setup):
    log_in(page, live_server, "broke@encore.test")
    page.goto(f"{live_server.url}/releases/{player_setup['release']}")
    page.locator(f".track[data-track-id='{player_setup['track']}'] .play-track").click()
    status = page.locator(".player-status")
    expect(status).to_contain_text("Not enough credits for this play (0.002 needed, balance 0)")
    expect(status).to_contain_text("30-second preview")
    expect(status.locator("a.top-up")).to_have_attribute("href", "/credits")
    expect(page.locator("#player")).to_have_attribute("data-mode", "preview")
    page.wait_for_function("() => window.encorePlayer.playing && window.encorePlayer.audio.currentTime > 0.3")
    assert "/preview" in page.evaluate("window.encorePlayer.audio.currentSrc")


def test_queue_next_previous_and_buy_now(page, live_server, player_setup):
    log_in(page, live_server, demo.LISTENER_EMAIL)
    page.goto(f"{live_server.url}/search?q=Static")  # nothing plays yet: an ordinary page load
    page.goto(f"{live_server.url}/artists")
    page.locator("main >> text=The Copper Wires").click()
    page.locator("main >> text=Static Bloom").click()
    rows = page.locator(".track")
    rows.nth(0).locator(".queue-track").click()  # the first added to an empty queue plays
    rows.nth(2).locator(".queue-track").click()
    expect(page.locator(".player-queue-count")).to_have_text("2")
    expect(page.locator(".player-title")).to_have_text("Ohm Sweet Ohm")
    page.locator(".player-next").click()
    expect(page.locator(".player-title")).to_have_text("Patina")
    page.wait_for_function("() => window.encorePlayer.playing")
    page.locator(".player-prev").click()  # at the start of a track: back to the previous one
    expect(page.locator(".player-title")).to_have_text("Ohm Sweet Ohm")

    # Buy now: the rest of the schedule, and the track is owned.
    page.once("dialog", lambda dialog: dialog.accept())
    short = rows.nth(1)
    short.locator(".buy-track").click()
    expect(short.locator(".standing")).to_have_text("owned")
    expect(short.locator(".buy-note")).to_contain_text("Bought for 1.022 credits")
    page.locator("header.site >> text=Collection").click()
    expect(page.locator("main .track .title", has_text="Short Circuit")).to_be_visible()
    expect(page.locator("main .track", has_text="Short Circuit").locator("a.download")).to_have_attribute(
        "href", re.compile(r"/api/v1/tracks/\d+/original$")
    )


def test_a_session_ended_elsewhere_stops_the_play_and_says_so(page, live_app, live_server, player_setup):
    from app.accounts import sessions

    with live_app.app_context():
        user = accounts.register(
            email="ended@encore.test",
            password=demo.DEMO_PASSWORD,
            display_name="Ended Session",
            verified=True,
            published_password=True,
        )
        db.session.commit()
        user_id = user.id
        db.session.remove()
    log_in(page, live_server, "ended@encore.test")
    page.goto(f"{live_server.url}/releases/{player_setup['release']}")
    page.locator(f".track[data-track-id='{player_setup['track']}'] .play-track").click()
    expect(page.locator(".player-status")).to_contain_text("Play 1 of 9")
    page.wait_for_function("() => window.encorePlayer.playing && window.encorePlayer.audio.currentTime > 0.5")

    with live_app.app_context():  # "log out everywhere" from another device
        sessions.end_all(db.session.get(User, user_id))
        db.session.commit()
        db.session.remove()

    status = page.locator(".player-status")
    expect(status).to_contain_text("You were logged out", timeout=15_000)
    expect(status.locator("a.login-again")).to_have_attribute(
        "href", f"/login?next=%2Freleases%2F{player_setup['release']}"
    )
    assert not page.evaluate("window.encorePlayer.playing")
    expect(page.locator("#player")).to_have_attribute("data-logged-out", "1")
