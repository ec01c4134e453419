"""Human units <-> the ledger's integers: exact, range-checked, with clear messages."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.errors import ValidationFailed
from app.governance.services.pricing_parameters import BY_KEY, PARAMETERS
from ledger.pricing import DEFAULT_PRICING


@pytest.mark.parametrize(
    "key, raw, ledger",
    [
        ("first_play_price", "0.002", 2000),
        ("first_play_price", "0,0015", 1500),
        ("first_play_price", "0.000123 credits", 123),
        ("growth", "x2", 2000),
        ("growth", "2.5", 2500),
        ("growth", "1", 1000),
        ("growth", "4.0", 4000),
        ("plays_to_own", 9, 9),
        ("plays_to_own", "20", 20),
        ("count_after_seconds", 45, 45),
        ("artist_share", "70 %", 7000),
        ("artist_share", "72.5", 7250),
        ("artist_share", "95", 9500),
        ("artist_share", "50", 5000),
        ("credit_price", "1.25", 125),
        ("credit_price", "1.3 EUR", 130),
        ("starter_grant", "0.2", 200_000),
        ("starter_grant", "0", 0),
        ("payout_minimum", "10", 1000),
    ],
)
def test_parse_exact(key, raw, ledger):
    assert BY_KEY[key].parse(raw) == ledger


@pytest.mark.parametrize(
    "key, raw, message",
    [
        ("artist_share", "49.99", "Artist share must be between 50 % and 95 %"),
        ("artist_share", "95.01", "Artist share must be between 50 % and 95 %"),
        ("artist_share", "70.125", "Artist share can have at most 2 decimal places."),
        ("plays_to_own", 0, "Plays to own must be between 1 plays and 20 plays"),
        ("plays_to_own", 21, "Plays to own must be between"),
        ("plays_to_own", "2.5", "Plays to own must be a whole number."),
        ("growth", "0.99", "Growth per repeat play must be between x1 and x4"),
        ("growth", "4.0001", "Growth per repeat play must be between x1 and x4"),
        ("growth", "2.0005", "Growth per repeat play can have at most 3 decimal places."),
        ("first_play_price", "0.0020001", "First play price can have at most 6 decimal places."),
        ("first_play_price", "-1", "First play price must be between"),
        ("credit_price", "1.255", "Credit price can have at most 2 decimal places."),
        ("credit_price", "lots", "Credit price: 'lots' is not a number."),
        ("credit_price", "NaN", "is not a number"),
        ("credit_price", "Infinity", "is not a number"),
        ("growth", "1e999999", "must be between"),
        ("growth", 2.5, "give the value as text"),
        ("growth", True, "give the value as text"),
    ],
)
def test_parse_refuses_with_a_clear_message(key, raw, message):
    with pytest.raises(ValidationFailed) as caught:
        BY_KEY[key].parse(raw)
    assert message in caught.value.message
    assert caught.value.field == key


def test_defaults_show_in_human_units():
    shown = {p.key: p.show(getattr(DEFAULT_PRICING, p.ledger_field)) for p in PARAMETERS}
    assert shown == {
        "first_play_price": "0.002 credits",
        "growth": "x2",
        "plays_to_own": "9 plays",
        "count_after_seconds": "45 s",
        "artist_share": "70 %",
        "credit_price": "1.25 EUR",
        "starter_grant": "0.2 credits",
        "payout_minimum": "10 EUR",
    }


def test_every_parameter_maps_to_a_ledger_field():
    assert {p.ledger_field for p in PARAMETERS} == set(DEFAULT_PRICING.__dataclass_fields__)


@given(st.sampled_from(PARAMETERS), st.data())
def test_text_round_trips_every_ledger_value_in_range(param, data):
    low = int(param.minimum * param.scale)
    high = int(param.maximum * param.scale)
    value = data.draw(st.integers(low, high))
    assert param.parse(param.text(value)) == value
    assert param.to_human(value) == Decimal(value) / param.scale
