"""The one clock (``ledger.clock``): the ledger's writes read it, a test replaces it once."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

import ledger
from ledger import clock as ledger_clock
from ledger.schema import Play, Transfer
from ledger.types import utcnow

AT = datetime(2026, 3, 31, 23, 59, 30, tzinfo=timezone.utc)


def test_the_default_is_the_system_utc_clock():
    before = datetime.now(timezone.utc)
    now = ledger_clock.now()
    assert before <= now <= datetime.now(timezone.utc) and now.tzinfo is not None
    assert ledger_clock.current() is ledger_clock.SYSTEM


def test_use_installs_a_clock_for_the_block_then_restores_the_previous_one():
    frozen = ledger_clock.FrozenClock(AT)
    with ledger_clock.use(frozen):
        assert ledger_clock.now() == AT and utcnow() == AT
        frozen.advance(timedelta(seconds=45))
        assert utcnow() == AT + timedelta(seconds=45)
    assert ledger_clock.current() is ledger_clock.SYSTEM


def test_a_stepping_clock_moves_one_step_per_reading():
    stepping = ledger_clock.SteppingClock(AT, timedelta(seconds=1))
    assert [stepping.now() for _ in range(3)] == [AT, AT + timedelta(seconds=1), AT + timedelta(seconds=2)]


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        ledger_clock.FrozenClock(datetime(2026, 1, 1))


def test_transfers_and_charges_are_stamped_by_the_installed_clock(ls, clock):
    clock.set(AT)
    top_up = ledger.top_up(ls, key="clock-pay", listener_id=11, amount=5_000_000)
    clock.advance(timedelta(minutes=1))
    charge = ledger.charge_play(
        ls, key="clock-play", listener_id=11, track_id=21, artist_id=31, track_is_free=False, listener_is_artist=False
    )
    assert top_up.created_at == AT
    assert ls.scalar(select(Transfer.created_at).where(Transfer.id == top_up.id)) == AT
    assert ls.scalar(select(Play.created_at).where(Play.id == charge.play_id)) == AT + timedelta(minutes=1)
    assert ls.scalar(select(Transfer.created_at).where(Transfer.id == charge.transfer_id)) == AT + timedelta(minutes=1)
