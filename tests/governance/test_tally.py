"""The decision rule at its edges, and as a property against exact fractions."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.governance.services.tally import Rule, Tally, passes, quorum_met, quorum_needed, threshold_met

MAJORITY = Rule(10, 1, 2)
TWO_THIRDS = Rule(10, 2, 3)


def test_exactly_at_quorum_passes_one_below_fails():
    # 10 % of 50 members is 5 voters.
    assert quorum_met(Tally(50, 5, 0, 0), MAJORITY)
    assert not quorum_met(Tally(50, 4, 0, 0), MAJORITY)
    assert quorum_needed(50, 10) == 5


def test_quorum_rounds_up_for_fractional_members():
    # 10 % of 45 is 4.5: 5 voters are needed, 4 are not enough.
    assert quorum_needed(45, 10) == 5
    assert not passes(Tally(45, 4, 0, 0), MAJORITY)
    assert passes(Tally(45, 5, 0, 0), MAJORITY)


def test_abstentions_count_towards_quorum_only():
    # 2 yes + 3 abstain = 5 of 50: quorum met; 2 yes of 2 yes+no: passes.
    assert passes(Tally(50, 2, 0, 3), MAJORITY)
    # 1 yes, 1 no, 3 abstain: a tie among yes and no fails.
    assert not passes(Tally(50, 1, 1, 3), MAJORITY)


def test_tie_fails_majority():
    assert not passes(Tally(10, 3, 3, 0), MAJORITY)
    assert passes(Tally(10, 4, 3, 0), MAJORITY)


def test_exactly_two_thirds_fails_more_than_two_thirds_passes():
    assert not passes(Tally(30, 6, 3, 0), TWO_THIRDS)  # exactly 2/3
    assert passes(Tally(30, 7, 3, 0), TWO_THIRDS)  # 70 %
    assert passes(Tally(30, 6, 3, 0), MAJORITY)  # the same votes pass a plain majority


def test_all_abstain_fails_and_empty_coop_fails():
    assert not passes(Tally(10, 0, 0, 5), MAJORITY)
    assert not passes(Tally(0, 0, 0, 0), MAJORITY)


def test_more_ballots_than_members_is_a_bug():
    with pytest.raises(ValueError):
        passes(Tally(2, 2, 1, 0), MAJORITY)


tallies = st.integers(0, 300).flatmap(
    lambda members: st.tuples(st.just(members), st.integers(0, members)).flatmap(
        lambda mv: st.integers(0, mv[1]).flatmap(
            lambda yes: st.integers(0, mv[1] - yes).map(lambda no: Tally(mv[0], yes, no, mv[1] - yes - no))
        )
    )
)
rules = st.builds(
    lambda q, frac: Rule(q, frac[0], frac[1]),
    st.integers(0, 100),
    st.sampled_from([(1, 2), (2, 3), (3, 5), (3, 4)]),
)


@given(tallies, rules)
def test_rule_equals_exact_fractions(tally, rule):
    quorum = tally.members > 0 and Fraction(tally.turnout, tally.members) >= Fraction(rule.quorum_percent, 100)
    decided = tally.yes + tally.no > 0 and Fraction(tally.yes, tally.yes + tally.no) > Fraction(
        rule.threshold_num, rule.threshold_den
    )
    assert passes(tally, rule) == (quorum and decided)
    assert threshold_met(tally, rule) == decided


@given(tallies, rules)
def test_one_more_yes_never_hurts(tally, rule):
    if tally.abstain:
        better = Tally(tally.members, tally.yes + 1, tally.no, tally.abstain - 1)
        assert passes(better, rule) >= passes(tally, rule)


@given(st.integers(1, 10_000), st.integers(0, 100))
def test_quorum_needed_is_the_smallest_turnout_that_meets_it(members, percent):
    need = quorum_needed(members, percent)
    rule = Rule(percent, 1, 2)
    if need <= members:
        assert quorum_met(Tally(members, need, 0, 0), rule)
    if need >= 1:
        assert not quorum_met(Tally(members, need - 1, 0, 0), rule)
