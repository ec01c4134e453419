"""In Chromium: turn TOTP on from the account page (QR code shown, first code confirms, recovery
codes shown once), log out, log back in with the password and then a code."""

import time

import pyotp
import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.committing]

PASSWORD = "marmalade lighthouse sixty"  # strong enough for zxcvbn


def next_step_code(totp: pyotp.TOTP, used: set[str]) -> str:
    """The app's current code, waiting for the next step if this one was used (no replays)."""
    code = totp.now()
    while code in used:
        time.sleep(1)
        code = totp.now()
    used.add(code)
    return code


def test_enable_totp_and_log_in_with_a_code(page, live_server):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/register")
    page.fill("input[name=email]", "totp@example.test")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=display_name]", "Tess Otp")
    page.click("form.stack button[type=submit]")
    expect(page.locator("main h1")).to_have_text("Check your mail")
    page.click("a[href=\"/dev/mail\"]")  # the development mail page: confirm the address
    page.locator("article.mail", has_text="To totp@example.test").first.locator("a.mail-link").click()
    expect(page.locator(".flash.success")).to_contain_text("Your email is confirmed")
    page.fill("input[name=email]", "totp@example.test")
    page.fill("input[name=password]", PASSWORD)
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
    page.fill("input[name=password]", PASSWORD)
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
