"""postings checked once per INSERT: each posting's account exists and each transfer
balances, at the end of the statement that wrote them

Before, every posting fired two triggers: a row check that its account exists (before the
insert) and a deferred constraint trigger that summed its transfer's postings (at commit;
three times for a charge's three postings). One statement-level trigger over the inserted
rows (a transition table) now does both (``ledger.schema.posting_guard_statements``, of
which ``POSTING_GUARDS`` is a frozen copy): -3.2 % of a charge's server instructions. A
transfer's postings must now be written in one statement, and balance at its end.
``REPLACED_GUARDS`` are the frozen copies (0002, 0028) this revision drops, for the
downgrade. Rows are unchanged.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-03 12:45:00

"""

import importlib.util
from pathlib import Path

from alembic import op


# revision identifiers, used by Alembic.
revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

# A frozen copy of ledger.schema.posting_guard_statements() at this revision.
POSTING_GUARDS = [
    "CREATE OR REPLACE FUNCTION ledger_check_postings() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "DECLARE posting record; total bigint;\n"
    "BEGIN\n"
    "  -- One lookup by primary key per posting, then one sum per transfer: the plans the row\n"
    "  -- triggers had. A join over the inserted rows was planned as a scan of every posting\n"
    "  -- while the table was young, and the plan was kept.\n"
    "  FOR posting IN SELECT i.account_id FROM inserted_postings i LOOP\n"
    "    IF NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.id = posting.account_id) THEN\n"
    "      RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',\n"
    "        MESSAGE = 'ledger_postings row refers to ledger account ' || posting.account_id || ', which does not exist';\n"
    "    END IF;\n"
    "  END LOOP;\n"
    "  FOR posting IN SELECT DISTINCT i.transfer_id FROM inserted_postings i ORDER BY i.transfer_id LOOP\n"
    "    SELECT sum(p.amount) INTO total FROM ledger_postings p WHERE p.transfer_id = posting.transfer_id;\n"
    "    IF total <> 0 THEN\n"
    "      RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
    "        MESSAGE = 'postings of transfer ' || posting.transfer_id || ' sum to ' || total || ', not 0';\n"
    "    END IF;\n"
    "  END LOOP;\n"
    "  RETURN NULL;\n"
    "END $$",
    "CREATE TRIGGER ledger_postings_checked AFTER INSERT ON ledger_postings REFERENCING NEW TABLE AS inserted_postings FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_postings()",
]

# What it replaces, for the downgrade: the triggers and functions of 0002's balance check and
# of 0028's account check of postings, read from those revisions' frozen copies.
_REPLACED = (
    ("0002_ledger", "GUARDS", ("ledger_check_transfer_balanced", "ledger_postings_balanced")),
    ("0028_lean_ledger_writes", "REFERENCE_GUARDS", ("ledger_check_account_exists", "ledger_postings_account_exists")),
)


def _frozen_statements(revision, name):
    spec = importlib.util.spec_from_file_location(f"guards_{revision}", Path(__file__).with_name(f"{revision}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def _creates(statement, names):
    """Whether ``statement`` creates one of ``names`` (a trigger naming a function only calls it)."""
    return any(
        statement.startswith(f"{verb} {name}")
        for name in names
        for verb in ("CREATE OR REPLACE FUNCTION", "CREATE TRIGGER", "CREATE CONSTRAINT TRIGGER")
    )


REPLACED_GUARDS = [
    statement
    for revision, frozen, names in _REPLACED
    for statement in _frozen_statements(revision, frozen)
    if _creates(statement, names)
]


def upgrade():
    op.execute("DROP TRIGGER ledger_postings_balanced ON ledger_postings")
    op.execute("DROP TRIGGER ledger_postings_account_exists ON ledger_postings")
    op.execute("DROP FUNCTION ledger_check_transfer_balanced()")
    op.execute("DROP FUNCTION ledger_check_account_exists()")
    for statement in POSTING_GUARDS:
        op.execute(statement)


def downgrade():
    op.execute("DROP TRIGGER ledger_postings_checked ON ledger_postings")
    op.execute("DROP FUNCTION ledger_check_postings()")
    for statement in REPLACED_GUARDS:
        op.execute(statement)
