"""In Chromium: the header's as-you-type search forgives a typo, marks the matching words,
and opens a suggestion from the keyboard."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.committing]


def test_typing_a_typo_suggests_the_track_and_enter_opens_it(page, live_server):
    page.goto(live_server.url + "/")
    box = page.locator("form.search input[name=q]")
    box.press_sequentially("lighthose", delay=40)
    suggestions = page.locator("#search-suggestions")
    expect(suggestions).to_be_visible()
    track = suggestions.locator("[role=option]", has_text="Lighthouse Keeper")
    expect(track).to_have_count(1)
    expect(track.locator("mark")).to_have_text("Lighthouse")
    expect(box).to_have_attribute("aria-expanded", "true")

    # Arrow down to the track's suggestion, then Enter opens its release.
    options = suggestions.locator("[role=option]")
    index = next(i for i in range(options.count()) if "Lighthouse Keeper" in options.nth(i).inner_text())
    for _ in range(index + 1):
        box.press("ArrowDown")
    expect(options.nth(index)).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(page.locator("main h1")).to_have_text("Low Tide")
    expect(page.locator("#search-suggestions")).to_be_hidden()


def test_escape_closes_and_enter_without_a_choice_searches(page, live_server):
    page.goto(live_server.url + "/artists")
    box = page.locator("form.search input[name=q]")
    box.press_sequentially("morning fery", delay=40)
    expect(page.locator("#search-suggestions")).to_be_visible()
    box.press("Escape")
    expect(page.locator("#search-suggestions")).to_be_hidden()
    box.press("Enter")
    expect(page.locator("main h1")).to_have_text("Search")
    expect(page.locator("ol.tracks .track .title mark")).to_have_text(["Morning", "Ferry"])
