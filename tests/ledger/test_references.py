"""History refers only to accounts, pricing versions and transfers that exist, and those
never go away.

The reference guards (``ledger.schema.reference_guard_statements``) and the posting guard
(``posting_guard_statements``) replace the foreign keys to these rows; these tests hold
them to what the foreign keys promised."""

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError, IntegrityError

import ledger
from ledger.schema import Ownership, OwnershipVia, Play, PlayKind, Posting, Transfer
from ledger.types import utcnow
from tests.ledger.test_verify import ARTIST, LISTENER, TRACK, breaches, forged_transfer, setup_ledger

MISSING = 987_654
TABLES = ["ledger_postings", "ledger_transfers", "ledger_plays", "ledger_ownerships"]


def _referring_to_missing(session, table):
    """An INSERT of one ``table`` row that refers to a missing account (postings) or pricing
    version (the others); every other reference in it is valid."""
    if table == "ledger_postings":
        transfer_id = session.scalar(forged_transfer("valid").returning(Transfer.id))
        return insert(Posting).values(transfer_id=transfer_id, account_id=MISSING, amount=5)
    if table == "ledger_transfers":
        return forged_transfer("priced", pricing_version_id=MISSING)
    free = {"listener_id": LISTENER, "track_id": TRACK + 1, "artist_id": ARTIST, "pricing_version_id": MISSING}
    if table == "ledger_plays":
        return insert(Play).values(
            idempotency_key="free",
            fingerprint="x",
            kind=PlayKind.FREE_TRACK,
            price=0,
            artist_part=0,
            coop_part=0,
            created_at=utcnow(),
            **free,
        )
    return insert(Ownership).values(via=OwnershipVia.PLAYS, paid=0, acquired_at=utcnow(), **free)


@pytest.mark.parametrize("table", TABLES)
def test_a_row_referring_to_a_missing_account_or_pricing_version_is_refused(ls, table):
    setup_ledger(ls)
    statement = _referring_to_missing(ls, table)
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
        "TRUNCATE ledger_transfers CASCADE",  # postings refer to them (checked by the posting guard)
        "DELETE FROM ledger_transfers",
    ],
)
def test_accounts_pricing_versions_and_transfers_are_never_removed(ls, statement):
    setup_ledger(ls)
    ledger.system_account_id(ls, ledger.AccountKind.PAYOUTS_IN_TRANSIT)
    with pytest.raises((IntegrityError, DBAPIError), match=r"never removed|immutable"), ls.begin_nested():
        ls.execute(text(statement))
    assert ledger.verify(ls).ok


def test_a_posting_to_a_missing_transfer_is_refused(ls):
    """The posting guard checks the transfer (no foreign key), with the foreign key's SQLSTATE."""
    setup_ledger(ls)
    account = ledger.wallet_account_id(ls, LISTENER)
    statement = insert(Posting).values(
        [
            {"transfer_id": MISSING, "account_id": account, "amount": 5},
            {"transfer_id": MISSING, "account_id": account, "amount": -5},
        ]
    )
    refused = f"ledger_postings row refers to ledger transfer {MISSING}, which does not exist"
    with pytest.raises(IntegrityError, match=refused) as caught, ls.begin_nested():
        ls.execute(statement)
    assert caught.value.orig.sqlstate == "23503"


def test_verify_finds_references_to_missing_rows(ls):
    """A load with triggers off (``flask demo synthesize``) is checked by ``verify``."""
    setup_ledger(ls)
    ls.execute(text("SET LOCAL session_replication_role = replica"))  # the guards are off
    for table in TABLES:
        ls.execute(_referring_to_missing(ls, table))
    account = ledger.wallet_account_id(ls, LISTENER)
    ls.execute(insert(Posting).values(transfer_id=MISSING, account_id=account, amount=5))
    ls.execute(text("SET LOCAL session_replication_role = origin"))
    found = breaches(ls)
    assert any(f"postings refer to transfer {MISSING}, which does not exist" in b for b in found)
    assert any(f"posts to account {MISSING}, which does not exist" in b for b in found)
    for table in ("ledger_transfers", "ledger_plays", "ledger_ownerships"):
        assert any(f"{table} rows refer to pricing version {MISSING}, which does not exist" in b for b in found)
