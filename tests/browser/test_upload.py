import re

import pytest
from playwright.sync_api import expect

from app.demo import seed as demo
from tests import media

pytestmark = [pytest.mark.browser, pytest.mark.committing]


def test_artist_uploads_tracks_with_progress_bars(page, live_server, tmp_path):
    good = media.make_audio(tmp_path / "Browser Song", "flac", seconds=2)
    bad = media.text_file(tmp_path / "notes.mp3")

    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", "harbour@encore.test")
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("form.stack button[type=submit]")
    page.goto(live_server.url + "/artists")
    page.click("main >> text=Harbour Lights")
    page.click("main >> text=Low Tide")
    expect(page.locator("#manage-title")).to_be_visible()

    page.set_input_files("#upload-form input[type=file]", [str(good), str(bad)])
    page.click("#upload-form button[type=submit]")
    items = page.locator(".upload-item")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_have_class(re.compile("done"))
    expect(items.nth(0).locator(".message")).to_have_text("ready")
    expect(items.nth(0).locator("progress")).to_have_attribute("value", "100")
    expect(items.nth(1)).to_have_class(re.compile("error"))
    expect(items.nth(1).locator(".message")).to_contain_text("not audio we can read")

    page.click(".reload-note a")
    expect(page.locator("ol.tracks .track .title", has_text="Browser Song")).to_be_visible()
    expect(page.locator(".upload-row", has_text="Browser Song").locator(".status")).to_have_text("ready")
