from datetime import timedelta

import pytest

from ledger import (
    DEFAULT_PRICING,
    InvalidOperation,
    PricingParams,
    enact_pricing,
    play_price,
    pricing_in_force,
    schedule,
)
from ledger.pricing import remaining_cost
from ledger.types import utcnow
from ledger.units import credits_for_cents, format_credits, parse_credits


def test_default_schedule_doubles_and_sums_to_1_022_credits():
    assert schedule(DEFAULT_PRICING) == [2_000 * 2**k for k in range(9)]
    assert sum(schedule(DEFAULT_PRICING)) == 1_022_000
    assert remaining_cost(DEFAULT_PRICING, 0) == 1_022_000
    assert remaining_cost(DEFAULT_PRICING, 8) == 512_000
    assert remaining_cost(DEFAULT_PRICING, 9) == 0


def test_prices_are_exact_integers_for_any_growth():
    p = PricingParams(first_play_price=1_000, growth_permille=1_500)
    # 1000 * 1.5^n rounded down, computed without floats
    assert [play_price(p, n) for n in range(1, 6)] == [1000, 1500, 2250, 3375, 5062]
    assert all(isinstance(x, int) for x in schedule(p))


@pytest.mark.parametrize(
    "change",
    [
        dict(first_play_price=0),
        dict(growth_permille=0),
        dict(plays_to_own=0),
        dict(artist_share_bp=10_001),
        dict(credit_price_cents=0),
        dict(starter_grant=-1),
        dict(first_play_price=2.5),
        dict(first_play_price=1, growth_permille=1, plays_to_own=3),
    ],  # later plays would cost 0
)
def test_invalid_parameters_are_refused(change):
    with pytest.raises(InvalidOperation):
        PricingParams(**{**DEFAULT_PRICING.__dict__, **change}).validate()


def test_version_in_force_is_the_latest_that_took_effect(ls):
    first = pricing_in_force(ls)
    assert first.first_play_price == 2_000 and first.proposal_id is None
    soon = utcnow() + timedelta(hours=1)
    later = enact_pricing(ls, PricingParams(first_play_price=3_000), effective_from=soon, proposal_id=7)
    assert pricing_in_force(ls).id == first.id
    assert pricing_in_force(ls, soon).id == later.id
    assert pricing_in_force(ls, soon + timedelta(days=1)).proposal_id == 7


def test_credit_text_is_formatted_from_integers():
    assert format_credits(2_000) == "0.002"
    assert format_credits(1_022_000) == "1.022"
    assert format_credits(5_000_000) == "5"
    assert format_credits(-1) == "-0.000001"
    assert parse_credits("1.5") == 1_500_000
    assert parse_credits("0.000001") == 1
    for bad in ["1.0000001", "-1", "1e3", "", "abc", "1.", 3]:
        with pytest.raises(InvalidOperation):
            parse_credits(bad)
    assert credits_for_cents(1_000, 125) == 8_000_000  # 10 EUR buys 8 credits
    assert credits_for_cents(1, 125) == 8_000
    with pytest.raises(InvalidOperation):
        format_credits(0.5)


def test_pricing_reads_history_latest_proposal_and_period(ls):
    from ledger.pricing import latest_pricing, pricing_enacted_between, pricing_history, pricing_of_proposal

    first = pricing_in_force(ls)
    later = enact_pricing(
        ls, PricingParams(first_play_price=3_000), effective_from=utcnow() + timedelta(days=2), proposal_id=77
    )
    soon = enact_pricing(ls, PricingParams(first_play_price=2_500), effective_from=utcnow() + timedelta(days=1))
    assert [v.id for v in pricing_history(ls)] == [later.id, soon.id, first.id]  # newest first
    assert latest_pricing(ls).id == later.id  # not yet in force, but decided
    assert pricing_of_proposal(ls, 77).id == later.id
    assert pricing_of_proposal(ls, 78) is None
    window = pricing_enacted_between(ls, utcnow(), utcnow() + timedelta(days=3))
    assert [v.id for v in window] == [soon.id, later.id]  # oldest first
    assert pricing_enacted_between(ls, utcnow(), soon.effective_from) == []  # half-open


@pytest.mark.parametrize(
    ("free", "artist", "owned", "why"),
    [
        (False, False, False, None),
        (True, False, False, "free"),
        (False, False, True, "owned"),
        (True, False, True, "owned"),
        (True, True, True, "own_artist"),
        (False, True, False, "own_artist"),
    ],
)
def test_costs_nothing_names_why_once(free, artist, owned, why):
    from ledger.pricing import costs_nothing

    assert costs_nothing(track_is_free=free, listener_is_artist=artist, owned=owned) == why


def test_format_money_shows_minor_units_exactly():
    from ledger.units import format_money

    assert format_money(1250, "EUR") == "12.50 EUR"
    assert format_money(5, "EUR") == "0.05 EUR"
    assert format_money(0, "USD") == "0.00 USD"
    for bad in (12.5, True, "1250"):
        with pytest.raises(TypeError):
            format_money(bad, "EUR")
