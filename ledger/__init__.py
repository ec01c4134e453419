"""Money: pricing, allocation, transfers, balances and reconciliation.

A library the web layer calls. It imports SQLAlchemy, never Flask, and owns its tables
(``ledger.schema.metadata``). Every function takes the SQLAlchemy ``Session`` to work in,
flushes within the caller's transaction and never commits; the one exception is
``PlayCharger``, whose charges are each one autocommitted statement (``ledger.autocommit``). Amounts are integer micro-credits
(1 credit = 1,000,000). Listeners, artists and tracks are plain integer ids: the ledger does
not know the web layer's tables.
"""

from ledger.accounts import account_id, artist_account_id, system_account_id, wallet_account_id
from ledger.allocation import allocate, split_charge
from ledger.autocommit import PlayCharger
from ledger.errors import (
    AlreadyOwned,
    AlreadyReversed,
    IdempotencyConflict,
    InsufficientCredits,
    InvalidOperation,
    LedgerError,
    NegativeBalance,
    NoPricingVersion,
    NotPurchasable,
    UnknownTransfer,
)
from ledger.operations import PlayResult, PurchaseResult, buy_now, charge_play, correct, grant_starter, top_up
from ledger.payouts import PayoutAmount, payout_amount, reserve_payout, return_payout, settle_payout
from ledger.pricing import (
    DEFAULT_PRICING,
    PricingParams,
    enact_pricing,
    play_price,
    pricing_in_force,
    remaining_cost,
    schedule,
)
from ledger.refunds import RefundResult, refund_top_up
from ledger.schema import AccountKind, OwnershipVia, PlayKind, TransferKind, metadata
from ledger.transfers import TransferResult, transfer
from ledger.units import MAX_AMOUNT, MICRO_PER_CREDIT, format_credits, parse_credits
from ledger.verify import Report, verify

__all__ = [
    "DEFAULT_PRICING",
    "MAX_AMOUNT",
    "MICRO_PER_CREDIT",
    "AccountKind",
    "AlreadyOwned",
    "AlreadyReversed",
    "IdempotencyConflict",
    "InsufficientCredits",
    "InvalidOperation",
    "LedgerError",
    "NegativeBalance",
    "NoPricingVersion",
    "NotPurchasable",
    "OwnershipVia",
    "PayoutAmount",
    "RefundResult",
    "PlayKind",
    "PlayCharger",
    "PlayResult",
    "PricingParams",
    "PurchaseResult",
    "Report",
    "TransferKind",
    "TransferResult",
    "UnknownTransfer",
    "account_id",
    "allocate",
    "artist_account_id",
    "buy_now",
    "charge_play",
    "correct",
    "enact_pricing",
    "format_credits",
    "grant_starter",
    "metadata",
    "parse_credits",
    "payout_amount",
    "play_price",
    "pricing_in_force",
    "refund_top_up",
    "remaining_cost",
    "reserve_payout",
    "return_payout",
    "schedule",
    "settle_payout",
    "split_charge",
    "system_account_id",
    "top_up",
    "transfer",
    "verify",
    "wallet_account_id",
]
