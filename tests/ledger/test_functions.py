"""The money functions in PostgreSQL agree with the ledger's pure Python helpers that pages use
for display (prices, the schedule's rest, the split) and with the request fingerprint."""

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from ledger.allocation import split_charge
from ledger.pricing import PricingParams, play_price, remaining_cost
from ledger.transfers import fingerprint
from tests.ledger.conftest import rolled_back_session


@settings(max_examples=60, deadline=None)
@given(
    first=st.integers(1, 10**9),
    growth=st.integers(1, 5_000),
    plays_to_own=st.integers(1, 100),
    counted=st.integers(0, 100),
    share=st.integers(0, 10_000),
)
def test_prices_rest_and_split_agree_with_the_display_helpers(
    ledger_engine, first, growth, plays_to_own, counted, share
):
    params = PricingParams(first_play_price=first, growth_permille=growth, plays_to_own=plays_to_own)
    n = min(counted, plays_to_own) + 1
    with rolled_back_session(ledger_engine) as session:
        row = session.execute(
            text(
                "SELECT ledger_play_price(:f, :g, :n) AS price, ledger_remaining_cost(:f, :g, :p, :c) AS rest,"
                " (ledger_split(:f, :s)).*"
            ),
            {"f": first, "g": growth, "n": n, "p": plays_to_own, "c": counted, "s": share},
        ).one()
    assert row.price == play_price(params, n)
    assert row.rest == remaining_cost(params, counted)
    assert (row.artist_part, row.coop_part) == split_charge(first, share)


@settings(max_examples=30, deadline=None)
@given(
    operation=st.sampled_from(["play", "buy_now"]),
    ids=st.tuples(*[st.integers(1, 2**31 - 1)] * 3),
    flags=st.tuples(st.booleans(), st.booleans()),
)
def test_the_fingerprint_is_the_one_python_computes(ledger_engine, operation, ids, flags):
    with rolled_back_session(ledger_engine) as session:
        got = session.scalar(
            text("SELECT ledger_play_fingerprint(:o, :l, :t, :a, :f, :own)"),
            {"o": operation, "l": ids[0], "t": ids[1], "a": ids[2], "f": flags[0], "own": flags[1]},
        )
    assert got == fingerprint(operation, *ids, *flags)
