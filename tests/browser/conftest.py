"""Browser tests: the app served on a free port from its own database, and Debian's Chromium
driven by Playwright. Absent Chromium skips them locally and fails them in CI."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from app.extensions import db
from tests.conftest import make_test_app, migrate_to_head
from tests.resources import fresh_database, missing

CHROMIUM = os.environ.get("ENCORE_TEST_CHROMIUM", "/usr/bin/chromium")
# Flags that keep headless Chromium quiet on a machine with no network beyond loopback.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
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
    from app import demo

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


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) and shutil.which(CHROMIUM)):
        missing(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
