"""ledger.artist_reads: what payouts and artist statements read, without the web layer."""

from datetime import timedelta

import ledger
from ledger import artist_reads
from ledger.types import utcnow


def _play(ls, key, *, listener=9, track=3, artist=4):
    return ledger.charge_play(
        ls,
        key=key,
        listener_id=listener,
        track_id=track,
        artist_id=artist,
        track_is_free=False,
        listener_is_artist=False,
    )


def _setup(ls):
    ledger.top_up(ls, key="t", listener_id=9, amount=10_000_000)
    _play(ls, "p1", track=3)
    _play(ls, "p2", track=3)
    _play(ls, "p3", track=5)
    _play(ls, "other", track=7, artist=2)


def test_no_earnings_account_reads_as_nothing(ls):
    now = utcnow()
    assert artist_reads.earnings_account(ls, 4) is None
    assert artist_reads.artists_with_earnings(ls) == []
    assert artist_reads.payable_earnings(ls, 4, now) == 0
    assert artist_reads.earnings_by_track(ls, 4, now - timedelta(days=1), now) == {}
    assert artist_reads.plays_by_track(ls, 4, now - timedelta(days=1), now) == {}


def test_plays_and_earnings_per_track_in_a_period(ls):
    _setup(ls)
    start = utcnow() - timedelta(hours=1)
    end = utcnow() + timedelta(hours=1)
    assert artist_reads.artists_with_earnings(ls) == [2, 4]
    assert artist_reads.plays_by_track(ls, 4, start, end) == {3: 2, 5: 1}
    earned = artist_reads.earnings_by_track(ls, 4, start, end)
    assert set(earned) == {3, 5}
    assert sum(earned.values()) == ledger.reads.artist_earnings(ls, 4)
    # The period is half-open and reads nothing outside it.
    assert artist_reads.plays_by_track(ls, 4, end, end + timedelta(days=1)) == {}
    assert artist_reads.earnings_by_track(ls, 4, start - timedelta(days=1), start) == {}


def test_payable_earnings_leave_out_later_earnings_but_not_later_payouts(ls):
    _setup(ls)
    earned = ledger.reads.artist_earnings(ls, 4)
    past, future = utcnow() - timedelta(hours=1), utcnow() + timedelta(hours=1)
    assert artist_reads.payable_earnings(ls, 4, future) == earned
    assert artist_reads.payable_earnings(ls, 4, past) == 0  # all earned after ``past``
    ledger.reserve_payout(ls, payout_id=1, artist_id=4, credits=earned // 2)
    # A payout after the period's end moved period money: what is left stays payable.
    assert artist_reads.payable_earnings(ls, 4, future) == earned - earned // 2


def test_corrected_into_sums_what_corrections_gave_back(ls):
    _setup(ls)
    earned = ledger.reads.artist_earnings(ls, 4)
    ledger.reserve_payout(ls, payout_id=1, artist_id=4, credits=earned)
    ledger.settle_payout(ls, payout_id=1, artist_id=4, credits=earned)
    earnings = ledger.artist_account_id(ls, 4)
    assert artist_reads.corrected_into(ls, "payout-settled:2", earnings) == (None, 0)
    settled, already = artist_reads.corrected_into(ls, "payout-settled:1", earnings)
    assert settled is not None and already == 0
    paid_out = ledger.system_account_id(ls, ledger.AccountKind.PAID_OUT)
    ledger.correct(ls, key="back", transfer_id=settled, postings=[(paid_out, -100), (earnings, 100)])
    assert artist_reads.corrected_into(ls, "payout-settled:1", earnings) == (settled, 100)
