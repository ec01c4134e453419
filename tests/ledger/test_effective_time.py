"""Transfers carry the time they count (``effective_at``): a play charge its play's start,
every other transfer the moment of the operation. ``created_at`` stays when it was written."""

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

import ledger
from ledger import reads
from ledger.schema import Transfer

LISTENER, TRACK, ARTIST = 11, 21, 31
MONTH_END = datetime(2026, 4, 1, tzinfo=timezone.utc)


def times(session, transfer_id):
    return session.execute(select(Transfer.created_at, Transfer.effective_at).where(Transfer.id == transfer_id)).one()


def test_a_play_charge_is_effective_at_the_plays_start(ls, clock):
    clock.set(MONTH_END - timedelta(days=1))
    top_up = ledger.top_up(ls, key="pay", listener_id=LISTENER, amount=5_000_000)
    assert tuple(times(ls, top_up.id)) == (MONTH_END - timedelta(days=1),) * 2
    started = MONTH_END - timedelta(seconds=20)
    clock.set(MONTH_END + timedelta(seconds=30))  # counted after midnight
    charge = ledger.charge_play(
        ls,
        key="p1",
        listener_id=LISTENER,
        track_id=TRACK,
        artist_id=ARTIST,
        track_is_free=False,
        listener_is_artist=False,
        at=started,
    )
    assert tuple(times(ls, charge.transfer_id)) == (MONTH_END + timedelta(seconds=30), started)
    # Without a start, the charge is effective when made.
    plain = ledger.charge_play(
        ls,
        key="p2",
        listener_id=LISTENER,
        track_id=TRACK,
        artist_id=ARTIST,
        track_is_free=False,
        listener_is_artist=False,
    )
    assert tuple(times(ls, plain.transfer_id)) == (MONTH_END + timedelta(seconds=30),) * 2
    # The wallet statement dates each movement by its effective time.
    lines = {line.transfer_id: line for line in reads.wallet_statement(ls, LISTENER)}
    assert lines[charge.transfer_id].effective_at == started
    assert lines[charge.transfer_id].created_at == MONTH_END + timedelta(seconds=30)


def test_buy_now_and_corrections_are_effective_when_made(ls, clock):
    clock.set(MONTH_END)
    ledger.top_up(ls, key="pay", listener_id=LISTENER, amount=5_000_000)
    clock.advance(timedelta(hours=1))
    bought = ledger.buy_now(
        ls,
        key="buy",
        listener_id=LISTENER,
        track_id=TRACK,
        artist_id=ARTIST,
        track_is_free=False,
        listener_is_artist=False,
        at=MONTH_END - timedelta(days=3),
    )
    assert tuple(times(ls, bought.transfer_id)) == (MONTH_END + timedelta(hours=1),) * 2
    clock.advance(timedelta(hours=1))
    fix = ledger.correct(ls, key="fix", transfer_id=bought.transfer_id)
    assert tuple(times(ls, fix.id)) == (MONTH_END + timedelta(hours=2),) * 2
    assert fix.effective_at == MONTH_END + timedelta(hours=2)
