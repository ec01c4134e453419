import re

import pytest
from playwright.sync_api import expect

from app.demo.seed import DEMO_PASSWORD, LISTENER_EMAIL

pytestmark = [pytest.mark.browser, pytest.mark.committing]


def to_micro(text: str) -> int:
    whole, _, fraction = text.strip().partition(".")
    return int(whole) * 1_000_000 + int(fraction.ljust(6, "0"))


def test_listener_buys_a_credit_pack_with_the_test_provider(page, live_server):
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", LISTENER_EMAIL)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form.stack button[type=submit]")
    expect(page.locator(".test-mode-banner")).to_contain_text("Test mode")

    page.click("header.site >> text=Wallet")
    before = to_micro(page.locator("#balance").text_content())
    page.click("main >> text=Buy credits")
    expect(page.locator("h1")).to_have_text("Buy credits")
    expect(page.locator("li.pack").first).to_contain_text("6.25 EUR")
    page.click("button[data-pack='10']")

    expect(page).to_have_url(re.compile(r"/checkout/test/cs_local_"))
    expect(page.locator("main")).to_contain_text("12.50 EUR")
    page.click("#pay")
    expect(page.locator("#order-status")).to_contain_text("Payment received")
    assert to_micro(page.locator("#balance").text_content()) == before + 10_000_000

    page.click("main >> text=Orders")
    expect(page.locator("#orders tbody tr").first).to_contain_text("paid")
    expect(page.locator("#orders tbody tr").first).to_contain_text("12.50 EUR")
