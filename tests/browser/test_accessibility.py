"""WCAG 2.2 AA in Chromium: axe-core checks every main page on a desktop and a phone screen, in
the light and the dark theme; any serious or critical violation fails.

Add a page by adding its path to ``PAGES`` (with who looks at it). axe-core is vendored under
``tests/browser/vendor/axe-core`` and served to the page from the site's own origin (the
Content-Security-Policy refuses inline scripts, so it cannot be injected as text)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.accounts.models import Role, User
from app.core.extensions import db
from app.demo import seed as demo
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.committing]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_PATH = "/__tests__/axe.min.js"  # answered by the test's route, never by the app

VISITOR, LISTENER, ARTIST = None, demo.LISTENER_EMAIL, "harbour@encore.test"
ADMIN = "axe-admin@example.test"  # made by the ``sessions`` fixture: an admin with two-factor on
# (who, path): the main pages. Others' pages join here as they are built.
PAGES = [
    (VISITOR, "/"),
    (VISITOR, "/artists"),
    (VISITOR, "/artists/1"),
    (VISITOR, "/releases/1"),
    (VISITOR, "/search?q=tide"),
    (VISITOR, "/login"),
    (VISITOR, "/register"),
    (VISITOR, "/forgot-password"),
    (VISITOR, "/governance"),
    (VISITOR, "/governance/pricing"),
    (VISITOR, "/transparency"),
    (LISTENER, "/"),
    (LISTENER, "/releases/1"),
    (LISTENER, "/account"),
    (LISTENER, "/account/two-factor"),
    (LISTENER, "/wallet"),
    (LISTENER, "/history"),
    (LISTENER, "/collection"),
    (LISTENER, "/library"),
    (LISTENER, "/tracks/1"),
    (LISTENER, "/credits"),
    (LISTENER, "/orders"),
    (LISTENER, "/membership"),
    (LISTENER, "/governance"),
    (LISTENER, "/governance/proposals/1"),
    (LISTENER, "/report/track/1"),
    (ARTIST, "/artists/1/dashboard"),
    (ARTIST, "/artists/1/money"),
    # {user}, {track} (hidden) and {release} are filled from the ``sessions`` fixture's records.
    (ADMIN, "/admin"),
    (ADMIN, "/admin/users"),
    (ADMIN, "/admin/users/{user}"),
    (ADMIN, "/admin/catalogue"),
    (ADMIN, "/admin/tracks/{track}"),
    (ADMIN, "/admin/releases/{release}"),
    (ADMIN, "/admin/orders"),
    (ADMIN, "/admin/audit"),
]
SCREENS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
THEMES = ("light", "dark")
FAILING_IMPACTS = {"serious", "critical"}
# Fixed once and kept fixed whatever axe rates them: named landmarks, everything in a landmark.
ALWAYS_FAILING_RULES = {"landmark-unique", "region", "scrollable-region-focusable"}


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page as it is; the violations that fail the suite."""
    page.add_script_tag(url=AXE_PATH)
    results = page.evaluate("async () => await axe.run(document, { resultTypes: ['violations'] })")
    return [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
            "why": (v["nodes"][0].get("failureSummary") or "")[:300] if v["nodes"] else "",
        }
        for v in results["violations"]
        if v["impact"] in FAILING_IMPACTS or v["id"] in ALWAYS_FAILING_RULES
    ]


def _serve_axe(context) -> None:
    body = AXE.read_bytes()
    context.route(f"**{AXE_PATH}", lambda route: route.fulfill(status=200, body=body, content_type="text/javascript"))


def _admin_records(live_app) -> dict:
    """An admin with two-factor on, and something on each admin page: an open report, a hidden
    track, an audit log. Returns the ids the admin pages' paths need."""
    from app.admin.services import moderation
    from tests.factories import enable_two_factor, make_release, make_track, make_user

    with live_app.app_context():
        admin = make_user(email=ADMIN, display_name="Axe Admin", role=Role.ADMIN)
        enable_two_factor(admin)
        reporter = make_user(display_name="Axe Reporter")
        moderation.file_report("release", 1, reporter=reporter, reason="Looks like someone else's record")
        track = make_track(release=make_release(title="Axe Release"), title="Axe Hidden Track")
        moderation.hide("track", track.id, reason="Copyright claim", by=admin)
        db.session.commit()
        return {"admin_id": admin.id, "user": reporter.id, "track": track.id, "release": track.release_id}


def _log_in_admin(page, live_app, admin_id: int) -> None:
    """The second step of an admin's login: the code the authenticator shows now."""
    from tests.factories import current_code

    expect(page.locator("input[name=code]")).to_be_visible()
    with live_app.app_context():
        page.fill("input[name=code]", current_code(db.session.get(User, admin_id)))
    page.click("form.stack button[type=submit]")


@pytest.fixture(scope="module")
def records(live_app) -> dict:
    return _admin_records(live_app)


@pytest.fixture(scope="module")
def sessions(browser, live_app, live_server, records):
    """Each user's logged-in browser state, made once."""
    states = {VISITOR: None}
    for email in (LISTENER, ARTIST, ADMIN):
        context = browser.new_context()
        page = context.new_page()
        page.goto(live_server.url + "/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD if email == ADMIN else demo.DEMO_PASSWORD)
        page.click("form.stack button[type=submit]")
        if email == ADMIN:
            _log_in_admin(page, live_app, records["admin_id"])
        expect(page.locator("header.site form[action='/logout']")).to_be_visible()
        states[email] = context.storage_state()
        context.close()
    return states


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("screen", sorted(SCREENS))
@pytest.mark.parametrize("who, path", PAGES, ids=[f"{who or 'visitor'}:{path}" for who, path in PAGES])
def test_no_serious_accessibility_violations(browser, live_server, sessions, records, who, path, screen, theme):
    path = path.format(**records)
    context = browser.new_context(
        viewport=SCREENS[screen], color_scheme=theme, storage_state=sessions[who], reduced_motion="reduce"
    )
    _serve_axe(context)
    page = context.new_page()
    try:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        page.wait_for_load_state("load")
        found = axe_violations(page)
        assert found == [], f"{path} ({screen}, {theme}):\n" + json.dumps(found, indent=1)
    finally:
        context.close()


def test_the_checker_catches_a_violation(browser, live_server):
    """The check can fail: white text on the old brand red (4.36:1) is a serious violation."""
    context = browser.new_context()
    _serve_axe(context)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/login")
        # Through the DOM API (no inline style attribute: the policy would refuse it).
        page.evaluate(
            "() => { const b = document.querySelector('form.stack button[type=submit]');"
            " b.style.setProperty('background', '#d1495b', 'important'); b.style.setProperty('color', '#fff', 'important'); }"
        )
        assert "color-contrast" in {v["rule"] for v in axe_violations(page)}
    finally:
        context.close()
