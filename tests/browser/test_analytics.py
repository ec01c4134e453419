"""In Chromium: an artist reads their dashboard, a listener shows themselves to artists, and
anyone reads the co-op's open books."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.accounts.models import User
from app.analytics.services import dashboard, rollups
from app.catalog.models import Artist, Track
from app.core.extensions import db
from app.demo.seed import LISTENER_EMAIL
from app.streaming.models import Play

pytestmark = [pytest.mark.browser, pytest.mark.committing]


def log_in(page, base, email):
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "encore-demo")
    page.click("form.stack button[type=submit]")
    expect(page.locator("header.site nav.account")).to_contain_text("Log out")


def _expected(live_app, artist_name: str, track_title: str | None = None):
    """What the dashboard service says for the last 30 days (the page's default range)."""
    with live_app.app_context():
        artist = db.session.scalar(select(Artist).where(Artist.name == artist_name))
        track = db.session.scalar(select(Track).where(Track.title == track_title)) if track_title else None
        view = dashboard.artist_dashboard(artist, dashboard.parse_range(None, None), track)
        db.session.remove()
    return view.totals, view.owners


def test_dashboard_visibility_and_open_books(browser, live_app, live_server):
    with live_app.app_context():
        rollups.update()  # what the every-minute job does
        db.session.commit()
        db.session.remove()
    totals, owners = _expected(live_app, "Harbour Lights")
    gulls, _ = _expected(live_app, "Harbour Lights", "Gulls")
    # The demo's fans listened for months, and the demo listener on top: Gulls 9 times (owned),
    # Morning Ferry 3 times, Slack Water (free) once.
    assert totals.plays > 13 and totals.unique_listeners > 1 and owners > 1 and gulls.plays > 9

    artist = browser.new_context().new_page()
    log_in(artist, live_server.url, "harbour@encore.test")
    artist.goto(live_server.url + "/account")
    artist.click('main a:text-is("dashboard")')
    expect(artist.locator("h1")).to_contain_text("Harbour Lights")
    expect(artist.locator("#total-plays")).to_have_text(str(totals.plays))
    expect(artist.locator("#total-listeners")).to_have_text(str(totals.unique_listeners))
    expect(artist.locator("#plays-chart rect")).to_have_count(30)
    expect(artist.locator("#funnel tr.owners")).to_contain_text(str(owners))
    expect(artist.locator("#visible-listeners")).to_contain_text("No visible listeners")

    listener = browser.new_context().new_page()
    log_in(listener, live_server.url, "listener@encore.test")
    listener.goto(live_server.url + "/account")
    listener.check("input[name=visible_to_artists]")
    listener.click("form.stack button[type=submit]")
    expect(listener.locator(".flash.success")).to_have_text("Profile saved.")

    artist.reload()
    expect(artist.locator("#visible-listeners")).to_contain_text("Demo Listener")
    artist.click("#tracks >> text=Gulls")
    expect(artist.locator("h1")).to_contain_text("Gulls")
    expect(artist.locator("#total-plays")).to_have_text(str(gulls.plays))
    artist.fill("input[name=from]", "2026-01-01")
    artist.fill("input[name=to]", "2026-01-31")
    artist.click("#range-form button[type=submit]")
    expect(artist).to_have_url(re.compile(r"from=2026-01-01"))
    expect(artist.locator("#total-plays")).to_have_text("0")
    expect(artist.locator("#plays-chart rect")).to_have_count(31)

    books = browser.new_context().new_page()  # no login
    books.goto(live_server.url + "/")
    books.click("text=Open books")
    expect(books.locator("h1")).to_contain_text("The co-op's books")
    with live_app.app_context():  # the month of the demo listener's plays (this one, but on the 1st)
        latest = db.session.scalar(
            select(func.max(Play.counted_at))
            .join(User, User.id == Play.listener_id)
            .where(User.email == LISTENER_EMAIL)
        )
        db.session.remove()
    books.goto(live_server.url + f"/transparency/{latest:%Y-%m}")
    expect(books.locator("#money tr[data-figure=credits_spent_on_plays] td.num")).not_to_have_text("0")
    expect(books.locator("#active-listeners")).not_to_have_text("0")
    expect(books.locator("main")).not_to_contain_text("Demo Listener")
    for context_page in (artist, listener, books):
        context_page.context.close()
