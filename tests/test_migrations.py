"""Migrations build the schema from nothing, and the models match them exactly."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app.core.domains import all_metadata
from app.core.extensions import db
from tests.conftest import make_test_app
from tests.ledger.test_kind_domains import KIND_COLUMNS, domain_accepts, domain_of
from tests.resources import MIGRATIONS, fresh_database, migration_module


@pytest.mark.committing
def test_upgrade_from_empty_matches_models_and_downgrades(tmp_path):
    with fresh_database(tmp_path, "migrations") as url:
        app = make_test_app(url, tmp_path / "media")
        with app.app_context():
            directory = app.extensions["migrate"].directory
            upgrade(directory=directory)
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                diff = compare_metadata(context, all_metadata())
            assert diff == [], f"models differ from migrations: {diff}"
            downgrade(directory=directory, revision="base")
            upgrade(directory=directory)
            db.engine.dispose()


@pytest.mark.parametrize(
    "revision, frozen, statements",
    [
        ("0002_ledger", "GUARDS", "guard_statements"),
        ("0028_lean_ledger_writes", "REFERENCE_GUARDS", "reference_guard_statements"),
        ("0031_account_owner_guard", "ACCOUNT_GUARDS", "account_guard_statements"),
        ("0033_posting_transfer_guard", "POSTING_GUARDS", "posting_guard_statements"),
        ("0033_posting_transfer_guard", "TRUNCATE_GUARDS", "truncate_guard_statements"),
    ],
)
def test_migration_guards_equal_the_ledgers_own(revision, frozen, statements):
    """The latest migration to change each guard list runs a frozen copy of it, less what a
    later revision replaced (0032's ``REPLACED_GUARDS``); at this revision they agree."""
    import ledger.schema

    replaced = migration_module("0032_postings_checked_per_statement.py").REPLACED_GUARDS
    installed = [
        statement for statement in getattr(migration_module(f"{revision}.py"), frozen) if statement not in replaced
    ]
    assert getattr(ledger.schema, statements)() == installed


def test_migration_money_functions_equal_the_ledgers_own():
    """Revision 0009 runs a frozen copy of the ledger's money functions, and each later revision
    that changes one a new copy of it: the latest copy of every function equals the ledger's."""
    import re

    from alembic.script import ScriptDirectory

    from ledger.functions import drop_statements, function_statements

    def name(statement):
        return re.match(r"CREATE OR REPLACE FUNCTION (\w+)\(", statement).group(1)

    scripts = ScriptDirectory(str(MIGRATIONS))
    latest, drops = {}, None
    for revision in reversed(list(scripts.walk_revisions())):  # oldest first
        module = migration_module(revision.path)
        latest.update((name(statement), statement) for statement in getattr(module, "FUNCTIONS", []))
        drops = getattr(module, "DROPS", drops)
    assert latest == {name(statement): statement for statement in function_statements()}
    assert drops == drop_statements()


@pytest.mark.parametrize(("table", "column", "kind"), KIND_COLUMNS, ids=[f"{t}.{c}" for t, c, _ in KIND_COLUMNS])
def test_the_migrated_ledger_kinds_are_the_models_domains(app_ctx, table, column, kind):
    """Migration 0030 made the ledger's kinds the domains ``DomainEnum`` declares (the
    comparison above does not look inside a domain)."""
    domain = domain_of(db.session, table, column)
    assert domain == kind.impl_instance.name
    assert all(domain_accepts(db.session, domain, member.value) for member in kind.enum_cls)
    assert not domain_accepts(db.session, domain, "bogus")
