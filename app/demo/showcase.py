"""The demo co-op's finishing touches, so a first visit finds every feature in use: covers,
genre tags, release notes and lyrics (the studio), an artist profile, a draft release (seen by
its artist only), the demo listener's library (a follow, favourites, a public playlist), and
a listener's report waiting in the admin queue.

Everything goes through the same services as the web pages and the API; nothing is written
by hand. The covers are drawn here (Pillow), one per release, from a fixed seed.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

from app.accounts.models import User
from app.admin.services import moderation
from app.catalog import services as catalog
from app.catalog import tags as catalog_tags
from app.library import services as library
from app.studio.services import profile, releases, tracks
from app.uploads.services import processing

# release title -> (tags, description, credits)
RELEASE_NOTES = {
    "Low Tide": (
        ["ambient", "folk"],
        "Songs written on the night ferry between two islands, recorded in one take each.",
        "Harbour Lights: guitar, voice, field recordings.\nMixed at the harbour master's office.",
    ),
    "Gulls": (["folk"], "A single for the first warm day of the year.", "Harbour Lights"),
    "Static Bloom": (
        ["electronic", "post-rock"],
        "Four pieces built from a broken radio and a copper coil.",
        "The Copper Wires: modular synthesizer, bowed cymbal.",
    ),
}
LYRICS = {"Salt on the Window": "Salt on the window,\nlight on the quay;\nthe ferry is leaving\nwithout me."}
PROFILES = {
    "Harbour Lights": {
        "bio": "A songwriter and a tape machine, from a town with one lighthouse.",
        "location": "Falmouth, UK",
        "links": "https://example.org/harbour-lights",
    },
    "The Copper Wires": {"bio": "Two friends, one soldering iron.", "location": "Leeds, UK"},
}
DRAFT_TITLE = "Night Crossing"
PLAYLIST_NAME = "Sea songs"
REPORTED_TRACK = "Short Circuit"


def cover_art(seed: int, size: int = 1200) -> bytes:
    """A sky, a sun and a sea in colours drawn from ``seed``: a JPEG."""
    rng = random.Random(seed)
    sky = tuple(rng.randrange(90, 230) for _ in range(3))
    sea = tuple(rng.randrange(10, 120) for _ in range(3))
    image = Image.new("RGB", (size, size), sky)
    draw = ImageDraw.Draw(image)
    horizon = int(size * rng.uniform(0.5, 0.7))
    radius = int(size * rng.uniform(0.1, 0.2))
    sun_x = int(size * rng.uniform(0.25, 0.75))
    draw.ellipse((sun_x - radius, horizon - radius, sun_x + radius, horizon + radius), fill=(250, 214, 120))
    draw.rectangle((0, horizon, size, size), fill=sea)
    for band in range(horizon + size // 40, size, size // 20):
        draw.line((0, band, size, band), fill=tuple(min(255, c + 40) for c in sea), width=size // 200)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def dress_the_catalogue(tracks_made: list) -> None:
    """Covers, tags, notes and lyrics on the demo releases; the artists' profiles."""
    seen = set()
    for number, track in enumerate(tracks_made):
        release = track.release
        if release.id in seen:
            continue
        seen.add(release.id)
        processing.set_release_cover(release, cover_art(seed=number + 1))
        tags, description, credits = RELEASE_NOTES.get(release.title, ([], "", ""))
        if tags:
            catalog_tags.change_tags(release, tags=tags, add=[], remove=[])
        releases.update_release(release, {"description": description, "credits": credits})
        if release.artist.name in PROFILES:
            profile.update_profile(release.artist, PROFILES[release.artist.name])
    for track in tracks_made:
        if track.title in LYRICS:
            tracks.update_track(track, {"lyrics": LYRICS[track.title]})


def draft_release(artist_user: User):
    """A release its artist is still working on: in their studio, nowhere public."""
    return catalog.create_release(artist_user.artists[0], title=DRAFT_TITLE, kind="ep", published=False)


def listener_library(listener: User, tracks_made: list) -> None:
    """The demo listener follows Harbour Lights, keeps two favourites and shares a playlist."""
    by_title = {t.title: t for t in tracks_made}
    harbour = by_title["Gulls"].release.artist
    library.star(listener, "artist", harbour.id)
    library.star(listener, "track", by_title["Gulls"].id)
    library.star(listener, "release", by_title["Morning Ferry"].release.id)
    playlist = library.create_playlist(listener, name=PLAYLIST_NAME, description="For the ferry home.", public=True)
    for title in ("Morning Ferry", "Gulls", "Slack Water"):
        library.add_track(playlist, listener, by_title[title].id)


def report_in_the_queue(reporter: User, tracks_made: list) -> None:
    """A listener's report waiting for an admin."""
    track = next(t for t in tracks_made if t.title == REPORTED_TRACK)
    moderation.file_report(
        "track", track.id, reporter=reporter, reason="The opening sounds like a sample from a well-known record."
    )
