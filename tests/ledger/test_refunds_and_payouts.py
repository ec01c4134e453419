"""Refunds of top-ups and the payout moves, on the bare ledger; the payout conversion's
properties."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ledger
from ledger import reads
from ledger.schema import AccountKind
from ledger.units import MICRO_PER_CREDIT


def test_refund_takes_back_what_is_left_and_reports_the_rest(ls):
    ledger.top_up(ls, key="t1", listener_id=7, amount=5_000_000)
    ledger.charge_play(
        ls, key="p1", listener_id=7, track_id=1, artist_id=1, track_is_free=False, listener_is_artist=False
    )
    balance = reads.wallet_balance(ls, 7)
    result = ledger.refund_top_up(ls, key="r1", listener_id=7, amount=5_000_000)
    assert (result.taken, result.short) == (balance, 5_000_000 - balance)
    assert reads.wallet_balance(ls, 7) == 0
    assert reads.account_balance(ls, AccountKind.PAYMENTS_CLEARING) == -5_000_000 + balance
    again = ledger.refund_top_up(ls, key="r1", listener_id=7, amount=5_000_000)
    assert again.replayed and again.taken == balance and again.transfer_id == result.transfer_id
    with pytest.raises(ledger.IdempotencyConflict):
        ledger.refund_top_up(ls, key="r1", listener_id=7, amount=4_000_000)
    assert ledger.verify(ls).ok


def test_refund_of_an_empty_wallet_writes_nothing(ls):
    result = ledger.refund_top_up(ls, key="r-empty", listener_id=8, amount=1_000_000)
    assert (result.taken, result.short, result.transfer_id) == (0, 1_000_000, None)
    with pytest.raises(ledger.InvalidOperation):
        ledger.refund_top_up(ls, key="r-bad", listener_id=8, amount=0)


def test_payout_moves_reserve_settle_and_return(ls):
    ledger.top_up(ls, key="t", listener_id=9, amount=10_000_000)
    ledger.buy_now(ls, key="b", listener_id=9, track_id=3, artist_id=4, track_is_free=False, listener_is_artist=False)
    earned = reads.artist_earnings(ls, 4)
    with pytest.raises(ledger.NegativeBalance):
        ledger.reserve_payout(ls, payout_id=1, artist_id=4, credits=earned + 1)
    ledger.reserve_payout(ls, payout_id=1, artist_id=4, credits=earned)
    assert reads.artist_earnings(ls, 4) == 0
    assert reads.account_balance(ls, AccountKind.PAYOUTS_IN_TRANSIT) == earned
    ledger.reserve_payout(ls, payout_id=1, artist_id=4, credits=earned)  # a replay moves nothing more
    assert reads.account_balance(ls, AccountKind.PAYOUTS_IN_TRANSIT) == earned
    ledger.return_payout(ls, payout_id=1, artist_id=4, credits=earned)
    assert reads.artist_earnings(ls, 4) == earned
    ledger.reserve_payout(ls, payout_id=2, artist_id=4, credits=earned)
    ledger.settle_payout(ls, payout_id=2, artist_id=4, credits=earned)
    assert reads.account_balance(ls, AccountKind.PAYOUTS_IN_TRANSIT) == 0
    assert reads.account_balance(ls, AccountKind.PAID_OUT) == earned
    with pytest.raises(ledger.NegativeBalance):  # in transit cannot be settled twice over
        ledger.settle_payout(ls, payout_id=3, artist_id=4, credits=1)
    assert ledger.verify(ls).ok


def test_payout_amount_examples():
    # 125 cents per credit: one cent is exactly 8,000 micro-credits.
    assert ledger.payout_amount(10_000_000, 125) == ledger.PayoutAmount(cents=1250, credits=10_000_000, remainder=0)
    assert ledger.payout_amount(8_007_999, 125) == ledger.PayoutAmount(cents=1000, credits=8_000_000, remainder=7_999)
    assert ledger.payout_amount(7_999, 125) == ledger.PayoutAmount(0, 0, 7_999)
    # 3 cents per credit: a cent is 333,333.33 micro-credits, so 334,000 micro pay 1 cent with 666 left.
    assert ledger.payout_amount(334_000, 3) == ledger.PayoutAmount(cents=1, credits=333_334, remainder=666)
    with pytest.raises(ledger.InvalidOperation):
        ledger.payout_amount(1, 0)
    with pytest.raises(ledger.InvalidOperation):
        ledger.payout_amount(-1, 125)


@settings(max_examples=400, deadline=None)
@given(earnings=st.integers(0, 10**13), price=st.integers(1, 100_000))
def test_payout_amount_pays_the_floor_and_keeps_the_rest(earnings, price):
    amount = ledger.payout_amount(earnings, price)
    # Nothing created or lost: what moves plus what stays is the earnings.
    assert amount.credits + amount.remainder == earnings
    assert 0 <= amount.credits <= earnings and amount.remainder >= 0
    # The payout is the value of the earnings rounded down...
    assert amount.cents == earnings * price // MICRO_PER_CREDIT
    # ...the credits moved are worth it (at least), one micro-credit fewer would not be...
    assert amount.credits * price >= amount.cents * MICRO_PER_CREDIT
    assert amount.credits == 0 or (amount.credits - 1) * price < amount.cents * MICRO_PER_CREDIT
    # ...and what stays is worth less than one minor unit: it waits for the next run.
    assert amount.remainder * price < MICRO_PER_CREDIT


@settings(max_examples=100, deadline=None)
@given(runs=st.lists(st.integers(0, 5_000_000), min_size=1, max_size=8), price=st.integers(1, 1000))
def test_remainders_carry_over_and_add_up_across_runs(runs, price):
    """Earn, pay out, earn again...: everything earned is either paid or still waiting, and
    the cents paid are never more than what the credits moved are worth."""
    balance, moved, cents = 0, 0, 0
    for earned in runs:
        balance += earned
        amount = ledger.payout_amount(balance, price)
        balance -= amount.credits
        moved += amount.credits
        cents += amount.cents
    assert moved + balance == sum(runs)
    assert cents * MICRO_PER_CREDIT <= moved * price
    assert balance * price < MICRO_PER_CREDIT
