"""Exceptions the ledger raises. The web layer maps them to HTTP answers; the ledger knows
nothing of HTTP."""

from __future__ import annotations


class LedgerError(Exception):
    """Base class: the ledger refused an operation and wrote nothing."""


class InvalidOperation(LedgerError, ValueError):
    """The arguments cannot describe a valid operation (a float amount, postings that do not
    sum to zero, an unknown account...)."""


class InsufficientCredits(LedgerError):
    """The wallet holds less than the operation costs. Amounts in micro-credits."""

    def __init__(self, balance: int, price: int):
        super().__init__(f"insufficient credits: balance {balance} micro-credits, price {price}")
        self.balance = balance
        self.price = price


class NegativeBalance(LedgerError):
    """Debiting a non-wallet account that must stay non-negative (artist earnings, co-op
    revenue, payouts in transit) would take it below zero."""

    def __init__(self, account_id: int, balance: int, amount: int):
        super().__init__(f"account {account_id} holds {balance} micro-credits, cannot debit {amount}")
        self.account_id = account_id
        self.balance = balance
        self.amount = amount


class IdempotencyConflict(LedgerError):
    """The idempotency key was used before for an operation with different content."""

    def __init__(self, key: str):
        super().__init__(f"idempotency key {key!r} was already used for a different operation")
        self.key = key


class AlreadyOwned(LedgerError):
    """Buy-now on a track the listener already owns."""

    def __init__(self, listener_id: int, track_id: int):
        super().__init__(f"listener {listener_id} already owns track {track_id}")
        self.listener_id = listener_id
        self.track_id = track_id


class NotPurchasable(LedgerError):
    """Buy-now on a track that costs nothing to this listener (free, or their own)."""


class NoPricingVersion(LedgerError):
    """No pricing version is in force at the requested time (the database is not seeded)."""


class UnknownTransfer(LedgerError):
    """A correction names a transfer that does not exist."""


class AlreadyReversed(LedgerError):
    """A reversal of a transfer that has been reversed already (a transfer is reversed once)."""

    def __init__(self, transfer_id: int):
        super().__init__(f"transfer {transfer_id} has already been reversed")
        self.transfer_id = transfer_id
