"""Co-op governance: memberships, pricing proposals and the ballots cast on them.

Prices themselves live in the ledger (``PricingVersion``); a passed proposal is enacted as a
new pricing version that points back here through its ``proposal_id``.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.extensions import db
from app.core.types import UTCDateTime, str_enum, utcnow


class MemberClass(str, enum.Enum):
    LISTENER = "listener"
    ARTIST = "artist"
    WORKER = "worker"


class MembershipSource(str, enum.Enum):
    SHARE_PURCHASE = "share_purchase"  # bought through the service (payments)
    ADMIN_RECORD = "admin_record"  # a share bought outside the service, recorded by an admin


class Membership(db.Model):
    """One share held by a user over a period. A user is a member at time t while any of
    their rows covers t; several rows (several shares) still make one member with one vote.

    Rows are history: ending a membership sets ``ended_at``; rows are never deleted.
    """

    __tablename__ = "memberships"
    __table_args__ = (
        # A payment (or an admin's reference) makes at most one membership; NULLs don't clash.
        UniqueConstraint("source", "reference"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    member_class: Mapped[MemberClass] = mapped_column(str_enum(MemberClass, "member_class"))
    source: Mapped[MembershipSource] = mapped_column(str_enum(MembershipSource, "membership_source"))
    reference: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821 (accounts module)
    recorded_by: Mapped["User | None"] = relationship(foreign_keys=[recorded_by_id])  # noqa: F821

    def covers(self, at: datetime) -> bool:
        return self.started_at <= at and (self.ended_at is None or at < self.ended_at)

    def __repr__(self) -> str:
        return f"<Membership {self.id} user={self.user_id} {self.member_class.value}>"


class ProposalStatus(str, enum.Enum):
    DRAFT = "draft"
    OPEN = "open"
    PASSED = "passed"
    REJECTED = "rejected"
    # The vote passed, but a version decided since it opened changed the prices it was
    # opened against: enacting the prices its voters were shown would undo that decision.
    SUPERSEDED = "superseded"

    @property
    def closed(self) -> bool:
        return self in CLOSED_STATUSES


CLOSED_STATUSES = (ProposalStatus.PASSED, ProposalStatus.REJECTED, ProposalStatus.SUPERSEDED)


class Proposal(db.Model):
    """A member's proposal to change some pricing parameters.

    Each ``new_*`` column is NULL when the proposal leaves that parameter alone; the values
    are in the ledger's integer units. Editable while a draft, frozen once opened (the
    service refuses, and on every database a trigger refuses too). The tally columns are
    written once, when the proposal closes.

    Opening records the complete price set the voters are shown: ``opened_against`` (every
    parameter of the latest decided pricing version at the open) and ``enacts`` (those with
    the proposed values applied), both keyed by ``PricingParams`` field. A passed proposal is
    enacted as exactly ``enacts``, never as its changes stacked on whatever was decided later.
    """

    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint("voting_days >= 2", name="voting_days_min"),
        CheckConstraint("quorum_percent BETWEEN 0 AND 100", name="quorum_percent_range"),
        CheckConstraint(
            "threshold_num >= 1 AND threshold_den >= 1 AND threshold_num < threshold_den", name="threshold_fraction"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    rationale: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProposalStatus] = mapped_column(
        str_enum(ProposalStatus, "proposal_status"), default=ProposalStatus.DRAFT, index=True
    )
    voting_days: Mapped[int] = mapped_column(Integer, default=7)
    hide_results: Mapped[bool] = mapped_column(Boolean, default=True)

    new_first_play_price: Mapped[int | None] = mapped_column(BigInteger)  # micro-credits
    new_growth_permille: Mapped[int | None] = mapped_column(Integer)  # 2000 = x2
    new_plays_to_own: Mapped[int | None] = mapped_column(Integer)
    new_count_after_seconds: Mapped[int | None] = mapped_column(Integer)
    new_artist_share_bp: Mapped[int | None] = mapped_column(Integer)  # basis points
    new_credit_price_cents: Mapped[int | None] = mapped_column(Integer)  # EUR cents
    new_starter_grant: Mapped[int | None] = mapped_column(BigInteger)  # micro-credits
    new_payout_minimum_cents: Mapped[int | None] = mapped_column(Integer)  # EUR cents

    # The complete price sets shown to voters, fixed when the proposal opens (NULL for a draft).
    opened_against: Mapped[dict | None] = mapped_column(JSONB)
    enacts: Mapped[dict | None] = mapped_column(JSONB)

    # The rules the vote is decided by, fixed when the proposal opens.
    quorum_percent: Mapped[int] = mapped_column(Integer, default=10)
    threshold_num: Mapped[int] = mapped_column(Integer, default=1)
    threshold_den: Mapped[int] = mapped_column(Integer, default=2)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The tally, written at close.
    members_at_close: Mapped[int | None] = mapped_column(Integer)
    yes_count: Mapped[int | None] = mapped_column(Integer)
    no_count: Mapped[int | None] = mapped_column(Integer)
    abstain_count: Mapped[int | None] = mapped_column(Integer)
    effective_from: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when passed

    author: Mapped["User"] = relationship()  # noqa: F821 (accounts module)

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.status.value} {self.title!r}>"


class Choice(str, enum.Enum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


class Ballot(db.Model):
    """One vote as cast. Append-only: changing a vote appends a ballot with the next
    ``sequence``; the member's ballot with the highest sequence is the one counted.

    The unique (proposal, voter, sequence) makes "latest" unambiguous even when two
    submissions race; triggers refuse UPDATE and DELETE on every database, so no one,
    admins included, can alter a cast vote. Only the SHA-256 of the receipt code is kept.
    """

    __tablename__ = "ballots"
    __table_args__ = (
        UniqueConstraint("proposal_id", "voter_id", "sequence"),
        CheckConstraint("sequence >= 1", name="sequence_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="RESTRICT"), index=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    choice: Mapped[Choice] = mapped_column(str_enum(Choice, "ballot_choice"))
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Ballot {self.id} p={self.proposal_id} #{self.sequence} {self.choice.value}>"


# Columns a proposal may no longer change once it has opened.
FROZEN_COLUMNS = (
    "author_id",
    "title",
    "rationale",
    "voting_days",
    "hide_results",
    "new_first_play_price",
    "new_growth_permille",
    "new_plays_to_own",
    "new_count_after_seconds",
    "new_artist_share_bp",
    "new_credit_price_cents",
    "new_starter_grant",
    "new_payout_minimum_cents",
    "quorum_percent",
    "threshold_num",
    "threshold_den",
    "opened_at",
    "closes_at",
    "created_at",
    "opened_against",
    "enacts",
)


def guard_statements() -> list[str]:
    """DDL (PostgreSQL) making the database itself refuse to alter a cast vote or an opened proposal.

    Ballots: no UPDATE, no DELETE, for anyone. Proposals: a draft may change or be deleted;
    an open one may only get its reminder time and its close written; a closed one is
    final. The migration runs a frozen copy of these (a test checks they agree).
    """
    frozen = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FROZEN_COLUMNS)
    return [
        "CREATE OR REPLACE FUNCTION governance_refuse_ballot_change() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
        "    MESSAGE = 'ballots are append-only: a changed vote is a new ballot';\n"
        "END $$",
        "CREATE TRIGGER ballots_append_only BEFORE UPDATE OR DELETE ON ballots"
        " FOR EACH ROW EXECUTE FUNCTION governance_refuse_ballot_change()",
        "CREATE OR REPLACE FUNCTION governance_guard_proposal() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  IF TG_OP = 'DELETE' THEN\n"
        "    IF OLD.status <> 'draft' THEN\n"
        "      RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
        "        MESSAGE = 'only a draft proposal can be deleted';\n"
        "    END IF;\n"
        "    RETURN OLD;\n"
        "  END IF;\n"
        "  IF OLD.status IN ('passed', 'rejected', 'superseded') THEN\n"
        "    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
        "      MESSAGE = 'a closed proposal is final';\n"
        "  END IF;\n"
        f"  IF OLD.status <> 'draft' AND (NEW.status = 'draft' OR {frozen}) THEN\n"
        "    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
        "      MESSAGE = 'an opened proposal is frozen';\n"
        "  END IF;\n"
        "  RETURN NEW;\n"
        "END $$",
        "CREATE TRIGGER proposals_guard BEFORE UPDATE OR DELETE ON proposals"
        " FOR EACH ROW EXECUTE FUNCTION governance_guard_proposal()",
    ]
