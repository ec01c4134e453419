"""The optional mail when a followed artist publishes a release (off by default)."""

from datetime import date, timedelta

from sqlalchemy import select, update

from app.catalog.models import Release, TrackStatus
from app.core.extensions import db
from app.core.models import OutboxMessage
from app.core.queue import enqueue
from app.library import services as library
from tests.factories import bearer, make_artist, make_release, make_track, make_user, token_for
from tests.library.library_helpers import set_status


def follow(client, user, artist, *, mail: bool):
    h = bearer(token_for(user))
    assert client.put(f"/api/v1/me/following/{artist.id}", headers=h).status_code == 200
    client.put("/api/v1/me/library/settings", json={"mail_new_releases": mail}, headers=h)


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith("library.")).order_by(OutboxMessage.id)
    return list(db.session.scalars(query))  # (not the unverified account's verification mail)


def test_followers_who_asked_get_one_mail_per_release(client, app_ctx):
    artist, other = make_artist(name="Nina Keys"), make_artist()
    wants, quiet, unverified, stranger = make_user(), make_user(), make_user(verified=False), make_user()
    follow(client, wants, artist, mail=True)
    follow(client, quiet, artist, mail=False)
    follow(client, unverified, artist, mail=True)
    follow(client, stranger, other, mail=True)
    release = make_release(artist=artist, title="Blue Hours", kind="ep")
    track = make_track(release=release, status=TrackStatus.PROCESSING)

    assert library.announce_new_releases("https://encore.example") == 0  # not public yet
    set_status(track, TrackStatus.READY)
    enqueue("library.announce_releases")  # the task (inline in tests)
    mails = outbox()
    assert [m.to_address for m in mails] == [wants.email]
    assert mails[0].subject == "New from Nina Keys: Blue Hours"
    assert f"/releases/{release.id}" in mails[0].body and "the ep “Blue Hours”" in mails[0].body

    # announced once: later runs, and a second release's run, do not repeat it
    assert library.announce_new_releases("https://encore.example") == 0
    second = make_release(artist=artist, title="Second")
    make_track(release=second)
    assert library.announce_new_releases("https://encore.example") == 1
    assert [m.subject for m in outbox()] == ["New from Nina Keys: Blue Hours", "New from Nina Keys: Second"]


def test_unreleased_is_announced_on_its_day_and_back_catalogue_never(client, app_ctx):
    artist = make_artist()
    fan = make_user()
    follow(client, fan, artist, mail=True)
    later = make_release(artist=artist, title="Later", release_date=date.today() + timedelta(days=2))
    make_track(release=later)
    old = make_release(artist=artist, title="Old", release_date=date.today() - timedelta(days=400))
    make_track(release=old)
    assert library.announce_new_releases("https://encore.example") == 0
    db.session.execute(update(Release).where(Release.id == later.id).values(release_date=date.today()))
    db.session.commit()
    assert library.announce_new_releases("https://encore.example") == 1
    assert [m.subject.split(": ")[1] for m in outbox()] == ["Later"]


def test_default_is_no_mail(client, app_ctx):
    artist = make_artist()
    fan = make_user()
    assert client.put(f"/api/v1/me/following/{artist.id}", headers=bearer(token_for(fan))).status_code == 200
    make_track(release=make_release(artist=artist))
    assert library.announce_new_releases("https://encore.example") == 0
    assert outbox() == []
