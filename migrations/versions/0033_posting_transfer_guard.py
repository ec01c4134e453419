"""a posting's transfer checked by the posting guard, not by a foreign key; history never
truncated

The foreign key from ``ledger_postings.transfer_id`` to ``ledger_transfers`` checked each
posting by locking its transfer's row (``FOR KEY SHARE``, a WAL record), three times per
charge. The posting guard that already checks each INSERT of postings once, at its end,
(``ledger.schema.posting_guard_statements``, of which ``POSTING_GUARDS`` is a frozen copy)
now also checks that each transfer it touched exists, with the foreign key's SQLSTATE
(23503): -3.8 % of a charge's server instructions. Transfers, postings, plays and ownerships
refused UPDATE and DELETE, but not TRUNCATE (with CASCADE, past the foreign keys); now they
refuse it too (``truncate_guard_statements``, frozen as ``TRUNCATE_GUARDS``), so a transfer
that a posting refers to never goes away. Rows are unchanged.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-03 15:15:00

"""

import importlib.util
from pathlib import Path

from alembic import op

# revision identifiers, used by Alembic.
revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

_FOREIGN_KEY = "fk_ledger_postings_transfer_id_ledger_transfers"
_TRUNCATE_GUARDED = ("ledger_transfers", "ledger_postings", "ledger_plays", "ledger_ownerships")

# A frozen copy of ledger.schema.posting_guard_statements() at this revision.
POSTING_GUARDS = [
    "CREATE OR REPLACE FUNCTION ledger_check_postings() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "DECLARE posting record; total bigint;\n"
    "BEGIN\n"
    "  -- One lookup by primary key per posting, then per transfer one lookup and one sum: the\n"
    "  -- plans the row triggers and the foreign key had. A join over the inserted rows was\n"
    "  -- planned as a scan of every posting while the table was young, and the plan was kept.\n"
    "  FOR posting IN SELECT i.account_id FROM inserted_postings i LOOP\n"
    "    IF NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.id = posting.account_id) THEN\n"
    "      RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',\n"
    "        MESSAGE = 'ledger_postings row refers to ledger account ' || posting.account_id || ', which does not exist';\n"
    "    END IF;\n"
    "  END LOOP;\n"
    "  FOR posting IN SELECT DISTINCT i.transfer_id FROM inserted_postings i ORDER BY i.transfer_id LOOP\n"
    "    IF NOT EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.id = posting.transfer_id) THEN\n"
    "      RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',\n"
    "        MESSAGE = 'ledger_postings row refers to ledger transfer ' || posting.transfer_id || ', which does not exist';\n"
    "    END IF;\n"
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

# A frozen copy of ledger.schema.truncate_guard_statements() at this revision.
TRUNCATE_GUARDS = [
    "CREATE TRIGGER ledger_transfers_not_truncated BEFORE TRUNCATE ON ledger_transfers FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()",
    "CREATE TRIGGER ledger_postings_not_truncated BEFORE TRUNCATE ON ledger_postings FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()",
    "CREATE TRIGGER ledger_plays_not_truncated BEFORE TRUNCATE ON ledger_plays FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()",
    "CREATE TRIGGER ledger_ownerships_not_truncated BEFORE TRUNCATE ON ledger_ownerships FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()",
]


def _previous_posting_guards():
    """0032's frozen copy of the posting guard, for the downgrade."""
    path = Path(__file__).with_name("0032_postings_checked_per_statement.py")
    spec = importlib.util.spec_from_file_location("posting_guards_0032", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.POSTING_GUARDS


def upgrade():
    op.drop_constraint(_FOREIGN_KEY, "ledger_postings", type_="foreignkey")
    function, _trigger = POSTING_GUARDS
    op.execute(function)  # replaces 0032's; its trigger, ledger_postings_checked, stays
    for statement in TRUNCATE_GUARDS:
        op.execute(statement)


def downgrade():
    for table in _TRUNCATE_GUARDED:
        op.execute(f"DROP TRIGGER {table}_not_truncated ON {table}")
    function, _trigger = _previous_posting_guards()
    op.execute(function)
    op.create_foreign_key(_FOREIGN_KEY, "ledger_postings", "ledger_transfers", ["transfer_id"], ["id"])
