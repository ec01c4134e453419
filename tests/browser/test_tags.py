"""In Chromium: an artist tags a release with the tag editor (reached by in-page navigation,
so tags.js runs as a page script), the chips follow the server's normal form, a bad tag shows
its error, and the tag page lists the release."""

import pytest
from playwright.sync_api import expect

from app.demo import seed as demo

pytestmark = [pytest.mark.browser, pytest.mark.committing]


def test_artist_tags_a_release(page, live_server):
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", "harbour@encore.test")
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("form.stack button[type=submit]")
    page.goto(live_server.url + "/artists")
    page.click("main >> text=Harbour Lights")
    page.click("main .card >> text=Gulls")
    editor = page.locator(".tag-editor")
    expect(editor).to_be_visible()

    editor.locator(".tag-input").fill("Sea Shanty, field recording")
    editor.locator(".tag-input").press("Enter")
    chips = editor.locator(".tag-list li a")
    expect(chips).to_have_text(["field-recording", "folk", "sea-shanty"])  # "folk": the demo's
    expect(editor.locator(".tag-status")).to_have_text("Saved.")

    editor.locator("button[aria-label='Remove tag field-recording']").click()
    expect(chips).to_have_text(["folk", "sea-shanty"])

    editor.locator(".tag-input").fill("!!!")
    editor.locator(".add-tag").click()
    expect(editor.locator(".tag-status")).to_contain_text("Not saved: A tag needs 1 to 30 letters or digits")
    expect(chips).to_have_text(["folk", "sea-shanty"])

    chips.last.click()
    expect(page.locator("main h1")).to_have_text("sea-shanty")
    expect(page.locator("main .card")).to_contain_text("Gulls")
