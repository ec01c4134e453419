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
    yield ids
    # The live app is shared by the whole session: later modules (a pricing vote) get the
    # default prices back, not a 3-s count point that no vote could enact.
    with live_app.app_context():
        enact_pricing(db.session, DEFAULT_PRICING, effective_from=utcnow())
        db.session.commit()
        db.session.remove()


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
    # started (a 4-s demo track on a loaded machine may be over before a poll sees it playing)
    page.wait_for_function("() => window.encorePlayer.playing || window.encorePlayer.audio.currentTime > 0")
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


# --- the player survives page loads; shuffle, repeat, queue editing, keyboard, phone -------------


def fresh_listener(live_app, page, server, email) -> None:
    """A verified listener of their own with 3 credits, logged in: open plays and charges of
    other tests do not reach theirs."""
    from app.payments.services import wallet

    with live_app.app_context():
        user = accounts.register(
            email=email,
            password=demo.DEMO_PASSWORD,
            display_name=email.split("@")[0],
            verified=True,
            published_password=True,
        )
        db.session.commit()
        wallet.admin_top_up(user.id, "3", f"top-{email}")
        db.session.commit()
        db.session.remove()
    log_in(page, server, email)


def track_json(live_app, release_title: str) -> list[dict]:
    """A release's tracks as the public API (EncorePlayer.playNow/enqueue) takes them."""
    with live_app.app_context():
        release = db.session.scalar(select(Release).where(Release.title == release_title))
        out = [
            {"id": t.id, "title": t.title, "artist": release.artist.name, "release": release.title}
            for t in sorted(release.tracks, key=lambda t: t.position)
        ]
        db.session.remove()
    return out


def play_now(page, tracks: list[dict], start: int = 0) -> None:
    """Play ``tracks`` from ``start`` through the player's public API, once the page's scripts
    have defined it (right after a login's redirect they may not have run yet)."""
    page.wait_for_function("() => window.EncorePlayer !== undefined")
    page.evaluate("([tracks, start]) => window.EncorePlayer.playNow(tracks, start)", [tracks, start])


def play_id(page) -> str:
    return page.locator("#player").get_attribute("data-play-id")


def open_play_ids(page) -> list[str]:
    return page.evaluate(
        "() => fetch('/api/v1/me/plays/open', {headers: {Accept: 'application/json'}})"
        ".then(r => r.json()).then(b => b.plays.map(p => p.id))"
    )


def start_long_track(page, server, player_setup, *, past: float = 1.0) -> str:
    page.goto(f"{server.url}/releases/{player_setup['release']}")
    page.locator(f".track[data-track-id='{player_setup['track']}'] .play-track").click()
    expect(page.locator("#player")).to_have_attribute("data-mode", "full")
    page.wait_for_function(f"() => window.encorePlayer.playing && window.encorePlayer.audio.currentTime > {past}")
    return play_id(page)


def expect_restored_paused(page, title: str, position_s: float, tolerance_s: float = 1.0) -> None:
    expect(page.locator("#player")).to_be_visible()
    expect(page.locator(".player-title")).to_have_text(title)
    expect(page.locator(".player-toggle")).to_have_attribute("aria-label", "Play")
    expect(page.locator(".player-status")).to_contain_text("Paused where you left off")
    assert not page.evaluate("window.encorePlayer.playing")
    restored = page.evaluate("window.encorePlayer.state.cued.positionMs") / 1000
    assert abs(restored - position_s) <= tolerance_s, (restored, position_s)
    seconds = int(restored)
    expect(page.locator(".player-time")).to_have_text(f"{seconds // 60}:{seconds % 60:02d}")


