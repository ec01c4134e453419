"""Languages and themes in Chromium: a French browser gets French pages; the footer picker and
the theme switch are remembered, and the theme is right from the first paint."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.demo import seed as demo

pytestmark = [pytest.mark.browser, pytest.mark.committing]


def test_a_french_browser_gets_french_pages(browser, live_server):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.locator("header.site")).to_contain_text("Artistes")
        expect(page.locator("header.site")).to_contain_text("Se connecter")
        page.click("header.site >> text=Se connecter")
        expect(page.locator("h1")).to_have_text("Se connecter")
        page.fill("input[name=email]", demo.LISTENER_EMAIL)
        page.fill("input[name=password]", demo.DEMO_PASSWORD)
        page.click("form.stack button[type=submit]")
        expect(page.locator("header.site")).to_contain_text("Se déconnecter")
        page.goto(live_server.url + "/wallet")
        expect(page.locator("h1")).to_have_text("Votre portefeuille")
        # Credits the French way: a decimal comma.
        expect(page.locator("#balance")).to_have_text(re.compile(r"^\d[\d\u202f]*(,\d+)?$"))
        page.goto(live_server.url + "/governance")
        expect(page.locator("h1")).to_have_text("Votes de la coop")
    finally:
        context.close()


def test_a_visitor_switches_language_in_the_footer(browser, live_server):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    try:
        page.goto(live_server.url + "/artists")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.select_option("footer.site select[name=language]", "fr")
        page.click("footer.site form.language-picker button")
        expect(page).to_have_url(live_server.url + "/artists")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        page.goto(live_server.url + "/login")  # the session keeps the choice
        expect(page.locator("h1")).to_have_text("Se connecter")
    finally:
        context.close()


NO_FLASH_ORDER = """() => {
  const script = document.querySelector('head script[src*="theme.js"]');
  const sheet = document.querySelector('head link[rel=stylesheet]');
  return !!script && !script.defer && !script.async
    && !!(script.compareDocumentPosition(sheet) & Node.DOCUMENT_POSITION_FOLLOWING);
}"""


def _page_background(page) -> str:
    return page.evaluate("() => getComputedStyle(document.body).backgroundColor")


def test_dark_mode_follows_the_device_and_the_switch_is_remembered(browser, live_server):
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        dark = _page_background(page)
        assert dark == "rgb(23, 21, 28)"  # --paper of the dark palette
        page.select_option("#theme-choice", "light")
        assert _page_background(page) == "rgb(251, 250, 247)"
        page.goto(live_server.url + "/artists")  # remembered (localStorage), set before the first paint
        expect(page.locator("html")).to_have_attribute("data-theme", "light")
        assert page.evaluate("() => document.getElementById('theme-choice').value") == "light"
        # No flash of the wrong theme: theme.js runs in <head>, blocking, before the stylesheet.
        assert page.evaluate(NO_FLASH_ORDER), "theme.js must come first in <head>, not deferred"
        page.select_option("#theme-choice", "auto")
        page.reload()
        assert _page_background(page) == dark
        expect(page.locator("html")).not_to_have_attribute("data-theme", "light")
    finally:
        context.close()
