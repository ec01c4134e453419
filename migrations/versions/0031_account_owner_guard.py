"""an account's owner rule as a trigger at creation, and its kind and owner frozen

The table CHECK ``ck_ledger_accounts_owner`` (an owned kind has a positive owner, a co-op
account owner 0) was read again by every statement that writes ``ledger_accounts``: the
wallet's balance ``UPDATE`` of every charge, which changes neither column (6 % of a charge's
server instructions). The same rule moves to a trigger that fires on INSERT and on an
``UPDATE`` naming ``kind`` or ``owner_id`` (``ledger.schema.account_guard_statements``, of
which ``ACCOUNT_GUARDS`` is a frozen copy), and it now also refuses any change of an
account's kind or owner. Rows are unchanged.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-03 12:30:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

# A frozen copy of ledger.schema.account_guard_statements() at this revision.
ACCOUNT_GUARDS = [
    "CREATE OR REPLACE FUNCTION ledger_check_account_owner() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "  IF TG_OP = 'UPDATE' AND (NEW.kind IS DISTINCT FROM OLD.kind OR NEW.owner_id IS DISTINCT FROM OLD.owner_id) THEN\n"
    "    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
    "      MESSAGE = 'ledger account ' || OLD.id || ': its kind and owner never change';\n"
    "  END IF;\n"
    "  IF NOT (CASE WHEN NEW.kind IN ('artist_earnings', 'wallet') THEN NEW.owner_id > 0 ELSE NEW.owner_id = 0 END) THEN\n"
    "    RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_accounts_owner',\n"
    "      MESSAGE = 'a ' || NEW.kind || ' account cannot have owner ' || NEW.owner_id;\n"
    "  END IF;\n"
    "  RETURN NEW;\n"
    "END $$",
    "CREATE TRIGGER ledger_accounts_owner BEFORE INSERT OR UPDATE OF kind, owner_id ON ledger_accounts FOR EACH ROW EXECUTE FUNCTION ledger_check_account_owner()",
]

# The CHECK it replaces, as migration 0002 made it.
OWNER_CHECK = (
    "(kind IN ('wallet', 'artist_earnings') AND owner_id > 0)"
    " OR (kind NOT IN ('wallet', 'artist_earnings') AND owner_id = 0)"
)


def upgrade():
    op.execute("ALTER TABLE ledger_accounts DROP CONSTRAINT ck_ledger_accounts_owner")
    for statement in ACCOUNT_GUARDS:
        op.execute(statement)


def downgrade():
    op.execute("DROP TRIGGER ledger_accounts_owner ON ledger_accounts")
    op.execute("DROP FUNCTION ledger_check_account_owner()")
    op.execute(f"ALTER TABLE ledger_accounts ADD CONSTRAINT ck_ledger_accounts_owner CHECK ({OWNER_CHECK})")
