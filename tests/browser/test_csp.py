"""In Chromium, with the app's Content-Security-Policy: the checker every browser test relies on
does catch a violation, and the pages whose script moved to static files still work."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import csp_violations, watch_context

pytestmark = [pytest.mark.browser, pytest.mark.committing]


def test_the_csp_checker_catches_an_inline_script(browser, live_server):
    # A page served with the app's own policy but holding what templates must not: the browser
    # refuses it and the checker sees it (outside the autouse check, on a console of its own).
    policy = browser_policy(live_server)
    console: list[str] = []
    context = browser._browser.new_context()
    watch_context(context, console)
    page = context.new_page()
    page.route(
        live_server.url + "/csp-probe",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            headers={"Content-Security-Policy": policy},
            body='<!doctype html><p id="p" style="color:red">x</p>'
            '<script>document.title = "ran"</script><button onclick="alert(1)">b</button>',
        ),
    )
    page.goto(live_server.url + "/csp-probe")
    page.click("button")
    assert page.title() != "ran"
    context.close()
    found = csp_violations(console)
    assert any("script-src" in v for v in found), console
    assert any("style-src" in v for v in found), console


def browser_policy(live_server) -> str:
    import urllib.request

    with urllib.request.urlopen(live_server.url + "/login") as response:
        return response.headers["Content-Security-Policy"]


def test_month_picker_opens_the_chosen_month(page, live_server):
    page.goto(live_server.url + "/transparency")
    options = page.locator("select[name=period] option")
    if options.count() < 2:
        pytest.skip("the demo co-op has one month of books")
    other = options.nth(1).get_attribute("value")
    page.select_option("select[name=period]", other)
    expect(page).to_have_url(re.compile(rf"/transparency/{other}$"))
    expect(page.locator("h1")).to_contain_text(other)


def test_proposal_page_countdown_under_the_policy(page, live_server):
    page.goto(live_server.url + "/governance")
    expect(page.locator("time.countdown").first).to_be_visible()
    page.locator("ul.proposals.open a").first.click()
    expect(page.locator("time.countdown")).to_have_text(re.compile(r"\d+ (d|h|min)"))
    # countdown.js ran (a blocked script would be a violation, failing this test); after an
    # in-page navigation the page's scripts load after its text is shown, so wait for it
    page.wait_for_function("() => typeof window.encoreCountdownTimer === 'number'")


def test_a_voter_checks_a_receipt_against_the_published_list(page, live_app, live_server):
    """receipt_check.js (moved out of the page): the receipt is hashed in the browser and found."""
    from datetime import datetime, timedelta, timezone

    from app.core.extensions import db
    from app.governance.services import closing, voting
    from tests.factories import make_member, make_proposal

    opened = datetime.now(timezone.utc) - timedelta(days=20)  # closed (7 days) well before now
    with live_app.app_context():
        proposal = make_proposal(title="A rejected probe", open_at=opened)
        voter = make_member(at=opened - timedelta(days=1))
        _, receipt = voting.cast_vote(proposal, voter, "no", now=opened + timedelta(hours=1))
        db.session.commit()
        closing.close_due_proposals(proposal.closes_at)
        db.session.commit()
        proposal_id = proposal.id
    page.goto(f"{live_server.url}/governance/proposals/{proposal_id}")
    expect(page.locator("section.receipts")).to_be_visible()
    page.fill("#receipt-input", receipt)
    page.click("#check-receipt button[type=submit]")
    expect(page.locator("#receipt-result")).to_have_text("Counted as no.")
    expect(page.locator("tr.mine")).to_have_count(1)
    page.fill("#receipt-input", "rcpt-not-a-real-one")
    page.click("#check-receipt button[type=submit]")
    expect(page.locator("#receipt-result")).to_contain_text("Not in the list")
