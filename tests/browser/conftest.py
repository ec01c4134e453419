"""Browser tests: the app served on a free port from its own database, and Debian's Chromium
driven by Playwright. Absent Chromium skips them locally and fails them in CI."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from app.core.extensions import db
from tests.conftest import make_test_app, migrate_to_head
from tests.resources import fresh_database, missing

CHROMIUM = os.environ.get("ENCORE_TEST_CHROMIUM", "/usr/bin/chromium")
# Flags that keep headless Chromium quiet on a machine with no network beyond loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


class LiveServer:
    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """An app on a database of its own, migrated and seeded with the demo co-op."""
    from app.demo import seed as demo

    tmp = tmp_path_factory.mktemp("live")
    with fresh_database(tmp, "live") as url:
        app = make_test_app(url, tmp / "media", WTF_CSRF_ENABLED=True, TESTING=False, DEV_MAIL_PAGE=True)
        migrate_to_head(app)
        with app.app_context():
            demo.seed_demo(audio_seconds=4)  # real audio, kept short so the fixture stays fast
            db.session.commit()
        yield app
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app):
    with LiveServer(live_app) as server:
        live_app.config["BASE_URL"] = server.url  # links in mails lead to this server
        yield server


# Runs in every document before its own scripts (Playwright injects it through DevTools, so the
# page's Content-Security-Policy does not apply to it): each violation the browser reports is
# logged to the console with a prefix the checker collects.
_REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
                + " at " + e.sourceFile + ":" + e.lineNumber + " on " + location.pathname);
});
"""


def csp_violations(messages: list[str]) -> list[str]:
    """The console messages that report something the Content-Security-Policy blocked."""
    return [m for m in messages if m.startswith("CSP violation") or "Content Security Policy" in m]


class CspCheckedBrowser:
    """The Playwright browser, except that every context it opens reports its pages' console
    messages to ``console`` (and CSP violations to the console, see above)."""

    def __init__(self, browser, console: list[str]):
        self._browser = browser
        self.console = console

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        watch_context(context, self.console)
        return context

    def __getattr__(self, name):
        return getattr(self._browser, name)


def watch_context(context, console: list[str]) -> None:
    context.add_init_script(_REPORT_CSP_VIOLATIONS)
    context.on("page", lambda page: page.on("console", lambda message: console.append(message.text)))


_CONSOLE: list[str] = []  # console messages of the current test's pages


@pytest.fixture(autouse=True)
def _no_csp_violations(request):
    """Every browser test fails if the app's Content-Security-Policy blocked anything."""
    _CONSOLE.clear()
    yield
    violations = csp_violations(_CONSOLE)
    _CONSOLE.clear()
    if violations:
        pytest.fail("the Content-Security-Policy blocked something:\n" + "\n".join(violations), pytrace=False)


@pytest.fixture(autouse=True)
def _no_open_plays(request):
    """Each browser test starts with every play of the shared live app closed. The player no
    longer ends a play when a page is left (the next page may continue it), so plays left
    open by earlier tests would count against a listener's open-plays limit in later ones."""
    if "live_app" in request.fixturenames:
        from sqlalchemy import update

        from app.core.types import utcnow
        from app.streaming.models import Play

        live_app = request.getfixturevalue("live_app")
        with live_app.app_context():
            db.session.execute(update(Play).where(Play.ended_at.is_(None)).values(ended_at=utcnow()))
            db.session.commit()
            db.session.remove()
    yield


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) and shutil.which(CHROMIUM)):
        missing(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield CspCheckedBrowser(browser, _CONSOLE)
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh page in a context of its own, checked for CSP violations (``_no_csp_violations``)."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
