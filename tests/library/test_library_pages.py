"""Library pages: the library, playlist pages and forms, track pages, star buttons."""

import re

from app.catalog.models import TrackStatus
from tests.factories import bearer, login, make_release, make_track, make_user, token_for
from tests.library.library_helpers import csrf_headers, set_status


def test_library_needs_login(client, app_ctx):
    for path in ("/library",):
        r = client.get(path)
        assert r.status_code == 302 and "/login" in r.location
    r = client.post("/playlists", data={"name": "x"})
    assert r.status_code == 302 and "/login" in r.location


def test_library_lists_favourites_follows_feed_and_playlists(client, app_ctx):
    user = make_user()
    h = bearer(token_for(user))
    track = make_track(title="Salt Window")
    client.put(f"/api/v1/me/favourites/tracks/{track.id}", headers=h)
    client.put(f"/api/v1/me/favourites/releases/{track.release.id}", headers=h)
    client.put(f"/api/v1/me/following/{track.release.artist_id}", headers=h)
    client.post("/api/v1/playlists", json={"name": "Harbour mix"}, headers=h)
    login(client, user)
    html = client.get("/library").get_data(as_text=True)
    assert "Salt Window" in html and "Harbour mix" in html
    assert html.count(track.release.title) >= 2  # a favourite release and in the feed
    assert track.release.artist.name in html
    assert not re.search(r'name="mail_new_releases"\s+checked', html)  # off by default


def test_create_edit_delete_playlist_through_forms(client, app_ctx):
    user = make_user()
    login(client, user)
    r = client.post("/playlists", data={"name": "  ", "description": ""})
    assert r.status_code == 302 and r.location.endswith("/library#playlists")
    assert "needs 1 to 200 characters" in client.get("/library").get_data(as_text=True)
    assert client.get("/api/v1/me/playlists").json["playlists"] == []

    r = client.post("/playlists", data={"name": "Road", "description": "long", "public": "on"})
    assert r.status_code == 302
    page = r.location
    pid = int(page.rsplit("/", 1)[1])
    html = client.get(page).get_data(as_text=True)
    assert "Road" in html and "PUBLIC PLAYLIST" in html and "Share link" in html and "Edit playlist" in html

    r = client.post(f"/playlists/{pid}/edit", data={"name": "Road II", "description": "new"})  # unticked: private
    assert r.status_code == 302
    p = client.get(f"/api/v1/playlists/{pid}").json["playlist"]
    assert (p["name"], p["description"], p["public"]) == ("Road II", "new", False)

    r = client.post(f"/playlists/{pid}/edit", data={"name": ""})
    assert r.status_code == 302
    assert client.get(f"/api/v1/playlists/{pid}").json["playlist"]["name"] == "Road II"

    assert client.post(f"/playlists/{pid}/delete").status_code == 302
    assert client.get(f"/playlists/{pid}").status_code == 404


def test_strangers_see_public_playlists_without_editing(client, app_ctx):
    owner = make_user()
    h = bearer(token_for(owner))
    private = client.post("/api/v1/playlists", json={"name": "Secret"}, headers=h).json["playlist"]
    public = client.post("/api/v1/playlists", json={"name": "Open", "public": True}, headers=h).json["playlist"]
    track = make_track(title="Tide Song")
    client.post(f"/api/v1/playlists/{public['id']}/items", json={"track_id": track.id}, headers=h)

    assert client.get(f"/playlists/{private['id']}").status_code == 404
    html = client.get(f"/playlists/{public['id']}").get_data(as_text=True)
    assert "Tide Song" in html and "Edit playlist" not in html and "remove-entry" not in html
    assert "play-all" in html and 'class="track entry"' in html  # the player plays and queues it

    login(client, make_user())
    assert client.get(f"/playlists/{private['id']}").status_code == 404
    assert client.post(f"/playlists/{public['id']}/edit", data={"name": "Mine"}).status_code == 302
    assert client.post(f"/playlists/{public['id']}/delete").status_code == 403
    assert client.post(f"/playlists/{private['id']}/delete").status_code == 404
    assert client.post(f"/playlists/{private['id']}/edit", data={"name": "Mine"}).status_code == 404
    p = client.get(f"/api/v1/playlists/{public['id']}", headers=h).json["playlist"]
    assert p["name"] == "Open"


def test_owner_sees_progress_and_editing_tools(client, app_ctx):
    owner = make_user()
    h = bearer(token_for(owner))
    p = client.post("/api/v1/playlists", json={"name": "Mine"}, headers=h).json["playlist"]
    track = make_track(title="Paid One")
    client.post(f"/api/v1/playlists/{p['id']}/items", json={"track_id": track.id}, headers=h)
    login(client, owner)
    html = client.get(f"/playlists/{p['id']}").get_data(as_text=True)
    assert "0 of 9 plays" in html and "credits to own" in html
    assert "move-up" in html and "remove-entry" in html and 'draggable="true"' in html


