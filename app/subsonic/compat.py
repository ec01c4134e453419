"""Methods for things Encore does not have, answered as an empty server would, so the apps
that call them while syncing (bookmarks, podcasts, radio, shares, scans...) carry on; and
``tokenInfo``, which the ``apiKeyAuthentication`` extension requires."""

from __future__ import annotations

from sqlalchemy import func, select

from app.catalog import services as catalog
from app.catalog.models import Track
from app.core.extensions import db
from app.subsonic.entries import parse_id
from app.subsonic.protocol import Call, method


@method("tokenInfo")
def token_info(call: Call) -> dict:
    return {"tokenInfo": {"username": call.user.email}}


def _scan_status() -> dict:
    count = db.session.scalar(select(func.count(Track.id)).where(catalog.PUBLIC_TRACK)) or 0
    return {"scanStatus": {"scanning": False, "count": count}}


@method("getScanStatus")
def get_scan_status(call: Call) -> dict:
    """The catalogue is always up to date: uploads are processed as they arrive."""
    return _scan_status()


@method("startScan")
def start_scan(call: Call) -> dict:
    return _scan_status()


@method("getBookmarks")
def get_bookmarks(call: Call) -> dict:
    return {"bookmarks": {"bookmark": []}}


@method("getPodcasts")
def get_podcasts(call: Call) -> dict:
    return {"podcasts": {"channel": []}}


@method("getNewestPodcasts")
def get_newest_podcasts(call: Call) -> dict:
    return {"newestPodcasts": {"episode": []}}


@method("getInternetRadioStations")
def get_internet_radio_stations(call: Call) -> dict:
    return {"internetRadioStations": {"internetRadioStation": []}}


@method("getShares")
def get_shares(call: Call) -> dict:
    return {"shares": {"share": []}}


@method("getVideos")
def get_videos(call: Call) -> dict:
    return {"videos": {"video": []}}


@method("getChatMessages")
def get_chat_messages(call: Call) -> dict:
    return {"chatMessages": {"chatMessage": []}}


@method("getSimilarSongs2")
def get_similar_songs2(call: Call) -> dict:
    parse_id(call.required("id"), "song", "album", "artist")
    return {"similarSongs2": {"song": []}}


@method("getSimilarSongs")
def get_similar_songs(call: Call) -> dict:
    parse_id(call.required("id"), "song", "album", "artist")
    return {"similarSongs": {"song": []}}


@method("getTopSongs")
def get_top_songs(call: Call) -> dict:
    call.required("artist")
    return {"topSongs": {"song": []}}
