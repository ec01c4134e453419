"""Replacing a stored image (a release's cover art, an artist's image) from one uploaded file.

Invariant: files that a committed row points at are never deleted. The new files are written
first and the row is moved to them; the old files are deleted only once that commit has
succeeded. When the commit fails, the rollback leaves the row pointing at the old files, and
the new ones, which nothing points at, are deleted instead.
"""

from __future__ import annotations

from collections.abc import Callable

from app.core.errors import UnsupportedMediaType, ValidationFailed
from app.core.extensions import db
from app.core.transactions import commit_now
from app.uploads.multipart import received_files
from audio.errors import ImageRejected

FIELD = "file"


def replace_image(
    store: Callable[[bytes], str | None],
    stored_key: Callable[[], str | None],
    delete: Callable[[str | None], None],
) -> None:
    """Store the request's one image with ``store`` (it writes the files, points the row at
    them and returns the key of the files it replaced), commit, then ``delete`` the replaced
    files. ``stored_key`` reads the key the row points at now."""
    with received_files(FIELD) as (_, files):
        if len(files) != 1:
            raise ValidationFailed("Send exactly one image in the field 'file'.", field=FIELD)
        try:
            old = store(files[0].path.read_bytes())
        except ImageRejected as exc:
            raise UnsupportedMediaType(str(exc), code="unsupported_image", field=FIELD) from None
    new = stored_key()  # read now: after a rollback the row says the old key again
    try:
        commit_now("an image's old files are deleted only once no committed row points at them")
    except BaseException:
        db.session.rollback()
        delete(new)
        raise
    delete(old)
