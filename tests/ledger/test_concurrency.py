"""Concurrent charges on PostgreSQL: real threads, real commits, real row locks."""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import ledger
from ledger import AccountKind, IdempotencyConflict, InsufficientCredits, PlayKind, TransferKind, reads
from ledger.allocation import split_charge
from ledger.pricing import DEFAULT_PRICING, play_price
from ledger.schema import Play, Transfer
from tests.ledger.conftest import ledger_database

THREADS = 8
CHARGES_PER_THREAD = 300
LISTENERS = range(1, 17)
TRACKS = range(1, 13)
ARTIST_OF = {t: t % 4 + 1 for t in TRACKS}
START_BALANCE = 20_000_000  # more than owning all 12 tracks costs (12 x 1.022 credits)


def run_threads(work, count=THREADS):
    barrier = threading.Barrier(count)

    def start(index):
        barrier.wait()
        return work(index)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(start, range(count)))


@pytest.fixture
def pg_engine(tmp_path):
    with ledger_database(tmp_path, "ledger_concurrency", pool_size=THREADS + 2) as engine:
        yield engine


def charge(engine, key, listener, track):
    with Session(engine) as session:
        result = ledger.charge_play(
            session,
            key=key,
            listener_id=listener,
            track_id=track,
            artist_id=ARTIST_OF[track],
            track_is_free=False,
            listener_is_artist=False,
        )
        session.commit()
        return result


@pytest.mark.committing
@pytest.mark.postgres
def test_concurrent_charges_are_exact(pg_engine):
    with Session(pg_engine) as session:
        for listener in LISTENERS:
            ledger.top_up(session, key=f"pay-{listener}", listener_id=listener, amount=START_BALANCE)
        session.commit()

    def worker(index):
        rng = random.Random(index)
        done = []
        for n in range(CHARGES_PER_THREAD):
            listener, track = rng.choice(LISTENERS), rng.choice(TRACKS)
            done.append((listener, track, charge(pg_engine, f"t{index}-{n}", listener, track)))
        return done

    results = [item for chunk in run_threads(worker) for item in chunk]
    assert len(results) == THREADS * CHARGES_PER_THREAD

    attempts = Counter((listener, track) for listener, track, _ in results)
    expected_balance = dict.fromkeys(LISTENERS, START_BALANCE)
    expected_earned = defaultdict(int)
    expected_coop = 0
    for (listener, track), tries in attempts.items():
        for n in range(1, min(tries, DEFAULT_PRICING.plays_to_own) + 1):
            price = play_price(DEFAULT_PRICING, n)
            artist_part, coop_part = split_charge(price, DEFAULT_PRICING.artist_share_bp)
            expected_balance[listener] -= price
            expected_earned[ARTIST_OF[track]] += artist_part
            expected_coop += coop_part

    with Session(pg_engine) as session:
        for listener in LISTENERS:
            assert reads.wallet_balance(session, listener) == expected_balance[listener]
        for artist, earned in expected_earned.items():
            assert reads.artist_earnings(session, artist) == earned
        assert reads.account_balance(session, AccountKind.COOP_REVENUE) == expected_coop
        numbers = defaultdict(list)
        for listener, track, number in session.execute(
            select(Play.listener_id, Play.track_id, Play.play_number).where(Play.kind == PlayKind.CHARGED)
        ):
            numbers[(listener, track)].append(number)
        for pair, tries in attempts.items():
            assert sorted(numbers[pair]) == list(range(1, min(tries, 9) + 1)), pair
        report = ledger.verify(session)
        assert report.ok, report.lines()


@pytest.mark.committing
@pytest.mark.postgres
def test_one_wallet_hammered_by_every_thread_stops_exactly_at_zero_credit(pg_engine):
    # 7000 micro-credits pay plays 1 (2000) and 2 (4000); play 3 costs 8000 and must fail for
    # everyone, however the threads interleave.
    with Session(pg_engine) as session:
        ledger.top_up(session, key="pay", listener_id=1, amount=7_000)
        session.commit()

    def worker(index):
        outcomes = []
        for n in range(20):
            try:
                outcomes.append(charge(pg_engine, f"w{index}-{n}", 1, 1).play_number)
            except InsufficientCredits as exc:
                assert (exc.balance, exc.price) == (1_000, 8_000)
                outcomes.append(None)
        return outcomes

    outcomes = [o for chunk in run_threads(worker) for o in chunk]
    assert sorted(o for o in outcomes if o is not None) == [1, 2]
    with Session(pg_engine) as session:
        assert reads.wallet_balance(session, 1) == 1_000
        assert ledger.verify(session).ok


