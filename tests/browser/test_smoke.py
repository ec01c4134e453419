import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.committing]


def test_register_log_in_and_find_a_track(page, live_server):
    page.goto(live_server.url + "/register")
    page.fill("input[name=email]", "smoke@example.test")
    page.fill("input[name=password]", "a long password")
    page.fill("input[name=display_name]", "Smoke Tester")
    page.fill("input[name=country]", "NL")
    page.click("form.stack button[type=submit]")
    expect(page.locator("main h1")).to_have_text("Check your mail")
    expect(page.locator("header.site")).to_contain_text("Log in")  # registering does not log in

    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", "smoke@example.test")
    page.fill("input[name=password]", "a long password")
    page.click("form.stack button[type=submit]")
    expect(page.locator("header.site")).to_contain_text("Smoke Tester")

    page.click("text=Log out")
    expect(page.locator("header.site")).to_contain_text("Log in")
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", "smoke@example.test")
    page.fill("input[name=password]", "a long password")
    page.click("form.stack button[type=submit]")
    expect(page.locator("header.site")).to_contain_text("Smoke Tester")

    page.fill("form.search input[name=q]", "lighthouse")
    page.press("form.search input[name=q]", "Enter")
    expect(page.locator("ol.tracks .track .title")).to_have_text(["Lighthouse Keeper"])
    page.click("ol.tracks .track .meta >> text=Low Tide")
    expect(page.locator("h1")).to_have_text("Low Tide")


def test_wrong_password_shows_an_error(page, live_server):
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", "listener@encore.test")
    page.fill("input[name=password]", "not the password")
    page.click("form.stack button[type=submit]")
    expect(page.locator(".flash.error")).to_have_text("Wrong email or password.")
