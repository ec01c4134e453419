"""The ledger's operations: top up, starter grant, charge a play, buy now, correct.

Each one is atomic: it runs inside a SAVEPOINT (``session.begin_nested()``), so on any error
nothing it wrote survives, while the caller's transaction stays usable. Each flushes within the
caller's transaction and never commits: the caller (a web request, a task) commits once.

Every operation that debits a wallet starts by locking that wallet's row (see
``ledger.accounts``); the lock also serialises play numbering and ownership for the listener,
so two charges at once can neither overdraw the wallet nor number two plays alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, exists, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.accounts import account_ids, lock_wallet, system_account_id, wallet_account_id
from ledger.allocation import split_charge
from ledger.errors import (
    AlreadyOwned,
    IdempotencyConflict,
    InsufficientCredits,
    InvalidOperation,
    NoPricingVersion,
    NotPurchasable,
    UnknownTransfer,
)
from ledger.pricing import pricing_in_force, play_price, remaining_cost
from ledger.schema import (
    SYSTEM_OWNER,
    Account,
    AccountKind,
    Ownership,
    OwnershipVia,
    Play,
    PlayKind,
    PricingVersion,
    Transfer,
    TransferKind,
)
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

_plays, _ownerships = Play.__table__, Ownership.__table__
_versions, _accounts = PricingVersion.__table__, Account.__table__
_INSERT_PLAY = insert(_plays).returning(_plays.c.id)
_INSERT_OWNERSHIP = insert(_ownerships)

# Everything charge_play needs to decide, read in one round trip under the wallet lock: the
# pricing version in force, whether the key was seen before, whether the track is owned, how
# many plays of it were charged, and the two accounts a charge credits (NULL until created).
_CHARGE_STATE = (
    select(
        _versions.c.id.label("version_id"),
        _versions.c.first_play_price,
        _versions.c.growth_permille,
        _versions.c.plays_to_own,
        _versions.c.artist_share_bp,
        select(_plays.c.id)
        .where(_plays.c.idempotency_key == bindparam("key"))
        .scalar_subquery()
        .label("existing_play_id"),
        exists()
        .where(_ownerships.c.listener_id == bindparam("listener_id"), _ownerships.c.track_id == bindparam("track_id"))
        .label("owned"),
        select(func.coalesce(func.max(_plays.c.play_number), 0))
        .where(_plays.c.listener_id == bindparam("listener_id"), _plays.c.track_id == bindparam("track_id"))
        .scalar_subquery()
        .label("counted"),
        select(_accounts.c.id)
        .where(_accounts.c.kind == AccountKind.ARTIST_EARNINGS, _accounts.c.owner_id == bindparam("artist_id"))
        .scalar_subquery()
        .label("artist_account"),
        select(_accounts.c.id)
        .where(_accounts.c.kind == AccountKind.COOP_REVENUE, _accounts.c.owner_id == SYSTEM_OWNER)
        .scalar_subquery()
        .label("coop_account"),
    )
    .where(_versions.c.effective_from <= bindparam("at"))
    .order_by(_versions.c.effective_from.desc())
    .limit(1)
)


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
        session, key, [(clearing, -amount), (wallet, amount)],
        kind=TransferKind.TOP_UP, listener_id=listener_id, memo=memo,
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


def _find_play(session: Session, key: str) -> Play | None:
    return session.execute(select(Play).where(Play.idempotency_key == key)).scalar_one_or_none()


def _ownership(session: Session, listener_id: int, track_id: int):
    """The listener's ownership row of the track (a plain row, read fresh), or None."""
    return session.execute(
        select(Ownership.acquired_at, Ownership.paid, Ownership.via, Ownership.transfer_id).where(
            Ownership.listener_id == listener_id, Ownership.track_id == track_id
        )
    ).first()


def plays_counted(session: Session, listener_id: int, track_id: int) -> int:
    """How many charged plays the listener has made of the track (their numbers are 1..n)."""
    return session.scalar(
        select(func.coalesce(func.max(Play.play_number), 0)).where(
            Play.listener_id == listener_id, Play.track_id == track_id
        )
    )


def _replay_play(session: Session, play: Play, fp: str) -> PlayResult:
    if play.fingerprint != fp:
        raise IdempotencyConflict(play.idempotency_key)
    ownership = _ownership(session, play.listener_id, play.track_id)
    return PlayResult(
        play_id=play.id,
        kind=play.kind,
        play_number=play.play_number,
        price=play.price,
        artist_part=play.artist_part,
        coop_part=play.coop_part,
        pricing_version_id=play.pricing_version_id,
        transfer_id=play.transfer_id,
        owned_after=ownership is not None and ownership.acquired_at <= play.created_at,
        replayed=True,
    )


def _insert_play(session: Session, **values) -> int:
    return session.connection().execute(_INSERT_PLAY, values).scalar_one()