def test_a_reload_and_a_typed_url_restore_the_player_paused_and_play_continues_the_same_play(
    page, live_app, live_server, player_setup
):
    fresh_listener(live_app, page, live_server, "reload@encore.test")
    first = start_long_track(page, live_server, player_setup, past=1.0)
    page.locator(".player-toggle").click()  # pause mid-track, before the count point (3 s)
    page.wait_for_function("() => !window.encorePlayer.playing")
    paused_at = current_time(page)
    assert paused_at < COUNT_AFTER_SECONDS

    page.reload()
    expect_restored_paused(page, LONG_TRACK, paused_at)
    assert open_play_ids(page) == [first]  # the reload did not end it
    page.locator(".player-toggle").click()
    page.wait_for_function("() => window.encorePlayer.playing")
    expect(page.locator(".player-status")).to_contain_text("Resumed the same play")
    assert play_id(page) == first
    assert current_time(page) >= paused_at - 0.3  # from where it stopped, not from the start

    # The same play goes on to count, once: play 1, not a new play.
    expect(page.locator(".player-status")).to_contain_text("Counted: play 1 of 9", timeout=20_000)

    # A typed URL (a full page load while playing): paused at the same place, same play.
    page.wait_for_function("() => window.encorePlayer.audio.currentTime > 5")
    page.goto(f"{live_server.url}/artists")
    expect_restored_paused(page, LONG_TRACK, 5.5, tolerance_s=2.0)
    page.keyboard.press("Space")
    page.wait_for_function("() => window.encorePlayer.playing")
    assert play_id(page) == first and current_time(page) >= 4.5
    expect(page.locator(".player-status")).to_contain_text("already counted")

    # A play that has ended meanwhile is not continued: Play starts a new one at that place.
    page.locator(".player-toggle").click()
    page.wait_for_function("() => !window.encorePlayer.playing")
    at = current_time(page)
    page.evaluate(
        "() => fetch(window.encorePlayer.state.play.end_url, {method: 'POST', headers: "
        "{'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content}})"
    )
    page.reload()
    expect_restored_paused(page, LONG_TRACK, at)
    page.locator(".player-toggle").click()
    expect(page.locator(".player-status")).to_contain_text("Play 2 of 9")
    page.wait_for_function("() => window.encorePlayer.playing")
    # (a new metered play starts from its head: at the saved place, give or take its first frames)
    assert play_id(page) != first and current_time(page) >= at - 1.5


def test_a_full_page_post_form_restores_the_player_and_keys_are_ignored_while_typing(
    page, live_app, live_server, player_setup
):
    fresh_listener(live_app, page, live_server, "postform@encore.test")
    first = start_long_track(page, live_server, player_setup, past=0.5)
    page.locator("header.site >> text=postform").click()  # in-page navigation: still playing
    expect(page.locator("main h1")).to_have_text("Your account")
    assert page.evaluate("window.encorePlayer.playing")

    name = page.locator("input[name=display_name]")
    name.click()
    name.press("End")
    name.type(" m n")  # letters and a space typed into a field are text, not shortcuts
    expect(name).to_have_value("postform m n")
    assert page.evaluate("window.encorePlayer.playing") and not page.evaluate("window.encorePlayer.audio.muted")
    expect(page.locator(".player-title")).to_have_text(LONG_TRACK)

    before = current_time(page)
    page.locator("form.stack button[type=submit]", has_text="Save").click()  # a full-page POST
    expect(page.locator("header.site")).to_contain_text("postform m n")
    expect_restored_paused(page, LONG_TRACK, before + 0.5, tolerance_s=1.5)
    page.locator(".player-toggle").click()
    page.wait_for_function("() => window.encorePlayer.playing")
    assert play_id(page) == first

    # Logging out (a POST form too) forgets the queue: the next person here starts afresh.
    page.locator("header.site button", has_text="Log out").click()
    expect(page.locator("header.site")).to_contain_text("Log in")
    expect(page.locator("#player")).to_be_hidden()
    # the new page's deferred player script forgets the stored queue once it runs
    page.wait_for_function("() => sessionStorage.getItem('encore.player.v1') === null")


