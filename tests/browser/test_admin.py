"""In Chromium: an admin (two-factor on) suspends a user, who is logged out and told why, and
hides a track, which vanishes from its release page; a listener reports a track."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import Role, User
from app.admin.models import ContentReport
from app.core.extensions import db
from tests.browser.test_layout import UNNAMED_CONTROLS
from tests.factories import PASSWORD, current_code, enable_two_factor, make_artist, make_release, make_user
from tests.streaming.streaming_helpers import make_streamable_track

pytestmark = [pytest.mark.browser, pytest.mark.committing]


def log_in(page, url: str, email: str, code=None) -> None:
    """Log in through the pages; ``code()`` gives the second factor's code when asked."""
    page.goto(url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit]")
    if code is not None:
        expect(page.locator("h1")).to_have_text("Enter your code")
        page.fill("input[name=code]", code())
        page.click("form.stack button[type=submit]")
    expect(page.locator("header.site")).to_contain_text("Log out")


def test_an_admin_suspends_a_user_and_hides_a_track(browser, live_app, live_server):
    with live_app.app_context():
        admin = make_user(email="browser-admin@example.test", display_name="Ada Admin", role=Role.ADMIN)
        enable_two_factor(admin)
        admin_id = admin.id
        make_user(email="troublemaker@example.test", display_name="Trouble Maker")
        release = make_release(artist=make_artist(name="Contested Artist"), title="Contested Release")
        make_streamable_track(release=release, title="Contested Track")
        make_streamable_track(release=release, title="Harmless Track")
        release_id = release.id
    url = live_server.url
    admin_page = browser.new_context().new_page()
    user_page = browser.new_context().new_page()
    for p in (admin_page, user_page):
        p.set_default_timeout(15_000)

    log_in(user_page, url, "troublemaker@example.test")
    user_page.goto(url + "/account")
    expect(user_page.locator("h1")).to_be_visible()

    def code():
        with live_app.app_context():  # the enrolment used this step's code: forget it (no replay)
            return current_code(db.session.get(User, admin_id))

    log_in(admin_page, url, "browser-admin@example.test", code)
    admin_page.click("header.site >> text=Admin")
    admin_page.click("nav.admin-nav >> text=Users")
    admin_page.fill("main input[name=q]", "troublemaker")
    admin_page.click("main form[role=search] button[type=submit]")
    admin_page.click("#users >> text=troublemaker@example.test")
    admin_page.fill("#suspend-form textarea[name=reason]", "Spamming the comments")
    admin_page.click("#suspend-form button[type=submit]")
    expect(admin_page.locator("p.flash.success")).to_contain_text("suspended")
    expect(admin_page.locator("#user-state")).to_contain_text("Spamming the comments")

    # The user's browser is logged out; logging in again says why.
    user_page.goto(url + "/account")
    expect(user_page).to_have_url(re.compile(r"/login\?next="))
    user_page.fill("input[name=email]", "troublemaker@example.test")
    user_page.fill("input[name=password]", PASSWORD)
    user_page.click("form.stack button[type=submit]")
    expect(user_page.locator("p.flash.error")).to_contain_text("Spamming the comments")

    # Hide a track from its release page's "Moderate" link.
    admin_page.goto(f"{url}/releases/{release_id}")
    admin_page.click("tr:has-text('Contested Track') >> text=Moderate")
    admin_page.fill("#hide-form textarea[name=reason]", "Copyright claim by a label")
    admin_page.click("#hide-form button[type=submit]")
    expect(admin_page.locator("#item-state")).to_contain_text("Hidden")

    # Every admin page names its controls (for screen readers).
    for path in (
        "/admin",
        "/admin/users",
        f"/admin/users/{admin_id}",
        "/admin/catalogue",
        "/admin/orders",
        "/admin/audit",
    ):
        admin_page.goto(url + path)
        assert admin_page.evaluate(UNNAMED_CONTROLS) == [], path

    user_page.goto(f"{url}/releases/{release_id}")
    expect(user_page.locator("ol.tracks")).to_contain_text("Harmless Track")
    expect(user_page.locator("ol.tracks")).not_to_contain_text("Contested Track")
    admin_page.context.close()
    user_page.context.close()


def test_a_listener_reports_a_track(page, live_app, live_server):
    with live_app.app_context():
        make_user(email="reporter@example.test", display_name="Rita Reporter")
        release = make_release(artist=make_artist(name="Reported Artist"), title="Reported Release")
        track = make_streamable_track(release=release, title="Questionable Track")
        release_id, track_id = release.id, track.id
    log_in(page, live_server.url, "reporter@example.test")
    page.goto(f"{live_server.url}/releases/{release_id}")
    page.click("a[aria-label='Report Questionable Track']")
    expect(page.locator("h1")).to_contain_text("Questionable Track")
    page.fill("#report-form textarea[name=reason]", "This is my song, uploaded without permission")
    page.click("#report-form button[type=submit]")
    expect(page.locator("p.flash.success")).to_contain_text("admins' queue")
    with live_app.app_context():
        report = db.session.scalar(select(ContentReport).where(ContentReport.track_id == track_id))
        assert report.reason == "This is my song, uploaded without permission" and report.status == "open"
