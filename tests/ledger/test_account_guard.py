"""An account's owner fits its kind, and an account's kind and owner never change.

The rule is a trigger at creation (``ledger.schema.account_guard_statements``), not a table
CHECK re-read by every charge's balance update; these tests hold it to what the CHECK
promised, and to the stronger promise that whose money it is never changes."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

import ledger
from ledger.schema import OWNED_KINDS, SYSTEM_OWNER, AccountKind
from tests.ledger.test_verify import LISTENER, breaches, setup_ledger

WRONG_OWNERS = [(kind, SYSTEM_OWNER) for kind in sorted(OWNED_KINDS)] + [
    (kind, owner) for kind in sorted(set(AccountKind) - OWNED_KINDS) for owner in (5, -1)
]
WRONG_OWNERS += [(AccountKind.WALLET, -3), (AccountKind.ARTIST_EARNINGS, -3)]


def _insert(session, kind, owner):
    balance = "0" if kind is AccountKind.WALLET else "NULL"
    session.execute(
        text(
            f"INSERT INTO ledger_accounts (kind, owner_id, balance, created_at) VALUES (:kind, :owner, {balance}, now())"
        ),
        {"kind": kind.value, "owner": owner},
    )


@pytest.mark.parametrize("kind, owner", WRONG_OWNERS, ids=lambda value: getattr(value, "value", value))
def test_an_account_whose_owner_does_not_fit_its_kind_is_refused(ls, kind, owner):
    refusal = f"a {kind.value} account cannot have owner {owner}"
    with pytest.raises(IntegrityError, match=refusal) as refused, ls.begin_nested():
        _insert(ls, kind, owner)
    assert refused.value.orig.sqlstate == "23514"  # check_violation, as the table CHECK answered


@pytest.mark.parametrize("kind", sorted(AccountKind))
def test_an_account_whose_owner_fits_its_kind_is_created(ls, kind):
    owner = 77 if kind in OWNED_KINDS else SYSTEM_OWNER
    with ls.begin_nested():
        _insert(ls, kind, owner)
    assert ledger.verify(ls).ok


@pytest.mark.parametrize(
    "change",
    [
        "owner_id = owner_id + 1",  # another listener's wallet
        "kind = 'artist_earnings'",
        "kind = 'artist_earnings', balance = NULL",  # a valid account of another kind, all the same
    ],
)
def test_an_accounts_kind_and_owner_never_change(ls, change):
    setup_ledger(ls)
    wallet = ledger.wallet_account_id(ls, LISTENER)
    statement = text(f"UPDATE ledger_accounts SET {change} WHERE id = :id")
    with pytest.raises(IntegrityError, match="its kind and owner never change"), ls.begin_nested():
        ls.execute(statement, {"id": wallet})
    assert ledger.verify(ls).ok


def test_an_account_whose_kind_and_owner_are_named_but_unchanged_is_updated(ls):
    """The trigger fires on an UPDATE naming the columns; it refuses only a change."""
    setup_ledger(ls)
    wallet = ledger.wallet_account_id(ls, LISTENER)
    with ls.begin_nested():
        ls.execute(text("UPDATE ledger_accounts SET owner_id = owner_id, kind = kind WHERE id = :id"), {"id": wallet})
    assert ledger.verify(ls).ok


def test_a_wallets_balance_still_changes(ls):
    """The guard leaves the balance alone (every charge updates it)."""
    setup_ledger(ls)
    wallet = ledger.wallet_account_id(ls, LISTENER)
    balance = text("SELECT balance FROM ledger_accounts WHERE id = :id")
    before = ls.scalar(balance, {"id": wallet})
    savepoint = ls.begin_nested()
    ls.execute(text("UPDATE ledger_accounts SET balance = balance - 1 WHERE id = :id"), {"id": wallet})
    assert ls.scalar(balance, {"id": wallet}) == before - 1
    savepoint.rollback()  # the postings would no longer sum to it


def test_verify_finds_an_account_whose_owner_does_not_fit_its_kind(ls):
    """A load with triggers off (``flask demo synthesize``) is checked by ``verify``."""
    setup_ledger(ls)
    ls.execute(text("SET LOCAL session_replication_role = replica"))  # the guards are off
    _insert(ls, AccountKind.COOP_PROMOTIONS, 9)
    _insert(ls, AccountKind.WALLET, SYSTEM_OWNER)
    ls.execute(text("SET LOCAL session_replication_role = origin"))
    found = breaches(ls)
    assert any("account owner: coop_promotions account" in b and "has owner 9" in b for b in found)
    assert any("account owner: wallet account" in b and "has owner 0" in b for b in found)