def test_track_page(client, app_ctx):
    release = make_release(title="Blue Hours")
    track = make_track(release=release, title="Harbor Lights", duration_ms=185_000)
    r = client.get(f"/tracks/{track.id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Harbor Lights" in html and "Blue Hours" in html and release.artist.name in html and "3:05" in html
    assert "star-toggle" not in html and "preview" in html  # visitors: no favourite, a preview
    assert "Lyrics" not in html  # no lyrics field yet

    user = make_user()
    login(client, user)
    html = client.get(f"/tracks/{track.id}").get_data(as_text=True)
    assert 'aria-pressed="false"' in html and "0 of 9 plays" in html and "Buy now" in html
    assert "Create a playlist" in html
    client.post("/playlists", data={"name": "Keep"})
    client.put(f"/api/v1/me/favourites/tracks/{track.id}", headers=csrf_headers(client))
    html = client.get(f"/tracks/{track.id}").get_data(as_text=True)
    assert 'aria-pressed="true"' in html and "Add to playlist" in html and ">Keep</option>" in html

    set_status(track, TrackStatus.HIDDEN)
    assert client.get(f"/tracks/{track.id}").status_code == 404
    assert client.get("/tracks/999999").status_code == 404


def test_track_lists_link_to_track_pages(client, app_ctx):
    track = make_track(title="Linked")
    html = client.get(f"/releases/{track.release.id}").get_data(as_text=True)
    assert f'href="/tracks/{track.id}"' in html


def test_star_buttons_on_release_and_artist_pages(client, app_ctx):
    user = make_user()
    track = make_track()
    release, artist = track.release, track.release.artist
    assert "star-toggle" not in client.get(f"/releases/{release.id}").get_data(as_text=True)
    login(client, user)
    client.put(f"/api/v1/me/following/{artist.id}", headers=csrf_headers(client))
    html = client.get(f"/artists/{artist.id}").get_data(as_text=True)
    button = re.search(r'<button type="button" class="star-toggle"[^>]*>[^<]*</button>', html).group(0)
    assert 'aria-pressed="true"' in button and "Following" in button and f"/api/v1/me/following/{artist.id}" in button
    html = client.get(f"/releases/{release.id}").get_data(as_text=True)
    button = re.search(r'<button type="button" class="star-toggle"[^>]*>[^<]*</button>', html).group(0)
    assert 'aria-pressed="false"' in button and f"/api/v1/me/favourites/releases/{release.id}" in button


def test_mail_setting_form(client, app_ctx):
    login(client, make_user())
    r = client.post("/library/settings", data={"mail_new_releases": "on"})
    assert r.status_code == 302
    assert client.get("/api/v1/me/library/settings").json["settings"]["mail_new_releases"] is True
    html = client.get("/library").get_data(as_text=True)
    assert re.search(r'name="mail_new_releases"\s+checked', html)
    client.post("/library/settings", data={})
    assert client.get("/api/v1/me/library/settings").json["settings"]["mail_new_releases"] is False


def test_track_page_shows_lyrics_release_credits_and_the_terms_to_visitors(client, app_ctx):
    track = make_track(title="Tide Song")
    track.lyrics = "Low tide,\nhigh water"
    track.release.credits = "Written by the sea"
    html = client.get(f"/tracks/{track.id}").get_data(as_text=True)
    assert "Low tide,\nhigh water" in html
    assert "Written by the sea" in html
    assert re.search(r"first play\s+0\.002 credits,\s+doubling;\s+owned after 9 plays = 1\.022 credits", html)


def test_a_french_browser_gets_the_library_and_playlist_pages_in_french(client, app_ctx):
    """Issue 17: the library's headings, counts (one plural form per count) and flash messages
    are French for a French browser."""
    user = make_user()
    login(client, user)
    french = {"Accept-Language": "fr-FR,fr;q=0.9"}
    page = client.get("/library", headers=french).get_data(as_text=True)
    assert "Votre bibliothèque" in page and "Aucune playlist pour l’instant." in page
    assert "Your library" not in page

    client.post("/playlists", data={"name": " "}, headers=french)
    assert "Le nom d’une playlist compte de 1 à 200 caractères." in client.get("/library", headers=french).text
    r = client.post("/playlists", data={"name": "Route du soir"}, headers=french)
    playlist_page = r.location
    client.post(
        f"/api/v1/playlists/{playlist_page.rsplit('/', 1)[1]}/items",
        json={"track_id": make_track().id},
        headers=csrf_headers(client),
    )
    page = client.get(playlist_page, headers=french).get_data(as_text=True)
    assert "PLAYLIST PRIVÉE · par" in page and "· 1 morceau</p>" in page and "Tout lire" in page

    edit = playlist_page + "/edit"
    r = client.post(edit, data={"name": "Route du soir", "csrf_token": ""}, headers=french, follow_redirects=True)
    assert "Playlist enregistrée." in r.get_data(as_text=True)
