"""Money in and money out: orders paid through Stripe (or the test provider), the webhook
events already processed, what a refund could not take back, and artists' payouts.

Amounts of money are integer minor units of ``currency`` (cents for EUR); credits are
integer micro-credits, as in the ledger. Ledger movements are linked by their idempotency
keys, which are derived from these rows' ids (``order:<id>``, ``payout:<id>``...).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.core.extensions import db
from app.core.types import UTCDateTime, str_enum, utcnow
from app.governance.models import MemberClass


class OrderKind(str, enum.Enum):
    CREDIT_PACK = "credit_pack"  # credits into the buyer's wallet
    MEMBER_SHARE = "member_share"  # one share: the buyer becomes a member


class OrderStatus(str, enum.Enum):
    PENDING = "pending"  # checkout created, not paid (yet)
    PAID = "paid"  # fulfilled: credits in the wallet / membership granted
    FAILED = "failed"  # the payment failed or the checkout expired
    REFUNDED = "refunded"  # refunded in full (partial refunds keep PAID, see refunded_cents)


class PaymentProvider(str, enum.Enum):
    STRIPE = "stripe"
    TEST = "test"  # the embedded provider: checkouts completed on a local page


class Order(db.Model):
    """One checkout: what was bought, for how much, and how far it went."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("credits >= 0 AND refunded_credits >= 0 AND refunded_cents >= 0", name="non_negative"),
        CheckConstraint(
            "(kind = 'credit_pack' AND credits > 0 AND member_class IS NULL)"
            " OR (kind = 'member_share' AND credits = 0 AND member_class IS NOT NULL)",
            name="what_is_bought",
        ),
        CheckConstraint("refunded_cents <= amount_cents", name="refund_at_most_amount"),
        # Credits bought per month (analytics) and the order history read by these.
        Index("ix_orders_status_paid_at", "status", "paid_at"),
        Index("ix_orders_user_id_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    kind: Mapped[OrderKind] = mapped_column(str_enum(OrderKind, "order_kind"))
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus, "order_status"), default=OrderStatus.PENDING)
    provider: Mapped[PaymentProvider] = mapped_column(str_enum(PaymentProvider, "payment_provider"))
    credits: Mapped[int] = mapped_column(BigInteger, default=0)  # micro-credits bought (packs)
    member_class: Mapped[MemberClass | None] = mapped_column(str_enum(MemberClass, "order_member_class"))
    amount_cents: Mapped[int] = mapped_column(Integer)  # what the buyer pays, minor units
    currency: Mapped[str] = mapped_column(String(3))
    credit_price_cents: Mapped[int | None] = mapped_column(Integer)  # the price a pack was sold at
    pricing_version_id: Mapped[int | None] = mapped_column(Integer)  # the ledger's version in force
    # Stripe's checkout session id (the test provider makes its own); unique: one order each.
    session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    charge_id: Mapped[str | None] = mapped_column(String(255))
    ledger_transfer_id: Mapped[int | None] = mapped_column(Integer)  # the top-up, once paid
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("memberships.id", ondelete="SET NULL"))
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0)  # cumulative, from charge.refunded
    refunded_credits: Mapped[int] = mapped_column(BigInteger, default=0)  # taken back + owed, micro
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped["User"] = relationship()  # noqa: F821 (accounts module)

    @property
    def ledger_key(self) -> str:
        """The idempotency key of this order's top-up: one order, one top-up, ever."""
        return f"order:{self.id}"

    def __repr__(self) -> str:
        return f"<Order {self.id} {self.kind.value} {self.status.value}>"


