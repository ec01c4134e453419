"""What a shared link shows: share cards (Open Graph / Twitter tags), embeddable players, oEmbed.

Invariants:
- Every URL a card, an embed code or an oEmbed answer holds is absolute, built from the
  ``BASE_URL`` setting (``absolute``), never from the request's Host header: a crawler or a
  third-party page must get the site's canonical address.
- Only what the *public* may see is embeddable: a ready track of a public release, a public
  release, a public playlist (its public tracks only). The rule is the catalog's
  (``get_public_track``, ``get_release``, ``public_tracks``) and the library's
  (``get_shared_playlist``, ``entries``) with no viewer: an embed is made for strangers,
  whoever happens to open it, so a manager's draft or an owner's private playlist is
  never embeddable (404), even for them.
- One rule decides the Twitter card (``twitter_card``) and one table the players' sizes
  (``EMBED_SIZES``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, request, url_for
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from app.catalog import services as catalog
from app.catalog.models import Artist, Release, Track
from app.core.errors import NotFound
from app.library import services as library
from app.library.models import Playlist

SITE_NAME = "Encore"
# Covers are stored in every size (``processing.COVER_SIZES``, square); link previews get the
# largest, oEmbed thumbnails the largest that fits the consumer's maxwidth and maxheight.
COVER_PIXELS = {"small": 300, "medium": 600, "large": 1200}
SHARE_COVER_SIZE = "large"
# The embedded players' sizes in CSS pixels (width, height): one track, or a list of them.
EMBED_SIZES = {"track": (480, 152), "release": (480, 380), "playlist": (480, 380)}
DESCRIPTION_CHARS = 200


def base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def absolute(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` on the site's canonical address (``BASE_URL``)."""
    return base_url() + url_for(endpoint, **values)


