"""The upload page in Chromium: drop several files (or pick them), one progress bar each,
statuses that change from processing to ready without a reload, titles and order from the
files' tags, a refused file with its reason, and replacing a track's audio."""

import base64
import contextlib
import re

import pytest
from playwright.sync_api import expect

from app.demo import seed as demo
from tests import media
from tests.browser.test_layout import UNNAMED_CONTROLS

pytestmark = [pytest.mark.browser, pytest.mark.committing]


@contextlib.contextmanager
def real_queue(app):
    """Queue the jobs (huey on the live app's database) instead of running them inside the
    upload request, so the page shows "processing" until the test, acting as the worker,
    runs them."""
    huey = app.extensions["encore.queue"]
    huey.immediate = False
    huey.storage.ensure_tables()
    huey.flush()
    try:
        yield huey
    finally:
        huey.flush()
        huey.immediate = True


def run_jobs(huey, count):
    for _ in range(count):
        task = huey.dequeue()
        assert task is not None, "a job was expected on the queue"
        huey.execute(task)


def drop_files(page, selector, paths):
    """Drop files on an element the way a desktop does: a drop event carrying them."""
    # After a click that navigated, the page's scripts may not have run yet on a busy machine
    # (then nothing listens for the drag, and the zone never lights up): wait for them.
    page.wait_for_load_state("load")
    files = [{"name": p.name, "data": base64.b64encode(p.read_bytes()).decode()} for p in paths]
    transfer = page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const f of files) {
                const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], f.name, { type: "audio/wav" }));
            }
            return transfer;
        }""",
        files,
    )
    page.dispatch_event(selector, "dragenter", {"dataTransfer": transfer})
    expect(page.locator(selector)).to_have_class(re.compile("dragging"))
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})
    expect(page.locator(selector)).not_to_have_class(re.compile("dragging"))


def login_as_harbour(page, live_server):
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", "harbour@encore.test")
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("form.stack button[type=submit]")


def test_artist_uploads_two_files_and_sees_them_become_ready(page, live_server, live_app, tmp_path):
    # Named so that the name order is not the tag order: the tags decide.
    dusk = media.make_audio(tmp_path / "a-take", "mp3", seconds=2.5, tags={"title": "Harbour Dusk", "track_number": 2})
    dawn = media.make_audio(tmp_path / "b-take", "flac", seconds=2.2, tags={"title": "Harbour Dawn", "track_number": 1})
    bad = media.text_file(tmp_path / "c-notes.wav")

    login_as_harbour(page, live_server)
    page.goto(live_server.url + "/artists")
    page.click("main >> text=Harbour Lights")
    page.click("main >> text=Low Tide")
    page.click("main >> text=Upload tracks")
    expect(page.locator("h1")).to_have_text("Upload tracks")
    expect(page.locator("#dropzone")).to_be_visible()
    assert page.evaluate(UNNAMED_CONTROLS) == []
    page.evaluate("() => { window.sameDocument = true; }")  # gone if the page reloads

    with real_queue(live_app) as huey:
        page.set_input_files("#upload-files", [str(dusk), str(dawn), str(bad)])
        items = page.locator(".upload-item")
        expect(items).to_have_count(3)
        expect(items.locator("progress")).to_have_count(3)
        # Sent in name order; refused at once with a reason a person reads.
        expect(items.nth(2)).to_have_attribute("data-state", "error")
        expect(items.nth(2).locator(".message")).to_contain_text("not audio we can read")
        for i in (0, 1):
            expect(items.nth(i)).to_have_attribute("data-state", "processing")
            expect(items.nth(i).locator("progress")).to_have_attribute("value", "100")
        expect(items.nth(0).locator(".message")).to_contain_text("Harbour Dusk")
        rows = page.locator("#upload-tracks tr.upload-row")
        dawn_row = rows.filter(has_text="Harbour Dawn")
        dusk_row = rows.filter(has_text="Harbour Dusk")
        expect(dawn_row.locator(".status")).to_have_text("processing")
        expect(dusk_row.locator(".status")).to_have_text("processing")
        expect(page.locator(".upload-poll")).to_contain_text("updates by itself")

        run_jobs(huey, 2)  # what the worker does, meanwhile

        expect(dawn_row.locator(".status")).to_have_text("ready")
        expect(dusk_row.locator(".status")).to_have_text("ready")
        expect(items.nth(0)).to_have_attribute("data-state", "done")
        expect(items.nth(1).locator(".message")).to_have_text("ready: “Harbour Dawn”")
        expect(page.locator(".upload-poll")).to_have_text("")
    assert page.evaluate("() => window.sameDocument === true"), "the page reloaded"

    # Titles from the tags, in the tags' order (Dawn, track 1, before Dusk, track 2).
    titles = page.locator("#upload-tracks tr.upload-row td.title").all_text_contents()
    assert titles.index("Harbour Dawn") + 1 == titles.index("Harbour Dusk")
    positions = page.locator("#upload-tracks tr.upload-row td.num").all_text_contents()
    assert positions == [str(n) for n in range(1, len(positions) + 1)]

    # The release page lists them for listeners.
    page.click("main >> text=← Low Tide")
    expect(page.locator("ol.tracks .track .title", has_text="Harbour Dawn")).to_be_visible()


def test_artist_replaces_the_audio_of_a_track(page, live_server, live_app, tmp_path):
    first = media.make_audio(tmp_path / "Tide Pool", "wav", seconds=1.5)
    second = media.make_audio(tmp_path / "tide pool remaster", "flac", seconds=2.5)
    login_as_harbour(page, live_server)
    page.goto(live_server.url + "/artists")
    page.click("main >> text=Harbour Lights")
    page.click("main >> text=Low Tide")
    page.click("main >> text=Upload tracks")
    drop_files(page, "#dropzone", [first])  # dropped this time; the queue runs inline here
    row = page.locator("#upload-tracks tr.upload-row", has_text="Tide Pool")
    expect(row.locator(".status")).to_have_text("ready")
    page.evaluate("() => { window.sameDocument = true; }")

    with real_queue(live_app) as huey:
        with page.expect_file_chooser() as chooser:
            row.locator("button.replace").click()
        chooser.value.set_files(str(second))
        item = page.locator(".upload-item", has_text="New audio for “Tide Pool”")
        expect(item).to_have_attribute("data-state", "processing")
        expect(row.locator(".replacement")).to_contain_text("the current audio plays until it is ready")
        expect(row.locator(".status")).to_have_text("ready")  # the old version still plays
        expect(row.locator("button.replace")).to_have_count(0)
        run_jobs(huey, 1)
        expect(item).to_have_attribute("data-state", "done")
        expect(item.locator(".message")).to_contain_text("now plays the new audio")
        expect(row.locator(".original")).to_contain_text(re.compile(r"FLAC\s+v2"))
        expect(row.locator(".replacement")).to_have_count(0)
    assert page.evaluate("() => window.sameDocument === true"), "the page reloaded"
