"""The metering rule: how much of a rendition a play may have, and under which object key.

A play is *metered* when it will cost something (not owned, not free, not the listener's own
track). Until it counts, a metered play may have the rendition's *head*: the longest prefix
holding at most ``metered_until_ms`` of audio (its count point plus
``ENCORE_STREAM_METERED_MARGIN_SECONDS``), cut between MP3 frames or Ogg pages
(``audio.packaging``). Once it counts, and for unmetered plays, the whole rendition.

The head is a separate object in the store, so no URL handed out before the count (a
presigned S3 URL, or the app's own Range answers on local files) can reach past it. Heads are
made from the rendition on first use and kept under the packaging's token: a reprocessed
track gets a new token, so a head never outlives the file it was cut from.

Nothing here touches the database or the request: ``app.streaming.services`` applies it.
"""

from __future__ import annotations

from audio.packaging import head_length

KINDS = ("mp3", "opus")


def metered_until_ms(count_after_ms: int, margin_seconds: int) -> int:
    """The audio a metered play may have before it counts."""
    return count_after_ms + margin_seconds * 1000


def allowed_bytes(cuts: dict, fmt: str, until_ms: int | None, counted: bool) -> int | None:
    """The byte range allowed for a play: bytes ``[0, n)`` of the ``fmt`` rendition, or None
    for the whole rendition (an unmetered or counted play, or a head that would be whole)."""
    if until_ms is None or counted:
        return None
    points = cuts[fmt]
    n = head_length(points, until_ms)
    return None if n >= points[-1] else n
