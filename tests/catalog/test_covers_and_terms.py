"""Cover art wherever a release is shown (srcset over the three sizes), and the stream-to-own
terms for everyone on artist and release pages."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from app.core.extensions import db
from ledger.pricing import PricingParams, enact_pricing
from tests import media
from tests.factories import bearer, login, make_artist, make_release, make_track, make_user, token_for


@pytest.fixture
def covered(client, app_ctx, tmp_path):
    manager = make_user()
    artist = make_artist(name="Cover Band", manager=manager)
    release = make_release(artist=artist, title="Painted Sleeve")
    make_track(release=release, title="Brushstroke")
    bare = make_release(artist=artist, title="Blank Sleeve")
    make_track(release=bare)
    image = tmp_path / "cover.jpg"
    image.write_bytes(media.jpeg_bytes((1300, 1300)))
    with open(image, "rb") as handle:
        r = client.put(
            f"/api/v1/releases/{release.id}/cover",
            data={"file": (handle, "cover.jpg")},
            headers=bearer(token_for(manager)),
            content_type="multipart/form-data",
        )
    assert r.status_code == 200, r.text
    return {"release": release, "bare": bare, "artist": artist, "manager": manager}


def srcset_of(html, release_id):
    match = re.search(rf'srcset="(/api/v1/releases/{release_id}/cover/small 300w[^"]*)"', html)
    return match and match.group(1)


@pytest.mark.parametrize("page", ["home", "artist", "search", "tag", "release"])
def test_cover_shows_with_srcset_wherever_the_release_is(client, covered, page):
    """Before: the grids always drew the letter placeholder, even with a cover set."""
    release = covered["release"]
    client.patch(
        f"/api/v1/releases/{release.id}/tags", json={"tags": ["art-pop"]}, headers=bearer(token_for(covered["manager"]))
    )
    url = {
        "home": "/",
        "artist": f"/artists/{covered['artist'].id}",
        "search": "/search?q=painted",
        "tag": "/tags/art-pop",
        "release": f"/releases/{release.id}",
    }[page]
    html = client.get(url).text
    srcset = srcset_of(html, release.id)
    assert srcset, html
    for size, width in (("small", 300), ("medium", 600), ("large", 1200)):
        assert f"/api/v1/releases/{release.id}/cover/{size} {width}w" in srcset
        assert client.get(f"/api/v1/releases/{release.id}/cover/{size}").status_code == 200
    if page in ("home", "artist"):  # the release without a cover keeps its letter
        assert not srcset_of(html, covered["bare"].id)
        assert re.search(r'<div class="cover" aria-hidden="true">B</div>', html)


def test_collection_and_search_tracks_show_the_cover(client, covered):
    html = client.get("/search?q=brushstroke").text
    assert 'class="cover thumb"' in html and srcset_of(html, covered["release"].id)


TERMS = "first play 0.002 credits, doubling; owned after 9 plays = 1.022 credits"


def visible_text(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize("page", ["artist", "release"])
def test_visitors_see_the_terms(client, app_ctx, page):
    release = make_release(title="Priced")
    make_track(release=release)
    url = f"/releases/{release.id}" if page == "release" else f"/artists/{release.artist_id}"
    assert TERMS in visible_text(client.get(url).text)


def test_terms_follow_the_prices_in_force(client, app_ctx):
    release = make_release(title="Repriced")
    make_track(release=release)
    enact_pricing(
        db.session,
        PricingParams(first_play_price=3_000, growth_permille=1_500, plays_to_own=4),
        effective_from=datetime(2026, 2, 1, tzinfo=timezone.utc),
    )
    db.session.commit()
    text = visible_text(client.get(f"/releases/{release.id}").text)
    # 0.003 + 0.0045 + 0.00675 + 0.010125
    assert "first play 0.003 credits, each next play ×1.5; owned after 4 plays = 0.024375 credits" in text


def test_listeners_see_terms_and_their_own_progress(client, app_ctx):
    release = make_release(title="Mine Soon")
    make_track(release=release)
    login(client, make_user())
    text = visible_text(client.get(f"/releases/{release.id}").text)
    assert TERMS in text and "0 of 9 plays" in text


def test_home_page_states_the_terms_in_force(client, app_ctx):
    text = visible_text(client.get("/").text)
    assert "the first costs 0.002 credits, each repeat twice the last; after 9 plays (1.022 credits in all)" in text
