"""``app.core.links.link`` answers exactly what ``url_for`` answers."""

from __future__ import annotations

import pytest
from flask import url_for

from app.core.links import link
from app.streaming.services import new_play_id

VALUES = [new_play_id(), "abc-DEF_123", "a b", "x/y", "é", "LINK.VALUE", "100%", "?q=1#f"]


@pytest.mark.parametrize("script_root", ["", "/mounted", "/LINK.VALUE"])  # the last: the placeholder's text
@pytest.mark.parametrize("value", VALUES)
def test_a_link_is_url_for(app, script_root, value):
    with app.test_request_context("/", base_url=f"http://localhost{script_root}"):
        for _ in range(2):  # the first call builds the template, the second uses it
            assert link("api.report_progress", "play_id", value) == url_for("api.report_progress", play_id=value)
            for fmt in ("mp3", "opus", "LINK.VALUE"):  # the last: a fixed value holding the placeholder
                assert link("api.play_stream", "play_id", value, fmt=fmt) == url_for(
                    "api.play_stream", play_id=value, fmt=fmt
                )


def test_each_script_root_has_its_own_links(app):
    play_id = new_play_id()
    with app.test_request_context("/", base_url="http://localhost/one"):
        first = link("api.end_play", "play_id", play_id)
    with app.test_request_context("/", base_url="http://localhost/two"):
        second = link("api.end_play", "play_id", play_id)
    assert first.startswith("/one/") and second.startswith("/two/")
    assert first.removeprefix("/one") == second.removeprefix("/two")
