"""The one statement of "the listener's own track" (catalog.services.is_own_track) and its use
by the wallet's progress (which names why a track costs nothing with ledger.pricing.costs_nothing)."""

from app.accounts.models import Role
from app.catalog.services import is_own_track
from app.payments.services import wallet
from tests.factories import make_artist, make_release, make_track, make_user


def test_own_track_is_a_track_of_an_artist_the_user_manages(app_ctx):
    manager, admin, listener = make_user(), make_user(role=Role.ADMIN), make_user()
    own = make_track(release=make_release(artist=make_artist(manager=manager)))
    other = make_track()
    assert is_own_track(manager, own)
    assert not is_own_track(manager, other)
    assert not is_own_track(listener, own)
    assert not is_own_track(admin, own)  # admins may edit every artist; they still pay for plays


def test_progress_says_why_a_track_costs_nothing(app_ctx):
    manager, listener = make_user(), make_user()
    own = make_track(release=make_release(artist=make_artist(manager=manager)), free=True)
    free, paid = make_track(free=True), make_track()
    assert wallet.track_progress(manager, own.id).costs_nothing == "own_artist"  # own wins over free
    assert wallet.track_progress(listener, own.id).costs_nothing == "free"
    assert wallet.track_progress(listener, free.id).costs_nothing == "free"
    assert wallet.track_progress(listener, paid.id).costs_nothing is None