class PaymentEvent(db.Model):
    """A webhook event (or a test-provider event) already processed, by its id.

    Inserted in the same transaction as the fulfilment it caused, so an event is either
    fully processed and recorded, or neither; a replay finds the row and changes nothing.
    Unknown event types are recorded too (outcome ``ignored``).
    """

    __tablename__ = "payment_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # Stripe's evt_... id
    type: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(50))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id", ondelete="SET NULL"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Receivable(db.Model):
    """Credits a refunded buyer had already spent: the refund could not take them back from
    the wallet (a wallet never goes negative), so they are owed to the co-op."""

    __tablename__ = "receivables"
    __table_args__ = (CheckConstraint("credits > 0", name="credits_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # One row per refund step: the order and the cumulative refunded amount that caused it.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    credits: Mapped[int] = mapped_column(BigInteger)  # micro-credits owed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PayoutMethod(str, enum.Enum):
    STRIPE = "stripe"  # a Stripe Connect account: a Transfer to it
    BANK = "bank"  # an IBAN: listed in a CSV, paid by hand, recorded by an admin


class PayoutDestination(db.Model):
    """Where an artist's money goes. One per artist; its managers set it."""

    __tablename__ = "payout_destinations"

    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id", ondelete="CASCADE"), primary_key=True)
    method: Mapped[PayoutMethod] = mapped_column(str_enum(PayoutMethod, "payout_method"))
    stripe_account_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_ready: Mapped[bool] = mapped_column(default=False)  # the account can receive transfers
    iban: Mapped[str | None] = mapped_column(String(34))  # normalized: upper case, no spaces
    account_holder: Mapped[str | None] = mapped_column(String(200))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def masked_iban(self) -> str:
        """``FR76 **** **** **** **** ***0 189``: country, check digits and the last four."""
        if not self.iban:
            return ""
        masked = self.iban[:4] + "*" * (len(self.iban) - 8) + self.iban[-4:]
        return " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))


class PayoutRunStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # the run itself crashed; running the period again resumes it


class PayoutRun(db.Model):
    """One run of the payouts for a period, with its progress (shown to the admin)."""

    __tablename__ = "payout_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7), index=True)  # "2026-11"
    status: Mapped[PayoutRunStatus] = mapped_column(
        str_enum(PayoutRunStatus, "payout_run_status"), default=PayoutRunStatus.QUEUED
    )
    total: Mapped[int] = mapped_column(Integer, default=0)  # artists to consider
    done: Mapped[int] = mapped_column(Integer, default=0)  # artists considered so far
    paid: Mapped[int] = mapped_column(Integer, default=0)  # payouts sent (Stripe) or listed (bank)
    error: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PayoutStatus(str, enum.Enum):
    IN_TRANSIT = "in_transit"  # moved to payouts in transit; the money is on its way
    PAID = "paid"  # Stripe confirmed the transfer, or an admin recorded the bank payment
    RETURNED = "returned"  # the transfer failed for good: the credits went back to earnings
    # The fraud check found signs of farmed earnings (see PayoutHold): nothing moved yet; an
    # admin releases it (-> in transit) or voids the suspicious part (-> in transit for the
    # rest, or voided when the rest is below the payout minimum).
    HELD = "held"
    VOIDED = "voided"  # the suspicious part went back to the co-op; the rest waits for a later run


class Payout(db.Model):
    """What one artist is paid for one period. Unique per (artist, period): a period is paid
    once, however often its run is repeated or resumed.

    ``credits`` micro-credits moved from the artist's earnings to payouts in transit are worth
    exactly ``amount_cents`` at ``credit_price_cents`` (see ``app.services.payout_amounts``).
    """

    __tablename__ = "payouts"
    __table_args__ = (
        UniqueConstraint("artist_id", "period"),
        CheckConstraint("amount_cents > 0 AND credits > 0", name="amounts_positive"),
        Index("ix_payouts_status_method", "status", "method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id", ondelete="RESTRICT"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("payout_runs.id", ondelete="SET NULL"), index=True)
    method: Mapped[PayoutMethod] = mapped_column(str_enum(PayoutMethod, "payout_payout_method"))
    status: Mapped[PayoutStatus] = mapped_column(
        str_enum(PayoutStatus, "payout_status"), default=PayoutStatus.IN_TRANSIT
    )
    credits: Mapped[int] = mapped_column(BigInteger)  # micro-credits moved out of earnings
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    credit_price_cents: Mapped[int] = mapped_column(Integer)
    stripe_account_id: Mapped[str | None] = mapped_column(String(255))
    stripe_transfer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    bank_reference: Mapped[str | None] = mapped_column(String(200))  # recorded by the admin
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    artist: Mapped["Artist"] = relationship()  # noqa: F821 (catalog module)

    @property
    def ledger_key(self) -> str:
        """Key of the move earnings -> payouts in transit."""
        return f"payout:{self.id}"

    @property
    def idempotency_key(self) -> str:
        """Stripe's Idempotency-Key for this payout's transfer: one payout, one transfer."""
        return f"payout-{self.id}"


class PayoutHold(db.Model):
    """Why a payout was held, and what an admin decided. One per held payout, written with it.

    ``suspects`` are the listener ids whose earnings looked farmed when the payout was held;
    voiding takes back exactly their period charges (one correction per charge, keyed
    ``payout-void:<payout id>:<transfer id>``), so repeating a void moves nothing twice.
    """

    __tablename__ = "payout_holds"

    payout_id: Mapped[int] = mapped_column(ForeignKey("payouts.id", ondelete="CASCADE"), primary_key=True)
    reasons: Mapped[list] = mapped_column(JSON)  # [{"signal", "listeners", "credits", "percent", "text"}]
    suspects: Mapped[list] = mapped_column(JSON)  # listener ids
    period_credits: Mapped[int] = mapped_column(BigInteger)  # the artist's charge earnings in the period
    suspect_credits: Mapped[int] = mapped_column(BigInteger)  # ... of which from the suspects
    decision: Mapped[str | None] = mapped_column(String(10))  # None (waiting), "released", "voided"
    voided_credits: Mapped[int] = mapped_column(BigInteger, default=0)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    payout: Mapped[Payout] = relationship(backref=backref("hold", uselist=False))
