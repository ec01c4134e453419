"""The honest player in Chromium on a metered play: the head, then (at the count point) the
rest, through Media Source Extensions. It plays a whole track across the count point with no
real stall, the play counts once, seeking works before (within the head) and after."""

import hashlib
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.catalog.models import Release
from app.core.extensions import db
from app.core.types import utcnow
from app.demo import seed as demo
from app.streaming.models import Play
from app.uploads.services import processing, uploads
from ledger.pricing import DEFAULT_PRICING, enact_pricing
from ledger.schema import Play as LedgerPlay
from tests import media

pytestmark = [pytest.mark.browser, pytest.mark.committing]

COUNT_AFTER_SECONDS = 3
SECONDS = 14
TITLE = "Metered Crossing"

# Installed once the player exists: when the element waits for data while playing, and for how long.
_WATCH_STALLS = """() => {
  const audio = window.encorePlayer.audio;
  window.__stalls = [];
  window.__ended = false;
  let since = null;
  audio.addEventListener("waiting", () => { since = performance.now(); });
  audio.addEventListener("playing", () => {
    if (since !== null) window.__stalls.push(performance.now() - since);
    since = null;
  });
  audio.addEventListener("ended", () => { window.__endedAt = audio.currentTime; window.__ended = true; });
}"""


@pytest.fixture(scope="module")
def metered_setup(live_app, tmp_path_factory):
    """Plays count after 3 s (until the module ends); a 14-s track."""
    from dataclasses import replace

    tmp = tmp_path_factory.mktemp("metered")
    with live_app.app_context():
        enact_pricing(
            db.session,
            replace(DEFAULT_PRICING, count_after_seconds=COUNT_AFTER_SECONDS),
            effective_from=utcnow() - timedelta(seconds=1),
        )
        release = db.session.scalar(select(Release).where(Release.title == "Low Tide"))
        uploader = release.artist.members[0]
        path = media.make_audio(tmp / TITLE, "wav", seconds=SECONDS)
        received = uploads.ReceivedFile(
            path, path.name, path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest()
        )
        (track,) = uploads.add_tracks(release, uploader, [received]).tracks
        db.session.commit()
        processing.process_track(track.id)
        db.session.commit()
        ids = {"release": release.id, "track": track.id}
        db.session.remove()
    yield ids
    with live_app.app_context():
        # The default pricing again, for the tests that follow; in force from a moment ago, so
        # a module enacting its own right after (effective "1 s ago") still wins.
        enact_pricing(db.session, DEFAULT_PRICING, effective_from=utcnow() - timedelta(seconds=3))
        db.session.commit()
        db.session.remove()


def counted(live_app, track_id) -> tuple[int, int]:
    with live_app.app_context():
        plays = db.session.scalar(select(func.count()).select_from(Play).where(Play.track_id == track_id))
        charged = db.session.scalar(select(func.count()).select_from(LedgerPlay).where(LedgerPlay.track_id == track_id))
        db.session.remove()
    return plays, charged


def test_the_player_plays_a_metered_track_across_the_count_point(page, live_app, live_server, metered_setup):
    streams = []
    page.on(
        "response",
        lambda r: (
            streams.append((r.url, r.request.headers.get("range"), r.status, r.headers.get("encore-head-bytes")))
            if "/stream.mp3" in r.url
            else None
        ),
    )
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", demo.LISTENER_EMAIL)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("form.stack button[type=submit]")
    expect(page.locator("header.site")).to_contain_text("Log out")
    page.goto(f"{live_server.url}/releases/{metered_setup['release']}")
    page.wait_for_function("() => !!window.encorePlayer")
    page.evaluate(_WATCH_STALLS)

    page.locator(f".track[data-track-id='{metered_setup['track']}'] .play-track").click()
    expect(page.locator(".player-title")).to_have_text(TITLE)
    page.wait_for_function("() => window.encorePlayer.audio.currentTime > 0.5")
    first = streams[0][0]
    mine = lambda: [s[1:] for s in streams if s[0] == first]  # noqa: E731 (the next track plays after)
    assert page.evaluate("window.encoreMeteredAudio.session() !== null")
    assert page.evaluate("window.encorePlayer.audio.src.startsWith('blob:')")

    # Before the count: seeking within the head works; past it, the player stays in the head.
    page.evaluate("window.encorePlayer.audio.currentTime = 0.1")
    page.wait_for_function("() => window.encorePlayer.audio.currentTime < 1")
    head, rest_asked = mine()[0][2], [s for s in mine() if s[0]]
    assert head is not None and not rest_asked, streams  # only the head so far

    # Across the count point: the rest arrives while the margin plays, with no real stall.
    page.wait_for_function(
        f"() => window.encoreMeteredAudio.session().rest === 'done' "
        f"&& window.encorePlayer.audio.currentTime > {COUNT_AFTER_SECONDS + 1.5}",
        timeout=20_000,
    )
    stalls = page.evaluate("window.__stalls")
    assert all(s < 500 for s in stalls[1:]), stalls  # the first is the start itself

    # Counted, the rest appended: seeking works on both sides of the head's end.
    page.evaluate("window.encorePlayer.audio.currentTime = 1")
    page.wait_for_function(
        "() => { const a = window.encorePlayer.audio; return a.currentTime > 1 && a.currentTime < 3 && !a.paused; }"
    )
    page.evaluate(f"window.encorePlayer.audio.currentTime = {SECONDS - 3}")
    page.wait_for_function(f"() => window.encorePlayer.audio.currentTime > {SECONDS - 2.8}")
    page.wait_for_function("() => window.__ended", timeout=15_000)
    assert page.evaluate("window.__endedAt") > SECONDS - 0.5  # read then: the next track follows

    # One head request, one for the rest at the count point (206: the play counted then).
    ranged = [s for s in mine() if s[0]]
    assert len(ranged) == 1 and re.fullmatch(rf"bytes={head}-", ranged[0][0]) and ranged[0][1] == 206, streams
    expect(page.locator(".player-status")).not_to_contain_text("expired")
    assert counted(live_app, metered_setup["track"]) == (1, 1)


def test_without_mse_the_player_plays_the_head_then_reloads_the_whole_counted_stream(
    page, live_app, live_server, metered_setup
):
    """The fallback for browsers without Media Source Extensions for MP3 (forced here)."""
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", demo.LISTENER_EMAIL)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("form.stack button[type=submit]")
    expect(page.locator("header.site")).to_contain_text("Log out")
    page.goto(f"{live_server.url}/releases/{metered_setup['release']}")
    page.wait_for_function("() => !!window.encorePlayer")
    page.evaluate(_WATCH_STALLS)
    page.evaluate("window.encoreMeteredAudio.native = true")
    before = counted(live_app, metered_setup["track"])

    page.locator(f".track[data-track-id='{metered_setup['track']}'] .play-track").click()
    page.wait_for_function("() => window.encorePlayer.audio.currentTime > 0.5")
    assert "/stream.mp3" in page.evaluate("window.encorePlayer.audio.src")
    page.wait_for_function("() => window.__ended", timeout=SECONDS * 1000 + 15_000)
    assert page.evaluate("window.__endedAt") > SECONDS - 0.5
    stalls = page.evaluate("window.__stalls")
    assert all(s < 2000 for s in stalls[1:]), stalls  # the reload at the count point: a moment
    plays, charged = counted(live_app, metered_setup["track"])
    assert (plays - before[0], charged - before[1]) == (1, 1)
