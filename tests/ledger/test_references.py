"""History refers only to accounts and pricing versions that exist, and those never go away.

The reference guards (``ledger.schema.reference_guard_statements``) replace the foreign keys
to these shared rows; these tests hold them to what the foreign keys promised."""

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError, IntegrityError

import ledger
from ledger.schema import Ownership, OwnershipVia, Play, PlayKind, Posting, Transfer, TransferKind
from ledger.types import utcnow
from tests.ledger.test_verify import ARTIST, LISTENER, TRACK, breaches, setup_ledger

MISSING = 987_654


def _transfer(session, key="forged", **values):
    return session.scalar(
        insert(Transfer)
        .values(
            idempotency_key=key,
            fingerprint="x",
            kind=TransferKind.TOP_UP,
            memo="",
            created_at=utcnow(),
            effective_at=utcnow(),
            **values,
        )
        .returning(Transfer.id)
    )


def _rows_on_missing_parents(session):
    """Insert one row of each kind that refers to a missing account or pricing version."""
    transfer_id = _transfer(session)
    session.execute(insert(Posting).values(transfer_id=transfer_id, account_id=MISSING, amount=5))
    session.execute(insert(Posting).values(transfer_id=transfer_id, account_id=MISSING + 1, amount=-5))
    _transfer(session, key="forged-priced", pricing_version_id=MISSING)
    session.execute(
        insert(Play).values(
            idempotency_key="forged",
            fingerprint="x",
            listener_id=LISTENER,
            track_id=TRACK + 1,
            artist_id=ARTIST,
            kind=PlayKind.FREE_TRACK,
            play_number=None,
            price=0,
            artist_part=0,
            coop_part=0,
            transfer_id=None,
            pricing_version_id=MISSING,
            created_at=utcnow(),
        )
    )
    session.execute(
        insert(Ownership).values(
            listener_id=LISTENER,
            track_id=TRACK + 2,
            artist_id=ARTIST,
            via=OwnershipVia.PLAYS,
            pricing_version_id=MISSING,
            paid=0,
            acquired_at=utcnow(),
        )
    )


@pytest.mark.parametrize("table", ["ledger_postings", "ledger_transfers", "ledger_plays", "ledger_ownerships"])
def test_a_row_referring_to_a_missing_account_or_pricing_version_is_refused(ls, table):
    setup_ledger(ls)
    transfer_id = _transfer(ls, key="valid")
    if table == "ledger_postings":
        statement = insert(Posting).values(transfer_id=transfer_id, account_id=MISSING, amount=5)
    elif table == "ledger_transfers":
        statement = insert(Transfer).values(
            idempotency_key="priced",
            fingerprint="x",
            kind=TransferKind.CORRECTION,
            corrects_transfer_id=transfer_id,
            pricing_version_id=MISSING,
            memo="",
            created_at=utcnow(),
            effective_at=utcnow(),
        )
    elif table == "ledger_plays":
        statement = insert(Play).values(
            idempotency_key="free",
            fingerprint="x",
            listener_id=LISTENER,
            track_id=TRACK + 1,
            artist_id=ARTIST,
            kind=PlayKind.FREE_TRACK,
            price=0,
            artist_part=0,
            coop_part=0,
            pricing_version_id=MISSING,
            created_at=utcnow(),
        )
    else:
        statement = insert(Ownership).values(
            listener_id=LISTENER,
            track_id=TRACK + 1,
            artist_id=ARTIST,
            via=OwnershipVia.PLAYS,
            pricing_version_id=MISSING,
            paid=0,
            acquired_at=utcnow(),
        )
    refused = f"{table} row refers to .* {MISSING}, which does not exist"
    with pytest.raises(IntegrityError, match=refused), ls.begin_nested():
        ls.execute(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM ledger_accounts WHERE kind = 'coop_revenue'",
        "DELETE FROM ledger_accounts WHERE kind = 'payouts_in_transit'",  # not referenced yet: kept all the same
        "UPDATE ledger_accounts SET id = id + 1000 WHERE kind = 'artist_earnings'",
        "TRUNCATE ledger_accounts CASCADE",
        "TRUNCATE ledger_pricing_versions CASCADE",
        "DELETE FROM ledger_pricing_versions",
    ],
)
def test_accounts_and_pricing_versions_are_never_removed(ls, statement):
    setup_ledger(ls)
    ledger.system_account_id(ls, ledger.AccountKind.PAYOUTS_IN_TRANSIT)
    with pytest.raises((IntegrityError, DBAPIError), match=r"never removed|immutable"), ls.begin_nested():
        ls.execute(text(statement))
    assert ledger.verify(ls).ok


def test_verify_finds_references_to_missing_rows(ls):
    """A load with triggers off (``flask demo synthesize``) is checked by ``verify``."""
    setup_ledger(ls)
    ls.execute(text("SET LOCAL session_replication_role = replica"))  # the guards are off
    _rows_on_missing_parents(ls)
    ls.execute(text("SET LOCAL session_replication_role = origin"))
    found = breaches(ls)
    assert any(f"posts to account {MISSING}, which does not exist" in b for b in found)
    for table in ("ledger_transfers", "ledger_plays", "ledger_ownerships"):
        assert any(f"{table} rows refer to pricing version {MISSING}, which does not exist" in b for b in found)
