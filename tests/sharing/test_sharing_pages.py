"""Link previews (Open Graph / Twitter tags), the embeddable players, their framing headers,
oEmbed, and the Share control."""

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from app.catalog.models import TrackStatus
from app.core.extensions import db
from app.core.types import utcnow
from tests.factories import bearer, login, make_artist, make_release, make_track, make_user, token_for
from tests.library.library_helpers import set_status
from tests.streaming.streaming_helpers import make_streamable_track

BASE = "https://encore.example"


@pytest.fixture(autouse=True)
def _base_url(app):
    """A canonical address unlike the test client's host: absolute URLs must come from it."""
    old = app.config["BASE_URL"]
    app.config["BASE_URL"] = BASE
    yield
    app.config["BASE_URL"] = old


def meta(page: str, key: str) -> list[str]:
    """The (unescaped) contents of the <meta property|name=key> tags of a page."""
    found = re.findall(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', page)
    return [html.unescape(v) for v in found]


def link(page: str, rel: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(rf'<link rel="{rel}"[^>]* href="([^"]*)"', page)]


def with_cover(release):
    release.cover_key = f"covers/{release.id}/abc"  # the pages only build URLs from it
    db.session.commit()
    return release


def make_public_playlist(user, tracks, *, name="Road mix", public=True, client=None):
    h = bearer(token_for(user))
    from flask import current_app

    c = client or current_app.test_client()
    p = c.post(
        "/api/v1/playlists", json={"name": name, "public": public, "description": "Songs <for> the road"}, headers=h
    )
    playlist = p.json["playlist"]
    for t in tracks:
        c.post(f"/api/v1/playlists/{playlist['id']}/items", json={"track_id": t.id}, headers=h)
    return playlist


# --- meta tags ----------------------------------------------------------------------------------


def test_track_page_has_absolute_escaped_open_graph_and_player_card(client, app_ctx):
    artist = make_artist(name='Tom & "Jerry" <b>')
    release = with_cover(make_release(artist=artist, title="Low Tide"))
    track = make_streamable_track(release=release, title="Salt <Window>")
    page = client.get(f"/tracks/{track.id}").get_data(as_text=True)

    assert meta(page, "og:title") == ['Salt <Window> · Tom & "Jerry" <b>']
    assert "<b>" not in page.split("<body>")[0].replace("&lt;b&gt;", "")  # escaped in <head>
    assert meta(page, "og:type") == ["music.song"]
    assert meta(page, "og:url") == [f"{BASE}/tracks/{track.id}"]
    assert link(page, "canonical") == [f"{BASE}/tracks/{track.id}"]
    assert meta(page, "og:image") == [f"{BASE}/api/v1/releases/{release.id}/cover/large"]
    assert meta(page, "og:audio") == [f"{BASE}/api/v1/tracks/{track.id}/preview"]
    assert meta(page, "og:description") and "Low Tide" in meta(page, "og:description")[0]
    assert meta(page, "twitter:card") == ["player"]
    assert meta(page, "twitter:player") == [f"{BASE}/embed/track/{track.id}"]
    assert meta(page, "twitter:player:width") == ["480"]
    (oembed,) = link(page, "alternate")
    parts = urlsplit(oembed)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{BASE}/oembed"
    assert parse_qs(parts.query) == {"url": [f"{BASE}/tracks/{track.id}"], "format": ["json"]}


def test_release_artist_and_playlist_pages_have_their_cards(client, app_ctx):
    artist = make_artist(name="Harbour Lights")
    release = with_cover(make_release(artist=artist, title="North"))
    track = make_streamable_track(release=release, title="One")

    page = client.get(f"/releases/{release.id}").get_data(as_text=True)
    assert meta(page, "og:type") == ["music.album"]
    assert meta(page, "og:url") == [f"{BASE}/releases/{release.id}"]
    assert meta(page, "og:image") == [f"{BASE}/api/v1/releases/{release.id}/cover/large"]
    assert meta(page, "og:audio") == [f"{BASE}/api/v1/tracks/{track.id}/preview"]
    assert meta(page, "twitter:player") == [f"{BASE}/embed/release/{release.id}"]

    # Artists have no player (no embed, no oEmbed): their newest cover is their picture.
    page = client.get(f"/artists/{artist.id}").get_data(as_text=True)
    assert meta(page, "og:type") == ["profile"]
    assert meta(page, "og:url") == [f"{BASE}/artists/{artist.id}"]
    assert meta(page, "og:image") == [f"{BASE}/api/v1/releases/{release.id}/cover/large"]
    assert meta(page, "twitter:card") == ["summary_large_image"]
    assert link(page, "alternate") == []

    playlist = make_public_playlist(make_user(display_name="Ana"), [track], client=client)
    token = playlist["share_url"].rsplit("/", 1)[1]
    page = client.get(f"/p/{token}").get_data(as_text=True)
    assert meta(page, "og:type") == ["music.playlist"]
    assert meta(page, "og:title") == ["Road mix · playlist by Ana"]
    assert meta(page, "og:description") == ["Songs <for> the road"]
    assert meta(page, "og:url") == [f"{BASE}/p/{token}"]
    assert meta(page, "og:image") == [f"{BASE}/api/v1/releases/{release.id}/cover/large"]
    assert meta(page, "twitter:player") == [f"{BASE}/embed/playlist/{token}"]


def test_without_https_or_cover_the_twitter_card_falls_back(client, app, app_ctx):
    app.config["BASE_URL"] = "http://encore.local"
    track = make_track(title="Bare")
    page = client.get(f"/tracks/{track.id}").get_data(as_text=True)
    assert meta(page, "twitter:card") == ["summary"]  # no cover, and Twitter frames HTTPS only
    assert meta(page, "og:image") == [] and meta(page, "og:audio") == []
    assert meta(page, "og:url") == [f"http://encore.local/tracks/{track.id}"]


def test_a_managers_draft_page_offers_no_player(client, app_ctx):
    manager = make_user()
    artist = make_artist(manager=manager)
    release = make_release(artist=artist, release_date=(utcnow() + timedelta(days=5)).date())
    make_track(release=release)
    login(client, manager)
    page = client.get(f"/releases/{release.id}").get_data(as_text=True)
    assert meta(page, "og:title")  # the manager's own preview of the page
    assert meta(page, "twitter:player") == [] and link(page, "alternate") == []
    assert "Embed code" not in page and "Copy link" in page


# --- the Share control ---------------------------------------------------------------------------


def test_share_control_shows_the_link_and_the_escaped_embed_code(client, app_ctx):
    track = make_track(title='Quote " and <tag>')
    page = client.get(f"/tracks/{track.id}").get_data(as_text=True)
    box = page.split('<details class="share-box">')[1].split("</details>")[0]
    assert f'value="{BASE}/tracks/{track.id}"' in box
    code = html.unescape(re.search(r'<textarea class="share-text share-embed"[^>]*>([^<]*)</textarea>', box).group(1))
    assert code.startswith(f'<iframe src="{BASE}/embed/track/{track.id}" width="480" height="152"')
    assert 'title="Quote &#34; and &lt;tag&gt; · ' in code  # the title escaped inside the code itself


def test_private_playlist_has_no_share_control(client, app_ctx):
    owner = make_user()
    track = make_track()
    playlist = make_public_playlist(owner, [track], public=False, client=client)
    login(client, owner)
    page = client.get(f"/playlists/{playlist['id']}").get_data(as_text=True)
    assert "share-box" not in page and meta(page, "twitter:player") == []


# --- embeds and framing ----------------------------------------------------------------------------


def framable(response) -> bool:
    csp = response.headers["Content-Security-Policy"]
    return "frame-ancestors *" in csp and "X-Frame-Options" not in response.headers


def unframable(response) -> bool:
    csp = response.headers["Content-Security-Policy"]
    return "frame-ancestors 'none'" in csp and response.headers["X-Frame-Options"] == "DENY"


def test_embed_pages_are_framable_and_nothing_else_is(client, app_ctx):
    release = make_release(title="Embedded")
    track = make_track(release=release, title="Framed")
    other = make_track(release=release, title="Second")
    playlist = make_public_playlist(make_user(), [track, other], client=client)
    token = playlist["share_url"].rsplit("/", 1)[1]

    for path in (f"/embed/track/{track.id}", f"/embed/release/{release.id}", f"/embed/playlist/{token}"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert framable(r), path
        page = r.get_data(as_text=True)
        assert "Framed" in page and "Listen on Encore" in page and 'class="embed-toggle"' in page
        assert "<script>" not in page and " style=" not in page
    r = client.get(f"/embed/release/{release.id}")
    assert r.get_data(as_text=True).count('class="embed-track link"') == 2

    for path in (
        "/",
        f"/tracks/{track.id}",
        f"/releases/{release.id}",
        f"/p/{token}",
        "/login",
        "/api/v1/openapi.json",
    ):
        assert unframable(client.get(path)), path
    assert unframable(client.get("/embed/track/999999"))  # an embed's error page is not framable


def test_hidden_draft_and_private_things_are_not_embeddable(client, app_ctx):
    manager = make_user()
    artist = make_artist(manager=manager)
    draft = make_release(artist=artist, release_date=(utcnow() + timedelta(days=5)).date())
    draft_track = make_track(release=draft)
    hidden = make_track(title="Hidden")
    set_status(hidden, TrackStatus.HIDDEN)
    empty = make_release(artist=artist)  # no ready track: a draft
    make_track(release=empty, status=TrackStatus.PROCESSING)
    private = make_public_playlist(manager, [make_track()], public=False, client=client)
    private_token = private["share_url"].rsplit("/", 1)[1]

    login(client, manager)  # not even for the manager: embeds are for strangers
    for path in (
        f"/embed/release/{draft.id}",
        f"/embed/track/{draft_track.id}",
        f"/embed/track/{hidden.id}",
        f"/embed/release/{empty.id}",
        f"/embed/playlist/{private_token}",
        "/embed/playlist/nonsense",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/releases/{draft.id}").status_code == 200  # the page itself they may see


def test_embed_for_a_listener_carries_the_csrf_token_and_visitors_get_no_session(client, app_ctx):
    track = make_track()
    r = client.get(f"/embed/track/{track.id}")
    page = r.get_data(as_text=True)
    assert 'data-logged-in="0"' in page and "csrf-token" not in page
    assert "30-second previews" in page
    assert not r.headers.getlist("Set-Cookie")  # a framed player for strangers stores nothing
    login(client, make_user())
    page = client.get(f"/embed/track/{track.id}").get_data(as_text=True)
    assert 'data-logged-in="1"' in page and 'name="csrf-token"' in page


# --- oEmbed -----------------------------------------------------------------------------------------


def oembed(client, url, **params):
    return client.get("/oembed", query_string={"url": url, **params})


def test_oembed_for_a_track_release_and_playlist(client, app_ctx):
    artist = make_artist(name="A & B")
    release = with_cover(make_release(artist=artist, title="Tide"))
    track = make_track(release=release, title="Wave")
    playlist = make_public_playlist(make_user(), [track], client=client)
    token = playlist["share_url"].rsplit("/", 1)[1]

    r = oembed(client, f"{BASE}/tracks/{track.id}", format="json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    body = r.json
    assert body["version"] == "1.0" and body["type"] == "rich" and body["provider_name"] == "Encore"
    assert body["title"] == "Wave · A & B" and body["author_name"] == "A & B"
    assert body["author_url"] == f"{BASE}/artists/{artist.id}"
    assert (body["width"], body["height"]) == (480, 152)
    assert body["html"].startswith(f'<iframe src="{BASE}/embed/track/{track.id}" width="480" height="152"')
    assert 'title="Wave · A &amp; B on Encore"' in body["html"]
    assert body["thumbnail_url"] == f"{BASE}/api/v1/releases/{release.id}/cover/large"
    assert body["thumbnail_width"] == 1200
    assert r.headers["Access-Control-Allow-Origin"] == "*"

    body = oembed(client, f"{BASE}/releases/{release.id}", maxwidth="320", maxheight="500").json
    assert f'src="{BASE}/embed/release/{release.id}" width="320" height="380"' in body["html"]
    assert (body["width"], body["height"]) == (320, 380)
    assert body["thumbnail_url"].endswith("/cover/small") and body["thumbnail_width"] == 300
    assert "thumbnail_url" not in oembed(client, f"{BASE}/releases/{release.id}", maxwidth="200").json

    for url in (f"{BASE}/p/{token}", f"{BASE}/playlists/{playlist['id']}", f"{BASE}/embed/playlist/{token}"):
        body = oembed(client, url).json
        assert f'src="{BASE}/embed/playlist/{token}"' in body["html"], url

    # The address the request came to is this site too (a site reached by another name).
    assert oembed(client, f"http://localhost/tracks/{track.id}").status_code == 200


def test_oembed_refuses_other_urls_private_playlists_drafts_and_xml(client, app_ctx):
    owner = make_user()
    track = make_track()
    private = make_public_playlist(owner, [track], public=False, client=client)
    token = private["share_url"].rsplit("/", 1)[1]
    hidden = make_track()
    set_status(hidden, TrackStatus.HIDDEN)
    login(client, owner)
    for url in (
        f"https://elsewhere.example/tracks/{track.id}",
        f"{BASE}/artists/{track.release.artist_id}",
        f"{BASE}/",
        f"{BASE}/no/such/page",
        f"{BASE}/tracks/999999",
        f"{BASE}/tracks/{hidden.id}",
        f"{BASE}/p/{token}",
        f"{BASE}/playlists/{private['id']}",
        f"javascript:alert(1)//{BASE}/tracks/{track.id}",
        "",
    ):
        r = oembed(client, url)
        assert r.status_code == 404, url
        assert r.json["error"]["code"] == "not_embeddable"
    r = oembed(client, f"{BASE}/tracks/{track.id}", format="xml")
    assert r.status_code == 501 and r.json["error"]["code"] == "format_not_implemented"
    r = oembed(client, f"{BASE}/tracks/{track.id}", maxwidth="wide")
    assert r.status_code == 422 and r.json["error"]["field"] == "maxwidth"


def test_a_french_browser_gets_the_embed_player_in_french(client, app_ctx):
    """The embed speaks the browser's language (issue 17): its <html lang>, its controls and the
    playlist byline; the English stays for an English browser."""
    owner = make_user(display_name="Maëlle")
    track = make_track(title="Framed")
    playlist = make_public_playlist(owner, [track], client=client)
    token = playlist["share_url"].rsplit("/", 1)[1]
    french = {"Accept-Language": "fr-FR,fr;q=0.9"}

    page = client.get(f"/embed/track/{track.id}", headers=french).get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Écouter sur Encore" in page and "Extraits de 30 secondes." in page and "Détacher" in page
    assert "Listen on Encore" not in page and "30-second previews" not in page
    assert 'data-preview="Lecture de l’extrait de 30 secondes."' in page  # embed.js's words
    page = client.get(f"/embed/playlist/{token}", headers=french).get_data(as_text=True)
    assert "Playlist de Maëlle" in page

    page = client.get(f"/embed/track/{track.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "Listen on Encore" in page
