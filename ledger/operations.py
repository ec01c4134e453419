"""The ledger's operations: top up, starter grant, charge a play, buy now, correct.

Each one is atomic. Top-ups, grants and corrections run inside a SAVEPOINT
(``session.begin_nested()``), so on any error nothing they wrote survives, while the caller's
transaction stays usable. Charging a play and buy-now are one call each to a PostgreSQL
function (``ledger.functions``, the only implementation of those money rules) that checks
everything before it writes and answers refusals instead of raising them, so they need no
SAVEPOINT. Each works within the caller's transaction and never commits: the caller (a web
request, a task) commits once.

Every operation that debits a wallet starts by locking that wallet's row (see
``ledger.accounts``); the lock also serialises play numbering and ownership for the listener,
so two charges at once can neither overdraw the wallet nor number two plays alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.accounts import lock_wallet, system_account_id, wallet_account_id
from ledger.errors import (
    AlreadyOwned,
    AlreadyReversed,
    IdempotencyConflict,
    InsufficientCredits,
    InvalidOperation,
    NegativeBalance,
    NoPricingVersion,
    NotPurchasable,
    UnknownTransfer,
)
from ledger.pricing import pricing_in_force
from ledger.schema import AccountKind, Play, PlayKind, Transfer, TransferKind
from ledger.transfers import (
    MAX_KEY_LENGTH,
    TransferResult,
    check_key,
    find_transfer,
    fingerprint,
    normalize_postings,
    postings_of,
    replay,
    transfer,
    write_transfer,
)
from ledger.types import utcnow
from ledger.units import MAX_AMOUNT, require_amount

PLAY_TRANSFER_PREFIX = "play:"

# The money rules of a play and a buy-now live in PostgreSQL functions (``ledger.functions``):
# one round trip each, and their only implementation. These statements call them.
_CHARGE_PLAY_SQL = "SELECT * FROM ledger_charge_play(%s, %s, %s, %s, %s, %s, %s, %s)"
_BUY_NOW = text("SELECT * FROM ledger_buy_now(:key, :listener_id, :track_id, :artist_id, :free, :own, :at, :now)")


def _require_id(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidOperation(f"{what} must be a positive integer id, not {value!r}")
    return value


def _require_flag(value, what: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidOperation(f"{what} must be True or False, not {value!r}")
    return value


# --- top-ups and grants ---------------------------------------------------------------------


def top_up(session: Session, *, key: str, listener_id: int, amount: int, memo: str = "") -> TransferResult:
    """Credit ``amount`` micro-credits to the listener's wallet from payments clearing (money
    that arrived from the payment provider). Idempotent on ``key``."""
    _require_id(listener_id, "listener_id")
    require_amount(amount)
    if not 0 < amount <= MAX_AMOUNT:
        raise InvalidOperation(f"a top-up is a positive amount of at most {MAX_AMOUNT} micro-credits")
    clearing = system_account_id(session, AccountKind.PAYMENTS_CLEARING)
    wallet = wallet_account_id(session, listener_id)
    return transfer(
        session,
        key,
        [(clearing, -amount), (wallet, amount)],
        kind=TransferKind.TOP_UP,
        listener_id=listener_id,
        memo=memo,
    )


def starter_grant_key(listener_id: int) -> str:
    return f"starter-grant:{listener_id}"


def grant_starter(session: Session, *, listener_id: int, at: datetime | None = None) -> TransferResult | None:
    """Give the listener the starter credits of the pricing version in force, once ever.

    A second call returns the first grant (``replayed=True``). Returns None when the pricing
    version in force grants nothing.
    """
    _require_id(listener_id, "listener_id")
    key = starter_grant_key(listener_id)
    try:
        with session.begin_nested():
            wallet, _ = lock_wallet(session, listener_id)
            existing = find_transfer(session, key)
            if existing is not None:
                return replay(session, existing, existing.fingerprint)
            version = pricing_in_force(session, at)
            if version.starter_grant == 0:
                return None
            promotions = system_account_id(session, AccountKind.COOP_PROMOTIONS)
            postings = normalize_postings([(promotions, -version.starter_grant), (wallet, version.starter_grant)])
            return write_transfer(
                session,
                key=key,
                fp=fingerprint("starter_grant", listener_id),
                kind=TransferKind.STARTER_GRANT,
                postings=postings,
                wallet_ids={wallet},
                listener_id=listener_id,
                pricing_version_id=version.id,
            )
    except IntegrityError:
        existing = find_transfer(session, key)
        if existing is None:
            raise
        return replay(session, existing, existing.fingerprint)


# --- plays ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlayResult:
    """What charging one counted play did."""

    play_id: int
    kind: PlayKind
    play_number: int | None  # 1.. for charged plays, None for free ones
    price: int  # micro-credits, 0 for free plays
    artist_part: int
    coop_part: int
    pricing_version_id: int | None
    transfer_id: int | None
    owned_after: bool  # the listener owns the track after this play
    replayed: bool = False  # the key had been used: this is the first result
    # Known for free without another read when the play is recorded now (None on a replay):
    balance_after: int | None = None  # the wallet's balance after this play
    plays_to_own: int | None = None  # under the pricing version used
    credits_to_own: int | None = None  # the rest of the schedule after this play (0 when owned)

    @property
    def charged(self) -> bool:
        return self.kind is PlayKind.CHARGED


def play_result(row, key: str, at: datetime | None = None) -> PlayResult:
    """The ``PlayResult`` of a row answered by ``ledger_charge_play`` (the columns of
    ``ledger.functions.PLAY_OUTCOME_COLUMNS``), or the ledger's exception for a refusal.
    Callers that call the function inside a larger statement (the streaming service) use it
    too, so every caller maps outcomes the same way."""
    outcome = row.outcome
    if outcome == "insufficient":
        raise InsufficientCredits(row.balance, int(row.needed))
    if outcome == "conflict":
        raise IdempotencyConflict(key)
    if outcome == "no_pricing":
        raise NoPricingVersion(f"no pricing version is in force at {(at or utcnow()).isoformat()}")
    if outcome not in ("ok", "replayed"):
        raise InvalidOperation(f"unexpected outcome {outcome!r} of a play charge")
    return PlayResult(
        play_id=row.play_id,
        kind=PlayKind(row.kind),
        play_number=row.play_number,
        price=row.price,
        artist_part=row.artist_part,
        coop_part=row.coop_part,
        pricing_version_id=row.pricing_version_id,
        transfer_id=row.transfer_id,
        owned_after=row.owned_after,
        replayed=row.replayed,
        balance_after=row.balance,
        plays_to_own=row.plays_to_own,
        credits_to_own=None if row.credits_to_own is None else int(row.credits_to_own),
    )


def plays_counted(session: Session, listener_id: int, track_id: int) -> int:
    """How many charged plays the listener has made of the track (their numbers are 1..n)."""
    return session.scalar(
        select(func.coalesce(func.max(Play.play_number), 0)).where(
            Play.listener_id == listener_id, Play.track_id == track_id
        )
    )


def _check_play_call(key, listener_id, track_id, artist_id, track_is_free, listener_is_artist) -> None:
    check_key(key)
    _require_id(listener_id, "listener_id")
    _require_id(track_id, "track_id")
    _require_id(artist_id, "artist_id")
    _require_flag(track_is_free, "track_is_free")
    _require_flag(listener_is_artist, "listener_is_artist")


def charge_play(
    session: Session,
    *,
    key: str,
    listener_id: int,
    track_id: int,
    artist_id: int,
    track_is_free: bool,
    listener_is_artist: bool,
    at: datetime | None = None,
) -> PlayResult:
    """Charge one counted play of ``track_id`` by ``listener_id``, in one database call
    (``ledger_charge_play``, see ``ledger.functions``).

    The play is numbered n (1 for the first counted play of this track by this listener) and
    costs the n-th price of the schedule under the pricing version in force at ``at``
    (default now); the wallet pays the artist's earnings and the co-op's revenue, split by
    the artist share. When n reaches plays-to-own the listener owns the track, in the same
    transaction.

    Free tracks, owned tracks and the listener's own artist's tracks are recorded as free
    plays costing nothing. Not enough credits raises ``InsufficientCredits`` and writes
    nothing. ``key`` (the play's id) makes the call idempotent: a retry answers the first
    result (``replayed=True``), other content under the same key ``IdempotencyConflict``.
    Refusals are answered by the function, not raised in the database, so the caller's
    transaction stays usable (no SAVEPOINT needed).
    """
    params = charge_play_params(key, listener_id, track_id, artist_id, track_is_free, listener_is_artist, at)
    return play_result(_call_charge_play(session, params), key, at)


def charge_play_params(
    key: str,
    listener_id: int,
    track_id: int,
    artist_id: int,
    track_is_free: bool,
    listener_is_artist: bool,
    at: datetime | None,
) -> tuple:
    """The checked arguments of one ``ledger_charge_play`` call, in its parameter order (the
    caller's clock read last, as ``p_now``). Every entry point that charges a play builds
    its call here, so they all refuse the same bad arguments."""
    _check_play_call(key, listener_id, track_id, artist_id, track_is_free, listener_is_artist)
    if len(key) > MAX_KEY_LENGTH - len(PLAY_TRANSFER_PREFIX):
        raise InvalidOperation(f"a play key has at most {MAX_KEY_LENGTH - len(PLAY_TRANSFER_PREFIX)} characters")
    return (key, listener_id, track_id, artist_id, track_is_free, listener_is_artist, at, utcnow())


def _call_charge_play(session: Session, params: tuple):
    """One call of ``ledger_charge_play`` on the session's connection, as cheaply as SQLAlchemy
    allows: a plain SQL string (no statement compilation or cache-key work), which psycopg
    prepares on the server after a few calls on the same connection. SQLAlchemy still owns
    the transaction (the caller commits or rolls back) and still sees the statement (events,
    error translation, invalidation of a lost connection)."""
    return session.connection().exec_driver_sql(_CHARGE_PLAY_SQL, params).one()


# --- buy now --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PurchaseResult:
    """What buy-now did: the price of the rest of the schedule, and the transfer that paid it
    (None when the schedule was already complete under the version in force)."""

    price: int
    artist_part: int
    coop_part: int
    pricing_version_id: int
    transfer_id: int | None
    replayed: bool = False


def buy_now(
    session: Session,
    *,
    key: str,
    listener_id: int,
    track_id: int,
    artist_id: int,
    track_is_free: bool,
    listener_is_artist: bool,
    at: datetime | None = None,
) -> PurchaseResult:
    """Charge the rest of the play schedule (under the pricing version in force) at once and
    make the listener the track's owner, in one database call (``ledger_buy_now``). Split by
    the artist share like a play.

    Raises ``AlreadyOwned``, ``NotPurchasable`` (free or own track) or ``InsufficientCredits``
    (writing nothing). Idempotent on ``key``.
    """
    _check_play_call(key, listener_id, track_id, artist_id, track_is_free, listener_is_artist)
    row = (
        session.connection()
        .execute(
            _BUY_NOW,
            {
                "key": key,
                "listener_id": listener_id,
                "track_id": track_id,
                "artist_id": artist_id,
                "free": track_is_free,
                "own": listener_is_artist,
                "at": at,
                "now": utcnow(),
            },
        )
        .one()
    )
    outcome = row.outcome
    if outcome == "insufficient":
        raise InsufficientCredits(row.balance, int(row.price))
    if outcome == "conflict":
        raise IdempotencyConflict(key)
    if outcome == "not_purchasable":
        raise NotPurchasable("this track costs this listener nothing; there is nothing to buy")
    if outcome == "already_owned":
        raise AlreadyOwned(listener_id, track_id)
    if outcome == "no_pricing":
        raise NoPricingVersion(f"no pricing version is in force at {(at or utcnow()).isoformat()}")
    if outcome not in ("ok", "replayed"):
        raise InvalidOperation(f"unexpected outcome {outcome!r} of a buy-now")
    return PurchaseResult(
        price=int(row.price),
        artist_part=int(row.artist_part),
        coop_part=int(row.coop_part),
        pricing_version_id=row.pricing_version_id,
        transfer_id=row.transfer_id,
        replayed=row.replayed,
    )


# --- corrections ----------------------------------------------------------------------------


def correct(
    session: Session,
    *,
    key: str,
    transfer_id: int,
    postings=None,
    memo: str = "",
) -> TransferResult:
    """Correct an earlier transfer with a new one (history is never edited).

    Without ``postings`` the correction reverses the original exactly (every posting
    negated); with ``postings`` it is the given adjustment, linked to the original. Play
    numbers and ownership are not undone: a correction moves credits only. Balances are
    checked like any transfer (a wallet or an artist's earnings cannot go negative).

    A transfer is reversed at most once: a second reversal (another key) raises
    ``AlreadyReversed``, also when two race (the reversal's unique ``reverses_transfer_id``
    lets one win). Retrying the same key answers the first reversal.
    """
    _require_id(transfer_id, "transfer_id")
    original = session.get(Transfer, transfer_id)
    if original is None:
        raise UnknownTransfer(f"there is no transfer {transfer_id}")
    if postings is not None:
        return transfer(
            session,
            key,
            postings,
            kind=TransferKind.CORRECTION,
            corrects_transfer_id=transfer_id,
            listener_id=original.listener_id,
            track_id=original.track_id,
            memo=memo,
        )
    postings = [(account, -amount) for account, amount in postings_of(session, transfer_id)]
    reversal = _reversal_of(session, transfer_id)
    if reversal is not None and reversal.idempotency_key != key:
        raise AlreadyReversed(transfer_id)
    try:
        return transfer(
            session,
            key,
            postings,
            kind=TransferKind.CORRECTION,
            corrects_transfer_id=transfer_id,
            reverses_transfer_id=transfer_id,
            listener_id=original.listener_id,
            track_id=original.track_id,
            memo=memo,
        )
    except (IntegrityError, InsufficientCredits, NegativeBalance):
        # Another session reversed it after our look-up: our insert hit the unique reversal,
        # or, having waited for its locks, the balances it moved no longer allow ours.
        # (Our savepoint is rolled back; the caller's transaction is usable.)
        if _reversal_of(session, transfer_id) is None:
            raise
        raise AlreadyReversed(transfer_id) from None


def _reversal_of(session: Session, transfer_id: int) -> Transfer | None:
    return session.execute(select(Transfer).where(Transfer.reverses_transfer_id == transfer_id)).scalar_one_or_none()