@pytest.mark.committing
@pytest.mark.postgres
def test_retried_keys_return_the_first_transfer_also_concurrently(pg_engine):
    with Session(pg_engine) as session:
        ledger.top_up(session, key="pay", listener_id=1, amount=1_000_000)
        clearing = ledger.system_account_id(session, AccountKind.PAYMENTS_CLEARING)
        paid_out = ledger.system_account_id(session, AccountKind.PAID_OUT)
        session.commit()

    # Same play key from every thread at once: one play, one charge, the same answer for all.
    plays = run_threads(lambda index: charge(pg_engine, "the-play", 1, 1))
    assert len({p.play_id for p in plays}) == 1 and sum(not p.replayed for p in plays) == 1

    # A transfer that locks no row, so the threads really race on the unique key.
    def same_transfer(index):
        with Session(pg_engine) as session:
            result = ledger.transfer(
                session, "the-transfer", [(clearing, -5), (paid_out, 5)], kind=TransferKind.PAYOUT_SETTLED
            )
            session.commit()
            return result

    transfers = run_threads(same_transfer)
    assert len({t.id for t in transfers}) == 1 and sum(not t.replayed for t in transfers) == 1

    # Same key, different content (different listeners): one wins, the others conflict.
    def conflicting(index):
        with Session(pg_engine) as session:
            ledger.top_up(session, key=f"pay-c{index}", listener_id=300 + index, amount=10_000)
            session.commit()
        try:
            return charge(pg_engine, "contested-2", 300 + index, 1)
        except IdempotencyConflict as exc:
            return exc

    outcomes = run_threads(conflicting)
    winners = [o for o in outcomes if not isinstance(o, IdempotencyConflict)]
    assert len(winners) == 1 and not winners[0].replayed
    with Session(pg_engine) as session:
        assert session.scalar(select(Transfer.id).where(Transfer.idempotency_key == "play:contested-2"))
        report = ledger.verify(session)
        assert report.ok, report.lines()


@pytest.mark.committing
@pytest.mark.postgres
def test_racing_reversals_of_one_transfer_reverse_it_once(pg_engine):
    """Reversals of one transfer under different keys, all at once: one wins, the rest are
    refused with ``AlreadyReversed``, never two reversals."""
    with Session(pg_engine) as session:
        top_ups = [ledger.top_up(session, key=f"race-pay-{n}", listener_id=1, amount=1_000_000).id for n in range(5)]
        ledger.top_up(session, key="race-cushion", listener_id=1, amount=50_000_000)  # enough for every attempt
        session.commit()

    def reverse(transfer_id, index):
        with Session(pg_engine) as session:
            try:
                ledger.correct(session, key=f"race-undo-{transfer_id}-{index}", transfer_id=transfer_id)
                session.commit()
                return "reversed"
            except ledger.AlreadyReversed:
                return "refused"

    for transfer_id in top_ups:
        outcomes = run_threads(lambda index, transfer_id=transfer_id: reverse(transfer_id, index))
        assert sorted(outcomes) == ["refused"] * (THREADS - 1) + ["reversed"]
    with Session(pg_engine) as session:
        reversals = session.scalars(
            select(Transfer.reverses_transfer_id).where(Transfer.reverses_transfer_id.is_not(None))
        )
        assert sorted(reversals) == sorted(top_ups)
        assert reads.wallet_balance(session, 1) == 50_000_000
        assert ledger.verify(session).ok


def test_an_open_charge_locks_its_wallet_and_no_shared_row(pg_engine):
    """Every charge credits the co-op's revenue account and names the pricing version in
    force: a row lock on either (a foreign key's FOR KEY SHARE) would be taken by every
    concurrent charge. Only the listener's own wallet is locked while a charge is open."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    with Session(pg_engine) as setup:
        ledger.top_up(setup, key="pay", listener_id=1, amount=START_BALANCE)
        setup.commit()
    with Session(pg_engine) as open_charge, pg_engine.connect() as other:
        result = ledger.charge_play(
            open_charge, key="p", listener_id=1, track_id=1, artist_id=2, track_is_free=False, listener_is_artist=False
        )
        assert result.charged  # and not committed yet
        for shared in (
            "SELECT id FROM ledger_accounts WHERE kind <> 'wallet' FOR UPDATE NOWAIT",
            "SELECT id FROM ledger_pricing_versions FOR UPDATE NOWAIT",
        ):
            assert other.execute(text(shared)).all()
            other.rollback()
        with pytest.raises(OperationalError, match="could not obtain lock"):
            other.execute(text("SELECT id FROM ledger_accounts WHERE kind = 'wallet' FOR UPDATE NOWAIT"))
        open_charge.commit()