def _insert_ownership(
    session: Session, *, listener_id, track_id, artist_id, via, transfer_id, pricing_version_id, paid, now
) -> None:
    session.connection().execute(
        _INSERT_OWNERSHIP,
        dict(listener_id=listener_id, track_id=track_id, artist_id=artist_id, via=via, transfer_id=transfer_id,
             pricing_version_id=pricing_version_id, paid=paid, acquired_at=now),
    )


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
    """Charge one counted play of ``track_id`` by ``listener_id``.

    The play is numbered n (1 for the first counted play of this track by this listener) and
    costs ``play_price(version, n)`` under the pricing version in force at ``at`` (default
    now); the wallet pays the artist's earnings and the co-op's revenue, split by the artist
    share. When n reaches plays-to-own the listener owns the track, in the same transaction.

    Free tracks, owned tracks and the listener's own artist's tracks are recorded as free
    plays costing nothing. Not enough credits raises ``InsufficientCredits`` and writes
    nothing. ``key`` (the play's id) makes the call idempotent.
    """
    check_key(key)
    if len(key) > MAX_KEY_LENGTH - len(PLAY_TRANSFER_PREFIX):
        raise InvalidOperation(f"a play key has at most {MAX_KEY_LENGTH - len(PLAY_TRANSFER_PREFIX)} characters")
    _require_id(listener_id, "listener_id")
    _require_id(track_id, "track_id")
    _require_id(artist_id, "artist_id")
    _require_flag(track_is_free, "track_is_free")
    _require_flag(listener_is_artist, "listener_is_artist")
    fp = fingerprint("play", listener_id, track_id, artist_id, track_is_free, listener_is_artist)
    now = utcnow()
    common = dict(idempotency_key=key, fingerprint=fp, listener_id=listener_id, track_id=track_id,
                  artist_id=artist_id, created_at=now)

    def free_play(kind: PlayKind, owned_after: bool) -> PlayResult:
        play_id = _insert_play(session, kind=kind, play_number=None, price=0, artist_part=0, coop_part=0,
                               transfer_id=None, pricing_version_id=None, **common)
        return PlayResult(play_id=play_id, kind=kind, play_number=None, price=0, artist_part=0, coop_part=0,
                          pricing_version_id=None, transfer_id=None, owned_after=owned_after,
                          balance_after=balance, plays_to_own=state.plays_to_own, credits_to_own=0)

    try:
        with session.begin_nested():
            wallet, balance = lock_wallet(session, listener_id)
            state = session.connection().execute(
                _CHARGE_STATE,
                {"key": key, "listener_id": listener_id, "track_id": track_id, "artist_id": artist_id,
                 "at": at or now},
            ).first()
            if state is None:
                raise NoPricingVersion(f"no pricing version is in force at {(at or now).isoformat()}")
            if state.existing_play_id is not None:
                return _replay_play(session, _find_play(session, key), fp)
            if state.owned:
                return free_play(PlayKind.OWNED, True)
            if listener_is_artist:
                return free_play(PlayKind.OWN_ARTIST, False)
            if track_is_free:
                return free_play(PlayKind.FREE_TRACK, False)

            if state.counted >= state.plays_to_own:
                # A newer version lowered plays-to-own below what this listener already
                # played: the schedule is complete, so the track is theirs.
                _insert_ownership(session, listener_id=listener_id, track_id=track_id, artist_id=artist_id,
                                  via=OwnershipVia.PLAYS, transfer_id=None, pricing_version_id=state.version_id,
                                  paid=0, now=now)
                return free_play(PlayKind.OWNED, True)

            n = state.counted + 1
            price = play_price(state, n)
            if balance < price:
                raise InsufficientCredits(balance, price)
            artist_part, coop_part = split_charge(price, state.artist_share_bp)
            artist_account, coop_account = state.artist_account, state.coop_account
            if artist_account is None or coop_account is None:  # the first charge for this artist
                ids = account_ids(session, [(AccountKind.ARTIST_EARNINGS, artist_id),
                                            (AccountKind.COOP_REVENUE, SYSTEM_OWNER)])
                artist_account = ids[(AccountKind.ARTIST_EARNINGS, artist_id)]
                coop_account = ids[(AccountKind.COOP_REVENUE, SYSTEM_OWNER)]
            legs = [(wallet, -price), (artist_account, artist_part), (coop_account, coop_part)]
            charge = write_transfer(
                session,
                key=PLAY_TRANSFER_PREFIX + key,
                fp=fp,
                kind=TransferKind.PLAY_CHARGE,
                postings=normalize_postings([leg for leg in legs if leg[1] != 0]),
                wallet_ids={wallet},
                listener_id=listener_id,
                track_id=track_id,
                pricing_version_id=state.version_id,
            )
            play_id = _insert_play(session, kind=PlayKind.CHARGED, play_number=n, price=price,
                                   artist_part=artist_part, coop_part=coop_part, transfer_id=charge.id,
                                   pricing_version_id=state.version_id, **common)
            owned_after = n == state.plays_to_own
            if owned_after:
                _insert_ownership(session, listener_id=listener_id, track_id=track_id, artist_id=artist_id,
                                  via=OwnershipVia.PLAYS, transfer_id=charge.id, pricing_version_id=state.version_id,
                                  paid=0, now=now)
            return PlayResult(play_id=play_id, kind=PlayKind.CHARGED, play_number=n, price=price,
                              artist_part=artist_part, coop_part=coop_part, pricing_version_id=state.version_id,
                              transfer_id=charge.id, owned_after=owned_after, balance_after=balance - price,
                              plays_to_own=state.plays_to_own, credits_to_own=remaining_cost(state, n))
    except IntegrityError:
        # Another session recorded a play with this key at the same moment: answer from it.
        existing = _find_play(session, key)
        if existing is None:
            raise
        return _replay_play(session, existing, fp)


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
    make the listener the track's owner. Split by the artist share like a play.

    Raises ``AlreadyOwned``, ``NotPurchasable`` (free or own track) or ``InsufficientCredits``
    (writing nothing). Idempotent on ``key``.
    """
    check_key(key)
    _require_id(listener_id, "listener_id")
    _require_id(track_id, "track_id")
    _require_id(artist_id, "artist_id")
    _require_flag(track_is_free, "track_is_free")
    _require_flag(listener_is_artist, "listener_is_artist")
    fp = fingerprint("buy_now", listener_id, track_id, artist_id, track_is_free, listener_is_artist)

    def replayed(existing: Transfer) -> PurchaseResult:
        first = replay(session, existing, fp)
        ownership = _ownership(session, listener_id, track_id)
        artist_account = account_ids(session, [(AccountKind.ARTIST_EARNINGS, artist_id)])
        artist_part = sum(a for acc, a in first.postings if acc in artist_account.values())
        return PurchaseResult(price=ownership.paid, artist_part=artist_part, coop_part=ownership.paid - artist_part,
                              pricing_version_id=existing.pricing_version_id, transfer_id=existing.id, replayed=True)

    try:
        with session.begin_nested():
            wallet, balance = lock_wallet(session, listener_id)
            existing = find_transfer(session, key)
            if existing is not None:
                return replayed(existing)
            if track_is_free or listener_is_artist:
                raise NotPurchasable("this track costs this listener nothing; there is nothing to buy")
            if _ownership(session, listener_id, track_id) is not None:
                raise AlreadyOwned(listener_id, track_id)
            version = pricing_in_force(session, at)
            now = utcnow()
            price = remaining_cost(version, plays_counted(session, listener_id, track_id))
            if price == 0:
                _insert_ownership(session, listener_id=listener_id, track_id=track_id, artist_id=artist_id,
                                  via=OwnershipVia.PLAYS, transfer_id=None, pricing_version_id=version.id,
                                  paid=0, now=now)
                return PurchaseResult(price=0, artist_part=0, coop_part=0, pricing_version_id=version.id,
                                      transfer_id=None)
            if balance < price:
                raise InsufficientCredits(balance, price)
            artist_part, coop_part = split_charge(price, version.artist_share_bp)
            ids = account_ids(session, [(AccountKind.ARTIST_EARNINGS, artist_id),
                                        (AccountKind.COOP_REVENUE, SYSTEM_OWNER)])
            legs = [(wallet, -price),
                    (ids[(AccountKind.ARTIST_EARNINGS, artist_id)], artist_part),
                    (ids[(AccountKind.COOP_REVENUE, SYSTEM_OWNER)], coop_part)]
            purchase = write_transfer(
                session,
                key=key,
                fp=fp,
                kind=TransferKind.BUY_NOW,
                postings=normalize_postings([leg for leg in legs if leg[1] != 0]),
                wallet_ids={wallet},
                listener_id=listener_id,
                track_id=track_id,
                pricing_version_id=version.id,
            )
            _insert_ownership(session, listener_id=listener_id, track_id=track_id, artist_id=artist_id,
                              via=OwnershipVia.BUY_NOW, transfer_id=purchase.id, pricing_version_id=version.id,
                              paid=price, now=now)
            return PurchaseResult(price=price, artist_part=artist_part, coop_part=coop_part,
                                  pricing_version_id=version.id, transfer_id=purchase.id)
    except IntegrityError:
        existing = find_transfer(session, key)
        if existing is None:
            raise
        return replayed(existing)


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
    """
    _require_id(transfer_id, "transfer_id")
    original = session.get(Transfer, transfer_id)
    if original is None:
        raise UnknownTransfer(f"there is no transfer {transfer_id}")
    if postings is None:
        postings = [(account, -amount) for account, amount in postings_of(session, transfer_id)]
    return transfer(
        session, key, postings, kind=TransferKind.CORRECTION, corrects_transfer_id=transfer_id,
        listener_id=original.listener_id, track_id=original.track_id, memo=memo,
    )
