"""In Chromium: turn TOTP on from the account page (QR code shown, first code confirms, recovery
codes shown once), log out, log back in with the password and then a code."""

import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.committing]


def next_step_code(totp: pyotp.TOTP, used: set[str]) -> str:
    """The app's current code, waiting for the next step if this one was used (no replays)."""
    code = totp.now()
    while code in used:
        time.sleep(1)
        code = totp.now()
    used.add(code)
    return code


def test_enable_totp_and_log_in_with_a_code(page, live_app, live_server):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    # A verified account (registering and confirming by mail is tests/browser/test_accounts.py's).
    with live_app.app_context():
        make_user(email="totp@example.test", display_name="Tess Otp", password="a long password", verified=True)
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", "totp@example.test")
    page.fill("input[name=password]", "a long password")
    page.click("form.stack button[type=submit]")
    expect(page.locator("header.site")).to_contain_text("Tess Otp")

    page.goto(live_server.url + "/account")
    expect(page.locator("#security")).to_contain_text("off")
    page.click("#security >> text=Two-factor authentication")
    page.click("text=Set up two-factor authentication")
    qr = page.locator("img.qr")
    expect(qr).to_be_visible()
    assert page.evaluate("document.querySelector('img.qr').naturalWidth") > 0  # the data URI rendered
    totp = pyotp.TOTP(page.locator("#totp-secret").inner_text().strip())
    used: set[str] = set()
    page.fill("#enrolment input[name=code]", next_step_code(totp, used))
    page.click("#enrolment button[type=submit]")
    expect(page.locator("#recovery-codes li")).to_have_count(10)

    page.click("text=Log out")
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", "totp@example.test")
    page.fill("input[name=password]", "a long password")
    page.click("form.stack button[type=submit]")
    expect(page.locator("h1")).to_have_text("Enter your code")
    expect(page.locator("header.site")).not_to_contain_text("Tess Otp")
    page.fill("input[name=code]", "000000" if totp.now() != "000000" else "111111")
    page.click("form.stack button[type=submit]")
    expect(page.locator(".flash.error")).to_contain_text("not right")
    page.fill("input[name=code]", next_step_code(totp, used))
    page.click("form.stack button[type=submit]")
    expect(page.locator("header.site")).to_contain_text("Tess Otp")
    page.goto(live_server.url + "/account/two-factor")
    expect(page.locator("#two-factor-state")).to_contain_text("Recovery codes left: 10")
    assert not [e for e in errors if "Content Security Policy" in e]
