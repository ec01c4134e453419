"""Sharing pages: the embeddable players (the only framable pages) and the oEmbed endpoint.

``/oembed`` answers JSON (oEmbed 1.0, documented in docs/SHARING.md: it is a convention of its
own, not part of the JSON API under /api/v1); its errors are JSON too.
"""

from __future__ import annotations

from flask import g, jsonify, render_template, request
from flask_babel import gettext
from flask_login import current_user

from app.core.error_handlers import error_response
from app.core.errors import ServiceError, ValidationFailed
from app.core.security_headers import framable
from app.core.web import bp
from app.sharing import services as sharing


@bp.app_template_global()
def share_card(thing) -> sharing.ShareCard:
    """The share card (link preview tags, embed code) of a track, release, artist or playlist;
    built once per request (a page asks for it in <head> and again for its Share control)."""
    cards = g.setdefault("share_cards", {})
    key = (type(thing).__name__, thing.id)
    if key not in cards:
        cards[key] = sharing.share_card(thing)
    return cards[key]


def _render_embed(card: sharing.ShareCard, tracks: list, heading: str, byline: str):
    return render_template(
        "sharing/embed.html",
        card=card,
        tracks=tracks,
        heading=heading,
        byline=byline,
        logged_in=current_user.is_authenticated,
    )


@bp.get("/embed/track/<int:track_id>")
@framable
def embed_track(track_id: int):
    track = sharing.embeddable_track(track_id)
    return _render_embed(sharing.track_card(track), [track], track.title, track.release.artist.name)


@bp.get("/embed/release/<int:release_id>")
@framable
def embed_release(release_id: int):
    release, tracks = sharing.embeddable_release(release_id)
    return _render_embed(sharing.release_card(release), tracks, release.title, release.artist.name)


@bp.get("/embed/playlist/<token>")
@framable
def embed_playlist(token: str):
    playlist, tracks = sharing.embeddable_playlist(token)
    byline = gettext("Playlist by %(owner)s", owner=playlist.owner.display_name)
    return _render_embed(sharing.playlist_card(playlist), tracks, playlist.name, byline)


def _size(name: str) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValidationFailed(f"{name} is a positive whole number of pixels.", field=name)
    return int(value)


@bp.get("/oembed")
def oembed():
    """oEmbed for this site's track, release and public playlist pages (JSON only)."""
    if request.args.get("format", "json") != "json":
        return error_response(501, "format_not_implemented", "Only format=json is implemented.")
    try:
        maxwidth, maxheight = _size("maxwidth"), _size("maxheight")
        card = sharing.resolve(request.args.get("url", ""))
    except ServiceError as exc:
        return error_response(exc.status, exc.code, exc.message, field=exc.field)
    response = jsonify(sharing.oembed(card, maxwidth=maxwidth, maxheight=maxheight))
    response.headers["Access-Control-Allow-Origin"] = "*"  # public data, read by other sites' scripts
    return response
