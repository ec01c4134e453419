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

from app.demo import seed as demo

pytestmark = [pytest.mark.browser, pytest.mark.committing]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_PATH = "/__tests__/axe.min.js"  # answered by the test's route, never by the app

VISITOR, LISTENER, ARTIST = None, demo.LISTENER_EMAIL, "harbour@encore.test"
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
    (ARTIST, "/artists/1/dashboard"),
    (ARTIST, "/artists/1/money"),
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


@pytest.fixture(scope="module")
def sessions(browser, live_server):
    """Each user's logged-in browser state, made once."""
    states = {VISITOR: None}
    for email in (LISTENER, ARTIST):
        context = browser.new_context()
        page = context.new_page()
        page.goto(live_server.url + "/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", demo.DEMO_PASSWORD)
        page.click("form.stack button[type=submit]")
        expect(page.locator("header.site form[action='/logout']")).to_be_visible()
        states[email] = context.storage_state()
        context.close()
    return states


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("screen", sorted(SCREENS))
@pytest.mark.parametrize("who, path", PAGES, ids=[f"{who or 'visitor'}:{path}" for who, path in PAGES])
def test_no_serious_accessibility_violations(browser, live_server, sessions, who, path, screen, theme):
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
