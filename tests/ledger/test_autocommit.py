"""``ledger.PlayCharger``: a charge in one statement that commits by itself, with the same
rules, results and exceptions as ``ledger.charge_play`` (real PostgreSQL, real commits)."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

import ledger
from ledger import IdempotencyConflict, InsufficientCredits, InvalidOperation, PlayKind, reads
from ledger.schema import Play
from tests.ledger.conftest import ledger_database
from tests.ledger.test_concurrency import run_threads

pytestmark = [pytest.mark.committing, pytest.mark.postgres]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    with ledger_database(tmp_path_factory.mktemp("autocommit"), "ledger_autocommit", pool_size=10) as engine:
        yield engine


def fund(engine, listener: int, amount: int) -> None:
    with Session(engine) as session:
        ledger.top_up(session, key=f"pay-{listener}", listener_id=listener, amount=amount)
        session.commit()


def play(listener: int, track: int = 1, **extra):
    return {
        "listener_id": listener,
        "track_id": track,
        "artist_id": 7,
        "track_is_free": False,
        "listener_is_artist": False,
        **extra,
    }


def comparable(result: ledger.PlayResult) -> dict:
    # Ids differ between two listeners' plays; everything the rules decide must not.
    return {k: v for k, v in dataclasses.asdict(result).items() if k not in ("play_id", "transfer_id")}


def test_the_same_rules_and_results_as_charge_play(engine):
    fund(engine, 101, 30_000)
    fund(engine, 102, 30_000)
    session_results, charger_results = [], []
    with Session(engine) as session, ledger.PlayCharger(engine) as charger:
        for n, track in enumerate([1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 3]):
            try:
                session_results.append(comparable(ledger.charge_play(session, key=f"s-{n}", **play(101, track))))
                session.commit()
            except InsufficientCredits as exc:
                session.rollback()
                session_results.append((exc.balance, exc.price))
            try:
                charger_results.append(comparable(charger.charge_play(key=f"c-{n}", **play(102, track))))
            except InsufficientCredits as exc:
                charger_results.append((exc.balance, exc.price))
    assert charger_results == session_results
    assert any(isinstance(r, tuple) for r in charger_results)  # the wallet ran dry on the way
    with Session(engine) as session:
        assert reads.wallet_balance(session, 102) == reads.wallet_balance(session, 101)
        assert ledger.verify(session).ok


def test_each_charge_is_committed_and_leaves_no_transaction_open(engine):
    fund(engine, 110, 1_000_000)
    with ledger.PlayCharger(engine) as charger:
        result = charger.charge_play(key="committed-1", **play(110))
        assert charger._driver.info.transaction_status.name == "IDLE"
        # Another connection sees it at once: nothing is left to commit.
        with Session(engine) as other:
            assert other.scalar(select(Play.kind).where(Play.id == result.play_id)) is PlayKind.CHARGED
    assert result.play_number == 1 and result.charged and result.balance_after == 1_000_000 - result.price


def test_refusals_write_nothing_and_the_charger_stays_usable(engine):
    fund(engine, 120, 2_500)  # pays play 1 (2,000), not play 2 (4,000)
    with ledger.PlayCharger(engine) as charger:
        assert charger.charge_play(key="r-1", **play(120)).play_number == 1
        with pytest.raises(InsufficientCredits) as refused:
            charger.charge_play(key="r-2", **play(120))
        assert (refused.value.balance, refused.value.price) == (500, 4_000)
        with pytest.raises(IdempotencyConflict):
            charger.charge_play(key="r-1", **play(120, track=2))
        with pytest.raises(InvalidOperation):
            charger.charge_play(key="", **play(120))
        with pytest.raises(InvalidOperation):
            charger.charge_play(key="r-3", **play(120, listener_id=True))
        replayed = charger.charge_play(key="r-1", **play(120))
        assert replayed.replayed and replayed.play_number == 1
        assert charger.charge_play(key="r-4", **play(120, track_is_free=True)).kind is PlayKind.FREE_TRACK
    with Session(engine) as session:
        assert session.scalar(select(Play.id).where(Play.idempotency_key == "r-2")) is None
        assert reads.wallet_balance(session, 120) == 500
        assert ledger.verify(session).ok


def test_the_connection_goes_back_to_the_pool_transactional_again(engine):
    with ledger.PlayCharger(engine) as charger:
        driver = charger._driver
        assert driver.autocommit is True
    with engine.connect() as connection:
        if connection.connection.driver_connection is driver:
            assert driver.autocommit is False
        connection.execute(text("SELECT 1"))
        assert connection.in_transaction()


def test_a_lost_connection_is_invalidated_not_reused(engine):
    fund(engine, 130, 1_000_000)
    charger = ledger.PlayCharger(engine)
    pid = charger._driver.info.backend_pid
    with engine.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.commit()
    with pytest.raises(Exception) as lost:
        charger.charge_play(key="lost-1", **play(130))
    assert "terminat" in str(lost.value).lower() or "closed" in str(lost.value).lower()
    charger.close()
    with ledger.PlayCharger(engine) as again:  # a new, live connection
        assert again._driver.info.backend_pid != pid
        assert again.charge_play(key="lost-2", **play(130)).play_number == 1


def test_racing_chargers_never_overdraw_and_number_plays_once(engine):
    fund(engine, 140, 7_000)  # plays 1 (2,000) and 2 (4,000); play 3 (8,000) must fail for all
    barrier = threading.Barrier(8)

    def worker(index):
        outcomes = []
        with ledger.PlayCharger(engine) as charger:
            barrier.wait()
            for n in range(15):
                try:
                    outcomes.append(charger.charge_play(key=f"h{index}-{n}", **play(140)).play_number)
                except InsufficientCredits:
                    outcomes.append(None)
            # every thread retries one shared key: one play, the same answer for all
            outcomes.append(charger.charge_play(key="shared", **play(140, track=2, track_is_free=True)).play_id)
        return outcomes

    results = run_threads(lambda index: worker(index))
    numbers = sorted(n for chunk in results for n in chunk[:-1] if n is not None)
    assert numbers == [1, 2]
    assert len({chunk[-1] for chunk in results}) == 1
    with Session(engine) as session:
        assert reads.wallet_balance(session, 140) == 1_000
        report = ledger.verify(session)
        assert report.ok, report.lines()
