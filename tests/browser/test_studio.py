"""The studio in Chromium: an artist creates a release, uploads two tracks, renames one,
reorders them by dragging and with the keyboard, drops a cover (previewed at once), publishes,
and the release appears on the home grid."""

import base64

import pytest
from playwright.sync_api import expect

from app.demo import seed as demo
from tests import media

pytestmark = [pytest.mark.browser, pytest.mark.committing]


def titles(page) -> list[str]:
    return page.locator("#track-list li.studio-track .title").all_text_contents()


def test_artist_makes_a_release_in_the_studio(page, live_server, tmp_path):
    first = media.make_audio(tmp_path / "Studio take one", "flac", seconds=2)
    second = media.make_audio(tmp_path / "Studio take two", "flac", seconds=3)  # not the same file

    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", "harbour@encore.test")
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("form.stack button[type=submit]")
    page.click("header >> text=Studio")
    expect(page.locator("h1")).to_have_text("Harbour Lights")

    # a new release is a draft, and is nowhere public
    page.fill(".studio-new input[name=title]", "Tidal Studio")
    page.select_option(".studio-new select[name=kind]", "ep")
    page.click(".studio-new button[type=submit]")
    expect(page.locator("#release-state")).to_contain_text("Draft")
    studio_url = page.url

    # two tracks through the existing upload page of the release
    page.click(".studio-links >> text=Upload tracks")
    page.set_input_files("#upload-files", [str(first), str(second)])
    uploaded = page.locator(".upload-item[data-state=done]")
    expect(uploaded).to_have_count(2, timeout=90_000)  # processed inline
    page.goto(studio_url)
    expect(page.locator("#track-list li.studio-track")).to_have_count(2)
    assert titles(page) == ["Studio take one", "Studio take two"]

    # rename a track
    page.click("#track-list li.studio-track >> nth=0 >> text=Edit")
    page.fill("#track-form input[name=title]", "Ebb")
    page.check("#track-form input[name=explicit]")
    page.click("#track-form button[type=submit]")
    expect(page.locator("#track-list li.studio-track .title").first).to_have_text("Ebb")

    # reorder by dragging the first track below the second
    rows = page.locator("#track-list li.studio-track")
    rows.nth(0).drag_to(rows.nth(1), target_position={"x": 10, "y": 30})
    expect(page.locator("#reorder-status")).to_contain_text("“Ebb” is now track 2")
    page.reload()
    assert titles(page) == ["Studio take two", "Ebb"]

    # and back with the keyboard: focus Ebb's Up button, press Enter; the focus stays on it
    up = page.locator("#track-list li.studio-track", has_text="Ebb").locator("button[data-direction=up]")
    up.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#reorder-status")).to_contain_text("“Ebb” is now track 1")
    assert page.evaluate("() => document.activeElement.dataset.direction") == "up"
    page.reload()
    assert titles(page) == ["Ebb", "Studio take two"]
    expect(page.locator("#track-list li.studio-track .num")).to_have_text(["1", "2"])

    # drop a cover image on the drop zone: previewed at once, then saved in three sizes
    png = base64.b64encode(media.png_bytes((500, 400))).decode()
    transfer = page.evaluate_handle(
        """(b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "cover.png", { type: "image/png" }));
            return transfer;
        }""",
        png,
    )
    page.dispatch_event("#cover-drop", "drop", {"dataTransfer": transfer})
    expect(page.locator("#cover-preview")).to_be_visible()
    expect(page.locator("#cover-status")).to_have_text("Saved in three sizes.", timeout=30_000)
    page.reload()
    expect(page.locator("#cover-preview")).to_have_attribute(
        "src", "/api/v1/releases/" + studio_url.rsplit("/", 1)[1] + "/cover/medium"
    )
    assert page.evaluate("() => document.getElementById('cover-preview').naturalWidth") == 400

    # not public until published
    page.goto(live_server.url + "/")
    expect(page.locator(".grid .card", has_text="Tidal Studio")).to_have_count(0)
    page.goto(studio_url)
    page.click("#publish")
    expect(page.locator("#release-state")).to_have_text("Published")
    page.goto(live_server.url + "/")
    expect(page.locator(".grid .card", has_text="Tidal Studio")).to_be_visible()
    page.click(".grid .card >> text=Tidal Studio")
    expect(page.locator("ol.tracks .track .title")).to_have_text(["Ebb", "Studio take two"])


def test_studio_pages_name_every_control_and_fit_a_phone(browser, live_server):
    from tests.browser.test_layout import UNNAMED_CONTROLS, log_in

    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    try:
        log_in(page, live_server, "harbour@encore.test")
        for path in (
            "/studio",
            "/studio/artists/1",
            "/studio/releases/1",
            "/studio/tracks/1",
            "/studio/tracks/1/remove",
            "/studio/releases/1/delete",
            "/studio/artists/1/profile",
            "/studio/artists/1/managers",
        ):
            page.goto(live_server.url + path)
            assert page.evaluate(UNNAMED_CONTROLS) == [], path
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    finally:
        context.close()
