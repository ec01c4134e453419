"""The studio's pages: the header link, the overview, the release and track editors, removing
a track (the page says who keeps it), the profile, managers and the invitation page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role, User
from app.catalog import services as catalog
from app.catalog.models import Release, Track, TrackStatus
from app.core.extensions import db
from app.core.models import OutboxMessage
from app.core.ratelimit import limiter
from app.payments.services import wallet
from tests.factories import login, make_artist, make_release, make_track, make_user


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    with app.app_context():
        limiter.reset()
    yield
    with app.app_context():
        limiter.reset()


@pytest.fixture
def studio(client, app_ctx):
    manager = make_user()
    artist = make_artist(name="Night Ferry", manager=manager)
    release = make_release(artist=artist, title="Crossing")
    tracks = [make_track(release=release, title=f"Leg {i}") for i in (1, 2, 3)]
    login(client, manager)
    return {"manager": manager, "artist": artist, "release": release, "tracks": tracks}


def test_the_header_links_managers_to_their_studio(client, app_ctx):
    listener = make_user()
    login(client, listener)
    assert 'href="/studio"' not in client.get("/").text
    assert "don't manage an artist" in client.get("/studio").text
    client.post("/logout")
    manager = make_user()
    artist = make_artist(manager=manager)
    login(client, manager)
    assert 'href="/studio"' in client.get("/").text
    r = client.get("/studio")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/studio/artists/{artist.id}")
    other = make_artist(name="Second Act", manager=db.session.get(User, manager.id))
    page = client.get("/studio").text
    assert "Second Act" in page and f"/studio/artists/{other.id}" in page


def test_the_overview_groups_releases_and_shows_uploads_and_earnings(client, studio):
    artist = studio["artist"]
    draft = make_release(artist=artist, title="Sketches")
    draft.published_at = None
    scheduled = make_release(artist=artist, title="Next Year", release_date=catalog.today_utc() + timedelta(days=30))
    make_track(release=scheduled, title="Failing", status=TrackStatus.FAILED)
    db.session.commit()
    page = client.get(f"/studio/artists/{artist.id}").text
    drafts, rest = page.split('id="group-draft"')[1].split('id="group-scheduled"')
    scheduled_part, published_part = rest.split('id="group-published"')
    assert (
        "Sketches" in drafts and "Next Year" in scheduled_part and "Crossing" in published_part.split("in-progress")[0]
    )
    assert "Failing" in page and "failed" in page
    assert f"/artists/{artist.id}/dashboard" in page and "credits earned" in page


def test_strangers_get_403_and_drafts_stay_404(client, studio):
    draft = make_release(artist=studio["artist"], title="Secret")
    draft.published_at = None
    db.session.commit()
    client.post("/logout")
    login(client, make_user())
    assert client.get(f"/studio/artists/{studio['artist'].id}").status_code == 403
    assert client.get(f"/studio/releases/{studio['release'].id}").status_code == 403
    assert client.get(f"/studio/releases/{draft.id}").status_code == 404
    assert client.get(f"/studio/tracks/{studio['tracks'][0].id}").status_code == 403
    r = client.post(f"/studio/releases/{studio['release'].id}", data={"title": "Mine"})
    assert r.status_code == 403


def test_create_edit_and_publish_a_release(client, studio):
    artist = studio["artist"]
    r = client.post(f"/studio/artists/{artist.id}/releases", data={"title": "Harbour Lights", "kind": "ep"})
    assert r.status_code == 302
    release = db.session.scalar(select(Release).where(Release.title == "Harbour Lights"))
    assert release.published_at is None and r.headers["Location"].endswith(f"/studio/releases/{release.id}")
    assert "only you see it until you publish it" in client.get(r.headers["Location"]).text
    make_track(release=release, title="Beacon")
    assert "Harbour Lights" not in client.get("/").text

    form = {
        "title": "Harbour Lights",
        "kind": "single",
        "release_date": "",
        "description": "Lights on the water.",
        "credits": "Everything: Night Ferry",
        "license_note": "All rights reserved",
    }
    assert client.post(f"/studio/releases/{release.id}", data=form).status_code == 302
    bad = client.post(f"/studio/releases/{release.id}", data=form | {"kind": "bootleg", "title": "Changed"})
    assert bad.status_code == 422 and "album, an ep or a single" in bad.text and "Changed" in bad.text
    db.session.expire_all()
    release = db.session.get(Release, release.id)
    assert release.title == "Harbour Lights" and release.kind.value == "single" and release.credits.startswith("Every")

    page = client.get(f"/studio/releases/{release.id}").text
    assert "Draft: only you see it" in page and 'id="publish"' in page
    r = client.post(f"/studio/releases/{release.id}/publish", data={"action": "publish"}, follow_redirects=True)
    assert "everyone can hear it now" in r.text
    assert "Harbour Lights" in client.get("/").text
    public = client.get(f"/releases/{release.id}").text
    assert "Lights on the water." in public and "Everything: Night Ferry" in public and "All rights reserved" in public
    client.post(f"/studio/releases/{release.id}/publish", data={"action": "unpublish"})
    assert "Harbour Lights" not in client.get("/").text


def test_edit_a_track_and_move_it_with_the_keyboard_buttons(client, studio):
    _, second, third = studio["tracks"]
    r = client.post(f"/studio/tracks/{second.id}", data={"title": "Middle Leg", "lyrics": "row, row", "explicit": "on"})
    assert r.status_code == 302
    db.session.expire_all()
    track = db.session.get(Track, second.id)
    assert (track.title, track.lyrics, track.explicit, track.free) == ("Middle Leg", "row, row", True, False)
    r = client.post(f"/studio/tracks/{second.id}", data={"title": ""})
    assert r.status_code == 422 and "1 to 200 characters" in r.text

    client.post(f"/studio/tracks/{third.id}/move", data={"direction": "up"})
    client.post(f"/studio/tracks/{third.id}/move", data={"direction": "up"})
    r = client.post(f"/studio/tracks/{third.id}/move", data={"direction": "up"}, follow_redirects=True)
    assert "track number is 1 to 3" in r.text
    db.session.expire_all()
    order = db.session.scalars(
        select(Track.title).where(Track.release_id == studio["release"].id).order_by(Track.position)
    )
    assert list(order) == ["Leg 3", "Leg 1", "Middle Leg"]
    page = client.get(f"/studio/releases/{studio['release'].id}").text
    assert page.index("Leg 3") < page.index("Leg 1") < page.index("Middle Leg")


def test_removing_a_track_says_how_many_listeners_keep_it(client, studio):
    track = studio["tracks"][0]
    for n in range(2):
        fan = make_user()
        wallet.admin_top_up(fan.id, "2", f"fan-top-{n}")
        wallet.buy_now(fan, track.id, f"fan-buy-{n}")
    db.session.commit()
    page = client.get(f"/studio/tracks/{track.id}/remove").text
    assert "2 listeners own it and keep it" in page and "stream and download" in page
    assert client.get(f"/studio/tracks/{studio['tracks'][1].id}/remove").text.count("No listener owns it") == 1
    r = client.post(f"/studio/tracks/{track.id}/remove", follow_redirects=True)
    assert "its owners keep it" in r.text and "Removed from the catalogue" in r.text
    assert "Leg 1" not in client.get(f"/releases/{studio['release'].id}").text.split("manage-title")[0]
    r = client.post(f"/studio/tracks/{track.id}/restore", follow_redirects=True)
    assert "back in the catalogue" in r.text


def test_delete_an_unheard_release_only(client, studio):
    draft = make_release(artist=studio["artist"], title="Oops")
    page = client.get(f"/studio/releases/{draft.id}/delete").text
    assert "Nobody has played it" in page
    r = client.post(f"/studio/releases/{draft.id}/delete")
    assert r.status_code == 302 and db.session.get(Release, draft.id) is None
    fan = make_user()
    wallet.admin_top_up(fan.id, "2", "fan-top")
    wallet.buy_now(fan, studio["tracks"][0].id, "fan-buy")
    db.session.commit()
    assert "cannot be deleted" in client.get(f"/studio/releases/{studio['release'].id}/delete").text
    r = client.post(f"/studio/releases/{studio['release'].id}/delete", follow_redirects=True)
    assert "have been played" in r.text
    db.session.expire_all()
    assert db.session.get(Release, studio["release"].id) is not None


def test_profile_edit_shows_on_the_artist_page(client, studio):
    artist = studio["artist"]
    form = {
        "name": "Night Ferry",
        "bio": "Songs for late crossings.",
        "location": "Calais",
        "links": "https://nf.example",
    }
    assert client.post(f"/studio/artists/{artist.id}/profile", data=form).status_code == 302
    bad = client.post(f"/studio/artists/{artist.id}/profile", data=form | {"links": "ftp://x", "location": "Dover"})
    assert bad.status_code == 422 and "not a web address" in bad.text
    db.session.expire_all()
    assert db.session.get(type(artist), artist.id).location == "Calais"
    page = client.get(f"/artists/{artist.id}").text
    assert "Songs for late crossings." in page and "Calais" in page and 'href="https://nf.example"' in page


def test_invite_by_mail_accept_on_the_page_and_remove(client, studio):
    artist = studio["artist"]
    r = client.post(
        f"/studio/artists/{artist.id}/managers", data={"email": "deckhand@example.test"}, follow_redirects=True
    )
    assert "Invitation sent to deckhand@example.test" in r.text and "Withdraw" in r.text
    body = db.session.scalar(select(OutboxMessage.body).order_by(OutboxMessage.id.desc()).limit(1))
    path = re.search(r"https?://[^/]+(/studio/invitations/\S+)", body).group(1)
    client.post("/logout")
    page = client.get(path).text
    assert "Manage Night Ferry" in page and "Log in" in page
    deckhand = make_user(email="deckhand@example.test")
    login(client, deckhand)
    r = client.post(path)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/studio/artists/{artist.id}")
    assert "not valid any more" in client.get(path).text
    page = client.get(f"/studio/artists/{artist.id}/managers").text
    assert deckhand.display_name in page and studio["manager"].display_name in page
    client.post(f"/studio/artists/{artist.id}/managers/{studio['manager'].id}/remove")
    r = client.post(f"/studio/artists/{artist.id}/managers/{deckhand.id}/remove", follow_redirects=True)
    assert "at least one manager" in r.text


def test_an_invitation_for_another_address_is_refused_on_the_page(client, studio):
    client.post(f"/studio/artists/{studio['artist'].id}/managers", data={"email": "someone@example.test"})
    body = db.session.scalar(select(OutboxMessage.body).order_by(OutboxMessage.id.desc()).limit(1))
    path = re.search(r"https?://[^/]+(/studio/invitations/\S+)", body).group(1)
    client.post("/logout")
    login(client, make_user(role=Role.LISTENER))
    r = client.post(path)
    assert r.status_code == 403 and "sent to someone@example.test" in r.text


def test_a_french_browser_gets_the_studio_in_french(client, studio):
    """Accept-Language: fr: the overview, the release editor (its state, kinds, statuses and
    the words studio.js writes) and the flash messages are French."""
    french = {"Accept-Language": "fr"}
    release = studio["release"]
    overview = client.get(f"/studio/artists/{studio['artist'].id}", headers=french).text
    assert '<html lang="fr"' in overview and "Nouvelle sortie" in overview and "Créer le brouillon" in overview
    assert "3 morceaux" in overview and "crédits gagnés" in overview
    assert "New release" not in overview and "track(s)" not in overview
    page = client.get(f"/studio/releases/{release.id}", headers=french).text
    assert ">Publiée</span>" in page and "Enregistrer les détails" in page and ">Single</option>" in page
    assert '<span class="tag status-ready">prêt</span>' in page
    assert 'data-say-moved="« {title} » est maintenant le morceau {number}."' in page
    assert 'data-say-saving="Enregistrement…"' in page
    client.post(f"/studio/tracks/{studio['tracks'][2].id}/move", data={"direction": "up"}, headers=french)
    page = client.get(f"/studio/releases/{release.id}", headers=french).text
    assert "« Leg 3 » est maintenant le morceau 2." in page