def _short(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= DESCRIPTION_CHARS else text[: DESCRIPTION_CHARS - 1].rstrip() + "…"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class Embed:
    kind: str  # "track", "release" or "playlist"
    url: str  # the player page, absolute
    width: int
    height: int

    def iframe(self, title: str, width: int | None = None, height: int | None = None) -> Markup:
        """The HTML a site pastes to show the player (escaped: titles are user text)."""
        return Markup(
            '<iframe src="{}" width="{}" height="{}" title="{}" frameborder="0" loading="lazy" '
            'allow="autoplay; encrypted-media"></iframe>'
        ).format(self.url, width or self.width, height or self.height, f"{title} on {SITE_NAME}")


def _embed(kind: str, endpoint: str, **values) -> Embed:
    width, height = EMBED_SIZES[kind]
    return Embed(kind, absolute(endpoint, **values), width, height)


@dataclass(frozen=True)
class ShareCard:
    """What a link to a page shows when shared: the Open Graph and Twitter tags' content."""

    og_type: str
    title: str
    description: str
    url: str  # canonical, absolute
    cover: Release | None = None  # whose cover art is the picture
    audio: str | None = None  # the 30-second preview, absolute
    author: str | None = None
    author_url: str | None = None
    embed: Embed | None = None  # None: not embeddable (an artist, a draft, a private playlist)

    @property
    def image(self) -> str | None:
        return cover_url(self.cover) if self.cover else None

    @property
    def image_alt(self) -> str | None:
        return f"Cover of {self.cover.title}" if self.cover else None

    @property
    def oembed_url(self) -> str | None:
        return absolute("web.oembed", url=self.url, format="json") if self.embed else None

    @property
    def twitter_card(self) -> str:
        """A player card for what has a player, when the site is on HTTPS (Twitter frames
        nothing else); else a large image when there is one."""
        if self.embed and self.embed.url.startswith("https://"):
            return "player"
        return "summary_large_image" if self.image else "summary"


def cover_url(release: Release, size: str = SHARE_COVER_SIZE) -> str | None:
    if not release.cover_key:
        return None
    return absolute("api.release_cover", release_id=release.id, size=size)


def preview_url(track: Track) -> str | None:
    audio = track.audio
    if audio is None or not audio.preview_key:
        return None
    return absolute("api.track_preview", track_id=track.id)


def artist_picture(artist: Artist) -> Release | None:
    """Artists have no picture of their own yet: the cover of their newest public release."""
    return next((r for r in catalog.visible_releases(artist, None) if r.cover_key), None)


def _artist_url(artist: Artist) -> str:
    return absolute("web.artist", artist_id=artist.id)


def _public_track(track: Track) -> bool:
    return catalog.track_visible_to(None, track)


def _public_release(release: Release) -> bool:
    return catalog.release_visible_to(None, release)


def track_card(track: Track) -> ShareCard:
    release = track.release
    return ShareCard(
        og_type="music.song",
        title=f"{track.title} · {release.artist.name}",
        description=f"A track by {release.artist.name} from “{release.title}”. Listen on {SITE_NAME}.",
        url=absolute("web.track_page", track_id=track.id),
        cover=release if release.cover_key else None,
        audio=preview_url(track),
        author=release.artist.name,
        author_url=_artist_url(release.artist),
        embed=_embed("track", "web.embed_track", track_id=track.id) if _public_track(track) else None,
    )


def release_card(release: Release) -> ShareCard:
    tracks = catalog.public_tracks(release)
    year = f" ({release.release_date.year})" if release.release_date else ""
    first_preview = next((url for url in map(preview_url, tracks) if url), None)
    return ShareCard(
        og_type="music.album",
        title=f"{release.title} · {release.artist.name}",
        description=f"{release.kind.value.capitalize()} by {release.artist.name}{year} · "
        f"{_plural(len(tracks), 'track')}. Listen on {SITE_NAME}.",
        url=absolute("web.release", release_id=release.id),
        cover=release if release.cover_key else None,
        audio=first_preview,
        author=release.artist.name,
        author_url=_artist_url(release.artist),
        embed=_embed("release", "web.embed_release", release_id=release.id) if _public_release(release) else None,
    )


def artist_card(artist: Artist) -> ShareCard:
    releases = catalog.visible_releases(artist, None)
    return ShareCard(
        og_type="profile",
        title=artist.name,
        description=_short(artist.bio) or f"{artist.name} on {SITE_NAME}: {_plural(len(releases), 'release')}.",
        url=_artist_url(artist),
        cover=artist_picture(artist),
    )


def playlist_tracks(playlist: Playlist) -> list[Track]:
    """The tracks of the playlist the public may play, in order."""
    return [e.track for e in library.entries(playlist, None) if e.track is not None]


def playlist_card(playlist: Playlist) -> ShareCard:
    if not playlist.public:  # the owner's page: nothing to share yet
        return ShareCard(
            "music.playlist",
            playlist.name,
            "A private playlist.",
            absolute("web.playlist_page", playlist_id=playlist.id),
        )
    tracks = playlist_tracks(playlist)
    cover = next((t.release for t in tracks if t.release.cover_key), None)
    return ShareCard(
        og_type="music.playlist",
        title=f"{playlist.name} · playlist by {playlist.owner.display_name}",
        description=_short(playlist.description)
        or f"A playlist by {playlist.owner.display_name} · {_plural(len(tracks), 'track')}.",
        url=absolute("web.shared_playlist", token=playlist.share_token),
        cover=cover,
        audio=next((url for url in map(preview_url, tracks) if url), None),
        author=playlist.owner.display_name,
        embed=_embed("playlist", "web.embed_playlist", token=playlist.share_token),
    )


_CARDS = {Track: track_card, Release: release_card, Artist: artist_card, Playlist: playlist_card}


def share_card(thing) -> ShareCard:
    """The card of a track, release, artist or playlist page."""
    return _CARDS[type(thing)](thing)


# --- what may be embedded ---------------------------------------------------------------------


def embeddable_track(track_id: int) -> Track:
    return catalog.get_public_track(track_id, None)


def embeddable_release(release_id: int) -> tuple[Release, list[Track]]:
    release = catalog.get_release(release_id, None)
    return release, catalog.public_tracks(release)


def embeddable_playlist(token: str) -> tuple[Playlist, list[Track]]:
    playlist = library.get_shared_playlist(token, None)
    return playlist, playlist_tracks(playlist)


# --- oEmbed -----------------------------------------------------------------------------------


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _our_origins() -> set[str]:
    """Where this site answers: its canonical address, and the one this request came to."""
    return {_origin(base_url()), _origin(request.host_url)}


def _not_ours() -> NotFound:
    return NotFound("Encore has no embeddable player for this URL.", code="not_embeddable")


def resolve(url: str) -> ShareCard:
    """The card of the embeddable thing a page URL of this site shows (a track, release or
    public playlist page, or its player); 404 for any other URL."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https") or _origin(url.strip()) not in _our_origins():
        raise _not_ours()
    try:
        endpoint, args = current_app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:
        raise _not_ours() from None
    try:
        if endpoint in ("web.track_page", "web.embed_track"):
            card = track_card(embeddable_track(args["track_id"]))
        elif endpoint in ("web.release", "web.embed_release"):
            card = release_card(embeddable_release(args["release_id"])[0])
        elif endpoint in ("web.shared_playlist", "web.embed_playlist"):
            card = playlist_card(embeddable_playlist(args["token"])[0])
        elif endpoint == "web.playlist_page":
            card = playlist_card(library.get_playlist(args["playlist_id"], None))
        else:
            raise _not_ours()
    except NotFound:
        raise _not_ours() from None
    if card.embed is None:
        raise _not_ours()
    return card


def oembed(card: ShareCard, *, maxwidth: int | None, maxheight: int | None) -> dict:
    """The oEmbed 1.0 answer (type "rich") for a card with a player, sized to fit."""
    embed = card.embed
    assert embed is not None
    width = min(embed.width, maxwidth) if maxwidth else embed.width
    height = min(embed.height, maxheight) if maxheight else embed.height
    out = {
        "version": "1.0",
        "type": "rich",
        "provider_name": SITE_NAME,
        "provider_url": base_url() + "/",
        "title": card.title,
        "html": str(embed.iframe(card.title, width, height)),
        "width": width,
        "height": height,
        "cache_age": 3600,
    }
    if card.author:
        out |= {"author_name": card.author, "author_url": card.author_url}
    # The spec: a thumbnail respects maxwidth and maxheight (none rather than one too large).
    limit = min(maxwidth or 10**6, maxheight or 10**6)
    fitting = [(px, size) for size, px in COVER_PIXELS.items() if px <= limit]
    if card.cover is not None and fitting:
        px, size = max(fitting)
        out |= {"thumbnail_url": cover_url(card.cover, size), "thumbnail_width": px, "thumbnail_height": px}
    return out
