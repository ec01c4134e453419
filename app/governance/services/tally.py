"""The decision rule, as pure integer arithmetic (no floats, no database).

A proposal passes when both hold:

- quorum: turnout * 100 >= quorum_percent * members. Turnout counts every member whose
  ballot is counted, abstentions included. Exactly at the quorum is enough (10 % of 50
  members is 5 voters; 5 pass the quorum, 4 do not).
- threshold: yes * den > num * (yes + no). Strictly more than the fraction of the yes and
  no votes: a tie fails under "more than half", and exactly two thirds fails under "more
  than two thirds". Abstentions count towards the quorum only. With no yes or no vote at
  all the proposal fails.

A co-op with no members passes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tally:
    members: int  # members at the close
    yes: int
    no: int
    abstain: int

    @property
    def turnout(self) -> int:
        return self.yes + self.no + self.abstain


@dataclass(frozen=True)
class Rule:
    quorum_percent: int  # 10 -> 10 % of members
    threshold_num: int  # 1/2 -> "more than half"
    threshold_den: int


SIMPLE_MAJORITY = (1, 2)
TWO_THIRDS = (2, 3)


def quorum_met(tally: Tally, rule: Rule) -> bool:
    return tally.members > 0 and tally.turnout * 100 >= rule.quorum_percent * tally.members


def threshold_met(tally: Tally, rule: Rule) -> bool:
    return tally.yes * rule.threshold_den > rule.threshold_num * (tally.yes + tally.no)


def passes(tally: Tally, rule: Rule) -> bool:
    """The decision: quorum reached and yes strictly above the threshold of yes + no."""
    if tally.turnout > tally.members:
        raise ValueError("more counted ballots than members")  # the counting query is wrong
    return quorum_met(tally, rule) and threshold_met(tally, rule)


def quorum_needed(members: int, quorum_percent: int) -> int:
    """The smallest turnout that meets the quorum: ceil(members * percent / 100)."""
    return -(-members * quorum_percent // 100)
