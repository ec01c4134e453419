"""The ledger's kinds are PostgreSQL domains (``ledger.types.DomainEnum``): the database
refuses a kind outside its enum, and migration 0030's frozen lists are the enums' (the
migrated schema is checked in ``tests/test_migrations.py``)."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

import ledger
from ledger.types import DomainEnum
from tests.resources import migration_module

# (table, column, the DomainEnum of its model), read off the ledger's metadata.
KIND_COLUMNS = [
    (table.name, column.name, column.type)
    for table in ledger.metadata.sorted_tables
    for column in table.columns
    if isinstance(column.type, DomainEnum)
]


def test_the_four_kinds_are_domains():
    assert sorted((table, column) for table, column, _ in KIND_COLUMNS) == [
        ("ledger_accounts", "kind"),
        ("ledger_ownerships", "via"),
        ("ledger_plays", "kind"),
        ("ledger_transfers", "kind"),
    ]


def test_migration_0030_lists_the_models_values():
    frozen = {
        (table, column): (domain, length, values)
        for table, column, domain, length, values in migration_module("0030_ledger_kind_domains.py").KINDS
    }
    models = {
        (table, column): (
            kind.impl_instance.name,
            max(len(m.value) for m in kind.enum_cls),
            tuple(m.value for m in kind.enum_cls),
        )
        for table, column, kind in KIND_COLUMNS
    }
    assert frozen == models


def domain_accepts(session, domain: str, value: str) -> bool:
    try:
        with session.begin_nested():
            session.execute(text(f"SELECT CAST(:value AS {domain})"), {"value": value})
        return True
    except IntegrityError:
        return False


def domain_of(session, table: str, column: str) -> str:
    return session.scalar(
        text(
            "SELECT t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
            " WHERE a.attrelid = CAST(:table AS regclass) AND a.attname = :column AND t.typtype = 'd'"
        ),
        {"table": table, "column": column},
    )


@pytest.mark.parametrize(("table", "column", "kind"), KIND_COLUMNS, ids=[f"{t}.{c}" for t, c, _ in KIND_COLUMNS])
def test_a_kind_outside_the_enum_is_refused(ls, table, column, kind):
    domain = domain_of(ls, table, column)
    assert domain == kind.impl_instance.name
    for member in kind.enum_cls:
        assert domain_accepts(ls, domain, member.value)
    for stranger in ("", "bogus", next(iter(kind.enum_cls)).value.upper()):
        assert not domain_accepts(ls, domain, stranger)


def test_an_insert_with_an_unknown_kind_is_refused_by_the_database(ls):
    with pytest.raises(IntegrityError, match="ledger_account_kind"), ls.begin_nested():
        ls.execute(
            text("INSERT INTO ledger_accounts (kind, owner_id, balance, created_at) VALUES ('bogus', 0, NULL, now())")
        )
