import re

import pytest
from playwright.sync_api import expect

from app.demo.seed import DEMO_PASSWORD, DEMO_PROPOSAL_TITLE, LISTENER_EMAIL

pytestmark = [pytest.mark.browser, pytest.mark.committing]


def test_member_casts_a_vote_and_sees_the_receipt(page, live_server):
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", LISTENER_EMAIL)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form.stack button[type=submit]")
    expect(page.locator("header.site")).to_contain_text("Demo Listener")

    page.click("header.site >> text=Co-op votes")
    page.click(f"ul.proposals.open >> text={DEMO_PROPOSAL_TITLE}")
    expect(page.locator("h1")).to_have_text(DEMO_PROPOSAL_TITLE)
    expect(page.locator("table.diff tr.changed")).to_contain_text("0.0015 credits")

    page.check("form.ballot-form input[value=yes]")
    page.click("form.ballot-form button[type=submit]")
    expect(page.locator("#receipt")).to_have_text(re.compile(r"^rcpt-[A-Za-z0-9_-]{24}$"))
    expect(page.locator(".my-ballot")).to_contain_text("You voted yes")

    # Change of mind: a new ballot, a new receipt; the page no longer shows the receipt.
    first = page.locator("#receipt").text_content()
    page.check("form.ballot-form input[value=no]")
    page.click("form.ballot-form button[type=submit]")
    expect(page.locator(".my-ballot")).to_contain_text("You voted no")
    assert page.locator("#receipt").text_content() != first
    page.click("main >> text=Co-op votes")
    page.click(f"ul.proposals.open >> text={DEMO_PROPOSAL_TITLE}")
    expect(page.locator(".my-ballot")).to_contain_text("You voted no")
    expect(page.locator("#receipt")).to_have_count(0)
