"""Playlists over the API: ownership, privacy, share links, reorder, validation."""

from datetime import date, timedelta

import pytest

from app.catalog.models import TrackStatus
from app.core.extensions import db
from app.library.models import PlaylistItem
from tests.factories import bearer, make_release, make_track, make_user, token_for
from tests.library.library_helpers import set_status


@pytest.fixture
def owner(app_ctx):
    return make_user()


@pytest.fixture
def h(owner):
    return bearer(token_for(owner))


def new_playlist(client, h, **body):
    r = client.post("/api/v1/playlists", json={"name": "Night drive", **body}, headers=h)
    assert r.status_code == 201, r.json
    return r.json["playlist"]


def add(client, h, playlist_id, track_id, **more):
    return client.post(f"/api/v1/playlists/{playlist_id}/items", json={"track_id": track_id, **more}, headers=h)


def titles(playlist):
    return [i["track"]["title"] for i in playlist["items"]]


def positions_in_db(playlist_id):
    db.session.expire_all()
    rows = db.session.query(PlaylistItem).filter_by(playlist_id=playlist_id).order_by(PlaylistItem.position).all()
    return [r.position for r in rows]


def test_create_read_rename_describe_delete(client, h, owner):
    p = new_playlist(client, h, description="for the road")
    assert p["public"] is False and p["description"] == "for the road" and p["items"] == []
    assert p["owner"]["id"] == owner.id and p["share_url"].endswith(p["share_url"].rsplit("/", 1)[1])
    r = client.patch(f"/api/v1/playlists/{p['id']}", json={"name": "  Late drive ", "description": ""}, headers=h)
    assert (
        r.status_code == 200 and r.json["playlist"]["name"] == "Late drive" and r.json["playlist"]["description"] == ""
    )
    mine = client.get("/api/v1/me/playlists", headers=h).json["playlists"]
    assert [(x["id"], x["size"]) for x in mine] == [(p["id"], 0)]
    assert client.delete(f"/api/v1/playlists/{p['id']}", headers=h).status_code == 204
    assert client.get(f"/api/v1/playlists/{p['id']}", headers=h).status_code == 404
    assert client.get("/api/v1/me/playlists", headers=h).json["playlists"] == []


def test_validation_errors_write_nothing(client, h):
    for body, field in (
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "ok", "description": "d" * 2001}, "description"),
        ({"name": "ok", "public": "yes"}, "public"),
        ({"name": 5}, "name"),
        ({"name": "ok", "colour": "red"}, "colour"),
    ):
        r = client.post("/api/v1/playlists", json=body, headers=h)
        assert r.status_code == 422, body
        assert r.json["error"]["field"] == field, body
    assert client.get("/api/v1/me/playlists", headers=h).json["playlists"] == []
    p = new_playlist(client, h)
    r = client.patch(f"/api/v1/playlists/{p['id']}", json={"name": "fine", "description": "d" * 2001}, headers=h)
    assert r.status_code == 422
    assert client.get(f"/api/v1/playlists/{p['id']}", headers=h).json["playlist"]["name"] == "Night drive"
    assert add(client, h, p["id"], "7").status_code == 422
    assert add(client, h, p["id"], 999999).status_code == 404
    track = make_track()
    r = add(client, h, p["id"], track.id, position=1)
    assert r.status_code == 422 and r.json["error"]["field"] == "position"
    r = add(client, h, p["id"], track.id, position=-1)
    assert r.status_code == 422
    assert client.get(f"/api/v1/playlists/{p['id']}", headers=h).json["playlist"]["items"] == []


def test_add_insert_remove_keep_positions_dense(client, h):
    p = new_playlist(client, h)
    a, b, c, d = (make_track(title=t) for t in "ABCD")
    add(client, h, p["id"], a.id)
    add(client, h, p["id"], b.id)
    r = add(client, h, p["id"], c.id, position=0)
    assert r.status_code == 201 and titles(r.json["playlist"]) == ["C", "A", "B"]
    r = add(client, h, p["id"], d.id, position=2)
    assert titles(r.json["playlist"]) == ["C", "A", "D", "B"]
    r = add(client, h, p["id"], a.id)  # the same track twice is allowed (as in Subsonic)
    assert titles(r.json["playlist"]) == ["C", "A", "D", "B", "A"]
    items = r.json["playlist"]["items"]
    assert [i["position"] for i in items] == [0, 1, 2, 3, 4]
    r = client.delete(f"/api/v1/playlists/{p['id']}/items/{items[1]['id']}", headers=h)
    assert r.status_code == 200 and titles(r.json["playlist"]) == ["C", "D", "B", "A"]
    assert positions_in_db(p["id"]) == [0, 1, 2, 3]
    assert client.delete(f"/api/v1/playlists/{p['id']}/items/{items[1]['id']}", headers=h).status_code == 404


@pytest.mark.parametrize(
    ("start", "to", "expected"),
    [
        (0, 3, "BCDA"),
        (3, 0, "DABC"),
        (1, 2, "ACBD"),
        (2, 1, "ACBD"),
        (1, 1, "ABCD"),
        (0, 1, "BACD"),
    ],
)
def test_move_reorders_exactly(client, h, start, to, expected):
    p = new_playlist(client, h)
    for t in "ABCD":
        r = add(client, h, p["id"], make_track(title=t).id)
    item = r.json["playlist"]["items"][start]
    r = client.post(f"/api/v1/playlists/{p['id']}/items/{item['id']}/move", json={"position": to}, headers=h)
    assert r.status_code == 200
    assert "".join(titles(r.json["playlist"])) == expected
    assert positions_in_db(p["id"]) == [0, 1, 2, 3]
    again = client.get(f"/api/v1/playlists/{p['id']}", headers=h).json["playlist"]
    assert "".join(titles(again)) == expected


