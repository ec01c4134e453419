"""An account's life in Chromium: register, confirm the email by the mailed link (read on
the development mail page), log in on two devices, log out everywhere."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.committing]

EMAIL = "lifecycle@example.test"
PASSWORD = "tangerine harbour lights"


def log_in(page, server, remember=False):
    page.goto(server.url + "/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    if remember:
        page.check("input[name=remember]")
    page.click("form.stack button[type=submit]")
    expect(page.locator("header.site")).to_contain_text("Lifecycle Tester")


def test_register_verify_log_in_and_log_out_everywhere(page, browser, live_server):
    page.goto(live_server.url + "/register")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", "password123")
    page.fill("input[name=display_name]", "Lifecycle Tester")
    page.click("form.stack button[type=submit]")
    expect(page.locator(".flash.error")).to_contain_text("too easy to guess")  # zxcvbn's verdict, in the form

    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit]")
    expect(page.locator("main h1")).to_have_text("Check your mail")

    # The development mail page shows the mail; its link confirms the address.
    page.click('a[href="/dev/mail"]')
    mail = page.locator("article.mail", has_text=f"To {EMAIL}").first
    expect(mail.locator("h2")).to_have_text("Confirm your email for Encore")
    mail.locator("a.mail-link").click()
    expect(page.locator(".flash.success")).to_contain_text("Your email is confirmed")
    expect(page).to_have_url(live_server.url + "/login")

    log_in(page, live_server)
    page.goto(live_server.url + "/wallet")
    expect(page.locator("main")).to_contain_text("0.2")  # the starter credits came with the confirmation

    # A second device, kept logged in.
    phone = browser.new_context(user_agent="Encore test phone")
    other = phone.new_page()
    log_in(other, live_server, remember=True)
    phone.clear_cookies(name="session")  # the phone's browser restarts: remember-me logs it back in
    other.goto(live_server.url + "/account")
    expect(other.locator("main h1")).to_have_text("Your account")

    page.goto(live_server.url + "/account")
    devices = page.locator("table.devices tr.device")
    expect(devices).to_have_count(2)
    expect(page.locator("table.devices")).to_contain_text("Encore test phone")
    expect(page.locator("table.devices .this-device")).to_have_count(1)
    page.click("button.end-all")
    expect(page.locator(".flash.info")).to_contain_text("logged out everywhere")
    expect(page.locator("header.site")).to_contain_text("Log in")

    # The other device is logged out too, remember-me cookie and all.
    phone.clear_cookies(name="session")
    other.goto(live_server.url + "/account")
    expect(other).to_have_url(re.compile(r"/login\?next="))
    expect(other.locator("header.site")).to_contain_text("Log in")
    phone.close()


def test_register_verify_turn_totp_on_and_log_in_with_a_code_then_log_out_everywhere(page, live_server):
    """The whole path of issue 13 in one browser: register, confirm by the mailed link, turn
    TOTP on, log out, log in with the password then a code, log out everywhere."""
    import pyotp

    from tests.browser.test_two_factor import next_step_code

    email, name = "whole-path@example.test", "Whole Path"
    page.goto(live_server.url + "/register")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=display_name]", name)
    page.click("form.stack button[type=submit]")
    expect(page.locator("main h1")).to_have_text("Check your mail")

    page.goto(live_server.url + "/dev/mail")
    mail = page.locator("article.mail", has_text=f"To {email}").first
    expect(mail.locator("h2")).to_have_text("Confirm your email for Encore")
    mail.locator("a.mail-link").click()
    expect(page.locator(".flash.success")).to_contain_text("Your email is confirmed")

    def password_step():
        page.goto(live_server.url + "/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("form.stack button[type=submit]")

    password_step()
    expect(page.locator("header.site")).to_contain_text(name)

    page.goto(live_server.url + "/account/two-factor")
    page.click("text=Set up two-factor authentication")
    expect(page.locator("img.qr")).to_be_visible()
    totp = pyotp.TOTP(page.locator("#totp-secret").inner_text().strip())
    used: set[str] = set()
    page.fill("#enrolment input[name=code]", next_step_code(totp, used))
    page.click("#enrolment button[type=submit]")
    expect(page.locator("#recovery-codes li")).to_have_count(10)

    page.click("text=Log out")
    expect(page.locator("header.site")).to_contain_text("Log in")
    password_step()
    expect(page.locator("h1")).to_have_text("Enter your code")
    expect(page.locator("header.site")).not_to_contain_text(name)  # the password alone is half a login
    page.fill("input[name=code]", next_step_code(totp, used))
    page.click("form.stack button[type=submit]")
    expect(page.locator("header.site")).to_contain_text(name)

    page.goto(live_server.url + "/account")
    page.click("button.end-all")
    expect(page.locator(".flash.info")).to_contain_text("logged out everywhere")
    expect(page.locator("header.site")).to_contain_text("Log in")
    page.goto(live_server.url + "/account")
    expect(page).to_have_url(re.compile(r"/login\?next="))