def test_keyboard_only_playback_from_the_skip_link(page, live_app, live_server, player_setup):
    fresh_listener(live_app, page, live_server, "keys@encore.test")
    long = {"id": player_setup["track"], "title": LONG_TRACK, "artist": "Harbour Lights"}
    tracks = [long] + track_json(live_app, "Static Bloom")[:2]
    play_now(page, tracks)
    page.wait_for_function("() => window.encorePlayer.playing")
    page.keyboard.press("Space")  # focus is on the page: Space pauses
    page.wait_for_function("() => !window.encorePlayer.playing")
    paused_at = current_time(page)
    page.reload()
    expect_restored_paused(page, LONG_TRACK, paused_at)

    # The first Tab reaches the skip link; Enter lands on Play/Pause.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to player"
    expect(page.locator("a.skip-link")).to_be_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.classList.contains('player-toggle')")
    page.keyboard.press("Space")
    page.wait_for_function("() => window.encorePlayer.playing && window.encorePlayer.audio.currentTime > 0.5")

    before = current_time(page)
    page.keyboard.press("ArrowRight")  # +5 s
    page.wait_for_function(f"() => window.encorePlayer.audio.currentTime > {before + 4}")
    before = current_time(page)
    page.keyboard.press("ArrowLeft")  # -5 s
    page.wait_for_function(f"() => window.encorePlayer.audio.currentTime < {before - 4}")
    volume = page.locator(".player-volume")
    page.keyboard.press("ArrowDown")
    expect(volume).to_have_value("70")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(volume).to_have_value("90")
    page.keyboard.press("m")
    assert page.evaluate("window.encorePlayer.audio.muted")
    expect(page.locator(".player-mute")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("m")
    assert not page.evaluate("window.encorePlayer.audio.muted")

    # The seek slider, two Tabs on: one arrow press is 5 s, not 1/1000 of the track. (Once
    # the play has counted and the rest of the track is in: before that, a metered play's
    # seek stops at the end of its head.)
    page.wait_for_function(
        "() => !window.encoreMeteredAudio.session() || window.encoreMeteredAudio.session().rest === 'done'"
    )
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('player-seek')")
    before = current_time(page)
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => window.encorePlayer.audio.currentTime > {before + 4}")
    assert current_time(page) < before + 7
    expect(page.locator(".player-seek")).to_have_attribute("aria-valuetext", re.compile(r"^0:\d\d of 0:(19|20)$"))

    page.keyboard.press("n")
    expect(page.locator(".player-title")).to_have_text(tracks[1]["title"])
    page.wait_for_function("() => window.encorePlayer.playing")
    page.keyboard.press("p")  # at the start of a track: back to the previous one
    expect(page.locator(".player-title")).to_have_text(LONG_TRACK)

    # "?" shows the shortcuts; Escape closes them and focus goes back where it was.
    page.keyboard.press("?")
    help_dialog = page.locator("#player-help")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Back / forward 5 seconds")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    assert page.evaluate("document.activeElement.classList.contains('player-seek')")


def test_shuffle_and_repeat(page, live_app, live_server, player_setup):
    fresh_listener(live_app, page, live_server, "shuffle@encore.test")
    tracks = track_json(live_app, "Static Bloom")
    titles = [t["title"] for t in tracks]
    assert len(titles) >= 3
    page.goto(f"{live_server.url}/artists")
    play_now(page, tracks, start=len(tracks) - 1)
    title = page.locator(".player-title")
    expect(title).to_have_text(titles[-1])

    repeat = page.locator(".player-repeat")
    page.wait_for_function("() => window.encorePlayer.playing")
    page.keyboard.press("n")  # repeat off, at the end: nothing after it
    expect(page.locator(".player-status")).to_contain_text("end of the queue")
    repeat.click()
    expect(repeat).to_have_attribute("aria-label", "Repeat: all")
    page.keyboard.press("n")  # repeat all: back to the first
    expect(title).to_have_text(titles[0])

    # Repeat one: the track plays to its end (4 s) and starts again, as a new play.
    repeat.click()
    expect(repeat).to_have_attribute("aria-label", "Repeat: one")
    page.wait_for_function("() => window.encorePlayer.playing")
    first_play = play_id(page)
    page.wait_for_function(f"() => document.querySelector('#player').dataset.playId !== '{first_play}'", timeout=20_000)
    expect(title).to_have_text(titles[0])

    # Shuffle: Next visits every other track once before any repeats, in a shuffled order.
    # (Played at quarter speed: no 4-s track ends and moves on by itself meanwhile.)
    page.evaluate("() => { const a = window.encorePlayer.audio; a.defaultPlaybackRate = a.playbackRate = 0.25; }")
    repeat.click()
    expect(repeat).to_have_attribute("aria-label", "Repeat: off")
    shuffle = page.locator(".player-shuffle")
    shuffle.click()
    expect(shuffle).to_have_attribute("aria-pressed", "true")
    seen = [page.evaluate("window.encorePlayer.state.queue[window.encorePlayer.state.index].title")]
    for _ in range(len(titles) - 1):
        page.keyboard.press("n")
        page.wait_for_function(
            "(seen) => !seen.includes(document.querySelector('.player-title').textContent)", arg=seen
        )
        seen.append(title.text_content())
    assert sorted(seen) == sorted(titles)
    page.wait_for_function("() => window.encorePlayer.playing")  # started (its status shown)
    page.keyboard.press("n")  # all played, repeat off: the end
    expect(page.locator(".player-status")).to_contain_text("end of the queue")
    # Previous walks back through the order they really played in (each within its first 3 s).
    page.keyboard.press("p")
    expect(title).to_have_text(seen[-2])
    page.keyboard.press("p")
    expect(title).to_have_text(seen[-3])

    # Shuffle and repeat are remembered (every tab): after a reload they are still set.
    page.reload()
    expect(page.locator(".player-shuffle")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".player-repeat")).to_have_attribute("aria-label", "Repeat: off")


def queue_titles(page) -> list[str]:
    return page.locator(".player-queue .queue-play").all_text_contents()


