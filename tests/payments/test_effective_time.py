"""A play started before a month ended and counted after it earns in that month: the payout,
the artist's statement, the wallet statement and the rollups read the transfer's effective
time (the play's start), not when it was written."""

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from app.accounts.callers import Caller
from app.analytics.models import MoneyDay
from app.analytics.services import rollups
from app.core.extensions import db
from app.payments.services import payouts, wallet
from app.streaming import services as streaming
from ledger import reads
from ledger.schema import Transfer
from tests.factories import make_release, make_user
from tests.streaming.streaming_helpers import make_streamable_track

MONTH_END = datetime(2026, 4, 1, tzinfo=timezone.utc)


def test_a_play_started_before_the_month_ended_earns_in_that_month(app_ctx, clock):
    clock.set(MONTH_END - timedelta(days=2))
    track = make_streamable_track(release=make_release())
    artist = track.release.artist
    listener = make_user()
    wallet.admin_top_up(listener.id, "1", "effective-time-top-up")
    db.session.commit()

    clock.set(MONTH_END - timedelta(seconds=20))
    started = streaming.start_play(Caller.of(listener), track.id)
    db.session.commit()
    clock.set(MONTH_END + timedelta(seconds=30))
    progress = streaming.record_progress(Caller.of(listener), started.play_id, 46_000)
    db.session.commit()
    assert progress.counted
    charge = db.session.get(Transfer, progress.result.transfer_id)
    assert charge.effective_at == MONTH_END - timedelta(seconds=20)
    assert charge.created_at == MONTH_END + timedelta(seconds=30)
    earned = progress.result.artist_part

    assert reads.wallet_statement(db.session, listener.id)[0].effective_at == MONTH_END - timedelta(seconds=20)
    assert payouts.payable_credits(artist.id, MONTH_END) == earned
    assert payouts.statement(artist, "2026-03").total_credits == earned
    assert payouts.statement(artist, "2026-04").total_credits == 0

    def money_days():
        return {
            (m.day, m.transfer_kind, m.account_kind): m.amount
            for m in db.session.scalars(select(MoneyDay).where(MoneyDay.transfer_kind == "play_charge"))
        }

    rollups.update()
    db.session.flush()
    assert money_days() == {
        (date(2026, 3, 31), "play_charge", "artist_earnings"): earned,
        (date(2026, 3, 31), "play_charge", "coop_revenue"): progress.result.coop_part,
        (date(2026, 3, 31), "play_charge", "wallet"): -progress.result.price,
    }
    rollups.rebuild()
    assert money_days()[(date(2026, 3, 31), "play_charge", "artist_earnings")] == earned


def test_a_second_reversal_is_a_conflict(app_ctx):
    import ledger
    from app.core.errors import service_error_for

    error = service_error_for(ledger.AlreadyReversed(7))
    assert (error.status, error.code) == (409, "already_reversed")
