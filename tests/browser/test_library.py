"""The library in Chromium: favouriting and following, building a playlist (add from track
pages, reorder by keyboard and by drag, play it into the queue) and opening its share link in
a logged-out browser."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.catalog.models import Release
from app.core.extensions import db
from app.demo import seed as demo

pytestmark = [pytest.mark.browser, pytest.mark.committing]


@pytest.fixture(scope="module")
def bloom(live_app):
    """Static Bloom (The Copper Wires): its id, its artist's and its tracks' (by title)."""
    with live_app.app_context():
        release = db.session.scalar(select(Release).where(Release.title == "Static Bloom"))
        ids = {
            "release": release.id,
            "artist": release.artist_id,
            "tracks": {t.title: t.id for t in release.tracks},
        }
        db.session.remove()
    return ids


def log_in(page, server, email):
    page.goto(server.url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("form.stack button[type=submit]")
    expect(page.locator("header.site")).to_contain_text("Log out")


def titles(page) -> list[str]:
    return page.locator(".playlist-items .entry .title").all_inner_texts()


def test_favourite_and_follow(page, live_server, bloom):
    log_in(page, live_server, demo.LISTENER_EMAIL)
    page.goto(f"{live_server.url}/releases/{bloom['release']}")
    star = page.locator("main .star-toggle")
    expect(star).to_have_attribute("aria-pressed", "false")
    star.click()
    expect(star).to_have_attribute("aria-pressed", "true")
    expect(star).to_have_text("♥ Favourite")

    page.goto(f"{live_server.url}/artists/{bloom['artist']}")
    follow = page.locator("main .star-toggle")
    expect(follow).to_have_text("Follow")
    follow.click()
    expect(follow).to_have_text("Following")
    expect(follow).to_have_attribute("aria-pressed", "true")

    track_id = bloom["tracks"]["Patina"]
    page.goto(f"{live_server.url}/tracks/{track_id}")
    expect(page.locator("main h1")).to_have_text("Patina")
    page.locator("main .star-toggle").click()
    expect(page.locator("main .star-toggle")).to_have_attribute("aria-pressed", "true")

    # The state is the server's: it survives a reload, and the library lists all three.
    page.reload()
    expect(page.locator("main .star-toggle")).to_have_attribute("aria-pressed", "true")
    page.locator("header.site >> text=Library").click()
    expect(page.locator("main h1")).to_have_text("Your library")
    expect(page.locator("#tracks")).to_contain_text("Patina")
    expect(page.locator("#releases")).to_contain_text("Static Bloom")
    expect(page.locator("#artists")).to_contain_text("The Copper Wires")
    expect(page.locator("#feed")).to_contain_text("Static Bloom")

    # Unfollow from the artist page: the feed empties of them.
    page.goto(f"{live_server.url}/artists/{bloom['artist']}")
    page.locator("main .star-toggle").click()
    expect(page.locator("main .star-toggle")).to_have_text("Follow")
    page.goto(f"{live_server.url}/library")
    expect(page.locator("#artists")).not_to_contain_text("The Copper Wires")


def test_build_play_and_share_a_playlist(page, browser, live_server, bloom):
    log_in(page, live_server, demo.LISTENER_EMAIL)
    page.goto(f"{live_server.url}/library")
    form = page.locator("form.new-playlist")
    form.locator("input[name=name]").fill("Copper evenings")
    form.locator("textarea[name=description]").fill("Wires, after dark")
    form.locator("input[name=public]").check()
    form.locator("button[type=submit]").click()
    expect(page.locator("main h1")).to_have_text("Copper evenings")
    expect(page.locator("main .empty")).to_contain_text("No tracks yet")
    playlist_url = page.url

    for title in ("Ohm Sweet Ohm", "Short Circuit", "Patina"):
        page.goto(f"{live_server.url}/tracks/{bloom['tracks'][title]}")
        adder = page.locator("form.add-to-playlist")
        adder.locator("select").select_option(label="Copper evenings")
        adder.locator("button[type=submit]").click()
        expect(adder.locator(".add-note")).to_have_text("Added to “Copper evenings”.")

    page.goto(playlist_url)
    assert titles(page) == ["Ohm Sweet Ohm", "Short Circuit", "Patina"]
    expect(page.locator(".playlist-items .standing").first).to_contain_text(re.compile(r"of 9 plays|owned"))

    # Keyboard: the first row's "Down" button, then Alt+ArrowUp from the last row's.
    page.locator(".playlist-items .entry").nth(0).locator(".move-down").click()
    expect(page.locator(".playlist-note")).to_contain_text("moved to position 2 of 3")
    assert titles(page) == ["Short Circuit", "Ohm Sweet Ohm", "Patina"]
    page.locator(".playlist-items .entry").nth(2).locator(".move-up").focus()
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator(".playlist-note")).to_contain_text("Patina moved to position 2 of 3")
    assert titles(page) == ["Short Circuit", "Patina", "Ohm Sweet Ohm"]
    # Drag: the last row onto the first.
    page.locator(".playlist-items .entry").nth(2).drag_to(page.locator(".playlist-items .entry").nth(0))
    expect(page.locator(".playlist-note")).to_contain_text("Ohm Sweet Ohm moved to position 1 of 3")
    page.reload()  # the order is the server's
    assert titles(page) == ["Ohm Sweet Ohm", "Short Circuit", "Patina"]

    # Remove one; then play the playlist: it becomes the player's queue, in order. (Plays are
    # refused here so nothing is charged to the shared demo listener.)
    page.locator(".playlist-items .entry").nth(1).locator(".remove-entry").click()
    expect(page.locator(".playlist-items .entry")).to_have_count(2)
    page.route(re.compile(r".*/api/v1/tracks/\d+/(plays|previews)$"), lambda route: route.abort())
    page.locator(".play-all").click()
    page.wait_for_function("() => window.encorePlayer.state.queue.length === 2")
    queued = page.evaluate("window.encorePlayer.state.queue.map((item) => item.title)")
    assert queued == ["Ohm Sweet Ohm", "Patina"]
    page.evaluate("window.encorePlayer.audio.pause()")

    # The share link, in a browser that is not logged in: the playlist, playable, not editable.
    share = page.locator("input.share-link").input_value()
    assert "/p/" in share
    visitor_context = browser.new_context()
    visitor = visitor_context.new_page()
    visitor.goto(share)
    expect(visitor.locator("main h1")).to_have_text("Copper evenings")
    expect(visitor.locator("main")).to_contain_text("Wires, after dark")
    assert visitor.locator(".playlist-items .entry .title").all_inner_texts() == ["Ohm Sweet Ohm", "Patina"]
    expect(visitor.locator(".play-all")).to_be_visible()
    expect(visitor.locator("form.edit-playlist")).to_have_count(0)
    expect(visitor.locator(".remove-entry")).to_have_count(0)

    # Made private, the link stops working for others.
    page.locator("form.edit-playlist input[name=public]").uncheck()
    page.locator("form.edit-playlist button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("PRIVATE PLAYLIST")
    response = visitor.goto(share)
    assert response.status == 404
    visitor_context.close()
