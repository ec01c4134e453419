"""Genre tags on releases: the one normal form, setting them, and browsing by tag.

A tag is stored normalised (``normalise_tag``): lower case letters and digits in words joined
by single hyphens, 1 to 30 characters ("Post Rock" and "post_rock" are both ``post-rock``).
A release has at most ``MAX_TAGS`` tags. Browsing counts and lists only releases that pass
the search visibility hook (``search.visible_to``), so a draft's tags never show its existence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import selectinload

from app.catalog.models import Release, ReleaseTag
from app.catalog.search import visible_to
from app.core.errors import ValidationFailed
from app.core.extensions import db
from app.core.replica import replica_session

MAX_TAGS = 10
MAX_LENGTH = 30


def normalise_tag(value: str, field: str = "tags") -> str:
    """The stored form of a tag as someone typed it; refuses what cannot be one."""
    if not isinstance(value, str):
        raise ValidationFailed("A tag is a string.", field=field)
    tag = re.sub(r"[\W_]+", "-", value.strip().lower()).strip("-")
    if not tag or len(tag) > MAX_LENGTH:
        raise ValidationFailed(f"A tag needs 1 to {MAX_LENGTH} letters or digits (got {value!r}).", field=field)
    return tag


def change_tags(
    release: Release, *, tags: list[str] | None = None, add: list[str] = (), remove: list[str] = ()
) -> list[str]:
    """Replace the release's tags with ``tags`` (when given), then add ``add`` and remove
    ``remove``. Checks everything before writing anything; returns the new tags, sorted."""
    current = set(release.tags)
    wanted = {normalise_tag(t, "tags") for t in tags} if tags is not None else set(current)
    wanted |= {normalise_tag(t, "add") for t in add}
    wanted -= {normalise_tag(t, "remove") for t in remove}
    if len(wanted) > MAX_TAGS:
        raise ValidationFailed(f"A release has at most {MAX_TAGS} tags.", field="tags")
    gone, new = current - wanted, wanted - current
    if gone:
        db.session.execute(
            delete(ReleaseTag).where(ReleaseTag.release_id == release.id, ReleaseTag.tag.in_(sorted(gone)))
        )
    if new:
        db.session.execute(insert(ReleaseTag), [{"release_id": release.id, "tag": t} for t in sorted(new)])
    db.session.flush()
    db.session.expire(release, ["tag_rows"])
    return sorted(wanted)


@dataclass(frozen=True)
class TagCount:
    tag: str
    releases: int


def popular_tags(viewer=None, *, limit: int = 50) -> list[TagCount]:
    """Tags by how many visible releases carry them, then by name."""
    count = func.count(ReleaseTag.release_id)
    query = (
        select(ReleaseTag.tag, count)
        .join(Release, Release.id == ReleaseTag.release_id)
        .where(visible_to(viewer))
        .group_by(ReleaseTag.tag)
        .order_by(count.desc(), ReleaseTag.tag)
        .limit(limit)
    )
    return [TagCount(tag, n) for tag, n in replica_session().execute(query)]


def releases_tagged(tag: str, viewer, *, limit: int = 48, offset: int = 0) -> list[Release]:
    """Visible releases carrying ``tag``, newest first."""
    query = (
        select(Release)
        .join(ReleaseTag, ReleaseTag.release_id == Release.id)
        .where(ReleaseTag.tag == tag, visible_to(viewer))
        .options(selectinload(Release.artist))
        .order_by(Release.release_date.desc().nulls_last(), Release.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(db.session.scalars(query))
