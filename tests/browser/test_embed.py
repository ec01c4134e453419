"""The embeddable player in Chromium, framed by a page of another site: a visitor hears the
preview; a logged-in listener in the popout plays the whole track, metered; other pages refuse
to be framed."""

import re
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.catalog import services as catalog
from app.catalog.models import Track
from app.core.extensions import db
from app.demo import seed as demo
from app.uploads.models import TrackAudio
from tests.browser.conftest import _CONSOLE, csp_violations

pytestmark = [pytest.mark.browser, pytest.mark.committing]


@pytest.fixture(scope="module")
def previewable(live_app) -> int:
    """A public demo track (the catalog's rule) with a preview."""
    with live_app.app_context():
        track_id = db.session.scalar(
            select(Track.id)
            .join(Track.release)
            .join(TrackAudio, TrackAudio.track_id == Track.id)
            .where(catalog.PUBLIC_TRACK, catalog.visible_releases_clause(None))
            .where(TrackAudio.preview_key.is_not(None), Track.free.is_(False))
            .order_by(Track.id)
            .limit(1)
        )
        db.session.remove()
    assert track_id is not None
    return track_id


@pytest.fixture
def other_site(tmp_path, live_server, previewable):
    """A second web server on another port, reached as ``localhost`` (the app is on 127.0.0.1:
    another site, not only another origin, so the app's SameSite=Lax cookie is not sent to the
    frame), serving pages that frame the player and a normal page."""
    (tmp_path / "blog.html").write_text(
        "<!doctype html><title>A blog</title><h1>My favourite song</h1>"
        f'<iframe id="player" src="{live_server.url}/embed/track/{previewable}" width="480" height="152"'
        ' allow="autoplay"></iframe>'
    )
    (tmp_path / "steal.html").write_text(
        f'<!doctype html><title>Framing</title><iframe id="page" src="{live_server.url}/tracks/{previewable}"></iframe>'
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def test_a_visitor_plays_the_preview_in_a_frame_on_another_site(page, live_server, other_site):
    page.goto(other_site + "/blog.html")
    frame = page.frame_locator("#player")
    expect(frame.locator(".embed-title")).to_be_visible()
    expect(frame.locator(".embed-listen")).to_have_text("Listen on Encore")
    # The whole compact player fits the 480 x 152 frame the embed code asks for.
    for part in (".embed-toggle", ".embed-progress", ".embed-listen", ".embed-popout", ".embed-status"):
        expect(frame.locator(part)).to_be_in_viewport(ratio=1)
    frame.locator(".embed-toggle").click()
    expect(frame.locator(".embed-status")).to_have_text("Playing the 30-second preview.")
    player = page.frame(url=lambda url: "/embed/track/" in url)
    player.wait_for_function("() => window.encoreEmbed.audio.currentTime > 0.5")
    assert player.evaluate("window.encoreEmbed.state.mode") == "preview"
    assert "/preview" in player.evaluate("window.encoreEmbed.audio.currentSrc")
    expect(frame.locator(".embed-toggle")).to_have_attribute("aria-label", "Pause")
    player.wait_for_function("() => Number(document.querySelector('.embed-progress').value) > 0")
    # The slider seeks from the keyboard too.
    frame.locator(".embed-toggle").click()  # pause
    before = player.evaluate("window.encoreEmbed.audio.currentTime")
    frame.locator(".embed-progress").focus()
    frame.locator(".embed-progress").press("Home")
    player.wait_for_function(f"() => window.encoreEmbed.audio.currentTime < {before}")


def test_a_french_browser_gets_the_embed_player_in_french(browser, live_server, previewable):
    """The player's script says its words in the page's language (from the data-* attributes)."""
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/embed/track/{previewable}")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.locator(".embed-listen")).to_have_text("Écouter sur Encore")
        page.locator(".embed-toggle").click()
        expect(page.locator(".embed-status")).to_have_text("Lecture de l’extrait de 30 secondes.")
        expect(page.locator(".embed-toggle")).to_have_attribute("aria-label", "Pause")
    finally:
        context.close()


def test_other_pages_refuse_to_be_framed(page, live_server, other_site):
    page.goto(other_site + "/steal.html")
    page.wait_for_timeout(1000)
    framed = page.frame(url=lambda url: "/tracks/" in url)
    # Chromium replaces a refused frame's document with an error page: nothing of Encore's.
    content = framed.content() if framed else ""
    assert "Listen on Encore" not in content and "Share" not in content
    refusals = csp_violations(_CONSOLE)
    assert any("frame-ancestors" in m for m in refusals), _CONSOLE
    _CONSOLE[:] = [m for m in _CONSOLE if "frame-ancestors" not in m]  # expected: not a failure


def test_a_listener_in_the_popout_plays_the_whole_track_metered(page, live_server, previewable):
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", demo.LISTENER_EMAIL)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("form.stack button[type=submit]")
    expect(page.locator("header.site")).to_contain_text("Log out")
    page.goto(f"{live_server.url}/embed/track/{previewable}")
    with page.expect_response(lambda r: r.url.endswith(f"/tracks/{previewable}/plays")) as started:
        page.locator(".embed-toggle").click()
    assert started.value.status == 201
    page.wait_for_function("() => window.encoreEmbed.audio.currentTime > 0.5")
    assert page.evaluate("window.encoreEmbed.state.mode") == "full"
    # A paying play: the head, then the rest, through the metered loader (Media Source Extensions).
    assert page.evaluate("window.encoreEmbed.audio.currentSrc").startswith("blob:")
    assert page.evaluate("window.encoreMeteredAudio.session() !== null")
    with page.expect_response(lambda r: "/progress" in r.url) as reported:
        page.locator(".embed-toggle").click()  # pause: reports the position
    assert reported.value.status == 200


def test_the_share_control_copies_the_link_or_selects_it(browser, live_server, previewable):
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.goto(f"{live_server.url}/tracks/{previewable}")
    page.locator(".share-box summary").click()
    url = f"{live_server.url}/tracks/{previewable}"
    assert page.locator(".share-url").input_value() == url
    expect(page.locator(".share-embed")).to_have_value(
        re.compile(rf'^<iframe src="{re.escape(live_server.url)}/embed/track/{previewable}"')
    )
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator(".share-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == url
    page.get_by_role("button", name="Copy code").click()
    assert page.evaluate("navigator.clipboard.readText()").startswith("<iframe ")
    context.close()

    # No clipboard API (plain HTTP on another host, an old browser): the text is selected.
    context = browser.new_context()
    context.add_init_script("Object.defineProperty(navigator, 'clipboard', { value: undefined })")
    page = context.new_page()
    page.goto(f"{live_server.url}/tracks/{previewable}")
    page.locator(".share-box summary").click()
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator(".share-status")).to_contain_text("Ctrl+C")
    assert page.evaluate("document.activeElement.classList.contains('share-url')")
    assert (
        page.evaluate(
            "getSelection().toString() || document.activeElement.value.substring("
            "document.activeElement.selectionStart, document.activeElement.selectionEnd)"
        )
        == url
    )
    context.close()
