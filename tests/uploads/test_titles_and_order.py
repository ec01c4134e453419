"""Titles and order of uploaded tracks: from the files' tags (title, disc, track number),
else from the file name made readable; files sent one request each, in any order, end up in
the order of their tags; untagged files go to the end in the order they came."""

from __future__ import annotations

import pytest

from app.uploads.services.uploads import title_from_filename
from tests import media
from tests.factories import bearer, make_artist, make_release, make_user, token_for
from tests.uploads.test_uploads import upload


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("01 - probe_tone.wav", "Probe tone"),
        ("probe-tone.wav", "Probe tone"),
        ("03_my_song.flac", "My song"),
        ("1. intro.mp3", "Intro"),
        ("07 Night Drive.m4a", "Night Drive"),
        ("99 Luftballons.mp3", "99 Luftballons"),  # a number that is the title stays
        ("Jay-Z live.wav", "Jay-Z live"),  # a hyphen inside words with spaces around stays
        ("track.final.mix.wav", "Track final mix"),
        ("12.wav", "12"),
        ("", "Untitled"),
    ],
)
def test_title_from_filename(name, title):
    assert title_from_filename(name) == title


@pytest.fixture
def manager(app_ctx):
    user = make_user()
    release = make_release(artist=make_artist(manager=user), title="Order")
    return {"release": release, "headers": bearer(token_for(user))}


def listed(client, manager):
    r = client.get(f"/api/v1/releases/{manager['release'].id}/uploads", headers=manager["headers"])
    return [(t["position"], t["title"]) for t in r.json["tracks"]]


def test_tags_order_files_sent_in_any_order(client, manager, tmp_path):
    def tagged(name, title, number, disc=1, kind="flac"):
        return media.make_audio(
            tmp_path / name, kind, seconds=1, tags={"title": title, "track_number": number, "disc_number": disc}
        )

    files = [
        tagged("c", "Third", 3),
        media.make_audio(tmp_path / "05 - bonus_jam", "wav", seconds=1),  # no tags: at the end
        tagged("a", "First", 1, kind="mp3"),
        tagged("d", "Disc two opener", 1, disc=2, kind="m4a"),
        tagged("b", "Second", 2, kind="vorbis"),
    ]
    for path in files:  # one request per file, as the page sends them
        r = upload(client, manager["release"].id, manager["headers"], path)
        assert r.status_code == 202, r.json
    assert listed(client, manager) == [
        (1, "First"),
        (2, "Second"),
        (3, "Third"),
        (4, "Bonus jam"),
        (5, "Disc two opener"),
    ]
    tags = client.get(f"/api/v1/releases/{manager['release'].id}/uploads", headers=manager["headers"]).json
    assert tags["tracks"][4]["tags"] == {"title": "Disc two opener", "track_number": 1, "disc_number": 2}


def test_one_request_with_several_files_is_ordered_too(client, manager, tmp_path):
    two = media.make_audio(tmp_path / "x", "flac", seconds=1, tags={"title": "Two", "track_number": 2})
    one = media.make_audio(tmp_path / "y", "mp3", seconds=1, tags={"title": "One", "track_number": 1})
    plain = media.make_audio(tmp_path / "02-raw-take", "wav", seconds=1)
    r = upload(client, manager["release"].id, manager["headers"], two, plain, one)
    assert r.status_code == 202
    assert listed(client, manager) == [(1, "One"), (2, "Two"), (3, "Raw take")]
