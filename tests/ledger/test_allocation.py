from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import InvalidOperation, allocate, split_charge


@settings(max_examples=300, deadline=None)
@given(
    total=st.integers(min_value=0, max_value=10**15),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=8).filter(any),
)
def test_parts_sum_to_total_and_stay_within_one_of_the_exact_share(total, weights):
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert all(isinstance(p, int) for p in parts)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, sum(weights))
        assert abs(part - exact) < 1
        assert part >= 0


def test_examples():
    assert allocate(2000, [7000, 3000]) == [1400, 600]
    assert allocate(1, [7000, 3000]) == [1, 0]  # the larger remainder wins
    assert allocate(10, [1, 1, 1]) == [4, 3, 3]  # ties go to the earlier weight
    assert allocate(0, [1, 2]) == [0, 0]
    assert split_charge(512_000, 7000) == (358_400, 153_600)
    assert split_charge(3, 7000) == (2, 1)


@pytest.mark.parametrize(
    "total, weights",
    [(1.5, [1, 1]), (10, []), (10, [0, 0]), (-1, [1]), (10, [1, -1]), (True, [1]), (10, [1.0, 2])],
)
def test_bad_input_is_refused(total, weights):
    with pytest.raises(InvalidOperation):
        allocate(total, weights)
