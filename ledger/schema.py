"""The ledger's tables: its own declarative base and MetaData.

The ledger refers to listeners (user ids), artists (artist ids) and tracks (track ids) by
plain integer ids, without foreign keys into the web layer's tables: it does not know them,
and it must keep working (and stay verifiable) whatever the catalog does. References exist
only between ledger tables: foreign keys between history rows (a posting's transfer is
checked by the posting guard instead), reference guards (below) to the shared accounts and
pricing versions.

Money is stored as integer micro-credits (1 credit = 1,000,000) in BIGINT columns.

What the database enforces:

* ``ledger_postings.amount <> 0`` and each posting belongs to one transfer;
* every kind (an account's, a transfer's, a play's, an ownership's ``via``) is one of its
  enum's values: each column is a domain listing them (``DomainEnum``);
* ``ledger_transfers.idempotency_key`` and ``ledger_plays.idempotency_key`` are unique;
* a wallet's stored balance is never negative (CHECK), only wallets store a balance;
* an account's owner fits its kind (a listener or an artist for wallets and earnings, nobody
  for the co-op's accounts), and neither ever changes (``account_guard_statements``);
* play numbers are unique per (listener, track);
* transfers, postings, plays, ownerships and pricing versions are immutable: triggers
  refuse UPDATE, DELETE and TRUNCATE (``guard_statements``, ``truncate_guard_statements``);
* every INSERT of postings leaves each transfer it touched existing and balanced (its
  postings sum to zero): a transfer's postings are written together
  (``posting_guard_statements``);
* history refers only to accounts and pricing versions that exist, and those are never
  removed (``reference_guard_statements``: the foreign keys' guarantee without their row
  lock on rows every charge shares).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ledger.types import NAMING_CONVENTION, DomainEnum, UTCDateTime, utcnow


class LedgerBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


metadata = LedgerBase.metadata

# Owner id of the co-op's own accounts (they belong to nobody in particular).
SYSTEM_OWNER = 0


class AccountKind(str, enum.Enum):
    WALLET = "wallet"  # a listener's credits; owner = user id; balance stored on the row
    ARTIST_EARNINGS = "artist_earnings"  # owner = artist id
    COOP_REVENUE = "coop_revenue"  # the co-op's share of charges
    COOP_PROMOTIONS = "coop_promotions"  # source of starter grants (goes negative: an expense)
    PAYMENTS_CLEARING = "payments_clearing"  # money arriving from the payment provider (a source)
    PAYOUTS_IN_TRANSIT = "payouts_in_transit"  # earnings sent to the provider, not yet settled
    PAID_OUT = "paid_out"  # money that has left the co-op to artists' bank accounts (a sink)


OWNED_KINDS = frozenset({AccountKind.WALLET, AccountKind.ARTIST_EARNINGS})
# Accounts that must never go below zero. Wallets store their balance (CHECK >= 0); the
# others are derived from postings and checked under a row lock when debited.
NON_NEGATIVE_KINDS = frozenset(
    {AccountKind.WALLET, AccountKind.ARTIST_EARNINGS, AccountKind.COOP_REVENUE, AccountKind.PAYOUTS_IN_TRANSIT}
)


class TransferKind(str, enum.Enum):
    TOP_UP = "top_up"  # payments clearing -> wallet
    STARTER_GRANT = "starter_grant"  # co-op promotions -> wallet
    PLAY_CHARGE = "play_charge"  # wallet -> artist earnings + co-op revenue
    BUY_NOW = "buy_now"  # wallet -> artist earnings + co-op revenue, the rest of the schedule
    CORRECTION = "correction"  # reverses or adjusts an earlier transfer
    REFUND = "refund"  # wallet -> payments clearing (money back to the payer)
    PAYOUT = "payout"  # artist earnings -> payouts in transit
    PAYOUT_SETTLED = "payout_settled"  # payouts in transit -> paid out
    PAYOUT_RETURNED = "payout_returned"  # payouts in transit -> artist earnings (a failed payout)


class PlayKind(str, enum.Enum):
    CHARGED = "charged"  # a counted play that cost credits
    FREE_TRACK = "free_track"  # the track is marked free
    OWNED = "owned"  # the listener owns the track
    OWN_ARTIST = "own_artist"  # the listener manages the track's artist


class OwnershipVia(str, enum.Enum):
    PLAYS = "plays"  # reached plays-to-own counted plays
    BUY_NOW = "buy_now"  # paid the rest of the schedule at once


class PricingVersion(LedgerBase):
    """Every number of the money rules, in integers, and when it took effect.

    A play is charged under the version whose ``effective_from`` is the latest one not after
    the play. ``proposal_id`` names the member proposal that enacted it (None for the first;
    no foreign key yet, governance comes later).
    """

    __tablename__ = "ledger_pricing_versions"
    __table_args__ = (
        CheckConstraint("first_play_price > 0", name="first_play_price_positive"),
        CheckConstraint("growth_permille >= 1", name="growth_positive"),
        CheckConstraint("plays_to_own BETWEEN 1 AND 100", name="plays_to_own_range"),
        CheckConstraint("count_after_seconds >= 1", name="count_after_positive"),
        CheckConstraint("artist_share_bp BETWEEN 0 AND 10000", name="artist_share_range"),
        CheckConstraint("credit_price_cents >= 1", name="credit_price_positive"),
        CheckConstraint("starter_grant >= 0", name="starter_grant_non_negative"),
        CheckConstraint("payout_minimum_cents >= 0", name="payout_minimum_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime, unique=True)
    proposal_id: Mapped[int | None] = mapped_column(Integer)
    first_play_price: Mapped[int] = mapped_column(BigInteger)  # micro-credits
    growth_permille: Mapped[int] = mapped_column(Integer)  # 2000 = each play costs x2
    plays_to_own: Mapped[int] = mapped_column(Integer)
    count_after_seconds: Mapped[int] = mapped_column(Integer)
    artist_share_bp: Mapped[int] = mapped_column(Integer)  # basis points: 7000 = 70 %
    credit_price_cents: Mapped[int] = mapped_column(Integer)  # EUR cents per credit
    starter_grant: Mapped[int] = mapped_column(BigInteger)  # micro-credits
    payout_minimum_cents: Mapped[int] = mapped_column(Integer)  # EUR cents
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Account(LedgerBase):
    """One account. Wallets store their balance (updated under the wallet's row lock); every
    other account's balance is derived from its postings, so concurrent charges for one
    artist never queue behind a shared balance row.

    Its kind and owner say whose money it is: checked when the account is created and never
    changed afterwards (``account_guard_statements``)."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("kind", "owner_id"),
        CheckConstraint(
            "(kind = 'wallet' AND balance IS NOT NULL AND balance >= 0) OR (kind <> 'wallet' AND balance IS NULL)",
            name="wallet_balance",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AccountKind] = mapped_column(DomainEnum(AccountKind, "ledger_account_kind"))
    owner_id: Mapped[int] = mapped_column(Integer)  # user id, artist id, or 0 (SYSTEM_OWNER)
    balance: Mapped[int | None] = mapped_column(BigInteger)  # wallets only
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Transfer(LedgerBase):
    """A movement of credits: postings summing to zero. Immutable; corrected by new transfers."""

    __tablename__ = "ledger_transfers"
    __table_args__ = (
        CheckConstraint(
            "kind NOT IN ('play_charge', 'buy_now')"
            " OR (pricing_version_id IS NOT NULL AND listener_id IS NOT NULL AND track_id IS NOT NULL)",
            name="charge_details",
        ),
        CheckConstraint("kind <> 'correction' OR corrects_transfer_id IS NOT NULL", name="correction_target"),
        CheckConstraint(
            "reverses_transfer_id IS NULL OR reverses_transfer_id = corrects_transfer_id", name="reversal_target"
        ),
        Index(
            "uq_ledger_transfers_reverses_transfer_id",
            "reverses_transfer_id",
            unique=True,
            postgresql_where=text("reverses_transfer_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the request's content
    kind: Mapped[TransferKind] = mapped_column(DomainEnum(TransferKind, "ledger_transfer_kind"))
    listener_id: Mapped[int | None] = mapped_column(Integer)
    track_id: Mapped[int | None] = mapped_column(Integer)
    pricing_version_id: Mapped[int | None] = mapped_column(Integer)
    corrects_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    # Set on an exact reversal only (``ledger.correct`` without postings); unique, so a
    # transfer is reversed at most once, even by two sessions at the same moment.
    reverses_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    memo: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # when it was written
    # When it counts (statements, payout months, rollup days): a play charge's play start,
    # otherwise the moment of the operation.
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Posting(LedgerBase):
    """One leg of a transfer: a signed amount on one account (positive = credit)."""

    __tablename__ = "ledger_postings"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_non_zero"),
        PrimaryKeyConstraint("transfer_id", "id"),
        # Balances of derived accounts and wallet statements read postings by account.
        Index("ix_ledger_postings_account_id_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(autoincrement=True)
    # Both references are checked by the posting guard (``posting_guard_statements``), not
    # by foreign keys.
    transfer_id: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)


class Play(LedgerBase):
    """A counted play as the ledger saw it: charged (numbered 1.., with its price and split)
    or free (a free track, an owned track, the artist's own track)."""

    __tablename__ = "ledger_plays"
    __table_args__ = (
        UniqueConstraint("listener_id", "track_id", "play_number"),
        CheckConstraint(
            "(kind = 'charged' AND play_number >= 1 AND price > 0 AND transfer_id IS NOT NULL"
            " AND pricing_version_id IS NOT NULL AND artist_part >= 0 AND coop_part >= 0"
            " AND artist_part + coop_part = price)"
            " OR (kind <> 'charged' AND play_number IS NULL AND price = 0 AND artist_part = 0"
            " AND coop_part = 0 AND transfer_id IS NULL)",
            name="charge_or_free",
        ),
        Index("ix_ledger_plays_listener_id_id", "listener_id", "id"),
        # Artists' statements: plays of one artist's tracks in a period.
        Index("ix_ledger_plays_artist_id_created_at", "artist_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    listener_id: Mapped[int] = mapped_column(Integer)
    track_id: Mapped[int] = mapped_column(Integer)
    artist_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[PlayKind] = mapped_column(DomainEnum(PlayKind, "ledger_play_kind"))
    play_number: Mapped[int | None] = mapped_column(Integer)
    price: Mapped[int] = mapped_column(BigInteger)
    artist_part: Mapped[int] = mapped_column(BigInteger)
    coop_part: Mapped[int] = mapped_column(BigInteger)
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    pricing_version_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Ownership(LedgerBase):
    """A listener owns a track: free plays forever and the best-quality download."""

    __tablename__ = "ledger_ownerships"
    __table_args__ = (
        CheckConstraint("via <> 'buy_now' OR transfer_id IS NOT NULL", name="buy_now_transfer"),
        CheckConstraint("paid >= 0", name="paid_non_negative"),
    )

    listener_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    track_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    artist_id: Mapped[int] = mapped_column(Integer)
    via: Mapped[OwnershipVia] = mapped_column(DomainEnum(OwnershipVia, "ledger_ownership_via"))
    # The charge that completed the schedule, or the buy-now transfer.
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    pricing_version_id: Mapped[int] = mapped_column(Integer)
    paid: Mapped[int] = mapped_column(BigInteger, default=0)  # what the buy-now cost; 0 via plays
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


IMMUTABLE_TABLES = (
    "ledger_pricing_versions",
    "ledger_transfers",
    "ledger_postings",
    "ledger_plays",
    "ledger_ownerships",
)


def guard_statements() -> list[str]:
    """DDL (PostgreSQL) that makes the database refuse to edit history. The migration that
    creates the tables runs a frozen copy of these (with the balance check that
    ``posting_guard_statements`` replaced); ``metadata.create_all`` runs them via events."""
    statements = [
        "CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
        "    MESSAGE = TG_TABLE_NAME || ' rows are immutable; write a correcting transfer';\n"
        "END $$",
    ]
    statements += [
        f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table}"
        " FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
        for table in IMMUTABLE_TABLES
    ]
    return statements


# Rows of history refer to these shared rows: every charge names the co-op's revenue account,
# its artist's earnings account and the pricing version in force.
PRICED_TABLES = ("ledger_transfers", "ledger_plays", "ledger_ownerships")
REFERENCED_TABLES = ("ledger_accounts", "ledger_pricing_versions")


def reference_guard_statements() -> list[str]:
    """DDL (PostgreSQL) for the references from history to accounts and pricing versions.

    A foreign key would guard them by locking the referenced row (``FOR KEY SHARE``) in every
    inserting transaction. These rows are shared by every concurrent charge (the co-op's
    revenue account, the pricing version in force), so each lock became a new MultiXact and
    WAL records of its own (6 of a charge's 34; charges/s rose 12-23 % without them). The
    same guarantee without the lock:

    * a history row's pricing version must exist (checked before the insert; a row another
      session has not committed yet is refused, never guessed), and so must an inserted
      posting's account (``posting_guard_statements``, at the end of the INSERT);
    * a referenced row can never go away: accounts refuse DELETE and a change of id, pricing
      versions are immutable (``guard_statements``), and both refuse TRUNCATE.

    So a reference that was valid at insert stays valid forever, which is what the key
    share lock was for. ``ledger.verify`` checks the references too (a bulk load with
    triggers off, as ``flask demo synthesize`` does, is checked afterwards).
    """
    statements = [
        "CREATE OR REPLACE FUNCTION ledger_check_pricing_version_exists() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  IF NOT EXISTS (SELECT 1 FROM ledger_pricing_versions v WHERE v.id = NEW.pricing_version_id) THEN\n"
        "    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',\n"
        "      MESSAGE = TG_TABLE_NAME || ' row refers to pricing version ' || NEW.pricing_version_id\n"
        "        || ', which does not exist';\n"
        "  END IF;\n"
        "  RETURN NEW;\n"
        "END $$",
        "CREATE OR REPLACE FUNCTION ledger_refuse_removal() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
        "    MESSAGE = TG_TABLE_NAME || ' rows are referenced by the ledger''s history and are never removed';\n"
        "END $$",
        "CREATE TRIGGER ledger_accounts_kept BEFORE DELETE OR UPDATE OF id ON ledger_accounts"
        " FOR EACH ROW EXECUTE FUNCTION ledger_refuse_removal()",
    ]
    statements += [
        f"CREATE TRIGGER {table}_pricing_version_exists BEFORE INSERT ON {table}"
        " FOR EACH ROW WHEN (NEW.pricing_version_id IS NOT NULL) EXECUTE FUNCTION ledger_check_pricing_version_exists()"
        for table in PRICED_TABLES
    ]
    statements += [
        f"CREATE TRIGGER {table}_not_truncated BEFORE TRUNCATE ON {table}"
        " FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_removal()"
        for table in REFERENCED_TABLES
    ]
    return statements


def posting_guard_statements() -> list[str]:
    """DDL (PostgreSQL) that checks every INSERT into ``ledger_postings`` once, at its end,
    over the rows it inserted (a transition table):

    * each posting's account exists (a reference guard, as ``reference_guard_statements``
      explains; an account another session has not committed yet is refused);
    * each transfer it touched exists and balances: its postings sum to zero. The transfer
      is checked here rather than by a foreign key, whose check locked the transfer's row
      (``FOR KEY SHARE``: a WAL record) once per posting: -3.8 % of a charge's server
      instructions (BENCHMARKS.md). A transfer never goes away: transfers are immutable
      (``guard_statements``) and never truncated (``truncate_guard_statements``).

    So a transfer's postings are written together, in one statement (the money functions'
    ``INSERT ... SELECT``, ``ledger.transfers.write_transfer``'s multi-row ``INSERT``), and
    every transfer balances after every statement, not only at commit. One call per statement
    instead of two trigger calls per posting (a row check before each insert, a deferred
    balance check per posting at commit): -3.2 % of a charge's server instructions
    (BENCHMARKS.md).
    """
    return [
        "CREATE OR REPLACE FUNCTION ledger_check_postings() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "DECLARE posting record; total bigint;\n"
        "BEGIN\n"
        "  -- One lookup by primary key per posting, then per transfer one lookup and one sum: the\n"
        "  -- plans the row triggers and the foreign key had. A join over the inserted rows was\n"
        "  -- planned as a scan of every posting while the table was young, and the plan was kept.\n"
        "  FOR posting IN SELECT i.account_id FROM inserted_postings i LOOP\n"
        "    IF NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.id = posting.account_id) THEN\n"
        "      RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',\n"
        "        MESSAGE = 'ledger_postings row refers to ledger account ' || posting.account_id || ', which does not exist';\n"
        "    END IF;\n"
        "  END LOOP;\n"
        "  FOR posting IN SELECT DISTINCT i.transfer_id FROM inserted_postings i ORDER BY i.transfer_id LOOP\n"
        "    IF NOT EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.id = posting.transfer_id) THEN\n"
        "      RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',\n"
        "        MESSAGE = 'ledger_postings row refers to ledger transfer ' || posting.transfer_id || ', which does not exist';\n"
        "    END IF;\n"
        "    SELECT sum(p.amount) INTO total FROM ledger_postings p WHERE p.transfer_id = posting.transfer_id;\n"
        "    IF total <> 0 THEN\n"
        "      RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
        "        MESSAGE = 'postings of transfer ' || posting.transfer_id || ' sum to ' || total || ', not 0';\n"
        "    END IF;\n"
        "  END LOOP;\n"
        "  RETURN NULL;\n"
        "END $$",
        "CREATE TRIGGER ledger_postings_checked AFTER INSERT ON ledger_postings"
        " REFERENCING NEW TABLE AS inserted_postings FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_postings()",
    ]


def truncate_guard_statements() -> list[str]:
    """DDL (PostgreSQL): history is never truncated. The row triggers of ``guard_statements``
    do not fire on TRUNCATE, which would wipe transfers, postings, plays or ownerships at
    once (with CASCADE, past the foreign keys between them). Accounts and pricing versions
    refuse it in ``reference_guard_statements``."""
    return [
        f"CREATE TRIGGER {table}_not_truncated BEFORE TRUNCATE ON {table}"
        " FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()"
        for table in IMMUTABLE_TABLES
        if table not in REFERENCED_TABLES
    ]


def account_guard_statements() -> list[str]:
    """DDL (PostgreSQL) for an account's owner: it fits the account's kind (``OWNED_KINDS``
    have a positive owner id, the co-op's own accounts ``SYSTEM_OWNER``), checked when the
    account is created; and an account's kind and owner never change (they say whose money
    it is: a changed owner would hand a wallet to someone else).

    A trigger, not a table CHECK: PostgreSQL reads a table's CHECK expressions again for
    every statement that writes the table, and the wallet's balance ``UPDATE`` in every
    charge changes neither column. The trigger fires only on INSERT and on an ``UPDATE``
    that names ``kind`` or ``owner_id``; the same rule costs a charge nothing (-6 % of its
    server instructions, BENCHMARKS.md). ``ledger.verify`` checks it too (a bulk load with
    triggers off, as ``flask demo synthesize`` does, is checked afterwards).
    """
    owned = ", ".join(f"'{kind.value}'" for kind in sorted(OWNED_KINDS, key=lambda kind: kind.value))
    return [
        "CREATE OR REPLACE FUNCTION ledger_check_account_owner() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  IF TG_OP = 'UPDATE' AND (NEW.kind IS DISTINCT FROM OLD.kind OR NEW.owner_id IS DISTINCT FROM OLD.owner_id) THEN\n"
        "    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
        "      MESSAGE = 'ledger account ' || OLD.id || ': its kind and owner never change';\n"
        "  END IF;\n"
        f"  IF NOT (CASE WHEN NEW.kind IN ({owned}) THEN NEW.owner_id > 0 ELSE NEW.owner_id = {SYSTEM_OWNER} END) THEN\n"
        "    RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_accounts_owner',\n"
        "      MESSAGE = 'a ' || NEW.kind || ' account cannot have owner ' || NEW.owner_id;\n"
        "  END IF;\n"
        "  RETURN NEW;\n"
        "END $$",
        "CREATE TRIGGER ledger_accounts_owner BEFORE INSERT OR UPDATE OF kind, owner_id ON ledger_accounts"
        " FOR EACH ROW EXECUTE FUNCTION ledger_check_account_owner()",
    ]


@event.listens_for(metadata, "after_create")
def _install_guards(target: MetaData, connection: Connection, **kw: Any) -> None:
    for statement in (
        guard_statements()
        + reference_guard_statements()
        + posting_guard_statements()
        + truncate_guard_statements()
        + account_guard_statements()
    ):
        connection.exec_driver_sql(statement)
    from ledger.functions import function_statements  # the money rules (one implementation)

    for statement in function_statements():
        connection.execute(text(statement))  # text(): the bodies hold '%' (format strings)


@event.listens_for(metadata, "before_drop")
def _drop_guard_functions(target: MetaData, connection: Connection, **kw: Any) -> None:
    # Tables take their triggers with them; functions stay unless dropped.
    from ledger.functions import drop_statements

    for statement in drop_statements():
        connection.exec_driver_sql(statement)
    for function in (
        "ledger_refuse_change",
        "ledger_check_postings",
        "ledger_check_pricing_version_exists",
        "ledger_refuse_removal",
        "ledger_check_account_owner",
    ):
        connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {function}() CASCADE")
