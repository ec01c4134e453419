"""Layout and labelling checks in Chromium: a phone-width screen, and a name on every control."""

import pytest
from playwright.sync_api import expect

from app.demo import seed as demo

pytestmark = [pytest.mark.browser, pytest.mark.committing]

# Every visible form control, button and image without an accessible name (a <label>, aria-label,
# button text, or alt), so a screen reader would announce it as just "edit text" or "button".
UNNAMED_CONTROLS = """() => [...document.querySelectorAll('input,select,textarea,button,img')]
  .filter(e => e.type !== 'hidden' && !e.closest('[hidden]'))
  .filter(e => {
    if (e.tagName === 'IMG') return !e.hasAttribute('alt');
    if (e.tagName === 'BUTTON') return !(e.textContent.trim() || e.getAttribute('aria-label'));
    return !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby');
  })
  .map(e => e.outerHTML.slice(0, 120))"""


def log_in(page, server, email):
    page.goto(server.url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("form.stack button[type=submit]")
    expect(page.locator("header.site")).to_contain_text("Log out")


def test_phone_width_pages_fit_and_the_player_bar_shows(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    try:
        log_in(page, live_server, "listener@encore.test")
        page.click("header.site >> text=Artists")
        page.click("text=Harbour Lights")
        page.click("text=Low Tide")
        for path in (page.url, live_server.url + "/wallet", live_server.url + "/governance"):
            page.goto(path)
            # nothing wider than the screen: no sideways scrolling of the whole page
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
            box = page.locator("header.site form.search").bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, path
        page.goto(live_server.url + "/releases/1")
        page.locator("li.track .play-track").first.click()
        player = page.locator("#player")
        expect(player).to_be_visible()
        toggle = page.locator(".player-toggle").bounding_box()
        assert toggle["x"] + toggle["width"] <= 390 and toggle["width"] >= 30  # on screen, still tappable
    finally:
        context.close()


@pytest.mark.parametrize(
    "email, paths",
    [
        (
            "listener@encore.test",
            [
                "/",
                "/releases/1",
                "/search?q=tide",
                "/account",
                "/credits",
                "/membership",
                "/governance/proposals/1",
                "/governance/proposals/new",
                "/account/two-factor",
                "/account/delete",
            ],
        ),
        ("harbour@encore.test", ["/releases/1", "/artists/1/money"]),
        ("admin@encore.test", ["/admin/payouts", "/governance/members"]),
    ],
)
def test_every_control_has_a_name(page, live_server, email, paths):
    log_in(page, live_server, email)
    for path in paths:
        page.goto(live_server.url + path)
        assert page.evaluate(UNNAMED_CONTROLS) == [], path
