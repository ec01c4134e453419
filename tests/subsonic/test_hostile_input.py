"""No Subsonic call answers 5xx (or "the server failed") to hostile parameters: every method,
every common parameter set to text made to break parsers, numbers beyond any column, NUL."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from app.core.ratelimit import limiter
from app.subsonic.protocol import METHODS
from tests.factories import make_track
from tests.subsonic.subsonic_helpers import listener

PARAMS = (
    "id", "albumId", "artistId", "songId", "playlistId", "type", "size", "offset", "fromYear", "toYear",
    "query", "artistCount", "artistOffset", "albumCount", "albumOffset", "songCount", "songOffset",
    "position", "current", "username", "name", "comment", "public", "submission", "maxBitRate", "format",
    "genre", "songIndexToRemove", "songIdToAdd", "artist", "time", "count", "c",
)  # fmt: skip
HOSTILE = [
    "\x00",
    "\ud800",
    "-1",
    "9" * 40,
    str(2**31),
    "tr-999999999999",
    "al-2147483648",
    "pl-" + "9" * 12,
    "ar--1",
    "0000-01",
    "١٢",
    "x" * 5000,
    "tr-1",
]


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    with app.app_context():
        limiter.reset()
    yield
    with app.app_context():
        limiter.reset()


def test_no_method_breaks_on_hostile_parameters(client, app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "STREAM_START_LIMIT", "100000 per minute")
    _, key = listener()
    make_track()
    failures = []
    for name in sorted(METHODS):
        for value in HOSTILE:
            query = urlencode(
                {"apiKey": key, "f": "json", **dict.fromkeys(PARAMS, value)}, encoding="utf-8", errors="surrogatepass"
            )
            for method in ("GET", "POST"):
                if method == "GET":
                    r = client.get(f"/rest/{name}?{query}")
                else:
                    r = client.post(f"/rest/{name}", data=query, content_type="application/x-www-form-urlencoded")
                body = r.get_data(as_text=True)
                if r.status_code >= 500 or "server failed" in body:
                    failures.append((name, method, value[:20], r.status_code, body[:300]))
    assert failures == []