def test_queue_reorder_by_keyboard_and_drag_remove_and_clear(page, live_app, live_server, player_setup):
    fresh_listener(live_app, page, live_server, "queue@encore.test")
    tracks = track_json(live_app, "Static Bloom")[:3]
    names = [f"{t['title']} — {t['artist']}" for t in tracks]
    page.goto(f"{live_server.url}/artists")
    play_now(page, tracks)
    expect(page.locator(".player-queue-count")).to_have_text("3")
    page.wait_for_function("() => window.encorePlayer.playing")
    page.keyboard.press("Space")  # paused: the 4-s tracks do not move on by themselves meanwhile
    page.wait_for_function("() => !window.encorePlayer.playing")

    toggle = page.locator(".player-queue-toggle")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    assert queue_titles(page) == names

    # Alt+ArrowDown on an entry moves it; focus stays on it, so it can move again.
    page.locator(".player-queue .queue-play").first.focus()
    page.keyboard.press("Alt+ArrowDown")
    assert queue_titles(page) == [names[1], names[0], names[2]]
    page.keyboard.press("Alt+ArrowDown")
    assert queue_titles(page) == [names[1], names[2], names[0]]
    assert page.evaluate("document.activeElement.textContent") == names[0]
    # The playing entry stays the current one wherever it moves.
    expect(page.locator(".player-queue li[aria-current=true] .queue-play")).to_have_text(names[0])
    expect(page.locator(".player-status")).to_contain_text("position 3 of 3")
    # The Move up button, from the keyboard.
    page.keyboard.press("Tab")  # the entry's Move up button (Move down is disabled at the end)
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == f"Move “{tracks[0]['title']}” up"
    page.keyboard.press("Enter")
    assert queue_titles(page) == [names[1], names[0], names[2]]

    # Drag the last entry to the top.
    page.locator(".player-queue li").nth(2).drag_to(page.locator(".player-queue li").nth(0))
    assert queue_titles(page) == [names[2], names[1], names[0]]

    # Remove an entry that is not the current one: the current one stays.
    page.locator(".player-queue li").nth(0).locator(".queue-remove").click()
    assert queue_titles(page) == [names[1], names[0]]
    expect(page.locator(".player-queue-count")).to_have_text("2")
    assert page.evaluate("window.encorePlayer.state.queue[window.encorePlayer.state.index].title") == tracks[0]["title"]

    # The queue survives a reload, in its new order.
    page.reload()
    page.locator(".player-queue-toggle").click()
    assert queue_titles(page) == [names[1], names[0]]

    page.locator(".player-queue-clear").click()
    expect(page.locator(".player-queue-count")).to_have_text("0")
    assert queue_titles(page) == []
    page.reload()
    expect(page.locator("#player")).to_be_hidden()  # nothing to restore


PHONE = {"width": 375, "height": 740}
TOO_SMALL = """() => [...document.querySelectorAll('#player button, #player input, #player-queue-panel button')]
  .filter(e => e.offsetParent !== null)
  .map(e => [e.className || e.getAttribute('aria-label'), e.getBoundingClientRect()])
  .filter(([, r]) => r.width < 44 || r.height < 44 || r.left < 0 || r.right > 375 || r.bottom > 740)
  .map(([name, r]) => `${name}: ${Math.round(r.width)}x${Math.round(r.height)} at ${Math.round(r.left)},${Math.round(r.top)}`)"""


def test_phone_layout_has_queue_and_volume_and_44_pixel_controls(browser, live_app, live_server, player_setup):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    try:
        fresh_listener(live_app, page, live_server, "phone@encore.test")
        page.goto(f"{live_server.url}/releases/{player_setup['release']}")
        page.locator(".play-all").click()
        expect(page.locator("#player")).to_be_visible()
        page.wait_for_function("() => window.encorePlayer.playing")
        for selector in (".player-volume", ".player-mute", ".player-queue-toggle", ".player-shuffle", ".player-seek"):
            expect(page.locator(selector)).to_be_visible()
        assert page.evaluate(TOO_SMALL) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        page.locator(".player-queue-toggle").tap()
        panel = page.locator("#player-queue-panel")
        expect(panel).to_be_visible()
        box = panel.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] and box["y"] >= 0, box
        assert page.evaluate(TOO_SMALL) == []
        page.locator(".player-queue li").nth(1).locator(".queue-play").tap()
        expect(page.locator(".player-queue li[aria-current=true]")).to_have_count(1)
        expect(page.locator(".player-queue li").nth(1)).to_have_attribute("aria-current", "true")
    finally:
        context.close()
