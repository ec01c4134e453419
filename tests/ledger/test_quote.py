"""The reads the player uses: the next play's quote in one round trip, standings for lists,
and what a fresh charge returns (balance after it, progress to owning the track)."""

from hypothesis import given, settings
from hypothesis import strategies as st

import ledger
from ledger import reads
from ledger.pricing import DEFAULT_PRICING, remaining_cost, schedule
from tests.ledger.conftest import rolled_back_session

LISTENER, TRACK, ARTIST = 7, 11, 3


def charge(session, n, track=TRACK, **flags):
    return ledger.charge_play(
        session,
        key=f"q-{track}-{n}",
        listener_id=LISTENER,
        track_id=track,
        artist_id=ARTIST,
        track_is_free=flags.get("free", False),
        listener_is_artist=False,
    )


def test_quote_before_any_wallet_and_after_each_charge(ls):
    quote = reads.play_quote(ls, LISTENER, TRACK)
    assert (quote.plays_counted, quote.balance, quote.owned) == (0, 0, False)
    assert quote.next_price == 2_000 and quote.credits_to_own == 1_022_000
    assert quote.count_after_seconds == 45 and quote.plays_to_own == 9

    ledger.top_up(ls, key="q-top", listener_id=LISTENER, amount=2_000_000)
    balance = 2_000_000
    for n in range(1, 10):
        result = charge(ls, n)
        balance -= result.price
        assert result.balance_after == balance
        assert result.plays_to_own == 9 and result.credits_to_own == remaining_cost(DEFAULT_PRICING, n)
        assert result.owned_after is (n == 9)
        quote = reads.play_quote(ls, LISTENER, TRACK)
        assert quote.plays_counted == n and quote.balance == balance
        assert quote.next_price == (None if n == 9 else schedule(DEFAULT_PRICING)[n])
        assert quote.owned is (n == 9)
    free = charge(ls, 10)
    assert free.kind is ledger.PlayKind.OWNED and free.balance_after == balance and free.credits_to_own == 0


def test_progress_for_tracks_reads_many_tracks_at_once(ls):
    ledger.top_up(ls, key="q-top", listener_id=LISTENER, amount=5_000_000)
    for n in range(3):
        charge(ls, n, track=21)
    ledger.buy_now(
        ls,
        key="q-buy",
        listener_id=LISTENER,
        track_id=22,
        artist_id=ARTIST,
        track_is_free=False,
        listener_is_artist=False,
    )
    got = reads.progress_for_tracks(ls, LISTENER, [21, 22, 23, 21])
    assert got == {21: reads.ProgressSummary(3, False), 22: reads.ProgressSummary(0, True)}
    assert reads.progress_for_tracks(ls, LISTENER, []) == {}


@settings(max_examples=25, deadline=None)
@given(plays=st.integers(min_value=0, max_value=9), top_up=st.integers(min_value=0, max_value=2_000_000))
def test_quote_agrees_with_track_progress(ledger_engine, plays, top_up):
    with rolled_back_session(ledger_engine) as session:
        ledger.top_up(session, key="q-top", listener_id=LISTENER, amount=2_000_000)
        for n in range(plays):
            charge(session, n)
        if top_up:
            ledger.top_up(session, key="q-more", listener_id=LISTENER, amount=top_up)
        quote = reads.play_quote(session, LISTENER, TRACK)
        progress = reads.track_progress(session, LISTENER, TRACK)
        assert quote.plays_counted == progress.plays_counted
        assert quote.credits_to_own == progress.credits_to_own
        assert quote.next_price == progress.next_price
        assert quote.owned == progress.owned
        assert quote.balance == reads.wallet_balance(session, LISTENER)
