"""``verify`` finds each kind of breach (rows corrupted behind the ledger's back)."""

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

import ledger
from ledger.schema import Ownership, OwnershipVia, Play, PlayKind, Posting, Transfer, TransferKind
from ledger.types import utcnow

LISTENER, TRACK, ARTIST = 5, 6, 7


def setup_ledger(session):
    ledger.top_up(session, key="pay", listener_id=LISTENER, amount=2_000_000)
    for n in range(3):
        ledger.charge_play(
            session,
            key=f"p{n}",
            listener_id=LISTENER,
            track_id=TRACK,
            artist_id=ARTIST,
            track_is_free=False,
            listener_is_artist=False,
        )


def forged_transfer(key="forged", **values):
    """An INSERT of a transfer written behind the ledger's back (no postings of its own)."""
    return insert(Transfer).values(
        idempotency_key=key,
        fingerprint="x",
        kind=TransferKind.TOP_UP,
        memo="",
        created_at=utcnow(),
        effective_at=utcnow(),
        **values,
    )


def breaches(session):
    report = ledger.verify(session)
    assert report.lines()[-1].startswith("ledger BROKEN" if report.breaches else "ledger OK")
    return report.breaches


def test_a_sound_ledger_passes(ls):
    setup_ledger(ls)
    report = ledger.verify(ls)
    assert report.ok and report.counts["plays"] == 3 and report.counts["transfers"] == 4


def test_a_wallet_balance_that_differs_from_its_postings(ls):
    setup_ledger(ls)
    ls.execute(text("UPDATE ledger_accounts SET balance = balance + 1 WHERE kind = 'wallet'"))
    assert any("wallet balance" in b for b in breaches(ls))


def test_an_unbalanced_transfer(ls):
    setup_ledger(ls)
    wallet = ledger.wallet_account_id(ls, LISTENER)
    transfer_id = ls.scalar(forged_transfer().returning(Transfer.id))
    ls.execute(text("SET LOCAL session_replication_role = replica"))  # the posting guard would refuse it
    ls.execute(insert(Posting).values(transfer_id=transfer_id, account_id=wallet, amount=5))
    ls.execute(text("SET LOCAL session_replication_role = origin"))
    found = breaches(ls)
    assert any(f"transfer {transfer_id} has 1 posting(s) summing to 5" in b for b in found)
    assert any("all postings sum to 5" in b for b in found)


def test_an_ownership_without_its_plays_or_purchase(ls):
    setup_ledger(ls)
    version = ledger.pricing_in_force(ls)
    ls.execute(
        insert(Ownership).values(
            listener_id=LISTENER,
            track_id=TRACK,
            artist_id=ARTIST,
            via=OwnershipVia.PLAYS,
            pricing_version_id=version.id,
            paid=0,
            acquired_at=utcnow(),
        )
    )
    assert any("after 3 of 9 plays" in b for b in breaches(ls))


def test_a_gap_in_play_numbers(ls):
    setup_ledger(ls)
    third = ls.execute(select(Play).where(Play.play_number == 3)).scalar_one()
    ls.execute(
        insert(Play).values(
            idempotency_key="forged",
            fingerprint="x",
            listener_id=LISTENER,
            track_id=TRACK,
            artist_id=ARTIST,
            kind=PlayKind.CHARGED,
            play_number=5,
            price=third.price,
            artist_part=third.artist_part,
            coop_part=third.coop_part,
            transfer_id=third.transfer_id,
            pricing_version_id=third.pricing_version_id,
            created_at=utcnow(),
        )
    )
    found = breaches(ls)
    assert any(f"listener {LISTENER} track {TRACK}: 4 plays numbered 1..5" in b for b in found)


def _postings(session, *rows):
    """One INSERT of postings (transfer id, account id, amount), as the ledger writes them."""
    session.execute(
        insert(Posting).values([{"transfer_id": t, "account_id": a, "amount": amount} for t, a, amount in rows])
    )


def test_postgres_refuses_an_unbalanced_transfer_at_the_insert(ls):
    setup_ledger(ls)
    wallet = ledger.wallet_account_id(ls, LISTENER)
    with pytest.raises(IntegrityError, match="sum to 5, not 0"), ls.begin_nested():
        transfer_id = ls.scalar(forged_transfer().returning(Transfer.id))
        _postings(ls, (transfer_id, wallet, 5))
    assert ledger.verify(ls).ok


def test_a_transfers_postings_are_written_together(ls):
    """Each INSERT must leave its transfers balanced: a transfer cannot be built up over two
    statements, nor can an unbalanced posting be added to a transfer written earlier."""
    setup_ledger(ls)
    wallet = ledger.wallet_account_id(ls, LISTENER)
    coop = ledger.system_account_id(ls, ledger.AccountKind.COOP_REVENUE)
    with pytest.raises(IntegrityError, match="sum to -5, not 0"), ls.begin_nested():
        transfer_id = ls.scalar(forged_transfer().returning(Transfer.id))
        _postings(ls, (transfer_id, wallet, -5))  # refused here ...
        _postings(ls, (transfer_id, coop, 5))  # ... though this one would balance it
    charged = ls.scalar(select(Play.transfer_id).where(Play.transfer_id.is_not(None)).limit(1))
    with pytest.raises(IntegrityError, match=f"postings of transfer {charged} sum to 7, not 0"), ls.begin_nested():
        _postings(ls, (charged, coop, 7))
    assert ledger.verify(ls).ok


def test_one_insert_of_several_transfers_names_the_one_that_does_not_balance(ls):
    setup_ledger(ls)
    wallet = ledger.wallet_account_id(ls, LISTENER)
    coop = ledger.system_account_id(ls, ledger.AccountKind.COOP_REVENUE)
    with ls.begin_nested():  # a balanced one goes through
        balanced = ls.scalar(forged_transfer("balanced").returning(Transfer.id))
        _postings(ls, (balanced, wallet, -5), (balanced, coop, 5))
    unbalanced = r"postings of transfer \d+ sum to 3, not 0"
    with pytest.raises(IntegrityError, match=unbalanced) as refused, ls.begin_nested():
        first = ls.scalar(forged_transfer("first").returning(Transfer.id))
        second = ls.scalar(forged_transfer("second").returning(Transfer.id))
        _postings(ls, (first, wallet, -5), (first, coop, 5), (second, wallet, -2), (second, coop, 5))
    assert f"postings of transfer {second} sum to 3" in str(refused.value)