def test_move_validation(client, h):
    p = new_playlist(client, h)
    r = add(client, h, p["id"], make_track().id)
    item = r.json["playlist"]["items"][0]
    url = f"/api/v1/playlists/{p['id']}/items/{item['id']}/move"
    for body in ({"position": 1}, {"position": -1}, {"position": "0"}, {}):
        r = client.post(url, json=body, headers=h)
        assert r.status_code == 422, body
    assert (
        client.post(f"/api/v1/playlists/{p['id']}/items/999999/move", json={"position": 0}, headers=h).status_code
        == 404
    )
    other = new_playlist(client, h, name="Other")
    r = client.post(f"/api/v1/playlists/{other['id']}/items/{item['id']}/move", json={"position": 0}, headers=h)
    assert r.status_code == 404  # an item of another playlist


def test_nobody_edits_anothers_playlist(client, h):
    p_private = new_playlist(client, h)
    p_public = new_playlist(client, h, name="Open", public=True)
    track = make_track()
    r = add(client, h, p_public["id"], track.id)
    item_id = r.json["playlist"]["items"][0]["id"]
    stranger = bearer(token_for(make_user()))
    # someone else's public playlist: 403; private: 404 (not disclosed)
    for pid, status in ((p_public["id"], 403), (p_private["id"], 404)):
        assert (
            client.patch(f"/api/v1/playlists/{pid}", json={"name": "Mine now"}, headers=stranger).status_code == status
        )
        assert client.delete(f"/api/v1/playlists/{pid}", headers=stranger).status_code == status
        assert add(client, stranger, pid, track.id).status_code == status
    pid = p_public["id"]
    assert client.delete(f"/api/v1/playlists/{pid}/items/{item_id}", headers=stranger).status_code == 403
    r = client.post(f"/api/v1/playlists/{pid}/items/{item_id}/move", json={"position": 0}, headers=stranger)
    assert r.status_code == 403
    # and visitors must log in
    assert client.patch(f"/api/v1/playlists/{pid}", json={"name": "x"}).status_code == 401
    assert client.post("/api/v1/playlists", json={"name": "x"}).status_code == 401
    p = client.get(f"/api/v1/playlists/{pid}", headers=h).json["playlist"]
    assert p["name"] == "Open" and len(p["items"]) == 1


def test_privacy_and_share_links(client, h):
    p = new_playlist(client, h)
    add(client, h, p["id"], make_track(title="Harbour").id)
    token = p["share_url"].rsplit("/", 1)[1]
    stranger = bearer(token_for(make_user()))
    # private: the owner only, by id or by link
    assert client.get(f"/api/v1/playlists/{p['id']}").status_code == 404
    assert client.get(f"/api/v1/playlists/{p['id']}", headers=stranger).status_code == 404
    assert client.get(f"/api/v1/playlists/shared/{token}").status_code == 404
    assert client.get(f"/p/{token}").status_code == 404
    assert client.get(f"/api/v1/playlists/shared/{token}", headers=h).status_code == 200
    # public: anyone, visitors too; the share link is the page
    client.patch(f"/api/v1/playlists/{p['id']}", json={"public": True}, headers=h)
    r = client.get(f"/api/v1/playlists/shared/{token}")
    assert r.status_code == 200 and titles(r.json["playlist"]) == ["Harbour"]
    assert r.json["playlist"]["items"][0]["progress"] is None  # a visitor has no progress
    assert client.get(f"/api/v1/playlists/{p['id']}", headers=stranger).status_code == 200
    page = client.get(f"/p/{token}")
    assert page.status_code == 200 and "Harbour" in page.get_data(as_text=True)
    assert client.get("/api/v1/playlists/shared/not-a-token").status_code == 404
    # private again: the link stops working
    client.patch(f"/api/v1/playlists/{p['id']}", json={"public": False}, headers=h)
    assert client.get(f"/p/{token}").status_code == 404


def test_rows_show_progress_to_ownership(client, h, owner):
    p = new_playlist(client, h)
    paid, free = make_track(title="Paid"), make_track(title="Gift", free=True)
    add(client, h, p["id"], paid.id)
    r = add(client, h, p["id"], free.id)
    items = r.json["playlist"]["items"]
    assert items[0]["progress"]["plays_counted"] == 0 and items[0]["progress"]["plays_to_own"] == 9
    assert items[0]["progress"]["owned"] is False and items[0]["progress"]["credits_to_own"]["micro"] > 0
    assert items[1]["progress"]["costs_nothing"] == "free"


def test_hidden_and_unreleased_tracks_leave_other_viewers_lists(client, h):
    p = new_playlist(client, h, public=True)
    keep, goes = make_track(title="Keep"), make_track(title="Goes")
    add(client, h, p["id"], keep.id)
    add(client, h, p["id"], goes.id)
    set_status(goes, TrackStatus.HIDDEN)
    anon = client.get(f"/api/v1/playlists/{p['id']}").json["playlist"]
    assert titles(anon) == ["Keep"]
    mine = client.get(f"/api/v1/playlists/{p['id']}", headers=h).json["playlist"]
    assert [i["available"] for i in mine["items"]] == [True, False]
    assert mine["items"][1]["track"] is None
    # the owner can still remove the unavailable entry
    r = client.delete(f"/api/v1/playlists/{p['id']}/items/{mine['items'][1]['id']}", headers=h)
    assert r.status_code == 200 and titles(r.json["playlist"]) == ["Keep"]
    # a track of an unreleased release cannot be added
    later = make_track(release=make_release(release_date=date.today() + timedelta(days=3)))
    assert add(client, h, p["id"], later.id).status_code == 404
